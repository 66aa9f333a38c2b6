"""Button clicks on results, details and audit pages; each replaces or adds an ephemeral reply."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.people.admin import AdminService
from bot.search.service import PageReply, RecordingsService
from handlers.modals import open_search_modal
from handlers.payloads import action_value, asker_of, has_response_url, trigger_id
from handlers.replies import reply, telling_if_slow

PAGE_COMING = "The results will show here as soon as it answers."


def register(app: AsyncApp, *, recordings: RecordingsService, admin: AdminService) -> None:
    for action_id in (blocks.ACTION_PAGE_PREV, blocks.ACTION_PAGE_NEXT):
        app.action(action_id)(functools.partial(turn_page, recordings=recordings))
    app.action(blocks.ACTION_DETAILS)(functools.partial(show_details, recordings=recordings))
    app.action(blocks.ACTION_OPEN_MODAL)(functools.partial(open_modal, recordings=recordings))
    for action_id in (blocks.ACTION_AUDIT_PREV, blocks.ACTION_AUDIT_NEXT):
        app.action(action_id)(functools.partial(turn_audit_page, admin=admin))
    app.action(blocks.ACTION_RETRY)(functools.partial(retry, recordings=recordings))
    app.action(blocks.ACTION_LINK_MOVE)(functools.partial(move_link, admin=admin))
    app.action(blocks.ACTION_CONNECT_VBC)(acknowledge_link_button)
    app.action(blocks.ACTION_DISCONNECT_VBC)(functools.partial(disconnect_vbc, admin=admin))


async def acknowledge_link_button(ack: AsyncAck) -> None:
    """URL buttons still send a click; Slack wants it acknowledged."""
    await ack()


async def turn_page(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, recordings: RecordingsService
) -> None:
    await ack()
    turned = await _page(action_value(body), body, respond, recordings)
    if turned is not None:
        await reply(respond, turned.message, replace=turned.in_place)


async def _page(
    value: str, body: dict[str, Any], respond: AsyncRespond, recordings: RecordingsService
) -> PageReply | None:
    """The page a Prev/Next or Retry value (``<key>:<n>``) names; None, once said, if not ours."""
    try:
        key, page = blocks.parse_page_value(value)
    except ValueError:
        await reply(respond, blocks.render_error(blocks.NOT_MY_BUTTON))
        return None
    return await telling_if_slow(
        recordings.page(asker_of(body), key, page), respond, replace=True, what=PAGE_COMING
    )


async def show_details(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, recordings: RecordingsService
) -> None:
    await ack()
    await reply(respond, await recordings.details(asker_of(body), action_value(body)))


async def open_modal(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    recordings: RecordingsService,
) -> None:
    """The "Open search form" button in results and help, and the App Home's Search button."""
    await ack()
    await open_search_modal(
        client,
        trigger_id(body),
        asker_of(body),
        recordings=recordings,
        respond=respond if has_response_url(body) else None,
    )


async def turn_audit_page(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, admin: AdminService
) -> None:
    await ack()
    try:
        text, page = blocks.parse_audit_page_value(action_value(body))
    except ValueError:
        await reply(respond, blocks.render_error(blocks.NOT_MY_BUTTON))
        return
    message = await admin.audit(asker_of(body), text, page=page)
    await reply(respond, message, replace=True)


async def move_link(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, admin: AdminService
) -> None:
    """ "Move the link": an admin confirms taking a VBC user from whoever holds it."""
    await ack()
    await reply(respond, await admin.move_link(asker_of(body), action_value(body)), replace=True)


async def disconnect_vbc(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, admin: AdminService
) -> None:
    """whoami's Disconnect: forget the clicker's own VBC tokens (only ever the clicker's)."""
    await ack()
    await reply(respond, await admin.disconnect(asker_of(body)), replace=True)


async def retry(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, recordings: RecordingsService
) -> None:
    """One-click retry of a failed step; the value says which (``page:<key>:<n>``)."""
    await ack()
    kind, _, rest = action_value(body).partition(":")
    if kind == "page":
        turned = await _page(rest, body, respond, recordings)
        if turned is not None:
            await reply(respond, turned.message, replace=True)
        return
    await reply(respond, blocks.render_error("That retry button has expired; start again."))

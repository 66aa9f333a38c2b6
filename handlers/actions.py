"""Button clicks on results, details and audit pages; each replaces or adds an ephemeral reply."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.deps import Deps
from bot.people.admin import AdminService
from bot.people.asker import Asker
from handlers.commands import open_search_modal
from handlers.replies import reply


def register(app: AsyncApp, *, deps: Deps) -> None:
    for action_id in (blocks.ACTION_PAGE_PREV, blocks.ACTION_PAGE_NEXT):
        app.action(action_id)(functools.partial(turn_page, deps=deps))
    app.action(blocks.ACTION_DETAILS)(functools.partial(show_details, deps=deps))
    app.action(blocks.ACTION_OPEN_MODAL)(functools.partial(open_modal, deps=deps))
    for action_id in (blocks.ACTION_AUDIT_PREV, blocks.ACTION_AUDIT_NEXT):
        app.action(action_id)(functools.partial(turn_audit_page, deps=deps))
    app.action(blocks.ACTION_RETRY)(functools.partial(retry, deps=deps))
    app.action(blocks.ACTION_CONNECT_VBC)(acknowledge_link_button)


def clicker(body: dict[str, Any]) -> Asker:
    """The person who clicked: every check is made for them, not for whoever searched."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    team = (body.get("team") or {}).get("id") or body["user"].get("team_id") or ""
    return Asker(team_id=team, user_id=body["user"]["id"], channel_id=channel)


def action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    action = actions[0]
    if action.get("selected_option"):
        return str(action["selected_option"].get("value") or "")
    return str(action.get("value") or "")


async def acknowledge_link_button(ack: AsyncAck) -> None:
    """URL buttons still send a click; Slack wants it acknowledged."""
    await ack()


async def turn_page(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, deps: Deps
) -> None:
    await ack()
    try:
        key, page = blocks.parse_page_value(action_value(body))
    except ValueError:
        await reply(respond, blocks.render_error("That button is not one of mine; search again."))
        return
    turned = await deps.recordings.page(clicker(body), key, page)
    await reply(respond, turned.message, replace=turned.in_place)


async def show_details(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, deps: Deps
) -> None:
    await ack()
    await reply(respond, await deps.recordings.details(clicker(body), action_value(body)))


async def open_modal(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, deps: Deps
) -> None:
    await ack()
    await open_search_modal(client, body["trigger_id"], clicker(body), deps=deps)


async def turn_audit_page(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, deps: Deps
) -> None:
    await ack()
    text, _, page = action_value(body).rpartition(":")
    number = blocks.whole_number(page) or 1
    message = await AdminService(deps).audit(clicker(body), text, page=max(1, number))
    await reply(respond, message, replace=True)


async def retry(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, deps: Deps) -> None:
    """One-click retry of a failed step; the value says which (``page:<key>:<n>``)."""
    await ack()
    kind, _, rest = action_value(body).partition(":")
    if kind == "page":
        key, _, page = rest.rpartition(":")
        number = blocks.whole_number(page) or 1
        turned = await deps.recordings.page(clicker(body), key, number)
        await reply(respond, turned.message, replace=True)
        return
    await reply(respond, blocks.render_error("That retry button has expired; start again."))

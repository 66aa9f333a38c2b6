"""New-recording rule clicks: Remove (rule lists and App Home) and the App Home toggle."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks.ids import ACTION_NOTICE_REMOVE, ACTION_NOTICE_TOGGLE
from bot.notices import NoticeRules
from bot.search.home import AppHome
from handlers.payloads import action_value, asker_of, has_response_url
from handlers.replies import post_ephemeral, reply


def register(app: AsyncApp, *, notices: NoticeRules, home: AppHome) -> None:
    app.action(ACTION_NOTICE_REMOVE)(functools.partial(remove_rule, notices=notices, home=home))
    app.action(ACTION_NOTICE_TOGGLE)(
        functools.partial(toggle_notify_me, notices=notices, home=home)
    )


async def remove_rule(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    notices: NoticeRules,
    home: AppHome,
) -> None:
    """The value names a rule; whether the clicker may remove it is decided on the server."""
    await ack()
    asker = asker_of(body)
    rule_id = blocks.whole_number(action_value(body))
    if rule_id is None:
        message = blocks.render_error(blocks.NOT_MY_BUTTON)
    else:
        message = await notices.remove(asker, rule_id)
    await _answer(body, respond, client, home, message)


async def toggle_notify_me(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    notices: NoticeRules,
    home: AppHome,
) -> None:
    await ack()
    value = action_value(body)
    if value not in ("on", "off"):
        message = blocks.render_error(blocks.NOT_MY_BUTTON)
    else:
        message = await notices.toggle(asker_of(body), on=value == "on")
    await _answer(body, respond, client, home, message)


async def _answer(
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    home: AppHome,
    message: dict[str, Any],
) -> None:
    """Under a rule list: a reply. On App Home: the tab again, and the outcome in the DM."""
    asker = asker_of(body)
    if has_response_url(body):
        await reply(respond, message)
        return
    await client.views_publish(user_id=asker.user_id, view=await home.render(asker))
    await post_ephemeral(client, asker, message)

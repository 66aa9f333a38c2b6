"""Shortcuts: "Search recordings" opens the modal; "Find recordings for this number" searches."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.deps import Deps
from bot.filters import SearchRequest, extract_numbers
from bot.grammar.limits import MAX_TEXT
from bot.recordings import Asker
from handlers.commands import open_search_modal
from handlers.replies import reply


def register(app: AsyncApp, *, deps: Deps) -> None:
    app.shortcut(blocks.CALLBACK_SHORTCUT_SEARCH)(functools.partial(open_from_shortcut, deps=deps))
    app.shortcut(blocks.CALLBACK_MESSAGE_SHORTCUT)(
        functools.partial(search_message_numbers, deps=deps)
    )


def _asker(body: dict[str, Any]) -> Asker:
    return Asker(
        team_id=(body.get("team") or {}).get("id") or body["user"].get("team_id") or "",
        user_id=body["user"]["id"],
        channel_id=(body.get("channel") or {}).get("id"),
    )


async def open_from_shortcut(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, deps: Deps
) -> None:
    await ack()
    await open_search_modal(client, body["trigger_id"], _asker(body), deps=deps)


async def search_message_numbers(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, deps: Deps
) -> None:
    await ack()
    text = (body.get("message") or {}).get("text") or ""
    numbers = extract_numbers(text, region=deps.settings.phone_region)
    if not numbers:
        where = f"the first {MAX_TEXT:,} characters of " if len(text) > MAX_TEXT else ""
        await reply(
            respond,
            blocks.render_error(
                f"I found no phone number in {where}that message. Numbers look like "
                "`+1 732 555 0100` or `(732) 555-0100`."
            ),
        )
        return
    request = SearchRequest(filter=SearchRequest().filter, numbers=numbers[:4])
    await reply(respond, await deps.recordings.search(_asker(body), request))

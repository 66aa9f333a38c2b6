"""Shortcuts: "Search recordings" opens the modal; "Find recordings for this number" searches."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.grammar import SearchRequest, extract_numbers
from bot.grammar.limits import MAX_TEXT
from bot.search.service import RecordingsService
from handlers.modals import open_search_modal
from handlers.payloads import asker_of, message_text, trigger_id
from handlers.replies import reply


def register(app: AsyncApp, *, recordings: RecordingsService, phone_region: str) -> None:
    app.shortcut(blocks.CALLBACK_SHORTCUT_SEARCH)(
        functools.partial(open_from_shortcut, recordings=recordings)
    )
    app.shortcut(blocks.CALLBACK_MESSAGE_SHORTCUT)(
        functools.partial(search_message_numbers, recordings=recordings, phone_region=phone_region)
    )


async def open_from_shortcut(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, recordings: RecordingsService
) -> None:
    await ack()
    await open_search_modal(client, trigger_id(body), asker_of(body), recordings=recordings)


async def search_message_numbers(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    *,
    recordings: RecordingsService,
    phone_region: str,
) -> None:
    await ack()
    text = message_text(body)
    numbers = extract_numbers(text, region=phone_region)
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
    await reply(respond, await recordings.search(asker_of(body), request))

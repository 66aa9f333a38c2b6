"""Search modal submissions: field errors in the modal (it stays open with what was typed),
results as an ephemeral message."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks.modal import ModalErrors
from bot.people.asker import zone
from bot.search.service import RecordingsService
from handlers.payloads import asker_of, view_metadata, view_values
from handlers.replies import post_ephemeral


def register(app: AsyncApp, *, recordings: RecordingsService, phone_region: str) -> None:
    app.view(blocks.CALLBACK_SEARCH_MODAL)(
        functools.partial(submit_search, recordings=recordings, phone_region=phone_region)
    )


async def submit_search(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    *,
    recordings: RecordingsService,
    phone_region: str,
) -> None:
    asker = asker_of(body)
    carried_tz = view_metadata(body).get("tz")
    # No Slack call before the ack: the zone travelled with the view when it was opened.
    tz = zone(carried_tz) if carried_tz else await recordings.tz_of(asker)
    try:
        request = await recordings.read_form(asker, view_values(body), tz=tz, region=phone_region)
    except ModalErrors as exc:
        await ack(response_action="errors", errors=exc.errors)
        return
    await ack()
    await post_ephemeral(client, asker, await recordings.search(asker, request))

"""Opening the search modal, from the command, a results button or the global shortcut."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.modal import build_search_modal
from bot.people.asker import Asker
from bot.search.service import RecordingsService
from handlers.payloads import modal_metadata


async def open_search_modal(
    client: AsyncWebClient, trigger_id: str, asker: Asker, *, recordings: RecordingsService
) -> None:
    """Open the modal at once: a trigger_id is good for 3 seconds and one use."""
    tz = await recordings.tz_of(asker)
    # The submission must be answered within 3 s too: carry the channel and zone with the view.
    metadata = modal_metadata(channel_id=asker.channel_id, tz=str(tz))
    view = build_search_modal(tz=str(tz), private_metadata=metadata)
    await client.views_open(trigger_id=trigger_id, view=view)

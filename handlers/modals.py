"""Opening modals: the search form (command, results button, shortcut) and delete confirmations."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks.lifecycle import render_delete_failed, render_delete_loading, render_delete_modal
from bot.blocks.modal import build_search_modal
from bot.people.asker import Asker
from bot.people.policy import AccessRefusedError
from bot.search.service import RecordingsService
from bot.vbc.models import Recording
from handlers.payloads import modal_metadata
from handlers.replies import post_ephemeral, reply

log = logging.getLogger(__name__)
NOT_OPENED = (
    "I couldn't open the search form (Slack answered `{error}`). Try again, or type your "
    "filters after the command, e.g. `/recordings inbound last 7d`."
)


async def open_search_modal(
    client: AsyncWebClient,
    trigger_id: str,
    asker: Asker,
    *,
    recordings: RecordingsService,
    respond: AsyncRespond | None = None,
) -> None:
    """Open the modal at once: a trigger_id is good for 3 seconds and one use.

    When Slack refuses (an expired trigger, a click that arrived late), the person is told so:
    through ``respond`` where the click has a response_url, else in the channel or their DM
    (an App Home click or a global shortcut has neither a response_url nor a channel).
    """
    tz = await recordings.tz_of(asker)
    # The submission must be answered within 3 s too: carry the channel and zone with the view.
    metadata = modal_metadata(channel_id=asker.channel_id, tz=str(tz))
    view = build_search_modal(tz=str(tz), private_metadata=metadata)
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "an error")
        log.warning("views.open failed for %s: %s", asker.user_id, error)
        message = blocks.render_error(NOT_OPENED.format(error=error))
        if respond is not None:
            await reply(respond, message)
            return
        try:
            await post_ephemeral(client, asker, message)
        except SlackApiError as again:
            log.warning("could not tell %s either: %s", asker.user_id, again.response.get("error"))


DELETE_NOT_OPENED = (
    "I couldn't open the confirmation (Slack answered `{error}`), so nothing was deleted. "
    "Try again."
)


async def open_delete_modal(
    client: AsyncWebClient,
    trigger_id: str,
    asker: Asker,
    look_up: Callable[[], Awaitable[Recording]],
    *,
    respond: AsyncRespond | None = None,
) -> None:
    """Open the confirmation at once (the trigger lasts 3 s), then fill it with ``views.update``.

    ``look_up`` checks the person and fetches the recording; its refusal replaces the loading
    view and is also answered as an ephemeral message where the click has a response_url.
    """
    try:
        opened = await client.views_open(trigger_id=trigger_id, view=render_delete_loading())
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "an error")
        log.warning("views.open (delete) failed for %s: %s", asker.user_id, error)
        if respond is not None:
            await reply(respond, blocks.render_error(DELETE_NOT_OPENED.format(error=error)))
        return
    view_id = str(opened["view"]["id"])
    try:
        recording = await look_up()
    except AccessRefusedError as refusal:
        await client.views_update(view_id=view_id, view=render_delete_failed(str(refusal)))
        if respond is not None:
            await reply(respond, blocks.render_error(str(refusal)))
        return
    view = render_delete_modal(recording, channel_id=asker.channel_id)
    await client.views_update(view_id=view_id, view=view)

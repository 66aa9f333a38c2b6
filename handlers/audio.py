"""Play, Share to channel, the compact rows' overflow menu, and Retry of a failed play or share.

On a results list the list stays: its clicked row shows each step and the outcome (the list
replaced with itself through the click's own response_url, ``bot.audio.rows``). Elsewhere the
clicked message shows progress and the outcome; where a click has no response_url (the App
Home), the outcome goes to the person's DM.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.audio.service import AudioService, Outcome
from bot.audio.text import PLAY_HERE, Notify, Steps, parse_retry_value
from bot.people.asker import Asker
from bot.search.service import RecordingsService
from bot.web.links import ACTION_OPEN_LINK
from handlers.payloads import (
    action_value,
    asker_of,
    clicked_ephemeral,
    first_action,
    has_response_url,
)
from handlers.replies import post_ephemeral, reply

_RESULTS_BLOCK = re.compile(r"^(?:recact|rec):(.+:[0-9]{1,7}):[0-9]{1,7}$")


def register(app: AsyncApp, *, audio: AudioService, recordings: RecordingsService) -> None:
    deliver = functools.partial(deliver_recording, audio=audio, recordings=recordings)
    for action_id in (
        blocks.ACTION_PLAY,
        blocks.ACTION_PLAY_HERE,
        blocks.ACTION_SHARE,
        blocks.ACTION_ROW_MENU,
    ):
        app.action(action_id)(deliver)
    # Registered before handlers.actions' generic Retry: only play/share retries come here.
    app.action(blocks.ACTION_RETRY, matchers=[is_audio_retry])(
        functools.partial(retry_delivery, audio=audio)
    )
    app.action(ACTION_OPEN_LINK)(ack_link_click)
    app.action(blocks.ACTION_ROW_STATE)(ack_link_click)


async def is_audio_retry(body: dict[str, Any]) -> bool:
    # Only the prefix: a malformed value still reaches ``retry_delivery``, which says so.
    return action_value(body).partition(":")[0] in ("play", PLAY_HERE, "share")


async def deliver_recording(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    audio: AudioService,
    recordings: RecordingsService,
) -> None:
    """Play / Share buttons, and the overflow menu's Play / Details / Share options."""
    await ack()
    action = first_action(body)
    action_id, value = action.get("action_id"), action_value(body)
    if action_id == blocks.ACTION_ROW_MENU:
        try:
            action_id, _ = blocks.parse_menu_value(value)
        except ValueError:
            await reply(respond, blocks.render_error(blocks.NOT_MY_BUTTON))
            return
        value = value.partition("|")[2]
    asker = asker_of(body)
    if action_id == blocks.ACTION_DETAILS:
        details = await recordings.details(asker, value)
        await _say(body, respond, client, asker, details, replace=False)
        return
    kinds = {blocks.ACTION_SHARE: "share", blocks.ACTION_PLAY_HERE: PLAY_HERE}
    kind = kinds.get(str(action_id), "play")
    await _run(audio, kind, value, results_page_of(action.get("block_id")), body, respond, client)


async def retry_delivery(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    audio: AudioService,
) -> None:
    await ack()
    try:
        kind, ref_value, back = parse_retry_value(action_value(body))
    except ValueError:
        await _say(body, respond, client, asker_of(body), blocks.render_error(blocks.NOT_MY_BUTTON))
        return
    await _run(audio, kind, ref_value, back, body, respond, client)


async def ack_link_click(ack: AsyncAck) -> None:
    """A URL button opens the browser (a row's "✓ In your DM" too), and a row's "⏳ Uploading"
    does nothing more; Slack still sends the click and wants an ack."""
    await ack()


async def _run(
    audio: AudioService,
    kind: str,
    ref_value: str,
    back: str,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    asker = asker_of(body)
    if has_response_url(body):
        action = "share" if kind == "share" else "play"
        replace_list = functools.partial(reply, respond, replace=True)
        tracker = await audio.track(asker, back, ref_value, action, replace_list)
        if tracker is not None:  # a results list: it stays, the row shows each step
            await tracker.begin()
            await tracker.finish(
                await _deliver(audio, kind, asker, ref_value, back, steps=tracker.progress)
            )
            return
    # A real message (a notice in a channel) is everyone's: answer beside it, never over it.
    mine = clicked_ephemeral(body)
    notify = functools.partial(reply, respond, replace=mine) if has_response_url(body) else None
    outcome = await _deliver(audio, kind, asker, ref_value, back, notify=notify)
    if notify is not None or outcome.delivery is None:
        await _say(body, respond, client, asker, outcome.message, replace=mine)


async def _deliver(
    audio: AudioService,
    kind: str,
    asker: Asker,
    ref_value: str,
    back: str,
    *,
    notify: Notify | None = None,
    steps: Steps | None = None,
) -> Outcome:
    """Share, or play (here or to the DM), reporting through ``notify`` or a row's ``steps``."""
    if kind == "share":
        return await audio.share(asker, ref_value, notify=notify, steps=steps, back=back)
    here = kind == PLAY_HERE
    return await audio.play(asker, ref_value, notify=notify, steps=steps, back=back, here=here)


async def _say(
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    asker: Asker,
    message: dict[str, Any],
    *,
    replace: bool = True,
) -> None:
    """Replace the clicked message; from the App Home (no response_url) write to the DM."""
    if has_response_url(body):
        await reply(respond, message, replace=replace)
    else:
        await post_ephemeral(client, Asker(asker.team_id, asker.user_id), message)


def results_page_of(block_id: str | None) -> str:
    """``<cursor>:<page>`` from a results row's block id, else "".

    The block id format is made in ``bot.blocks.recordings._row_full``.
    """
    match = _RESULTS_BLOCK.match(block_id or "")
    return match.group(1) if match else ""

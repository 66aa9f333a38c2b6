"""The /recordings command: ack, then search, help, identity, audit and the rest."""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

import bot.grammar.commands as commands
from bot import blocks
from bot.audio.service import AudioService
from bot.blocks.modal import build_search_modal
from bot.deps import Deps
from bot.exports import require_exports
from bot.grammar import GRAMMAR_HELP, FilterError
from bot.people.admin import AdminService
from bot.people.asker import Asker
from handlers.replies import reply

log = logging.getLogger(__name__)
TRIGGER_ERRORS = {"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"}
FORM_DID_NOT_OPEN = "The search form did not open in time; run `/recordings` again."


def register(app: AsyncApp, *, deps: Deps) -> None:
    app.command("/recordings")(functools.partial(handle_recordings, deps=deps))


def asker_of(body: dict[str, Any]) -> Asker:
    return Asker(
        team_id=body.get("team_id") or "",
        user_id=body["user_id"],
        channel_id=body.get("channel_id"),
    )


async def handle_recordings(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    deps: Deps,
) -> None:
    await ack()
    asker = asker_of(body)
    text = (body.get("text") or "").strip()
    try:
        command = commands.parse_command(text)
    except commands.CommandError as exc:
        await reply(respond, blocks.render_error(str(exc)))
        return
    if isinstance(command, commands.Search) and not command.text.strip():
        if not await open_search_modal(client, body.get("trigger_id", ""), asker, deps=deps):
            await reply(respond, blocks.render_error(FORM_DID_NOT_OPEN))
        return
    if isinstance(command, commands.Get) and deps.audio is not None:
        await get_and_play(respond, asker, command, deps.audio)
        return
    await reply(respond, await run_command(command, asker, deps=deps))


async def get_and_play(
    respond: AsyncRespond, asker: Asker, command: commands.Get, audio: AudioService
) -> None:
    """``/recordings get <id>``: the details at once, then the audio (DM or direct channel).

    A command's response_url cannot replace its earlier replies, so each progress step is a
    new ephemeral line; details, 3 steps and the outcome stay within its 5 uses.
    """
    details, recording = await audio.get(asker, command.recording_id, command.kind)
    await reply(respond, details)
    if recording is not None:
        notify = functools.partial(reply, respond)
        outcome = await audio.play_loaded(asker, recording, notify=notify)
        await reply(respond, outcome.message)


async def run_command(command: commands.Command, asker: Asker, *, deps: Deps) -> dict[str, Any]:
    """One sub-command to one ephemeral reply; expected failures become clear messages."""
    service = deps.recordings
    admin = AdminService(deps)
    match command:
        case commands.Search(text=text):
            try:
                request = await service.parse(asker, text)
            except FilterError as exc:
                return blocks.render_error(str(exc))
            return await service.search(asker, request)
        case commands.Help():
            person = await deps.directory.person(asker.team_id, asker.user_id)
            return blocks.render_help(
                grammar_help=GRAMMAR_HELP, scope=person.scope_label, is_admin=person.is_admin
            )
        case commands.Get(recording_id=recording_id, kind=kind):
            return await service.get(asker, recording_id, kind)
        case commands.WhoAmI():
            return await admin.whoami(asker)
        case commands.Link(slack_user=slack_user, vbc_ref=vbc_ref):
            return await admin.link(asker, slack_user, vbc_ref)
        case commands.Unlink(slack_user=slack_user):
            return await admin.unlink(asker, slack_user)
        case commands.Audit(text=text):
            return await admin.audit(asker, text, page=1)
        case commands.Export(text=text):
            return await require_exports(deps).start(asker, text)
        case commands.Jobs():
            return await require_exports(deps).jobs(asker)
        case _:
            return await admin.other(asker, command)


async def open_search_modal(
    client: AsyncWebClient, trigger_id: str, asker: Asker, *, deps: Deps
) -> bool:
    """Open the modal at once: a trigger_id is good for 3 seconds and one use.

    False when Slack refused the trigger (late, used, or not one of its own): the click or
    command did nothing, and the person may simply try again.
    """
    tz = await deps.recordings.tz_of(asker)
    # The submission must be answered within 3 s too: carry the channel and zone with the view.
    metadata = json.dumps({"channel": asker.channel_id or "", "tz": str(tz)})
    view = build_search_modal(tz=str(tz), private_metadata=metadata)
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        if exc.response.get("error") not in TRIGGER_ERRORS:
            raise
        log.warning("the search form did not open: %s", exc.response.get("error"))
        return False
    return True

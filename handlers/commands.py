"""The /recordings command: ack, then search, help, identity, audit, delete and the rest."""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

import bot.grammar.commands as commands
from bot import blocks
from bot.audio.service import AudioService
from bot.exports import ExportService
from bot.grammar import FilterError
from bot.lifecycle.holds import HoldService
from bot.lifecycle.jobs import DeletionJobService
from bot.lifecycle.retention import RetentionService
from bot.lifecycle.single import SingleDelete
from bot.notices import NoticeRules
from bot.ops.audit_export import AuditExporter
from bot.people.admin import AdminService
from bot.people.asker import Asker
from bot.people.directory import Directory
from bot.search.service import RecordingsService
from handlers.modals import open_delete_modal, open_search_modal
from handlers.payloads import asker_of, command_text, trigger_id
from handlers.replies import reply, telling_if_slow

log = logging.getLogger(__name__)


def register(
    app: AsyncApp,
    *,
    recordings: RecordingsService,
    directory: Directory,
    admin: AdminService,
    audio: AudioService,
    exports: ExportService,
    audit_exports: AuditExporter,
    single_delete: SingleDelete,
    deletion_jobs: DeletionJobService,
    holds: HoldService,
    retention: RetentionService,
    notices: NoticeRules,
) -> None:
    app.command("/recordings")(
        functools.partial(
            handle_recordings,
            recordings=recordings,
            directory=directory,
            admin=admin,
            audio=audio,
            exports=exports,
            audit_exports=audit_exports,
            single_delete=single_delete,
            deletion_jobs=deletion_jobs,
            holds=holds,
            retention=retention,
            notices=notices,
        )
    )


async def handle_recordings(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    recordings: RecordingsService,
    directory: Directory,
    admin: AdminService,
    audio: AudioService,
    exports: ExportService,
    audit_exports: AuditExporter,
    single_delete: SingleDelete,
    deletion_jobs: DeletionJobService,
    holds: HoldService,
    retention: RetentionService,
    notices: NoticeRules,
) -> None:
    await ack()
    asker = asker_of(body)
    try:
        command = commands.parse_command(command_text(body))
    except commands.CommandError as exc:
        await reply(respond, blocks.render_error(str(exc)))
        return
    if isinstance(command, commands.Search) and not command.text.strip():
        await open_search_modal(
            client, trigger_id(body), asker, recordings=recordings, respond=respond
        )
        return
    if isinstance(command, commands.Get):
        await get_and_play(respond, asker, command, audio)
        return
    if isinstance(command, commands.Notify):
        await reply(respond, await notices.command(asker, command))
        return
    if isinstance(command, commands.Hold | commands.Holds | commands.Release | commands.Retention):
        await reply(respond, await run_lifecycle(command, asker, holds=holds, retention=retention))
        return
    if isinstance(command, commands.DeleteOne):
        look_up = functools.partial(single_delete.look_up, asker, command)
        await open_delete_modal(client, trigger_id(body), asker, look_up, respond=respond)
        return
    if isinstance(command, commands.DeleteMatching):
        await reply(respond, await deletion_jobs.offer(asker, command.text))
        return
    if isinstance(command, commands.AuditExport):
        await reply(respond, await audit_exports.export(asker, command.text))
        return
    message = await telling_if_slow(
        run_command(
            command, asker, recordings=recordings, directory=directory, admin=admin, exports=exports
        ),
        respond,
        replace=False,
        what="I'll answer here as soon as it does.",
    )
    await reply(respond, message)


async def run_lifecycle(
    command: commands.Hold | commands.Holds | commands.Release | commands.Retention,
    asker: Asker,
    *,
    holds: HoldService,
    retention: RetentionService,
) -> dict[str, Any]:
    """Legal holds and retention (admins; each service refuses members and audits it)."""
    match command:
        case commands.Hold(text=text):
            return await holds.hold(asker, text)
        case commands.Holds():
            return await holds.listing(asker)
        case commands.Release(text=text):
            return await holds.release(asker, text)
        case commands.Retention(text=text):
            return await retention.command(asker, text)


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


async def run_command(
    command: commands.Command,
    asker: Asker,
    *,
    recordings: RecordingsService,
    directory: Directory,
    admin: AdminService,
    exports: ExportService,
) -> dict[str, Any]:
    """One sub-command to one ephemeral reply; expected failures become clear messages."""
    match command:
        case commands.Search(text=text):
            try:
                request = await recordings.parse(asker, text)
            except FilterError as exc:
                return blocks.render_error(str(exc))
            return await recordings.search(asker, request)
        case commands.Help(topic=topic):
            person = await directory.person(asker.team_id, asker.user_id)
            return blocks.render_help(
                scope=person.scope_label, is_admin=person.is_admin, topic=topic
            )
        case commands.WhoAmI():
            return await admin.whoami(asker)
        case commands.Link(slack_user=slack_user, vbc_ref=vbc_ref):
            return await admin.link(asker, slack_user, vbc_ref)
        case commands.Unlink(slack_user=slack_user):
            return await admin.unlink(asker, slack_user)
        case commands.Audit(text=text):
            return await admin.audit(asker, text, page=1)
        case commands.Export(text=text):
            return await exports.start(asker, text)
        case commands.Jobs():
            return await exports.jobs(asker)
        case _:
            return await admin.other(asker, command)

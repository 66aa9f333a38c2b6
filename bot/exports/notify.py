"""Telling the person about their export: progress edits, then the one ready or failed notice.

The notice goes to the channel the export came from where an admin turned on direct
delivery, else to the person's DM. It is posted first, with a signed link per zip, and
recorded at once; then each zip under the upload cap is streamed from VBC into the notice's
thread and the notice is edited to point at the Slack file. Posting first keeps the slow part
after the one message that must exist exactly once: a process that dies mid-upload leaves a
recorded notice that the next owner edits instead of posting another. The original "export
started" message is edited to the same final state, or, when the notice went elsewhere, to a
pointer without links.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.audio.uploads import SlackFile, SourceError, UploadError, upload_stream
from bot.exports import messages as export_messages
from bot.exports import slack as export_slack
from bot.exports.links import ExportLinks, zip_name
from bot.exports.messages import Message, PartResult
from bot.exports.state import Outcome, RecordNotice
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.tables import ExportJobRow, ExportRequest, UploadedFile
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcNotFoundError
from bot.vbc.models import ExportJob

log = logging.getLogger(__name__)

_GONE_STATUS = 410  # VBC's answer for a zip it no longer keeps
EMPTY_ZIP_BYTES = 22  # a zip with no member is its end-of-central-directory record alone


class _NotUploaded(Exception):
    """This zip stays a link: too big, of unknown length, or Slack refused it."""

    def __init__(self, why: str, *, size: int | None) -> None:
        super().__init__(why)
        self.size = size


class _Empty(Exception):
    """VBC's zip holds no file at all (its end record alone)."""


class _Gone(Exception):
    """VBC no longer has a zip the notice was about to offer."""


class _Notice:
    """The request's one notice message: posted once and recorded, edited ever after."""

    def __init__(
        self, client: AsyncWebClient, store: Store, request: ExportRequest, record: RecordNotice
    ) -> None:
        self.client, self._store, self._request, self._record = client, store, request, record
        self.channel, self.ts = request.notice_channel, request.notice_ts

    async def show(self, message: Message) -> tuple[str, str]:
        request = self._request
        if self.channel and self.ts:
            await export_slack.edit(self.client, request, message, channel=self.channel, ts=self.ts)
            return self.channel, self.ts
        target = await export_slack.delivery_channel(self._store, self.client, request)
        posted = await export_slack.post(self.client, target, request, message)
        self.channel, self.ts = kept = await self._record(*posted)
        if kept != posted:  # another process posted first: its notice is the one
            await export_slack.delete(self.client, request, *posted)
            await export_slack.edit(self.client, request, message, channel=kept[0], ts=kept[1])
        return kept


class ExportNotifier:
    def __init__(
        self,
        *,
        store: Store,
        vbc: VbcClient,
        slack: SlackClients,
        http: httpx.AsyncClient,
        links: ExportLinks,
        upload_cap: int,
    ) -> None:
        self._store = store
        self._vbc = vbc
        self._slack = slack
        self._http = http
        self._links = links
        self._cap = upload_cap

    async def progress(self, request: ExportRequest, jobs: Sequence[ExportJobRow]) -> None:
        if request.message_channel and request.message_ts:
            client = await self._slack.for_team(request.team_id)
            await export_slack.edit(client, request, export_messages.progress(request, jobs))

    async def finish(
        self,
        request: ExportRequest,
        jobs: Sequence[ExportJobRow],
        state: str,
        record: RecordNotice,
    ) -> Outcome:
        notice = _Notice(await self._slack.for_team(request.team_id), self._store, request, record)
        ordered = sorted(jobs, key=lambda j: j.vbc_job_id)
        reason = request.error
        if state == "complete":
            try:
                fresh = [await self._fresh(job) for job in ordered]
            except _Gone as gone:
                state, reason = "expired", str(gone)
            else:
                return await self._ready(notice, request, ordered, fresh)
        reason = reason or (
            "VBC reported that building the zip failed."
            if state == "failed"
            else "VBC no longer keeps the zip."
        )
        return await self._failed(notice, request, state, reason)

    async def _fresh(self, job: ExportJobRow) -> ExportJob:
        """The job as VBC has it now: its download URL is never kept in our database."""
        try:
            fresh = await self._vbc.get_export_job(job.vbc_job_id, job.vbc_user_id)
        except VbcNotFoundError as exc:
            raise _Gone("VBC no longer knows the export.") from exc
        if not fresh.is_complete:
            raise _Gone(f"VBC no longer offers the zip (it is {fresh.status}).")
        return fresh

    async def _ready(
        self,
        notice: _Notice,
        request: ExportRequest,
        jobs: list[ExportJobRow],
        fresh: list[ExportJob],
    ) -> Outcome:
        """Post the notice with links, upload the zips into its thread, point at the files.

        A part VBC built empty (no recordings by the time it ran) is not linked nor uploaded:
        its line says why.
        """
        until = _until(*jobs)
        many = len(jobs) > 1
        parts = [
            PartResult(
                n,
                self._links.url_for(request, job, n if many else None),
                uploaded=False,
                holds=export_messages.part_holds(job),
                count=now.files_total,
                empty=now.files_total == 0,
            )
            for n, (job, now) in enumerate(zip(jobs, fresh, strict=True), 1)
        ]
        where = export_messages.place(request.notice_channel or "", request)
        first = export_messages.ready(request, parts, valid_until=until, where=where)
        channel, ts = await notice.show(first)
        where = export_messages.place(channel, request)
        for n, job in enumerate(fresh, 1):
            if parts[n - 1].empty:
                continue
            try:
                done = await self._upload(
                    notice.client, channel, ts, request, job, n if many else None
                )
            except VbcError as exc:
                if exc.status == _GONE_STATUS:
                    return await self._failed(notice, request, "expired", "VBC deleted the zip.")
                log.info("export %s part %d stays a link: %s", request.id, n, exc)
                continue
            except _Empty:
                log.info("export %s part %d is an empty zip: left out", request.id, n)
                parts[n - 1] = replace(parts[n - 1], empty=True)
                continue
            except _NotUploaded as exc:
                log.info("export %s part %d stays a link: %s", request.id, n, exc)
                parts[n - 1] = replace(parts[n - 1], size=exc.size)
                continue
            parts[n - 1] = replace(parts[n - 1], url=done.permalink, uploaded=True, size=done.size)
            await self._store.save_upload(
                UploadedFile(
                    team_id=request.team_id,
                    conversation_id=channel,
                    recording_key=f"export:{request.id}" + (f":{n}" if many else ""),
                    file_id=done.file_id,
                    permalink=done.permalink,
                    kind="export",
                    message_channel=channel,  # the notice offers it: retention edits it
                    message_ts=ts,
                )
            )
        message = export_messages.ready(request, parts, valid_until=until, where=where)
        if message != first:
            await notice.show(message)
        await self._edit_original(notice, request, "complete", message)
        only = parts[0] if len(parts) == 1 else None
        return Outcome("complete", link=only.url if only and only.uploaded else None)

    async def _upload(
        self,
        client: AsyncWebClient,
        channel: str,
        thread_ts: str,
        request: ExportRequest,
        job: ExportJob,
        number: int | None,
    ) -> SlackFile:
        async with self._vbc.open_export(job) as download:
            if download.length is not None and download.length <= EMPTY_ZIP_BYTES:
                raise _Empty
            if download.length is None or download.length > self._cap:
                raise _NotUploaded(
                    f"{download.length} bytes; the cap is {self._cap}", size=download.length
                )
            try:
                return await upload_stream(
                    client,
                    self._http,
                    filename=zip_name(request, number),
                    length=download.length,
                    chunks=download.chunks(),
                    title=f"Recordings export {request.id}"
                    + (f" (part {number})" if number else ""),
                    channel_id=channel,
                    initial_comment=None,
                    thread_ts=thread_ts,
                )
            except (UploadError, SourceError) as exc:
                raise _NotUploaded(str(exc), size=download.length) from exc

    async def _failed(
        self, notice: _Notice, request: ExportRequest, state: str, reason: str
    ) -> Outcome:
        message = export_messages.failed(request, state, reason)
        await notice.show(message)
        await self._edit_original(notice, request, state, message)
        return Outcome(state, error=reason)

    async def _edit_original(
        self, notice: _Notice, request: ExportRequest, state: str, message: Message
    ) -> None:
        """The original shows the end too, as a pointer: the notice holds the result, once."""
        if notice.channel and request.message_channel != notice.channel:
            message = export_messages.sent_elsewhere(request, state, notice.channel)
        elif notice.channel:
            message = export_messages.see_below(request, state)
        await export_slack.edit(notice.client, request, message)


def _until(*jobs: ExportJobRow) -> str | None:
    expiries = [j.valid_until for j in jobs if j.valid_until is not None]
    if not expiries:
        return None
    soonest = min(e if e.tzinfo else e.replace(tzinfo=UTC) for e in expiries)
    return blocks.slack_date(soonest)

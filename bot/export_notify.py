"""Telling the person about their export: progress edits, then the one ready or failed notice.

The notice goes to the channel the export came from where an admin turned on direct
delivery, else to the person's DM. A single zip under the upload cap is streamed from VBC
into Slack and attached to the notice itself; bigger ones, and exports VBC split into several
zips, get signed links to the bot in the notice (small parts are also uploaded into its
thread). The original "export started" message is edited to the same final state.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, export_messages, export_slack
from bot.export_links import ExportLinks, zip_name
from bot.export_messages import PartResult
from bot.export_state import Outcome
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.tables import ExportJobRow, ExportRequest
from bot.uploads import SlackFile, SourceError, UploadError, upload_stream
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError
from bot.vbc.models import ExportJob

log = logging.getLogger(__name__)

_GONE_STATUS = 410  # VBC's answer for a zip it no longer keeps


class _NotUploaded(Exception):
    """This zip stays a link: too big, of unknown length, or Slack refused it."""


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
        self, request: ExportRequest, jobs: Sequence[ExportJobRow], state: str
    ) -> Outcome:
        client = await self._slack.for_team(request.team_id)
        channel = await export_slack.delivery_channel(self._store, client, request)
        ordered = sorted(jobs, key=lambda j: j.vbc_job_id)
        if state == "complete" and len(ordered) == 1:
            return await self._single(client, channel, request, ordered[0])
        if state == "complete":
            return await self._several(client, channel, request, ordered)
        reason = request.error or (
            "VBC reported that building the zip failed."
            if state == "failed"
            else "VBC no longer keeps the zip."
        )
        return await self._failed(client, channel, request, state, reason)

    async def _single(
        self, client: AsyncWebClient, channel: str, request: ExportRequest, job: ExportJobRow
    ) -> Outcome:
        """One zip: attach it to the notice itself, or link to it when it can't be uploaded."""
        until = _until(job)
        head = f":white_check_mark: Your export `{request.id}` is ready: the zip is attached."
        try:
            uploaded = await self._upload(client, channel, request, job, None, head, None)
        except VbcError as exc:
            return await self._download_failed(client, channel, request, exc)
        except _NotUploaded:
            link = self._links.url_for(request, job)
            parts = [PartResult(1, link, uploaded=False)]
            message = export_messages.ready(request, parts, valid_until=until)
            await export_slack.post(client, channel, request, message)
            await export_slack.edit(client, request, message)
            return Outcome("complete", link=link)
        parts = [PartResult(1, uploaded.permalink, uploaded=True, size=uploaded.size)]
        await export_slack.edit(
            client, request, export_messages.ready(request, parts, valid_until=until)
        )
        return Outcome("complete", link=uploaded.permalink)

    async def _several(
        self,
        client: AsyncWebClient,
        channel: str,
        request: ExportRequest,
        jobs: list[ExportJobRow],
    ) -> Outcome:
        """Several zips: one notice with a link per part; small parts go into its thread."""
        until = _until(*jobs)
        parts = [
            PartResult(n, self._links.url_for(request, job, n), uploaded=False)
            for n, job in enumerate(jobs, 1)
        ]
        message = export_messages.ready(request, parts, valid_until=until)
        posted = await export_slack.post(client, channel, request, message)
        if posted is not None:
            where, ts = posted
            for n, job in enumerate(jobs, 1):
                try:
                    done = await self._upload(client, where, request, job, n, None, ts)
                except (VbcError, _NotUploaded) as exc:
                    log.info("export %s part %d stays a link: %s", request.id, n, exc)
                    continue
                parts[n - 1] = PartResult(n, done.permalink, uploaded=True, size=done.size)
            message = export_messages.ready(request, parts, valid_until=until)
            await export_slack.edit(client, request, message, channel=where, ts=ts)
        await export_slack.edit(client, request, message)
        return Outcome("complete", link=self._links.url_for_index(request, jobs))

    async def _upload(
        self,
        client: AsyncWebClient,
        channel: str,
        request: ExportRequest,
        job: ExportJobRow,
        number: int | None,
        comment: str | None,
        thread_ts: str | None,
    ) -> SlackFile:
        fresh = ExportJob(id=job.vbc_job_id, status=job.status, download_url=job.download_url)
        async with self._vbc.open_export(fresh) as download:
            if download.length is None or not 0 < download.length <= self._cap:
                raise _NotUploaded(f"{download.length} bytes; the cap is {self._cap}")
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
                    initial_comment=comment,
                    thread_ts=thread_ts,
                )
            except (UploadError, SourceError) as exc:
                raise _NotUploaded(str(exc)) from exc

    async def _download_failed(
        self, client: AsyncWebClient, channel: str, request: ExportRequest, exc: VbcError
    ) -> Outcome:
        if exc.status == _GONE_STATUS:
            return await self._failed(client, channel, request, "expired", "VBC deleted the zip.")
        return await self._failed(client, channel, request, "failed", str(exc))

    async def _failed(
        self, client: AsyncWebClient, channel: str, request: ExportRequest, state: str, reason: str
    ) -> Outcome:
        message = export_messages.failed(request, state, reason)
        await export_slack.post(client, channel, request, message)
        await export_slack.edit(client, request, message)
        return Outcome(state, error=reason)


def _until(*jobs: ExportJobRow) -> str | None:
    expiries = [j.valid_until for j in jobs if j.valid_until is not None]
    if not expiries:
        return None
    soonest = min(e if e.tzinfo else e.replace(tzinfo=UTC) for e in expiries)
    return blocks.slack_date(soonest)

"""The ``export`` link kind: a signed, expiring link that streams an export's zip from VBC.

The link names the export request (and, for exports VBC split into several zips, one job).
Each use re-checks the person now: the request must be theirs and their access must still
cover its filters (an unlinked member or a former admin is refused), then the job is read
again from VBC so an expired zip is reported as such rather than half-streamed.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot import export_messages
from bot.clock import Clock
from bot.exports import ExportService
from bot.filters import FilterError, parse_filter
from bot.links import LinkGrant, Links, streamed_download
from bot.policy import AccessRefusedError
from bot.recordings import Asker, zone
from bot.server import Response
from bot.store import Store
from bot.tables import ExportJobRow, ExportRequest
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcNotFoundError

LINK_KIND = "export"
MIN_TTL = timedelta(minutes=5)
DEFAULT_TTL = timedelta(days=7)


def zip_name(request: ExportRequest, number: int | None = None) -> str:
    part = f"-part{number}" if number is not None else ""
    return f"recordings-export-{request.id}{part}.zip"


class ExportLinks:
    def __init__(
        self,
        *,
        links: Links,
        store: Store,
        vbc: VbcClient,
        exports: ExportService,
        clock: Clock,
    ) -> None:
        self._links = links
        self._store = store
        self._vbc = vbc
        self._exports = exports
        self._clock = clock
        links.register(LINK_KIND, self.open)

    def url_for(
        self, request: ExportRequest, job: ExportJobRow | None, number: int | None = None
    ) -> str:
        """A link for the person who asked, valid until VBC stops keeping the zip."""
        until = job.valid_until if job else None
        ttl = (until - self._clock()) if until is not None else DEFAULT_TTL
        subject = f"{request.id}:{job.vbc_job_id}" if job else request.id
        url, _ = self._links.url_for(
            LINK_KIND,
            team_id=request.team_id,
            user_id=request.slack_user_id,
            subject=subject,
            filename=zip_name(request, number) if job else f"export-{request.id}",
            ttl=max(ttl, MIN_TTL),
        )
        return url

    def request_url(self, request: ExportRequest, jobs: list[ExportJobRow]) -> str:
        """One link for ``/recordings jobs``: the zip itself, or a page of its parts."""
        if len(jobs) == 1:
            return self.url_for(request, jobs[0])
        return self.url_for_index(request, jobs)

    def url_for_index(self, request: ExportRequest, jobs: list[ExportJobRow]) -> str:
        expiries = [j.valid_until for j in jobs if j.valid_until is not None]
        ttl = (min(expiries) - self._clock()) if expiries else DEFAULT_TTL
        url, _ = self._links.url_for(
            LINK_KIND,
            team_id=request.team_id,
            user_id=request.slack_user_id,
            subject=request.id,
            filename=f"export-{request.id}",
            ttl=max(ttl, MIN_TTL),
        )
        return url

    async def open(self, grant: LinkGrant) -> Response:
        request_id, _, job_id = grant.subject.partition(":")
        request, jobs = await self._load(request_id)
        if (
            request is None
            or request.team_id != grant.team_id
            or request.slack_user_id != grant.user_id
        ):
            raise AccessRefusedError("This export is not yours, so I can't give it to you.")
        await self._check_access(request)
        if not job_id and len(jobs) > 1:
            parts = [(f"Part {n}", self.url_for(request, job, n)) for n, job in enumerate(jobs, 1)]
            return Response.html(export_messages.link_page(request, parts))
        job = next((j for j in jobs if j.vbc_job_id == job_id or not job_id), None)
        if job is None:
            raise VbcNotFoundError("That part of the export does not exist.")
        fresh = await self._vbc.get_export_job(job.vbc_job_id, job.vbc_user_id)
        if not fresh.is_complete:
            raise VbcNotFoundError(f"VBC no longer offers this export (it is {fresh.status}).")
        number = jobs.index(job) + 1 if len(jobs) > 1 else None
        return await streamed_download(
            self._vbc.open_export(fresh),
            filename=zip_name(request, number),
            content_type="application/zip",
        )

    async def _check_access(self, request: ExportRequest) -> None:
        """The person's access now, for the request's own filters; raises AccessRefusedError."""
        asker = Asker(request.team_id, request.slack_user_id, request.channel_id)
        tz = zone(request.tz)
        try:
            wanted = parse_filter(request.request_text, now=self._clock(), tz=tz)
        except FilterError as exc:
            raise AccessRefusedError("This export can't be checked any more.") from exc
        await self._exports.prepare(asker, wanted, tz)

    async def _load(self, request_id: str) -> tuple[ExportRequest | None, list[ExportJobRow]]:
        async with self._store.session() as s:
            request = await s.get(ExportRequest, request_id)
            rows = await s.exec(
                select(ExportJobRow)
                .where(ExportJobRow.request_id == request_id)
                .order_by(col(ExportJobRow.vbc_job_id))
            )
            return request, list(rows)

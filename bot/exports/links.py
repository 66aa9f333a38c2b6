"""The ``export`` link kind: a signed, expiring link that streams an export's zip from VBC.

The link names the export request (and, for exports VBC split into several zips, one job).
Each use re-checks the person now: the request must be theirs, and planning its filters for
them now must give exactly the VBC queries the export was made with (an unlinked member, a
former admin or a member linked to another VBC user is refused); then the job is read again
from VBC so an expired zip is reported as such rather than half-streamed.
"""

from __future__ import annotations

import html
from datetime import timedelta

from bot.clock import Clock
from bot.exports import messages as export_messages
from bot.exports.service import ExportService
from bot.grammar import FilterError, parse_filter
from bot.people.asker import Asker, zone
from bot.people.policy import AccessRefusedError
from bot.store import Store
from bot.store.exports import ExportRows
from bot.store.tables import ExportJobRow, ExportRequest
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcNotFoundError
from bot.web.http import Response
from bot.web.links import LinkGrant, Links, streamed_download

LINK_KIND = "export"
MIN_TTL = timedelta(minutes=5)
DEFAULT_TTL = timedelta(days=7)
LISTED_TTL = timedelta(hours=1)  # a link shown by ``/recordings jobs``, minted per showing
CHANGED = (
    "Your access to recordings has changed since this export was made, so I can't give it "
    "to you. Start a new export if you still need it."
)


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
        self._rows = ExportRows(store)
        self._vbc = vbc
        self._exports = exports
        self._clock = clock
        links.register(LINK_KIND, self.open)

    def url_for(
        self,
        request: ExportRequest,
        job: ExportJobRow | None,
        number: int | None = None,
        *,
        longest: timedelta = DEFAULT_TTL,
    ) -> str:
        """A link for the person who asked, valid until VBC stops keeping the zip."""
        subject = f"{request.id}:{job.vbc_job_id}" if job else request.id
        url, _ = self._links.url_for(
            LINK_KIND,
            team_id=request.team_id,
            user_id=request.slack_user_id,
            subject=subject,
            filename=zip_name(request, number) if job else f"export-{request.id}",
            ttl=self._ttl([job] if job else [], longest),
        )
        return url

    def listed_url(self, request: ExportRequest, jobs: list[ExportJobRow]) -> str:
        """A fresh, short-lived link for ``/recordings jobs``: the zip, or a page of its parts."""
        if len(jobs) == 1:
            return self.url_for(request, jobs[0], longest=LISTED_TTL)
        url, _ = self._links.url_for(
            LINK_KIND,
            team_id=request.team_id,
            user_id=request.slack_user_id,
            subject=request.id,
            filename=f"export-{request.id}",
            ttl=self._ttl(jobs, LISTED_TTL),
        )
        return url

    def _ttl(self, jobs: list[ExportJobRow], longest: timedelta) -> timedelta:
        expiries = [j.valid_until - self._clock() for j in jobs if j.valid_until is not None]
        return max(min([longest, *expiries]), MIN_TTL)

    async def open(self, grant: LinkGrant) -> Response:
        request_id, _, job_id = grant.subject.partition(":")
        request, jobs = await self._rows.with_jobs(request_id)
        if (
            request is None
            or request.team_id != grant.team_id
            or request.slack_user_id != grant.user_id
        ):
            raise AccessRefusedError("This export is not yours, so I can't give it to you.")
        await self._check_access(request)
        if not job_id and len(jobs) > 1:
            parts = [
                (
                    f"Part {n}: {html.unescape(export_messages.part_holds(job))}",
                    self.url_for(request, job, n, longest=LISTED_TTL),
                )
                for n, job in enumerate(jobs, 1)
                if not (job.files_total == 0 and job.status == "complete")  # an empty zip
            ]
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
        """The person's plan now must be the one the export was made with; raises refusals."""
        asker = Asker(request.team_id, request.slack_user_id, request.channel_id)
        tz = zone(request.tz)
        try:
            wanted = parse_filter(request.request_text, now=self._clock(), tz=tz)
        except FilterError as exc:
            raise AccessRefusedError("This export can't be checked any more.") from exc
        now = await self._exports.prepare(asker, wanted, tz)
        if request.plan_digest is None or now.digest != request.plan_digest:
            raise AccessRefusedError(CHANGED)

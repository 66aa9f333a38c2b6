"""Export requests and their VBC jobs as rows: every statement the export package runs.

The export package (``bot.exports``) decides what happens to an export; this module only
stores it. Polling and notices work under ``REQUEST_LEASE``, the generic row lease
(``bot.store.lease``) on ``export_requests``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store import Store
from bot.store.lease import Lease, LeasedTable, table_of
from bot.store.tables import ExportJobRow, ExportRequest

# The request states the code branches on; the ended ones are complete, failed and expired.
STARTING = "starting"  # stored before its VBC jobs exist, so a second click finds it
RUNNING = "running"
NOTIFYING = "notifying"  # every job ended; a process holds the notice lease

REQUEST_LEASE = Lease(
    LeasedTable(
        table=table_of(ExportRequest),
        id="id",
        owner="lease_owner",
        until="lease_until",
        due="next_poll_at",
        watchable=(col(ExportRequest.state).in_((RUNNING, NOTIFYING)),),
    )
)
_RUNNING = (col(ExportRequest.state) == RUNNING,)
# As VBC spells them (``bot.vbc.models.TERMINAL_JOB_STATES``; the store imports nothing above it).
ENDED_JOB_STATES = ("complete", "failed", "expired", "cancelled", "canceled")
_NOTIFYING = (col(ExportRequest.state) == NOTIFYING,)

WithJobs = tuple[ExportRequest, list[ExportJobRow]]

_REQUESTS = table_of(ExportRequest)
_JOBS = table_of(ExportJobRow)
# What one poll writes, by primary key, for many rows at once (executemany).
_REQUEST_POLLED = (
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("b_id"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "state",
                "attempts",
                "error",
                "poll_interval",
                "next_poll_at",
                "updated_at",
                "lease_owner",
                "lease_until",
            )
        }
    )
)
_NOTIFIED = (
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("b_id"), _REQUESTS.c.state == bindparam("b_notifying"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "state",
                "notified_at",
                "result_permalink",
                "error",
                "lease_owner",
                "lease_until",
                "updated_at",
            )
        }
    )
)
_NOTICE_RECORDED = (
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("b_id"), _REQUESTS.c.notice_ts.is_(None))
    .values(notice_channel=bindparam("notice_channel"), notice_ts=bindparam("notice_ts"))
)
_JOB_POLLED = (
    update(_JOBS)
    .where(_JOBS.c.vbc_job_id == bindparam("b_id"))
    .values(
        {
            name: bindparam(name)
            for name in ("status", "files_completed", "files_total", "download_url", "valid_until")
        }
    )
)


@dataclass(frozen=True)
class PollResult:
    """What one pass of the watcher decided for a request it holds, and the jobs it read."""

    request_id: str
    state: str
    attempts: int
    error: str | None
    poll_interval: float
    next_poll_at: datetime
    keep_lease: bool  # an ended request keeps it for its notice; a running one lets it go
    jobs: Sequence[ExportJobRow]


@dataclass(frozen=True)
class Notified:
    """A request whose notice is complete: how it ended."""

    request_id: str
    state: str
    link: str | None
    error: str | None


@dataclass(frozen=True)
class NoticePosted:
    """A notice Slack has just accepted: where it is."""

    request_id: str
    channel: str
    ts: str


class ExportRows:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- starting ----------------------------------------------------------------------------

    async def create_request(self, row: ExportRequest) -> bool:
        """Insert a new request; False when another request already has its ``origin``."""
        try:
            async with self._store.session() as s:
                s.add(row)
                await s.commit()
        except IntegrityError:
            return False
        return True

    async def by_origin(self, origin: str | None) -> ExportRequest | None:
        async with self._store.session() as s:
            found = await s.exec(select(ExportRequest).where(ExportRequest.origin == origin))
            return found.first()

    async def forget_starting(self, request_id: str) -> None:
        """Remove a request whose VBC jobs were never created."""
        async with self._store.session() as s:
            await s.exec(
                delete(ExportRequest).where(
                    col(ExportRequest.id) == request_id, col(ExportRequest.state) == STARTING
                )
            )
            await s.commit()

    async def mark_running(
        self,
        request_id: str,
        jobs: Sequence[ExportJobRow],
        *,
        next_poll_at: datetime,
        now: datetime,
    ) -> None:
        """Store the request's VBC jobs with it and hand it to the watchers, in one go."""
        async with self._store.session() as s:
            await s.exec(
                update(ExportRequest)
                .where(col(ExportRequest.id) == request_id)
                .values(state=RUNNING, next_poll_at=next_poll_at, updated_at=now)
            )
            s.add_all(jobs)
            await s.commit()

    async def save_message(self, request_id: str, channel: str | None, ts: str) -> None:
        """Where the message that shows the export's progress was posted."""
        async with self._store.session() as s:
            await s.exec(
                update(ExportRequest)
                .where(col(ExportRequest.id) == request_id)
                .values(message_channel=channel, message_ts=ts)
            )
            await s.commit()

    # -- reading -----------------------------------------------------------------------------

    async def get(self, request_id: str) -> ExportRequest | None:
        async with self._store.session() as s:
            return await s.get(ExportRequest, request_id)

    async def with_jobs(self, request_id: str) -> tuple[ExportRequest | None, list[ExportJobRow]]:
        """The request and its jobs in job id order."""
        async with self._store.session() as s:
            request = await s.get(ExportRequest, request_id)
            rows = await s.exec(
                select(ExportJobRow)
                .where(ExportJobRow.request_id == request_id)
                .order_by(col(ExportJobRow.vbc_job_id))
            )
            return request, list(rows)

    async def newest_for(self, team_id: str, user_id: str, limit: int) -> list[WithJobs]:
        """The person's newest requests first, each with its jobs in job id order."""
        async with self._store.session() as s:
            requests = await s.exec(
                select(ExportRequest)
                .where(ExportRequest.team_id == team_id, ExportRequest.slack_user_id == user_id)
                .order_by(col(ExportRequest.created_at).desc())
                .limit(limit)
            )
            found = list(requests)
            jobs = await self._jobs_of(s, [r.id for r in found])
        return [(r, jobs[r.id]) for r in found]

    # -- watching ----------------------------------------------------------------------------

    async def claim_due(
        self, owner: str, *, now: datetime, until: datetime, limit: int
    ) -> list[str]:
        """Lease up to ``limit`` requests due for a poll or a notice to ``owner``."""
        async with self._store.session() as s:
            ids = await REQUEST_LEASE.claim(s, owner, now=now, until=until, limit=limit)
            await s.commit()
        return ids

    async def load_held(self, ids: Sequence[str], owner: str) -> list[WithJobs]:
        """Those of ``ids`` that ``owner`` holds, in id order, each with its jobs."""
        async with self._store.session() as s:
            requests = await s.exec(
                select(ExportRequest).where(
                    col(ExportRequest.id).in_(ids), REQUEST_LEASE.held_by(owner)
                )
            )
            found = sorted(requests, key=lambda r: r.id)  # one lock order across processes
            jobs = await self._jobs_of(s, [r.id for r in found])
        return [(r, sorted(jobs[r.id], key=lambda j: j.vbc_job_id)) for r in found]

    async def jobs_in_flight(self) -> dict[str, int]:
        """Per VBC user, how many jobs of running requests have not ended (every process's)."""
        async with self._store.session() as s:
            rows = await s.exec(
                select(ExportJobRow.vbc_user_id, func.count())
                .join(ExportRequest, col(ExportRequest.id) == col(ExportJobRow.request_id))
                .where(*_RUNNING, col(ExportJobRow.status).not_in(ENDED_JOB_STATES))
                .group_by(col(ExportJobRow.vbc_user_id))
            )
            return {str(user): int(count) for user, count in rows}

    async def next_free_at(self) -> datetime | None:
        """When the next watched request is due and out of its lease."""
        async with self._store.session() as s:
            return await REQUEST_LEASE.next_free(s)

    async def write_back_polls(
        self, owner: str, results: Sequence[PollResult], *, now: datetime, until: datetime
    ) -> set[str]:
        """One transaction, rows in the given order: renew the lease, then store the polls.

        The renewal locks the rows still held (PostgreSQL row locks, SQLite's one writer) until
        the commit, so what the polls saw is then written by primary key, one batch per table.
        Returns the requests ``owner`` still held; the others are left to their new owner.
        """
        async with self._store.session() as s:
            held = await REQUEST_LEASE.renew(
                s, [r.request_id for r in results], owner, until=until, where=_RUNNING
            )
            mine = [r for r in results if r.request_id in held]
            if mine:
                conn = await s.connection()
                await conn.execute(
                    _REQUEST_POLLED,
                    [
                        {
                            "b_id": r.request_id,
                            "state": r.state,
                            "attempts": r.attempts,
                            "error": r.error,
                            "poll_interval": r.poll_interval,
                            "next_poll_at": r.next_poll_at,
                            "updated_at": now,
                            "lease_owner": owner if r.keep_lease else None,
                            "lease_until": until if r.keep_lease else None,
                        }
                        for r in mine
                    ],
                )
                jobs = [
                    {
                        "b_id": job.vbc_job_id,
                        "status": job.status,
                        "files_completed": job.files_completed,
                        "files_total": job.files_total,
                        "download_url": None,  # read again when needed: it is a credential
                        "valid_until": job.valid_until,
                    }
                    for r in mine
                    for job in r.jobs
                ]
                if jobs:
                    await conn.execute(_JOB_POLLED, jobs)
            await s.commit()
        return held

    # -- notices -----------------------------------------------------------------------------

    async def renew_notice(
        self, request_id: str, owner: str, *, until: datetime, now: datetime
    ) -> bool:
        """Keep the notice lease; False when another owner has taken the request over."""
        async with self._store.session() as s:
            held = await REQUEST_LEASE.renew(
                s, [request_id], owner, until=until, where=_NOTIFYING, updated_at=now
            )
            await s.commit()
        return bool(held)

    async def defer_notice(
        self, request_id: str, owner: str, *, attempts: int, retry_at: datetime, now: datetime
    ) -> bool:
        """Let go of a notice Slack refused, to be claimed again at ``retry_at``."""
        return await self._release_notice(
            request_id, owner, notice_attempts=attempts, next_poll_at=retry_at, updated_at=now
        )

    async def give_up_notice(
        self, request_id: str, owner: str, *, state: str, error: str, attempts: int, now: datetime
    ) -> bool:
        """End the request without a notice, keeping why."""
        return await self._release_notice(
            request_id, owner, state=state, error=error, notice_attempts=attempts, updated_at=now
        )

    async def mark_notified(self, done: Sequence[Notified], *, now: datetime) -> None:
        """These notices are complete: each request ends in its state, its lease let go.

        One transaction for many: notices that end together are written together.
        """
        if not done:
            return
        async with self._store.session() as s:
            conn = await s.connection()
            await conn.execute(
                _NOTIFIED,
                [
                    {
                        "b_id": d.request_id,
                        "b_notifying": NOTIFYING,
                        "state": d.state,
                        "notified_at": now,
                        "result_permalink": d.link,
                        "error": d.error,
                        "lease_owner": None,
                        "lease_until": None,
                        "updated_at": now,
                    }
                    for d in done
                ],
            )
            await s.commit()

    async def record_notices(self, posted: Sequence[NoticePosted]) -> list[tuple[str, str]]:
        """Store each notice's (channel, ts) unless its request has one already; per item, the
        one on record (another only when two processes raced to post it)."""
        ids = [p.request_id for p in posted]
        async with self._store.session() as s:
            conn = await s.connection()
            await conn.execute(
                _NOTICE_RECORDED,
                [
                    {"b_id": p.request_id, "notice_channel": p.channel, "notice_ts": p.ts}
                    for p in posted
                ],
            )
            rows = await conn.execute(
                select(_REQUESTS.c.id, _REQUESTS.c.notice_channel, _REQUESTS.c.notice_ts).where(
                    _REQUESTS.c.id.in_(ids)
                )
            )
            kept = {str(i): (c, t) for i, c, t in rows}
            await s.commit()
        return [
            (kept[p.request_id][0] or p.channel, kept[p.request_id][1] or p.ts)
            if p.request_id in kept
            else (p.channel, p.ts)
            for p in posted
        ]

    async def _release_notice(self, request_id: str, owner: str, **values: object) -> bool:
        async with self._store.session() as s:
            released = await REQUEST_LEASE.release(
                s, [request_id], owner, where=_NOTIFYING, **values
            )
            await s.commit()
        return bool(released)

    @staticmethod
    async def _jobs_of(s: AsyncSession, ids: list[str]) -> dict[str, list[ExportJobRow]]:
        rows = await s.exec(
            select(ExportJobRow)
            .where(col(ExportJobRow.request_id).in_(ids))
            .order_by(col(ExportJobRow.vbc_job_id))
        )
        jobs: dict[str, list[ExportJobRow]] = {i: [] for i in ids}
        for row in rows:
            jobs[row.request_id].append(row)
        return jobs

"""The durable export watcher: polls VBC jobs with backoff under row leases, then hands off.

Runs in every bot process. A process claims due requests with one conditional UPDATE (on
PostgreSQL its candidate rows are picked ``FOR UPDATE SKIP LOCKED``), so each request is polled
by one process at a time; a lease left by a killed process runs out and another takes over.
When every job of a request has ended, the write-back moves it to ``notifying`` under the same
lease: that claim, not a "sent" mark, is the gate, and ``bot.exports.delivery`` carries the
notice to the end (re-claimed like a poll when its lease runs out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.exports.delivery import NoticeDelivery
from bot.exports.messages import progress_bucket
from bot.exports.state import NOTIFYING, RUNNING, Notifier, WatchTuning, aware, final_state
from bot.store import Store
from bot.store.tables import ExportJobRow, ExportRequest
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcNotFoundError, VbcRateLimitedError
from bot.vbc.models import TERMINAL_JOB_STATES

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0
GIVE_UP_AFTER = timedelta(hours=48)  # VBC never finished: fail rather than poll forever
POLL_SHARE = 0.5  # of the lease, for one batch of polls (retry sleeps included)
_WATCHED = (RUNNING, NOTIFYING)


@dataclass
class Polled:
    request: ExportRequest
    jobs: list[ExportJobRow]
    bucket_before: int
    retry_after: float | None = None


class ExportWatcher:
    def __init__(
        self,
        *,
        store: Store,
        vbc: VbcClient,
        notifier: Notifier,
        clock: Clock,
        tuning: WatchTuning | None = None,
        owner: str | None = None,
    ) -> None:
        self._store = store
        self._vbc = vbc
        self._notifier = notifier
        self._clock = clock
        self.tuning = tuning or WatchTuning()
        self.owner = owner or f"w-{secrets.token_hex(6)}"
        self._wake = asyncio.Event()
        self.notices = NoticeDelivery(
            store=store, notifier=notifier, clock=clock, tuning=self.tuning, owner=self.owner
        )
        self.polls = 0  # VBC job reads, for the benchmark

    def wake(self) -> None:
        """A request was just created here: look at once instead of at the next idle check."""
        self._wake.set()

    async def run(self) -> None:
        """Forever: poll what is due, then sleep until the next due time (or a wake-up)."""
        try:
            while True:
                self._wake.clear()
                try:
                    claimed = await self.tick()
                    delay = 0.0 if claimed >= self.tuning.batch else await self._until_due()
                except Exception:
                    log.exception("export watcher pass failed; trying again shortly")
                    delay = self.tuning.idle_wait
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), delay)
        finally:
            # Shutting down: notices under way get a moment; a cancelled one keeps its row in
            # ``notifying``, re-claimed by any process once the lease runs out.
            tasks = list(self.notices.tasks)
            if tasks:
                await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
            for task in tasks:
                task.cancel()

    async def tick(self) -> int:
        """One pass: claim due requests, poll the running, write back, deliver the ended."""
        ids = await self._claim()
        if not ids:
            return 0
        loaded = await self._load(ids)
        running = [p for p in loaded if p.request.state == RUNNING]
        budget = asyncio.get_running_loop().time() + self.tuning.lease_seconds * POLL_SHARE
        gate = asyncio.Semaphore(self.tuning.concurrency)
        await asyncio.gather(*(self._poll(p, gate, budget) for p in running))
        await self._write_back(running)
        for p in loaded:
            if p.request.state == NOTIFYING:  # re-claimed, or ``ended`` just now
                self.notices.start(p.request, p.jobs)
            elif p.request.state == RUNNING and progress_bucket(p.jobs) != p.bucket_before:
                await _quietly(self._notifier.progress(p.request, p.jobs), p.request.id)
        return len(ids)

    async def drain(self) -> None:
        """Wait for notices still being delivered (tests and shutdown)."""
        while self.notices.tasks:
            await asyncio.gather(*list(self.notices.tasks), return_exceptions=True)

    # -- claiming ----------------------------------------------------------------------------

    def _due(self, now: datetime) -> list[Any]:
        return [
            col(ExportRequest.state).in_(_WATCHED),
            col(ExportRequest.next_poll_at) <= now,
            or_(col(ExportRequest.lease_until).is_(None), col(ExportRequest.lease_until) < now),
        ]

    async def _claim(self) -> list[str]:
        now = self._clock()
        candidates = (
            select(ExportRequest.id)
            .where(*self._due(now))
            .order_by(col(ExportRequest.next_poll_at))
            .limit(self.tuning.batch)
        )
        if self._store.engine.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        async with self._store.session() as s:
            result = await s.exec(
                update(ExportRequest)
                .where(col(ExportRequest.id).in_(candidates.scalar_subquery()), *self._due(now))
                .values(
                    lease_owner=self.owner,
                    lease_until=now + timedelta(seconds=self.tuning.lease_seconds),
                )
                .returning(col(ExportRequest.id))
            )
            ids = [str(row[0]) for row in result.all()]
            await s.commit()
        return ids

    async def _load(self, ids: list[str]) -> list[Polled]:
        async with self._store.session() as s:
            requests = await s.exec(select(ExportRequest).where(col(ExportRequest.id).in_(ids)))
            rows = await s.exec(select(ExportJobRow).where(col(ExportJobRow.request_id).in_(ids)))
            jobs: dict[str, list[ExportJobRow]] = {i: [] for i in ids}
            for row in rows:
                jobs[row.request_id].append(row)
        return [
            Polled(r, sorted(jobs[r.id], key=lambda j: j.vbc_job_id), progress_bucket(jobs[r.id]))
            for r in sorted(requests, key=lambda r: r.id)
            if r.lease_owner == self.owner
        ]

    async def _until_due(self) -> float:
        """Until the next row is due and free: a row leased elsewhere waits for its lease."""
        lease = col(ExportRequest.lease_until)
        free_at = case(
            (lease > col(ExportRequest.next_poll_at), lease), else_=col(ExportRequest.next_poll_at)
        )
        async with self._store.session() as s:
            due = (
                await s.exec(
                    select(func.min(free_at)).where(col(ExportRequest.state).in_(_WATCHED))
                )
            ).one()
        if due is None:
            return self.tuning.idle_wait
        wait = (aware(due) - self._clock()).total_seconds()
        return min(max(wait, 0.02), self.tuning.idle_wait)

    # -- polling -----------------------------------------------------------------------------

    async def _poll(self, polled: Polled, gate: asyncio.Semaphore, budget: float) -> None:
        """Read each unfinished job; stop when the lease's share for polling is spent."""
        loop = asyncio.get_running_loop()
        for job in polled.jobs:
            if job.status.lower() in TERMINAL_JOB_STATES:
                continue
            async with gate:
                left = budget - loop.time()
                if left <= 0:
                    return  # the next pass polls the rest, still under a lease
                self.polls += 1
                try:
                    async with asyncio.timeout(left):
                        fresh = await self._vbc.get_export_job(job.vbc_job_id, job.vbc_user_id)
                except VbcNotFoundError:
                    job.status = "failed"  # VBC no longer knows the job
                    continue
                except VbcRateLimitedError as exc:
                    polled.retry_after = max(polled.retry_after or 0.0, exc.retry_after or 0.0)
                    continue
                except (VbcError, TimeoutError) as exc:
                    log.warning("export job %s: poll failed: %r", job.vbc_job_id, exc)
                    continue
            job.status = fresh.status
            job.files_completed = fresh.files_completed or 0
            job.files_total = fresh.files_total or job.files_total
            job.valid_until = fresh.valid_until

    # -- writing back ------------------------------------------------------------------------

    async def _write_back(self, polled: list[Polled]) -> set[str]:
        """One transaction, rows in id order: renew the lease, then store what the polls saw.

        Returns the requests that ended: they move to ``notifying`` under this process's lease.
        """
        if not polled:
            return set()
        now = self._clock()
        ended: set[str] = set()
        lease = now + timedelta(seconds=self.tuning.lease_seconds)
        mine = [col(ExportRequest.lease_owner) == self.owner, col(ExportRequest.state) == RUNNING]
        async with self._store.session() as s:
            renewed = await s.exec(
                update(ExportRequest)
                .where(col(ExportRequest.id).in_([p.request.id for p in polled]), *mine)
                .values(lease_until=lease)
                .returning(col(ExportRequest.id))
            )
            held = {str(row[0]) for row in renewed.all()}
            for p in polled:  # sorted by id in _load: one lock order across processes
                if p.request.id not in held:
                    continue
                changes = self._changes(p, now)
                await s.exec(
                    update(ExportRequest)
                    .where(col(ExportRequest.id) == p.request.id, *mine)
                    .values(updated_at=now, **changes)
                )
                if changes["state"] == NOTIFYING:
                    ended.add(p.request.id)
                for job in p.jobs:
                    await s.exec(
                        update(ExportJobRow)
                        .where(col(ExportJobRow.vbc_job_id) == job.vbc_job_id)
                        .values(
                            status=job.status,
                            files_completed=job.files_completed,
                            files_total=job.files_total,
                            download_url=None,  # read again when needed: it is a credential
                            valid_until=job.valid_until,
                        )
                    )
            await s.commit()
        return ended

    def _changes(self, polled: Polled, now: datetime) -> dict[str, Any]:
        """The row's next state; ``polled.request`` is updated to match."""
        request = polled.request
        request.attempts += 1
        state = final_state(polled.jobs)
        if state is None and now - aware(request.created_at) > GIVE_UP_AFTER:
            state = "failed"
            request.error = "VBC did not finish the export within 48 hours."
        if state is not None:
            # Ended: this process keeps the lease, now for the notice.
            request.state = NOTIFYING
            return {
                "state": NOTIFYING,
                "attempts": request.attempts,
                "error": request.error,
                "next_poll_at": now,
                "lease_until": now + timedelta(seconds=self.tuning.lease_seconds),
            }
        interval = min(request.poll_interval * self.tuning.factor, self.tuning.cap)
        interval = max(interval, polled.retry_after or 0.0)
        request.poll_interval = interval
        return {
            "state": RUNNING,
            "next_poll_at": now + timedelta(seconds=interval),
            "poll_interval": interval,
            "attempts": request.attempts,
            "lease_owner": None,
            "lease_until": None,
        }


async def _quietly(work: Awaitable[None], request_id: str) -> None:
    """Progress edits are best effort: a failure must not stop the watch."""
    try:
        await work
    except Exception as exc:  # Slack or network: the next step edits again
        log.info("export %s: progress update failed: %s", request_id, exc)

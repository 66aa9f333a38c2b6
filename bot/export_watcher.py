"""The durable export watcher: polls VBC jobs with backoff under row leases, notifies once.

Runs in every bot process. A process claims due requests with one conditional UPDATE (on
PostgreSQL its candidate rows are picked ``FOR UPDATE SKIP LOCKED``), so each request is polled
by one process at a time; a lease left by a killed process runs out and another takes over.
The notice is gated by ``UPDATE ... SET notified_at = now WHERE notified_at IS NULL``: only the
process whose UPDATE changed the row sends it, so a request gets exactly one notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.export_messages import progress_bucket
from bot.export_state import RUNNING, Notifier, Outcome, WatchTuning, final_state
from bot.store import Store
from bot.tables import ExportJobRow, ExportRequest
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcNotFoundError, VbcRateLimitedError
from bot.vbc.models import TERMINAL_JOB_STATES

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0
GIVE_UP_AFTER = timedelta(hours=48)  # VBC never finished: fail rather than poll forever


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
        self._tasks: set[asyncio.Task[None]] = set()
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
            # Shutting down: a notice already past its gate gets a moment to go out.
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=SHUTDOWN_GRACE)
            for task in self._tasks:
                task.cancel()

    async def tick(self) -> int:
        """One pass: claim due requests, poll their jobs, write back, notify the finished."""
        ids = await self._claim()
        if not ids:
            return 0
        polled = await self._load(ids)
        gate = asyncio.Semaphore(self.tuning.concurrency)
        await asyncio.gather(*(self._poll(p, gate) for p in polled))
        won = await self._write_back(polled)
        await asyncio.gather(*(self._tell(p, won) for p in polled))
        return len(ids)

    async def drain(self) -> None:
        """Wait for notices still being delivered (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- claiming ----------------------------------------------------------------------------

    def _due(self, now: datetime) -> list[Any]:
        return [
            col(ExportRequest.state) == RUNNING,
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
            for r in requests
            if r.lease_owner == self.owner
        ]

    async def _until_due(self) -> float:
        async with self._store.session() as s:
            due = (
                await s.exec(
                    select(func.min(ExportRequest.next_poll_at)).where(
                        col(ExportRequest.state) == RUNNING
                    )
                )
            ).one()
        if due is None:
            return self.tuning.idle_wait
        wait = (due - self._clock()).total_seconds()
        return min(max(wait, 0.02), self.tuning.idle_wait)

    # -- polling -----------------------------------------------------------------------------

    async def _poll(self, polled: Polled, gate: asyncio.Semaphore) -> None:
        for job in polled.jobs:
            if job.status.lower() in TERMINAL_JOB_STATES:
                continue
            async with gate:
                self.polls += 1
                try:
                    fresh = await self._vbc.get_export_job(job.vbc_job_id, job.vbc_user_id)
                except VbcNotFoundError:
                    job.status = "failed"  # VBC no longer knows the job
                    continue
                except VbcRateLimitedError as exc:
                    polled.retry_after = max(polled.retry_after or 0.0, exc.retry_after or 0.0)
                    continue
                except VbcError as exc:
                    log.warning("export job %s: poll failed: %s", job.vbc_job_id, exc)
                    continue
            job.status = fresh.status
            job.files_completed = fresh.files_completed or 0
            job.files_total = fresh.files_total or job.files_total
            job.download_url = fresh.download_url
            job.valid_until = fresh.valid_until

    # -- writing back and notifying ----------------------------------------------------------

    async def _write_back(self, polled: list[Polled]) -> set[str]:
        """One transaction for the batch; returns the requests whose notice this process won."""
        now = self._clock()
        won: set[str] = set()
        async with self._store.session() as s:
            for p in polled:
                request = p.request
                state = final_state(p.jobs)
                if state is None and now - _aware(request.created_at) > GIVE_UP_AFTER:
                    state = "failed"
                    request.error = "VBC did not finish the export within 48 hours."
                request.attempts += 1
                if state is None:
                    interval = min(request.poll_interval * self.tuning.factor, self.tuning.cap)
                    interval = max(interval, p.retry_after or 0.0)
                    request.poll_interval = interval
                    changes: dict[str, Any] = {
                        "next_poll_at": now + timedelta(seconds=interval),
                        "poll_interval": interval,
                        "attempts": request.attempts,
                    }
                    mine = [col(ExportRequest.lease_owner) == self.owner]
                else:
                    request.state, request.notified_at = state, now
                    changes = {"state": state, "notified_at": now, "attempts": request.attempts}
                    # The gate: of every process that sees this request end, one changes the row.
                    mine = [col(ExportRequest.notified_at).is_(None)]
                result = await s.exec(
                    update(ExportRequest)
                    .where(col(ExportRequest.id) == request.id, *mine)
                    .values(lease_owner=None, lease_until=None, updated_at=now, **changes)
                )
                if result.rowcount != 1:
                    continue
                if state is not None:
                    won.add(request.id)
                for job in p.jobs:
                    await s.exec(
                        update(ExportJobRow)
                        .where(col(ExportJobRow.vbc_job_id) == job.vbc_job_id)
                        .values(
                            status=job.status,
                            files_completed=job.files_completed,
                            files_total=job.files_total,
                            download_url=job.download_url,
                            valid_until=job.valid_until,
                        )
                    )
            await s.commit()
        return won

    async def _tell(self, polled: Polled, won: set[str]) -> None:
        request = polled.request
        if request.id in won:
            task = asyncio.create_task(self._finish(polled))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif request.state == RUNNING and progress_bucket(polled.jobs) != polled.bucket_before:
            await _quietly(self._notifier.progress(request, polled.jobs), request.id)

    async def _finish(self, polled: Polled) -> None:
        request = polled.request
        try:
            outcome = await self._notifier.finish(request, polled.jobs, request.state)
        except Exception:
            log.exception("export %s: the notice could not be delivered", request.id)
            outcome = Outcome(request.state, error="The notice could not be delivered to Slack.")
        async with self._store.session() as s:
            await s.exec(
                update(ExportRequest)
                .where(col(ExportRequest.id) == request.id)
                .values(
                    state=outcome.state,
                    result_permalink=outcome.link,
                    error=outcome.error or request.error,
                    updated_at=self._clock(),
                )
            )
            await s.commit()


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def _quietly(work: Awaitable[None], request_id: str) -> None:
    """Progress edits are best effort: a failure must not stop the watch."""
    try:
        await work
    except Exception as exc:  # Slack or network: the next step edits again
        log.info("export %s: progress update failed: %s", request_id, exc)

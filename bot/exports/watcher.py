"""The durable export watcher: polls VBC jobs with backoff under row leases, then hands off.

Runs in every bot process. Jobs are read from one VBC listing per user shared by every
request in flight (``bot.exports.listing``); a job the listing does not show is read on
its own. A process claims due requests under a row lease
(``bot.store.lease``), so each request is polled by one process at a time; a lease left by a
killed process runs out and another takes over.
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock, aware
from bot.exports.delivery import NoticeDelivery
from bot.exports.listing import JobListing, Snapshot
from bot.exports.messages import progress_bucket
from bot.exports.state import NOTIFYING, RUNNING, Notifier, WatchTuning, final_state
from bot.store import Store
from bot.store.exports import ExportRows, PollResult
from bot.store.tables import ExportJobRow, ExportRequest
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcNotFoundError, VbcRateLimitedError
from bot.vbc.models import TERMINAL_JOB_STATES, ExportJob

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0
GIVE_UP_AFTER = timedelta(hours=48)  # VBC never finished: fail rather than poll forever
POLL_SHARE = 0.5  # of the lease, for one batch of polls (retry sleeps included)


@dataclass
class Polled:
    request: ExportRequest
    jobs: list[ExportJobRow]
    bucket_before: int
    retry_after: float | None = None
    changed: set[str] = field(default_factory=set)  # jobs whose state moved: written back


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
        self._rows = ExportRows(store)
        self._vbc = vbc
        self._notifier = notifier
        self._clock = clock
        self.tuning = tuning or WatchTuning()
        self.owner = owner or f"w-{secrets.token_hex(6)}"
        self._wake = asyncio.Event()
        self.notices = NoticeDelivery(
            store=store, notifier=notifier, clock=clock, tuning=self.tuning, owner=self.owner
        )
        self.listing = JobListing(vbc=vbc, in_flight=self._rows.jobs_in_flight, tuning=self.tuning)
        self.polls = 0  # single VBC job reads, for tests and the benchmark
        self.looks = 0  # unfinished jobs looked at (one per job per interval)
        self.passes = 0  # passes that claimed something

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
                    delay = 0.0 if claimed >= self.tuning.claim_limit else await self._until_due()
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
        self.passes += 1
        loaded = await self._load(ids)
        running = [p for p in loaded if p.request.state == RUNNING]
        budget = asyncio.get_running_loop().time() + self.tuning.lease_seconds * POLL_SHARE
        gate = asyncio.Semaphore(self.tuning.concurrency)
        listed = await self._listed(running)
        await asyncio.gather(*(self._poll(p, listed, gate, budget) for p in running))
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

    async def _claim(self) -> list[str]:
        now = self._clock()
        until = now + timedelta(seconds=self.tuning.lease_seconds)
        return await self._rows.claim_due(
            self.owner, now=now, until=until, limit=self.tuning.claim_limit
        )

    async def _load(self, ids: list[str]) -> list[Polled]:
        """The claimed requests still held here, in id order: one lock order across processes."""
        held = await self._rows.load_held(ids, self.owner)
        return [Polled(request, jobs, progress_bucket(jobs)) for request, jobs in held]

    async def _until_due(self) -> float:
        """Until the next row is due and free: a row leased elsewhere waits for its lease."""
        due = await self._rows.next_free_at()
        if due is None:
            return self.tuning.idle_wait
        wait = (aware(due) - self._clock()).total_seconds()
        floor = self.tuning.list_gap if self.tuning.by_list else 0.02
        return min(max(wait, floor), self.tuning.idle_wait)

    # -- polling -----------------------------------------------------------------------------

    async def _listed(self, running: list[Polled]) -> dict[str, Snapshot]:
        """The listings that serve these requests' unfinished jobs, per VBC user."""
        if not self.tuning.by_list:
            return {}
        users = {j.vbc_user_id for p in running for j in p.jobs if not _ended(j)}
        return await self.listing.read(users) if users else {}

    async def _poll(
        self,
        polled: Polled,
        listed: dict[str, Snapshot],
        gate: asyncio.Semaphore,
        budget: float,
    ) -> None:
        """Each unfinished job from its listing, else read on its own within the budget."""
        loop = asyncio.get_running_loop()
        for job in polled.jobs:
            if _ended(job):
                continue
            self.looks += 1
            snapshot = listed.get(job.vbc_user_id)
            if snapshot is not None and snapshot.retry_after is not None:
                polled.retry_after = max(polled.retry_after or 0.0, snapshot.retry_after)
                continue  # VBC asked for a pause: no single reads either
            fresh = snapshot.jobs.get(job.vbc_job_id) if snapshot else None
            if fresh is None:
                async with gate:
                    left = budget - loop.time()
                    if left <= 0:
                        return  # the next pass polls the rest, still under a lease
                    fresh = await self._read_one(polled, job, left)
                if fresh is None:
                    continue
            _apply(polled, job, fresh)

    async def _read_one(self, polled: Polled, job: ExportJobRow, left: float) -> ExportJob | None:
        """One job on its own; None when it could not be read this time."""
        self.polls += 1
        try:
            async with asyncio.timeout(left):
                return await self._vbc.get_export_job(job.vbc_job_id, job.vbc_user_id)
        except VbcNotFoundError:
            job.status = "failed"  # VBC no longer knows the job
            polled.changed.add(job.vbc_job_id)
        except VbcRateLimitedError as exc:
            polled.retry_after = max(polled.retry_after or 0.0, exc.retry_after or 0.0)
        except (VbcError, TimeoutError) as exc:
            log.warning("export job %s: poll failed: %r", job.vbc_job_id, exc)
        return None

    # -- writing back ------------------------------------------------------------------------

    async def _write_back(self, polled: list[Polled]) -> set[str]:
        """Renew the lease and store what the polls saw, for the rows still held here.

        Returns the requests that ended: they move to ``notifying`` under this process's lease.
        """
        if not polled:
            return set()
        now = self._clock()
        lease = now + timedelta(seconds=self.tuning.lease_seconds)
        results = [self._next(p, now) for p in polled]  # polled is in id order (``_load``)
        held = await self._rows.write_back_polls(self.owner, results, now=now, until=lease)
        ended: set[str] = set()
        for p, result in zip(polled, results, strict=True):
            if p.request.id not in held:
                continue  # taken over: the new owner's view of the row stands
            if result.state == NOTIFYING:  # the notice reads the row as written
                request = p.request
                request.state, request.attempts = result.state, result.attempts
                request.error, request.poll_interval = result.error, result.poll_interval
                ended.add(request.id)
        return ended

    def _next(self, polled: Polled, now: datetime) -> PollResult:
        """The row's next state: ended (kept leased, for the notice) or polled again later."""
        request = polled.request
        attempts, error = request.attempts + 1, request.error
        state = final_state(polled.jobs)
        if state is None and now - aware(request.created_at) > GIVE_UP_AFTER:
            state = "failed"
            error = "VBC did not finish the export within 48 hours."
        if state is not None:
            # Ended: this process keeps the lease, now for the notice.
            return PollResult(
                request.id,
                NOTIFYING,
                attempts,
                error,
                request.poll_interval,
                next_poll_at=now,
                keep_lease=True,
                jobs=[j for j in polled.jobs if j.vbc_job_id in polled.changed],
            )
        interval = min(request.poll_interval * self.tuning.factor, self.tuning.cap)
        interval = max(interval, polled.retry_after or 0.0)
        return PollResult(
            request.id,
            RUNNING,
            attempts,
            error,
            interval,
            next_poll_at=now + timedelta(seconds=interval),
            keep_lease=False,
            jobs=[j for j in polled.jobs if j.vbc_job_id in polled.changed],
        )


def _apply(polled: Polled, job: ExportJobRow, fresh: ExportJob) -> None:
    """What VBC said of the job, noted as a change only when it moved (only those are written)."""
    seen = (
        fresh.status,
        fresh.files_completed or 0,
        fresh.files_total or job.files_total,
        fresh.valid_until,
    )
    if seen == (job.status, job.files_completed, job.files_total, _utc(job.valid_until)):
        return
    job.status, job.files_completed, job.files_total, job.valid_until = seen
    polled.changed.add(job.vbc_job_id)


def _utc(when: datetime | None) -> datetime | None:
    return None if when is None else aware(when)


def _ended(job: ExportJobRow) -> bool:
    return job.status.lower() in TERMINAL_JOB_STATES


async def _quietly(work: Awaitable[None], request_id: str) -> None:
    """Progress edits are best effort: a failure must not stop the watch."""
    try:
        await work
    except Exception as exc:  # Slack or network: the next step edits again
        log.info("export %s: progress update failed: %s", request_id, exc)

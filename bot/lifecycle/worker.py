"""The deletion worker: confirmed jobs deleted one recording at a time, in every bot process.

A process claims a running job under a row lease (``bot.store.lease``) and keeps renewing it
while it works; a lease left by a killed process runs out and another process takes the job
over. Each item is settled (with its audit event) only while the job is still held here, so an
item is deleted by one process at a time; results are written in group commits while the next
DELETEs go out, at most ``concurrency`` of each at once. The ones in flight or unwritten when a
process died (at most twice ``concurrency``) are still ``pending`` and are sent again, and
VBC's 404 for those counts as done. Rate limits and
outages (after the client's own retries) pause the whole job with backoff. When no item is
left, the job moves to ``notifying`` under the same lease and gets its one notice: recorded the
moment Slack returns it, edited (never posted again) by a process that re-claims the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.lifecycle import render_deletion_status
from bot.clock import Clock
from bot.exports.slack import dm_of
from bot.lifecycle.deleter import AUDIT_ACTION, Deleter, Outcome, Result
from bot.lifecycle.ports import RecordingRef
from bot.ops.metrics import Metrics
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.deletions import (
    CANCELLED,
    DONE,
    NOTIFYING,
    PENDING,
    RUNNING,
    DeletionRows,
    Settled,
    Tally,
)
from bot.store.tables import AuditEvent, DeletionItem, DeletionJob
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcNotFoundError, VbcRateLimitedError, VbcUnavailableError
from bot.vbc.models import Recording, RecordingKind

log = logging.getLogger(__name__)

Message = dict[str, Any]


@dataclass
class WorkTuning:
    """Leases, pace and backoff; tests and the benchmark shorten them."""

    lease_seconds: float = 30.0
    concurrency: int = 8  # DELETEs in flight per job
    chunk: int = 200  # pending items read at a time
    idle_wait: float = 1.0  # how often the database is checked for new or due work
    progress_every: float = 2.0  # seconds between edits of the progress message
    backoff: float = 5.0  # first pause after VBC kept refusing, doubled per attempt
    backoff_cap: float = 300.0
    max_attempts: int = 6  # an item VBC refused this often (429/5xx) ends as failed
    notice_retry: float = 5.0


@dataclass
class _Run:
    """One job being worked here: why to stop, and when progress was last shown."""

    job: DeletionJob
    stop: asyncio.Event
    lost: bool = False
    cancelled: bool = False
    retry_after: float | None = None
    shown: int = -1
    waiting: list[tuple[Settled, asyncio.Future[bool]]] = field(default_factory=list)
    with_copies: set[str] = field(default_factory=set)  # keys read so far with Slack copies
    queue: deque[DeletionItem] = field(default_factory=deque)
    reading: asyncio.Lock = field(default_factory=asyncio.Lock)
    after: int = -1  # the last seq read
    exhausted: bool = False
    unwritten: asyncio.Semaphore = field(default_factory=asyncio.Semaphore)
    writes: set[asyncio.Task[None]] = field(default_factory=set)
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)


class DeletionWorker:
    def __init__(
        self,
        *,
        store: Store,
        vbc: VbcClient,
        deleter: Deleter,
        slack: SlackClients,
        clock: Clock,
        tuning: WorkTuning | None = None,
        owner: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._store = store
        self._rows = DeletionRows(store)
        self._vbc = vbc
        self._deleter = deleter
        self._slack = slack
        self._clock = clock
        self.tuning = tuning or WorkTuning()
        self.owner = owner or f"d-{secrets.token_hex(6)}"
        self._wake = asyncio.Event()
        self.sent = 0  # DELETE attempts from this process, for the benchmark

    def wake(self) -> None:
        """A job was just confirmed or cancelled here: look at once."""
        self._wake.set()

    async def run(self) -> None:
        """Forever: work what is due, then sleep until the next due time (or a wake-up)."""
        while True:
            self._wake.clear()
            try:
                await self.tick()
                delay = await self._until_due()
            except Exception:
                log.exception("deletion worker pass failed; trying again shortly")
                delay = self.tuning.idle_wait
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)

    async def tick(self) -> int:
        """One pass: claim the due jobs and work each to its end, a pause, or a lost lease."""
        now = self._clock()
        ids = await self._rows.claim_due(self.owner, now=now, until=self._lease_end(), limit=4)
        if ids:
            await asyncio.gather(*(self._work(job_id) for job_id in ids))
        return len(ids)

    async def _until_due(self) -> float:
        due = await self._rows.next_free_at()
        if due is None:
            return self.tuning.idle_wait
        due = due if due.tzinfo else due.replace(tzinfo=self._clock().tzinfo)
        wait = (due - self._clock()).total_seconds()
        return min(max(wait, 0.02), self.tuning.idle_wait)

    def _lease_end(self) -> datetime:
        return self._clock() + timedelta(seconds=self.tuning.lease_seconds)

    # -- one job -----------------------------------------------------------------------------

    async def _work(self, job_id: int) -> None:
        job = await self._rows.renew(job_id, self.owner, until=self._lease_end())
        if job is None:
            return
        run = _Run(job, asyncio.Event(), cancelled=bool(job.cancel_requested_by))
        if job.message_ts is None:
            await self._post_progress(run)
        if job.state == RUNNING:
            heartbeat = asyncio.create_task(self._heartbeat(run))
            try:
                await self._delete_items(run)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
            if run.lost:
                return
            if run.retry_after is not None and not run.cancelled:
                await self._pause(run)
                return
            if run.cancelled:
                await self._rows.cancel_pending(job_id, self.owner)
            moved = await self._rows.hold_lease(
                job_id, self.owner, until=self._lease_end(), now=self._clock(), state=NOTIFYING
            )
            if not moved:
                return
        await self._notify(run)

    async def _delete_items(self, run: _Run) -> None:
        """Pending items in order, ``concurrency`` DELETEs at a time, read ahead in chunks."""
        run.unwritten = asyncio.Semaphore(self.tuning.concurrency)
        await asyncio.gather(*(self._drain(run) for _ in range(self.tuning.concurrency)))
        while run.writes:
            await asyncio.gather(*list(run.writes))

    async def _drain(self, run: _Run) -> None:
        while not run.stop.is_set() and not run.cancelled:
            item = await self._next_item(run)
            if item is None:
                return
            await self._one(run, item)

    async def _next_item(self, run: _Run) -> DeletionItem | None:
        """The next pending item; the next chunk is read before the queue runs dry."""
        if len(run.queue) < self.tuning.concurrency and not run.exhausted:
            async with run.reading:
                if len(run.queue) < self.tuning.concurrency and not run.exhausted:
                    await self._read_ahead(run)
        return run.queue.popleft() if run.queue else None

    async def _read_ahead(self, run: _Run) -> None:
        assert run.job.id is not None
        items = await self._rows.pending_items(run.job.id, after=run.after, limit=self.tuning.chunk)
        if not items:
            run.exhausted = True
            return
        run.after = items[-1].seq
        keys = [_ref(item).key for item in items]
        run.with_copies |= await self._deleter.copies.which_have_copies(run.job.team_id, keys)
        run.queue.extend(items)

    async def _heartbeat(self, run: _Run) -> None:
        """Keep the lease, notice a cancellation, and show progress now and then."""
        assert run.job.id is not None
        beat = min(self.tuning.lease_seconds / 3, self.tuning.progress_every)
        while True:
            await asyncio.sleep(beat)
            fresh = await self._rows.renew(run.job.id, self.owner, until=self._lease_end())
            if fresh is None:
                run.lost = True
                run.stop.set()
                return
            if fresh.cancel_requested_by and not run.cancelled:
                run.job.cancel_requested_by = fresh.cancel_requested_by
                run.cancelled = True
                run.stop.set()
            await self._show_progress(run, RUNNING)

    async def _one(self, run: _Run, item: DeletionItem) -> None:
        job = run.job
        result = await self._delete(job, item, has_copies=_ref(item).key in run.with_copies)
        if result.outcome is Outcome.RETRY:
            item.attempts += 1
            if item.attempts < self.tuning.max_attempts:
                wait = min(self.tuning.backoff * 2 ** (item.attempts - 1), self.tuning.backoff_cap)
                run.retry_after = max(run.retry_after or 0.0, result.retry_after or 0.0, wait)
                run.stop.set()
                await self._rows.settle(
                    item, self.owner, state=PENDING, detail=result.detail[:500], event=None
                )
                return
            result = Result(Outcome.FAILED, f"VBC kept refusing: {result.detail}")
        if self._metrics is not None:
            self._metrics.deletions.labels(outcome=result.outcome.value).inc()
        ref = _ref(item)
        reason = f"; reason: {job.reason}" if job.reason else ""
        event = AuditEvent(
            at=self._clock(),
            team_id=job.team_id,
            actor=job.requested_by,
            action=AUDIT_ACTION,
            outcome=result.audit_outcome,
            target=ref.key,
            detail=f"job {job.id} ({job.origin}): {result.detail or 'deleted'}{reason}"[:2000],
        )
        # The next DELETE goes out while this one is written; at most ``concurrency`` results
        # wait for their write, so a crash leaves at most twice that many unrecorded.
        await run.unwritten.acquire()
        task = asyncio.create_task(
            self._write(run, Settled(item, result.outcome.value, result.detail[:500], event))
        )
        run.writes.add(task)
        task.add_done_callback(run.writes.discard)

    async def _write(self, run: _Run, settled: Settled) -> None:
        try:
            if not await self._record(run, settled):
                run.lost = True  # taken over (or settled) elsewhere: that process carries on
                run.stop.set()
        finally:
            run.unwritten.release()

    async def _record(self, run: _Run, settled: Settled) -> bool:
        """Record one item, committed together with whatever else is waiting (group commit)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        run.waiting.append((settled, done))
        async with run.writing:
            batch, run.waiting = run.waiting, []
            if batch:
                recorded = await self._rows.settle_many([s for s, _ in batch], self.owner)
                for one, future in batch:
                    future.set_result(one.item.seq in recorded)
        return await done

    async def _delete(self, job: DeletionJob, item: DeletionItem, *, has_copies: bool) -> Result:
        """The item's recording as confirmed (or fetched, for retention's bare ids), deleted."""
        ref = _ref(item)
        self.sent += 1
        if item.data:
            recording = Recording.model_validate_json(item.data)
        else:
            try:
                recording = await self._fetch(ref)
            except VbcNotFoundError:
                copies = await self._deleter.copies.delete_for(
                    job.team_id, ref.key, actor=job.requested_by
                )
                return Result(Outcome.GONE, "already gone at VBC", copies=copies)
            except (VbcRateLimitedError, VbcUnavailableError) as exc:
                return Result(Outcome.RETRY, str(exc))
            except VbcError as exc:
                return Result(Outcome.FAILED, str(exc))
        return await self._deleter.delete(
            self._vbc,
            recording,
            team_id=job.team_id,
            actor=job.requested_by,
            has_copies=has_copies,
        )

    async def _fetch(self, ref: RecordingRef) -> Recording:
        if ref.kind is RecordingKind.ON_DEMAND:
            return await self._vbc.get_user_recording(ref.owner_user_id or "", ref.id)
        return await self._vbc.get_company_recording(ref.id)

    async def _pause(self, run: _Run) -> None:
        assert run.job.id is not None
        now = self._clock()
        wait = timedelta(seconds=run.retry_after or self.tuning.backoff)
        log.info("deletion job %s: VBC refused; pausing %s", run.job.id, wait)
        await self._show_progress(run, RUNNING)
        await self._rows.release(run.job.id, self.owner, now=now, next_run_at=now + wait)

    # -- progress and the notice -------------------------------------------------------------

    async def _message(self, run: _Run, state: str) -> tuple[Message, Tally]:
        assert run.job.id is not None
        tally = await self._rows.tally(run.job.id)
        message = render_deletion_status(
            job_id=run.job.id,
            total=run.job.total,
            deleted=tally.of("deleted"),
            gone=tally.of("gone"),
            held=[_named(i) for i in tally.held],
            held_count=tally.of("held"),
            failed=[_named(i) for i in tally.failed],
            failed_count=tally.of("failed"),
            cancelled=tally.of(CANCELLED),
            state=state,
            cancel_requested_by=run.job.cancel_requested_by,
        )
        return message, tally

    async def _post_progress(self, run: _Run) -> None:
        """The message progress is shown on, posted once in the requester's DM."""
        job = run.job
        assert job.id is not None
        message, _ = await self._message(run, RUNNING)
        try:
            client, channel = await self._dm(job)
            posted = await client.chat_postMessage(
                channel=channel, text=message["text"], blocks=message["blocks"]
            )
        except (SlackApiError, LookupError) as exc:
            log.warning("deletion job %s: no progress message (%s)", job.id, exc)
            return
        job.message_channel, job.message_ts = channel, str(posted["ts"])
        await self._rows.save_message(job.id, channel, job.message_ts)

    async def _dm(self, job: DeletionJob) -> tuple[AsyncWebClient, str]:
        """The requester's DM with the bot, where progress and the notice go."""
        client = await self._slack.for_team(job.team_id)
        return client, await dm_of(client, job.requested_by)

    async def _show_progress(self, run: _Run, state: str) -> None:
        job = run.job
        if job.message_ts is None or job.message_channel is None:
            return
        message, tally = await self._message(run, state)
        if tally.settled == run.shown and state == RUNNING:
            return
        run.shown = tally.settled
        await self._edit_progress(run, message)

    async def _edit_progress(self, run: _Run, message: Message) -> None:
        job = run.job
        if job.message_ts is None or job.message_channel is None:
            return
        try:
            client = await self._slack.for_team(job.team_id)
            await client.chat_update(
                channel=job.message_channel,
                ts=job.message_ts,
                text=message["text"],
                blocks=message["blocks"],
            )
        except (SlackApiError, LookupError) as exc:  # best effort: the next beat edits again
            log.info("deletion job %s: progress edit failed: %s", job.id, exc)

    async def _notify(self, run: _Run) -> None:
        """The one notice: posted if none is recorded, else the recorded one edited."""
        job = run.job
        assert job.id is not None
        final = CANCELLED if (run.cancelled or job.cancel_requested_by) else DONE
        if self._metrics is not None and job.notice_ts is None:
            self._metrics.delete_jobs.labels(outcome=final).inc()
        message, tally = await self._message(run, final)
        run.shown = tally.settled
        await self._edit_progress(run, message)  # the progress message shows the end, too
        try:
            client, channel = await self._dm(job)
            if job.notice_ts is None:
                posted = await client.chat_postMessage(
                    channel=channel, text=message["text"], blocks=message["blocks"]
                )
                job.notice_ts = str(posted["ts"])
                await self._rows.record_notice(job.id, job.notice_ts)
            else:
                await client.chat_update(
                    channel=channel,
                    ts=job.notice_ts,
                    text=message["text"],
                    blocks=message["blocks"],
                )
        except (SlackApiError, LookupError) as exc:
            log.warning("deletion job %s: notice not delivered (%s); trying again", job.id, exc)
            now = self._clock()
            retry_at = now + timedelta(seconds=self.tuning.notice_retry)
            await self._rows.release(job.id, self.owner, now=now, next_run_at=retry_at)
            return
        await self._rows.release(job.id, self.owner, now=self._clock(), state=final)


def _ref(item: DeletionItem) -> RecordingRef:
    return RecordingRef(RecordingKind(item.kind), item.recording_id, item.owner_user_id)


def _named(item: DeletionItem) -> str:
    return f"{_ref(item).key} ({item.detail or 'no detail'})"

"""The notice side of the export watcher: deliver under a renewed lease, record, retry.

A request whose jobs have ended is in state ``notifying`` with this process's lease. The
notice message's ``ts`` is recorded the moment Slack returns it, and ``notified_at`` only once
the notice is complete, so a process killed, cancelled or refused by Slack part way leaves a
row that another pass re-claims when the lease runs out: it posts the notice if none was
recorded, else edits the recorded one in place. A request therefore gets one notice message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.clock import Clock
from bot.exports.batched import Batched
from bot.exports.state import Notifier, Outcome, WatchTuning, final_state
from bot.store import Store
from bot.store.exports import ExportRows, NoticePosted, Notified
from bot.store.tables import ExportJobRow, ExportRequest

log = logging.getLogger(__name__)

GAVE_UP = "The notice could not be delivered to Slack; `/recordings jobs` has the result."


class NoticeDelivery:
    def __init__(
        self, *, store: Store, notifier: Notifier, clock: Clock, tuning: WatchTuning, owner: str
    ) -> None:
        self._rows = ExportRows(store)
        self._notifier = notifier
        self._clock = clock
        self._tuning = tuning
        self._owner = owner
        self.tasks: set[asyncio.Task[None]] = set()
        # Notices ending together are recorded and marked together (``bot.exports.batched``).
        self._record = Batched(self._rows.record_notices)
        self._mark = Batched(self._mark_notified)

    def start(self, request: ExportRequest, jobs: Sequence[ExportJobRow]) -> None:
        """Deliver in the background: a slow upload must not hold up the next poll."""
        task = asyncio.create_task(self.deliver(request, jobs))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, request: ExportRequest, jobs: Sequence[ExportJobRow]) -> None:
        state = final_state(jobs) or "failed"  # "failed": VBC never finished (see the watcher)
        heartbeat = asyncio.create_task(self._renew_forever(request.id))
        try:
            outcome = await self._notifier.finish(
                request, jobs, state, NoticeRecord(self._record, request)
            )
        except Exception:
            log.exception("export %s: the notice was not delivered; trying again", request.id)
            await self._retry_later(request, state)
            return
        finally:
            heartbeat.cancel()
        await self._complete(request, outcome)

    async def _renew_forever(self, request_id: str) -> None:
        """Keep the lease while a long upload runs; a lost lease is left to its new owner."""
        every = self._tuning.lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            now = self._clock()
            until = now + timedelta(seconds=self._tuning.lease_seconds)
            if not await self._rows.renew_notice(request_id, self._owner, until=until, now=now):
                return

    async def _complete(self, request: ExportRequest, outcome: Outcome) -> None:
        """Mark the request notified; returns once written.

        A crash before that leaves the row ``notifying`` with its notice recorded: the next
        owner edits that notice instead of posting another.
        """
        await self._mark(
            Notified(request.id, outcome.state, outcome.link, outcome.error or request.error)
        )

    async def _mark_notified(self, done: Sequence[Notified]) -> list[None]:
        await self._rows.mark_notified(done, now=self._clock())
        return [None] * len(done)

    async def _retry_later(self, request: ExportRequest, state: str) -> None:
        attempts = request.notice_attempts + 1
        now = self._clock()
        if attempts >= self._tuning.notice_attempts:
            log.error("export %s: giving up on its notice after %d tries", request.id, attempts)
            await self._rows.give_up_notice(
                request.id,
                self._owner,
                state=state,
                error=request.error or GAVE_UP,
                attempts=attempts,
                now=now,
            )
            return
        wait = min(self._tuning.notice_retry * 2 ** (attempts - 1), self._tuning.cap * 4)
        await self._rows.defer_notice(
            request.id,
            self._owner,
            attempts=attempts,
            retry_at=now + timedelta(seconds=wait),
            now=now,
        )


class NoticeRecord:
    """``RecordNotice`` for one request: the first (channel, ts) stored is the notice."""

    def __init__(
        self, record: Batched[NoticePosted, tuple[str, str]], request: ExportRequest
    ) -> None:
        self._record = record
        self._request = request

    async def __call__(self, channel: str, ts: str) -> tuple[str, str]:
        kept = await self._record(NoticePosted(self._request.id, channel, ts))
        self._request.notice_channel, self._request.notice_ts = kept
        return kept

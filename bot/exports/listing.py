"""Many export jobs read in one VBC call: ``getCCRExportJobs`` per user, shared by every claim.

Every export job is created under the integration user (``plan.JOBS_USER``), save those a
person started with their own VBC login, which are listed under their user; so one listing
per user per pass reads every job in flight, however many. What VBC documents, and so what
this trusts: the listing has a ``status`` filter and no paging. What it does not trust:

- a listing with ``_links.next`` is followed for up to ``MAX_PAGES`` pages;
- a job the listing does not show (VBC lags, pages beyond that, or the job ended and a
  ``status`` filter hid it) is read on its own, as before;
- a listing that has grown far beyond the jobs in flight (VBC keeps finished jobs for days)
  is read with the ``status`` filter instead, one call per unfinished state; a job ended
  since then is missing from it and read on its own, once;
- a ``status`` filter VBC does not honour (it answers other states), a filtered listing that
  is still too big, or a listing VBC refuses: that user's jobs are read one by one, and the
  cheaper way is tried again after ``RECHECK_SECONDS``.

A listing is reused for ``WatchTuning.list_reuse`` seconds, so the claims of one pass (and
of passes close together) share one call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from bot.exports.state import WatchTuning
from bot.vbc.client import VbcClient
from bot.vbc.errors import (
    VbcAuthError,
    VbcError,
    VbcRateLimitedError,
    VbcUnavailableError,
)
from bot.vbc.models import ExportJob

log = logging.getLogger(__name__)

UNFINISHED_STATES = ("queued", "in_progress")  # one filtered call each; others are read alone
RECHECK_SECONDS = 600.0  # after stepping down, the cheaper way is tried again this much later
MAX_PAGES = 10  # of one listing, should VBC page it (it documents no paging)

# How many jobs each user has in flight, across every process (the listing's yardstick).
InFlight = Callable[[], Awaitable[Mapping[str, int]]]


class Way(Enum):
    """How one user's jobs are read, cheapest first."""

    ALL = "all"  # one unfiltered listing
    UNFINISHED = "unfinished"  # one filtered listing per unfinished state
    SINGLE = "single"  # each job on its own (the listing does not help)


@dataclass
class Snapshot:
    """What one or more listings showed of a user's jobs, and when (the loop's clock)."""

    jobs: dict[str, ExportJob]
    taken_at: float
    retry_after: float | None = None  # VBC asked us to slow down


@dataclass
class _UserWay:
    way: Way = Way.ALL
    until: float = 0.0  # when to try ALL again, once stepped down


class JobListing:
    def __init__(self, *, vbc: VbcClient, in_flight: InFlight, tuning: WatchTuning) -> None:
        self._vbc = vbc
        self._in_flight = in_flight
        self._tuning = tuning
        self._ways: dict[str, _UserWay] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self._lock = asyncio.Lock()
        self.calls = 0  # VBC listing calls, for tests and the benchmark

    def way(self, user: str) -> Way:
        return self._current(user, asyncio.get_running_loop().time()).way

    async def read(self, users: set[str]) -> dict[str, Snapshot]:
        """A recent snapshot per user whose jobs a listing can serve (others: read alone)."""
        async with self._lock:  # passes close together share one call
            now = asyncio.get_running_loop().time()
            stale = {
                user
                for user in users
                if self._current(user, now).way is not Way.SINGLE
                and (
                    user not in self._snapshots
                    or now - self._snapshots[user].taken_at >= self._tuning.list_reuse
                )
            }
            if stale:
                counts = await self._in_flight()
                for user in sorted(stale):
                    await self._take(user, counts.get(user, 0), now)
            return {
                user: self._snapshots[user]
                for user in users
                if user in self._snapshots and self._current(user, now).way is not Way.SINGLE
            }

    def _current(self, user: str, now: float) -> _UserWay:
        state = self._ways.setdefault(user, _UserWay())
        if state.way is not Way.ALL and now >= state.until:
            state.way = Way.ALL
        return state

    def _step_down(self, user: str, to: Way, now: float, why: str) -> None:
        log.info("export jobs of VBC user %s: reading them %s from now on: %s", user, to.value, why)
        self._ways[user] = _UserWay(to, now + RECHECK_SECONDS)

    async def _take(self, user: str, in_flight: int, now: float) -> None:
        bound = self._tuning.list_growth * in_flight + self._tuning.list_slack
        state = self._current(user, now)
        snapshot = Snapshot({}, now)
        try:
            if state.way is Way.ALL:
                page = await self._list(user, None)
                snapshot.jobs = {job.id: job for job in page.items}
                if page.total_items > bound:
                    why = f"{page.total_items} listed for {in_flight} in flight"
                    self._step_down(user, Way.UNFINISHED, now, why)
            else:
                for status in UNFINISHED_STATES:
                    page = await self._list(user, status)
                    snapshot.jobs.update((job.id, job) for job in page.items)
                    ignored = any(job.status.lower() != status for job in page.items)
                    if ignored or page.total_items > bound:
                        why = "VBC ignores the status filter" if ignored else "still too many"
                        self._step_down(user, Way.SINGLE, now, why)
                        break
        except VbcRateLimitedError as exc:
            snapshot = Snapshot({}, now, retry_after=exc.retry_after or self._tuning.cap)
        except (VbcUnavailableError, VbcAuthError, TimeoutError) as exc:  # would fail alone too
            log.warning("export jobs of VBC user %s: listing failed: %r", user, exc)
            snapshot = Snapshot({}, now, retry_after=self._tuning.cap)
        except VbcError as exc:  # refused or unreadable: the listing won't do
            self._step_down(user, Way.SINGLE, now, f"listing failed: {exc!r}")
            self._snapshots.pop(user, None)
            return
        self._snapshots[user] = snapshot

    async def _list(self, user: str, status: str | None) -> _Listed:
        """One listing; should VBC page it after all, its ``next`` links up to ``MAX_PAGES``
        (a job on a page beyond is read on its own)."""
        async with asyncio.timeout(self._tuning.lease_seconds / 4):
            self.calls += 1
            page = await self._vbc.list_export_jobs(user, status=status)
            items, total, pages = list(page.items), page.total_items, 1
            while page.next_url and page.items and pages < MAX_PAGES:
                self.calls += 1
                page = await self._vbc.follow_page(page.next_url, "jobs", ExportJob.from_api)
                items += page.items
                pages += 1
        return _Listed(items, max(total, len(items)))


@dataclass(frozen=True)
class _Listed:
    items: list[ExportJob]
    total_items: int

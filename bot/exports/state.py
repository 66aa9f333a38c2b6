"""An export's state (pure): VBC job states folded into one, and the watcher's contracts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

# The row states are defined with the rows; the export modules read them from here.
from bot.store.exports import NOTIFYING as NOTIFYING
from bot.store.exports import RUNNING as RUNNING
from bot.store.exports import STARTING as STARTING
from bot.store.tables import ExportJobRow, ExportRequest
from bot.vbc.models import TERMINAL_JOB_STATES


@dataclass
class WatchTuning:
    """Backoff and leases; tests and the benchmark shorten them."""

    factor: float = 1.5
    cap: float = 15.0  # a finished job is noticed within about this long
    lease_seconds: float = 60.0  # polls stop at half of it; a notice renews it while it works
    batch: int = 100
    concurrency: int = 20
    idle_wait: float = 1.0  # how often the database is checked for new or due work
    notice_retry: float = 2.0  # first wait after Slack refused the notice, then doubled
    notice_attempts: int = 8  # then the export ends without a notice, its error kept
    # One VBC listing per user serves every job in flight (``bot.exports.listing``); False
    # reads each job on its own (the benchmark's baseline).
    by_list: bool = True
    list_reuse: float = 1.0  # seconds one listing serves the passes that follow it
    list_growth: float = 4.0  # a listing over growth x jobs in flight + slack is too big
    list_slack: int = 200
    list_batch: int = 1000  # requests per pass when listed: reading them costs VBC one call
    list_gap: float = 0.25  # at least this long between passes when listed: fewer, fuller ones

    @property
    def claim_limit(self) -> int:
        """Requests claimed per pass: many when one listing serves them all."""
        return max(self.batch, self.list_batch) if self.by_list else self.batch


@dataclass(frozen=True)
class Outcome:
    """What delivering the notice found: the final state, a Slack file link, an error to show."""

    state: str
    link: str | None = None
    error: str | None = None


# Called with the notice's (channel, ts) as soon as Slack returns them; answers the notice on
# record, which is another one only when two processes raced to post it.
RecordNotice = Callable[[str, str], Awaitable[tuple[str, str]]]


class Notifier(Protocol):
    """What the watcher tells people; ``bot.exports.notify.ExportNotifier`` is the real one."""

    async def progress(self, request: ExportRequest, jobs: Sequence[ExportJobRow]) -> None: ...

    async def finish(
        self,
        request: ExportRequest,
        jobs: Sequence[ExportJobRow],
        state: str,
        record: RecordNotice,
    ) -> Outcome:
        """Deliver the one notice, or edit it in place when ``request.notice_ts`` is set.

        Raises when the notice could not be posted; the watcher tries again later.
        """
        ...


def final_state(jobs: Sequence[ExportJobRow]) -> str | None:
    """complete / failed / expired once every job has ended, else None."""
    states = {j.status.lower() for j in jobs}
    if not jobs or not states <= TERMINAL_JOB_STATES:
        return None
    if states == {"complete"}:
        return "complete"
    return "expired" if "expired" in states and "failed" not in states else "failed"

"""An export's state (pure): VBC job states folded into one, and the watcher's contracts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.tables import ExportJobRow, ExportRequest
from bot.vbc.models import TERMINAL_JOB_STATES

RUNNING = "running"


@dataclass
class WatchTuning:
    """Backoff and leases; tests and the benchmark shorten them."""

    factor: float = 1.5
    cap: float = 15.0  # a finished job is noticed within about this long
    lease_seconds: float = 60.0  # must outlast one batch of polls
    batch: int = 100
    concurrency: int = 20
    idle_wait: float = 1.0  # how often the database is checked for new or due work


@dataclass(frozen=True)
class Outcome:
    """What delivering the notice found: the final state, a result link, an error to show."""

    state: str
    link: str | None = None
    error: str | None = None


class Notifier(Protocol):
    """What the watcher tells people; ``bot.export_notify.ExportNotifier`` is the real one."""

    async def progress(self, request: ExportRequest, jobs: Sequence[ExportJobRow]) -> None: ...

    async def finish(
        self, request: ExportRequest, jobs: Sequence[ExportJobRow], state: str
    ) -> Outcome:
        """Deliver the one notice (the zip, a link, or why it failed)."""
        ...


def final_state(jobs: Sequence[ExportJobRow]) -> str | None:
    """complete / failed / expired once every job has ended, else None."""
    states = {j.status.lower() for j in jobs}
    if not jobs or not states <= TERMINAL_JOB_STATES:
        return None
    if states == {"complete"}:
        return "complete"
    return "expired" if "expired" in states and "failed" not in states else "failed"

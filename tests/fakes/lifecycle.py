"""In-memory stand-ins for the lifecycle seams: a hand-moved clock and a recording job list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.lifecycle.ports import RecordingRef


class HandClock:
    """The injected clock, moved by the test: no sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class StartedJob:
    team_id: str
    refs: tuple[RecordingRef, ...]
    origin: str
    requested_by: str
    reason: str


@dataclass
class RecordedJobs:
    """``DeletionJobs`` that only records what it was asked to delete."""

    started: list[StartedJob] = field(default_factory=list)

    async def start(
        self,
        team_id: str,
        refs: Sequence[RecordingRef],
        *,
        origin: str,
        requested_by: str,
        reason: str = "",
    ) -> int:
        self.started.append(StartedJob(team_id, tuple(refs), origin, requested_by, reason))
        return len(self.started)

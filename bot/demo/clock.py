"""A clock that stands still until told to move: a recorded session reads the same every run.

The bot, the simulator and the console all read it, so the recordings' dates, the search
windows, the audit's times and an export's expiry depend on the script alone, never on how
fast the machine ran it. Time moves only where the script says a minute passes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class StillClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the start needs a time zone")
        self._now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        """The bot's ``Clock``."""
        return self._now

    def seconds(self) -> float:
        """The simulator's clock (its jobs and tokens): the same moment as a Unix time."""
        return self._now.timestamp()

    def advance(self, by: timedelta) -> None:
        if by < timedelta(0):
            raise ValueError("time only moves forward")
        self._now += by

"""New recordings that keep arriving while the simulator runs: a steady rate, bursts, and
recordings VBC lists late.

Arrivals follow the simulator's clock (so a benchmark can compress time): a call "ends" at
each step of the rate, began ``duration`` before, and is listed ``delay_seconds`` after it
ended, or ``late_seconds`` after for a ``late_share`` of them, as VBC lists a recording only
once the call has ended and sometimes well after. ``made`` keeps every arrival: the truth a
test or benchmark checks notices against.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.vbcsim.data import SimRecording, SimUser, size_for_duration

_CALLERS = [
    ("ACME SUPPLY CO", "12015550142"),
    ("JOHN SMITH", "17325550100"),
    ("INITECH", "14155550177"),
]


MAX_BURST = 10_000
MAX_PER_HOUR = 1_000_000  # ~280 a second: a tick never loops without bound


@dataclass
class ArrivalSettings:
    per_hour: float = 0.0
    late_share: float = 0.0  # of arrivals listed ``late_seconds`` after the call ended
    late_seconds: float = 600.0
    delay_seconds: float = 2.0  # VBC's usual delay between a call's end and its listing
    on_demand_share: float = 0.2  # the rest are company recordings

    def update(self, body: dict[str, Any]) -> None:
        for name in self.to_json():
            if name in body:
                value = float(body[name])
                if value < 0 or (name.endswith("share") and value > 1):
                    raise ValueError(f"{name} must be 0 or more (a share at most 1)")
                if name == "per_hour" and value > MAX_PER_HOUR:
                    raise ValueError(f"per_hour must be at most {MAX_PER_HOUR:,}")
                setattr(self, name, value)

    def to_json(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass(order=True)
class _Pending:
    listed_at: float
    recording: SimRecording = field(compare=False)


class Arrivals:
    """Makes recordings on the simulator's clock; ``due(now)`` hands over the listable ones."""

    def __init__(self, users: tuple[SimUser, ...], next_id: Callable[[], int], seed: int) -> None:
        self.settings = ArrivalSettings()
        self._members = [u for u in users if not u.is_admin]
        self._next_id = next_id
        self._rng = random.Random(seed)
        self._since: float | None = None  # the clock the rate counts from
        self._owed = 0.0
        self._pending: list[_Pending] = []
        self.made: list[SimRecording] = []
        self.listed_at: dict[int, float] = {}  # when VBC lists each arrival (the truth)

    def configure(self, body: dict[str, Any], now: float) -> None:
        self.tick(now)  # arrivals so far at the old rate
        self.settings.update(body)
        self._since = now

    def burst(self, count: int, now: float) -> list[SimRecording]:
        """``count`` calls that end at ``now`` (at most ``MAX_BURST``)."""
        if not 0 <= count <= MAX_BURST:
            raise ValueError(f"burst must be between 0 and {MAX_BURST}")
        return [self._make(now) for _ in range(count)]

    def tick(self, now: float) -> None:
        """Make the arrivals the rate owes up to ``now``, each at its own moment."""
        if self._since is None or self.settings.per_hour <= 0:
            self._since = now
            return
        step = 3600.0 / self.settings.per_hour
        moment = self._since + step * (1 - self._owed)
        while moment <= now:
            self._make(moment)
            moment += step
        self._owed = 1 - (moment - now) / step
        self._since = now

    def due(self, now: float) -> list[SimRecording]:
        """Arrivals VBC lists by ``now``, in the order they became listable."""
        self.tick(now)
        ready: list[SimRecording] = []
        while self._pending and self._pending[0].listed_at <= now:
            ready.append(heapq.heappop(self._pending).recording)
        return ready

    def _make(self, ended: float) -> SimRecording:
        rng, cfg = self._rng, self.settings
        user = rng.choice(self._members)
        duration = rng.randrange(20_000, 600_000)
        start = datetime.fromtimestamp(ended, UTC) - timedelta(milliseconds=duration)
        owner = user.id if rng.random() < cfg.on_demand_share else None
        cnam, number = rng.choice(_CALLERS)
        rec_id = self._next_id()
        rec = SimRecording(
            id=rec_id,
            owner_user_id=owner,
            call_direction="INBOUND",
            call_id=f"00000000-0000-4000-8000-{rec_id:012d}",
            caller_id=number,
            cnam=cnam,
            dnis=user.did,
            duration=duration,
            start=start.replace(microsecond=0),
            extensions=(user.extension,),
            file_name=f"live-{rec_id}.mp3",
            file_size_in_bytes=size_for_duration(duration),
            rule_ids=(),
        )
        late = rng.random() < cfg.late_share
        listed = ended + (cfg.late_seconds if late else cfg.delay_seconds)
        heapq.heappush(self._pending, _Pending(listed, rec))
        self.listed_at[rec.id] = listed
        self.made.append(rec)
        return rec

"""The injected wall clock: tests pass their own, nothing calls ``datetime.now`` directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)

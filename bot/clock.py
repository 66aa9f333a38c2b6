"""The injected wall clock: tests pass their own, nothing calls ``datetime.now`` directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def aware(when: datetime) -> datetime:
    """SQLite hands datetimes back naive; every one we store is UTC."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)

"""Asker: the Slack person a request is checked for, and their time zone read safely."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Asker:
    """Who is asking, where: the identity every check is made against."""

    team_id: str
    user_id: str
    channel_id: str | None = None


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")

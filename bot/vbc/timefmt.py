"""VBC's timestamp format, ``2019-01-01T00:00:00+0000``, both ways."""

from __future__ import annotations

from datetime import UTC, datetime

VBC_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def parse_vbc_time(value: str) -> datetime:
    """Parse VBC's timestamp (``+0000`` or ``Z`` or ``+00:00``) into an aware datetime."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+0000"
    try:
        return datetime.strptime(text, VBC_TIME_FORMAT)  # noqa: DTZ007 (%z is in the format)
    except ValueError:
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_vbc_time(moment: datetime) -> str:
    """Format an aware datetime as VBC wants it on the wire: UTC with ``+0000``."""
    if moment.tzinfo is None:
        raise ValueError("VBC times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")

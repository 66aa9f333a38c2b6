"""VBC's timestamp format, ``2019-01-01T00:00:00+0000``, both ways."""

from __future__ import annotations

from datetime import UTC, datetime

VBC_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def parse_vbc_time(value: str) -> datetime:
    """Parse VBC's timestamp (``+0000``, ``Z`` or ``+00:00``) into an aware datetime.

    ``fromisoformat`` reads all three on Python 3.11 and is ~60x faster than ``strptime``,
    which matters when a page holds a hundred recordings.
    """
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = datetime.strptime(text, VBC_TIME_FORMAT)  # noqa: DTZ007 (%z is in the format)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_vbc_time(moment: datetime) -> str:
    """Format an aware datetime as VBC wants it on the wire: UTC with ``+0000``."""
    if moment.tzinfo is None:
        raise ValueError("VBC times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")

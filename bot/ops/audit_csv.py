"""The audit log as CSV (pure): one row per audit event, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC

from bot.clock import aware
from bot.store.tables import AuditEvent

COLUMNS = ("time_utc", "team_id", "actor", "action", "outcome", "target", "detail")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def audit_csv(events: Iterable[AuditEvent]) -> bytes:
    """UTF-8 CSV with a header; times in UTC, ISO 8601."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for event in events:
        writer.writerow(
            [
                aware(event.at).astimezone(UTC).isoformat(timespec="seconds"),
                event.team_id,
                event.actor,
                event.action,
                event.outcome,
                _cell(event.target),
                _cell(event.detail),
            ]
        )
    return out.getvalue().encode("utf-8")


def _cell(value: str | None) -> str:
    """A value a spreadsheet would run as a formula is quoted as text (CSV injection)."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value

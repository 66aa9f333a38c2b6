"""The audit CSV: a header, UTC times, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from bot.ops.audit_csv import COLUMNS, audit_csv
from bot.store.tables import AuditEvent


def test_rows_in_order_with_formulas_defused() -> None:
    events = [
        AuditEvent(
            at=datetime(2024, 5, 1, 12, 0, 5),  # naive, as SQLite hands it back: UTC
            team_id="T1",
            actor="U1",
            action="search",
            outcome="allowed",
            target="company:1",
            detail='=HYPERLINK("http://evil")',
        ),
        AuditEvent(
            at=datetime(2024, 5, 2, tzinfo=UTC),
            team_id="T1",
            actor="U2",
            action="audio",
            outcome="refused",
            detail="a, b\nc",
        ),
    ]
    rows = list(csv.reader(io.StringIO(audit_csv(events).decode())))
    assert rows[0] == list(COLUMNS)
    assert rows[1] == [
        "2024-05-01T12:00:05+00:00", "T1", "U1", "search", "allowed", "company:1",
        "'=HYPERLINK(\"http://evil\")",
    ]  # fmt: skip
    assert rows[2][-2:] == ["", "a, b\nc"]

"""Audit filters read like search filters where they overlap; bad ones list the values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.grammar.audit import ACTIONS, OUTCOMES, AuditQueryError, parse_audit_query
from bot.store import AuditQuery

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 6, 12, 15, 30, 12, tzinfo=UTC)
END = timedelta(microseconds=999_999)


def parse(text: str) -> AuditQuery:
    return parse_audit_query(text, tz=NY, now=NOW)


def error(text: str) -> AuditQueryError:
    with pytest.raises(AuditQueryError) as caught:
        parse(text)
    return caught.value


def test_the_inputs_of_the_issue() -> None:
    assert parse("last 7d") == AuditQuery(since=NOW - timedelta(days=7), until=NOW + END)
    assert parse("outcome:denied") == AuditQuery(outcome="refused")
    assert parse("action:play") == AuditQuery(action="audio")


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("", AuditQuery()),
        (
            "today",
            AuditQuery(
                since=datetime(2024, 6, 12, 4, tzinfo=UTC),
                until=datetime(2024, 6, 13, 3, 59, 59, tzinfo=UTC) + END,
            ),
        ),
        (
            "this month",
            AuditQuery(since=datetime(2024, 6, 1, 4, tzinfo=UTC), until=NOW + END),
        ),
        ("since:yesterday", AuditQuery(since=datetime(2024, 6, 11, 4, tzinfo=UTC))),
        ("since:2024-05-01 09:30", AuditQuery(since=datetime(2024, 5, 1, 13, 30, tzinfo=UTC))),
        (
            "until:2024-05-31",
            AuditQuery(until=datetime(2024, 6, 1, 3, 59, 59, tzinfo=UTC) + END),
        ),
        (
            "user:<@U1X|bob> action:audio outcome:refused recording:193228",
            AuditQuery(actor="U1X", action="audio", outcome="refused", target="company:193228"),
        ),
        ("<@U1X|bob> target:od:77", AuditQuery(actor="U1X", target="od:77")),
        ("ACTION:Export OUTCOME:failed", AuditQuery(action="export", outcome="failed")),
    ],
)
def test_audit_filters(text: str, query: AuditQuery) -> None:
    assert parse(text) == query


def test_a_bad_value_lists_the_values_in_the_error() -> None:
    shown = str(error("action:frobnicate"))
    assert "`action:frobnicate`" in shown
    assert all(action in shown for action in ACTIONS)
    assert all(outcome in shown for outcome in OUTCOMES)
    assert "`play` means audio" in shown


def test_every_bad_word_is_listed() -> None:
    exc = error("outcome:maybe last 3m bogus action:exprt")
    assert [p.token for p in exc.problems] == ["outcome:maybe", "last 3m", "bogus", "action:exprt"]
    assert exc.problems[-1].suggestion == "action:export"
    assert str(exc).startswith("4 things to fix in that command:\n")


def test_the_same_key_twice() -> None:
    assert "given twice" in str(error("action:share action:audio"))
    assert "given twice" in str(error("today since:2024-05-01"))

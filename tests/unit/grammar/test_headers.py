"""Result headers read as sentences: the phrase of describe_recordings, and the "or" of numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import blocks
from bot.grammar import describe_filter, describe_recordings, parse_filter

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 6, 12, 15, 30, 12, tzinfo=UTC)  # Wed 11:30 EDT


def phrase(text: str, *, now: datetime = NOW) -> str:
    return describe_recordings(parse_filter(text, now=NOW, tz=NY), tz=NY, now=now)


def test_the_header_of_the_issue() -> None:
    summary = phrase("inbound +1 732-555-0100 +1 732-555-0199 this week")
    assert summary == "inbound recordings with +1 732-555-0100 or +1 732-555-0199 since Monday"
    empty = blocks.render_empty(summary=summary, scope="your recordings", suggestion="x")
    assert empty["text"] == (
        "No inbound recordings with +1 732-555-0100 or +1 732-555-0199 since Monday"
    )


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("", "recordings"),
        ("+44 20 7946 0958", "recordings with +44 20 7946 0958"),
        ("since:2024-06-10", "recordings since Monday"),
        ("yesterday outbound", "outbound recordings yesterday"),
        ("today", "recordings today"),
        ("since:2024-06-11 09:30", "recordings since yesterday 09:30"),
        ("since:2024-01-05", "recordings since Fri 2024-01-05"),
        ("last week", "recordings between Mon 2024-06-03 and Sunday"),
        (
            "since:2024-05-01 until:2024-05-31",
            "recordings between Wed 2024-05-01 and Fri 2024-05-31",
        ),
        ("monday type:on-demand", "on-demand recordings on Monday"),
        (
            'from:+1 732 555 0100 to:4567 name:"Jane" ext:999 >2m oldest',
            "recordings from +1 732-555-0100 to 4567 with “Jane” in the caller name of "
            "extension 999 at least 2m long, oldest first",
        ),
        ("<30s", "recordings at most 30s long"),
        ("1m..5m", "recordings 1m to 5m long"),
    ],
)
def test_phrases(text: str, summary: str) -> None:
    assert phrase(text) == summary


def test_an_end_at_now_is_not_said_but_an_older_one_is() -> None:
    assert phrase("last 7d") == "recordings since Wed 2024-06-05 11:30"
    assert (
        phrase("this month", now=NOW + timedelta(minutes=59)) == "recordings since Sat 2024-06-01"
    )
    later = phrase("this week", now=NOW + timedelta(hours=2))
    assert later == "recordings between Monday and today 11:30"
    assert phrase("until:2024-06-12 10:00") == "recordings until today 10:00"


def test_the_filter_list_joins_bare_numbers_with_or() -> None:
    request = parse_filter("+1 732 555 0100 +1 732 555 0199", now=NOW, tz=NY)
    assert describe_filter(request, tz=NY) == "with +1 732-555-0100 or +1 732-555-0199"

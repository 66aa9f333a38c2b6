"""A digest's "+N more" search shows the digest's recordings whoever runs it, wherever they are."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.grammar import parse_filter
from bot.grammar.criteria import Criteria
from bot.notices.sender import digest_search
from bot.store.tables import NoticeRule
from bot.vbc.filter import Direction, RecordingFilter
from bot.vbc.models import RecordingKind

FIRST = datetime(2026, 12, 4, 14, 3, 5, tzinfo=UTC)
LAST = datetime(2026, 12, 4, 14, 9, 41, tzinfo=UTC)


def channel_rule() -> NoticeRule:
    criteria = Criteria(
        filter=RecordingFilter(call_direction=Direction.INBOUND, duration_gte=60_000),
        kind=RecordingKind.COMPANY,
    )
    return NoticeRule(
        id=7,
        team_id="T1",
        kind="channel",
        slack_user_id="UADMIN",
        channel_id="C1",
        criteria=json.dumps(criteria.to_json()),
        summary="inbound · ≥ 1 min",
    )


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"])
def test_the_search_covers_the_same_instants_in_every_time_zone(zone: str) -> None:
    text = digest_search([channel_rule()], [LAST, FIRST])
    read = parse_filter(text, now=LAST, tz=ZoneInfo(zone))
    assert read.filter.start_gte == FIRST
    assert read.filter.start_lte == LAST
    assert read.filter.call_direction is Direction.INBOUND
    assert read.filter.duration_gte == 60_000
    assert read.company


def test_without_times_there_is_no_window() -> None:
    text = digest_search([channel_rule()], [])
    assert "since:" not in text
    assert "until:" not in text

"""Issue 14's everyday inputs, each with the request or the reply it now gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.grammar import FilterError, SearchRequest, parse_filter
from bot.grammar.limits import MAX_ECHO, MAX_PROBLEMS
from bot.vbc.filter import Direction, RecordingFilter

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 6, 12, 15, 30, 12, tzinfo=UTC)  # Wed 11:30:12 EDT


def parse(text: str, *, now: datetime = NOW) -> SearchRequest:
    return parse_filter(text, now=now, tz=NY)


def error(text: str, *, now: datetime = NOW) -> FilterError:
    with pytest.raises(FilterError) as caught:
        parse(text, now=now)
    return caught.value


def times(request: SearchRequest) -> tuple[datetime | None, datetime | None]:
    return request.filter.start_gte, request.filter.start_lte


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# -- months and rolling windows ------------------------------------------------------------


def test_this_month_is_the_calendar_month_so_far_in_the_asker_zone() -> None:
    assert times(parse("this month")) == (utc(2024, 6, 1, 4, 0, 0), NOW)
    tokyo = parse_filter("this month", now=utc(2024, 6, 30, 16, 0, 0), tz=ZoneInfo("Asia/Tokyo"))
    assert tokyo.filter.start_gte == utc(2024, 6, 30, 15, 0, 0)  # already July 1st there


def test_last_month_is_the_whole_previous_calendar_month() -> None:
    assert times(parse("last month")) == (utc(2024, 5, 1, 4, 0, 0), utc(2024, 6, 1, 3, 59, 59))
    january = utc(2024, 1, 15, 12, 0, 0)
    assert times(parse("last month", now=january)) == (
        utc(2023, 12, 1, 5, 0, 0),
        utc(2024, 1, 1, 4, 59, 59),
    )


@pytest.mark.parametrize("text", ["last 3 months", "last 3mo", "last 3 month", "LAST 3 Mos"])
def test_last_n_months_rolls_back_calendar_months(text: str) -> None:
    assert times(parse(text)) == (utc(2024, 3, 12, 15, 30, 12), NOW)


def test_last_month_of_a_31st_lands_on_the_shorter_month_end() -> None:
    may_31 = utc(2024, 5, 31, 16, 0, 0)
    assert parse("last 3 months", now=may_31).filter.start_gte == utc(2024, 2, 29, 17, 0, 0)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("last 7 days", timedelta(days=7)),
        ("last 2 weeks", timedelta(weeks=2)),
        ("last 10d", timedelta(days=10)),
        ("last 3w", timedelta(weeks=3)),
        ("last 45 min", timedelta(minutes=45)),
        ("last 45mins", timedelta(minutes=45)),
        ("last 2h", timedelta(hours=2)),
        ("last 30 sec", timedelta(seconds=30)),
    ],
)
def test_rolling_windows(text: str, span: timedelta) -> None:
    assert times(parse(text)) == (NOW - span, NOW)


@pytest.mark.parametrize("text", ["last 3m", "last 3 m"])
def test_m_in_a_window_is_ambiguous_and_both_readings_are_offered(text: str) -> None:
    exc = error(text)
    assert (exc.token, exc.suggestion, exc.options) == (text, "last 3min", ("last 3mo",))
    assert str(exc) == (
        f"I can't read `{text}`: `m` could be minutes or months. Try `last 3min` or `last 3mo`."
    )


# -- durations read the unit words ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gte", "lte"),
    [
        (">2m", 120_000, None),  # m stays minutes in a duration
        (">2 min", 120_000, None),
        ("> 2 min", 120_000, None),
        (">2 mins", 120_000, None),
        (">2 minutes", 120_000, None),
        ("<30 s", None, 30_000),
        ("<30sec", None, 30_000),
        ("<45 sec", None, 45_000),
        (">1 h", 3_600_000, None),
        ("1min..5min", 60_000, 300_000),
    ],
)
def test_durations_read_unit_words(text: str, gte: int | None, lte: int | None) -> None:
    assert parse(text) == SearchRequest(filter=RecordingFilter(duration_gte=gte, duration_lte=lte))


def test_a_duration_without_a_comparison_names_both_pieces() -> None:
    exc = error("2 min")
    assert (exc.token, exc.suggestion) == ("2 min", ">2min")


# -- since:/until: take time words; the future is refused ------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("since:yesterday", utc(2024, 6, 11, 4, 0, 0), None),
        ("since: yesterday", utc(2024, 6, 11, 4, 0, 0), None),
        ("until:yesterday", None, utc(2024, 6, 12, 3, 59, 59)),
        ("since:today", utc(2024, 6, 12, 4, 0, 0), None),
        ("since:monday", utc(2024, 6, 10, 4, 0, 0), None),
        ("since:last week", utc(2024, 6, 3, 4, 0, 0), None),
        ('since:"this month"', utc(2024, 6, 1, 4, 0, 0), None),
        ("until:last month", None, utc(2024, 6, 1, 3, 59, 59)),
        ("since:last 7d", NOW - timedelta(days=7), None),
        ("since:yesterday until:today", utc(2024, 6, 11, 4, 0, 0), utc(2024, 6, 13, 3, 59, 59)),
    ],
)
def test_since_and_until_take_time_words(
    text: str, start: datetime | None, end: datetime | None
) -> None:
    assert times(parse(text)) == (start, end)


def test_a_weekday_is_its_latest_whole_day() -> None:
    assert times(parse("monday")) == (utc(2024, 6, 10, 4, 0, 0), utc(2024, 6, 11, 3, 59, 59))
    assert parse("wednesday").filter.start_gte == utc(2024, 6, 12, 4, 0, 0)  # today


@pytest.mark.parametrize(
    "text", ["since:2027-01-01", "since:2024-06-12 18:00", "inbound since:2099-05-01"]
)
def test_a_window_wholly_in_the_future_says_so(text: str) -> None:
    exc = error(text)
    assert exc.token == text.removeprefix("inbound ")
    assert "in the future" in str(exc)
    assert exc.suggestion == "since:2024-06-12"


def test_a_window_reaching_into_the_future_is_fine() -> None:
    assert parse("until:2027-01-01").filter.start_lte is not None
    assert parse("today").filter.start_lte == utc(2024, 6, 13, 3, 59, 59)


# -- every bad word at once, clipped ------------------------------------------------------


def test_every_bad_word_is_reported_at_once() -> None:
    exc = error("inbund frm:123 yesterday last 3m xyzzy")
    assert [p.token for p in exc.problems] == ["inbund", "frm:123", "last 3m", "xyzzy"]
    assert str(exc) == (
        "4 things to fix in that command:\n"
        "• `inbund` - did you mean `inbound`?\n"
        "• `frm:123` - did you mean `from:123`?\n"
        "• `last 3m`: `m` could be minutes or months. Try `last 3min` or `last 3mo`.\n"
        "• `xyzzy`: there is no free-text search; a caller name needs `name:`. Try `name:xyzzy`."
    )


def test_reading_stops_at_five_problems() -> None:
    exc = error("aa1 bb2 cc3 dd4 ee5 ff6 gg7")
    assert len(exc.problems) == exc.total == MAX_PROBLEMS == 5
    assert str(exc).endswith("I stopped reading there: fix these and send it again.")
    assert not error("aa1 bb2 cc3 dd4 ee5").stopped


def test_a_long_bad_word_is_quoted_to_40_characters() -> None:
    exc = error("q" * 3000 + " inbound")
    shown = str(exc)
    assert MAX_ECHO == 40
    assert f"`{'q' * 39}…`" in shown
    assert "q" * 40 not in shown
    assert len(shown) < 200


def test_a_bad_token_spanning_pieces_is_skipped_whole() -> None:
    exc = error("555 0100 inbound last fortnight")
    assert [p.token for p in exc.problems] == ["555 0100", "last fortnight"]


# -- clashes say which to keep --------------------------------------------------------------


def test_inbound_and_outbound_together() -> None:
    exc = error("inbound outbound")
    assert str(exc) == (
        "`inbound` and `outbound` together: pick one, or leave both out for all directions."
    )
    assert parse("inbound") == SearchRequest(
        filter=RecordingFilter(call_direction=Direction.INBOUND)
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("newest oldest", "`newest` and `oldest` together: pick one"),
        ("type:company type:on-demand", "pick one, or leave both out for both kinds"),
        ("today yesterday", "`today` and `yesterday` together: keep one start"),
        ("scope:company user:<@U1X>", "search the whole company or one person, not both"),
        ("user:<@U1X> scope:company", "`user:&lt;@U1X&gt;` and `scope:company` together"),
    ],
)
def test_clashes_say_which_to_keep(text: str, needle: str) -> None:
    assert needle in str(error(text))

"""The filter grammar, element by element, with the exact RecordingFilter each one yields."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.grammar import (
    GRAMMAR_HELP,
    FilterError,
    SearchRequest,
    describe_filter,
    extract_numbers,
    format_filter,
    mention_user_id,
    normalize_number,
    parse_filter,
)
from bot.vbc.filter import ORDER_NEWEST, ORDER_OLDEST, Direction, RecordingFilter
from bot.vbc.models import RecordingKind

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 6, 12, 15, 30, 12, 345678, tzinfo=UTC)  # Wed 11:30:12 EDT
NOW_S = NOW.replace(microsecond=0)
LATER = datetime(2025, 1, 1, tzinfo=UTC)  # for tests of dates after NOW


def parse(text: str, *, now: datetime = NOW, tz: ZoneInfo = NY) -> SearchRequest:
    return parse_filter(text, now=now, tz=tz)


def later(text: str) -> SearchRequest:
    """Read after LATER, for dates after NOW (a window that starts after now is refused)."""
    return parse(text, now=LATER)


def only(**values: object) -> SearchRequest:
    return SearchRequest(filter=RecordingFilter(**values))  # type: ignore[arg-type]


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def error(text: str, *, now: datetime = NOW) -> FilterError:
    with pytest.raises(FilterError) as caught:
        parse(text, now=now)
    return caught.value


# -- empty, words, case --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_an_empty_request(text: str) -> None:
    request = parse(text)
    assert request == SearchRequest()
    assert request.is_empty()


def test_a_request_with_any_filter_is_not_empty() -> None:
    assert not parse("oldest").is_empty()
    assert not parse("scope:company").is_empty()


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("inbound", Direction.INBOUND),
        ("OUTBOUND", Direction.OUTBOUND),
        ("Internal", Direction.INTRA_PBX),
    ],
)
def test_directions(text: str, direction: Direction) -> None:
    assert parse(text) == only(call_direction=direction)


def test_order_words() -> None:
    assert parse("oldest") == only(order=ORDER_OLDEST)
    assert parse("Newest") == only(order=ORDER_NEWEST)


# -- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "from:+1 (732) 555-0100",
        "from:+1 732 555 0100",
        "from:732-555-0100",
        "from:732.555.0100",
        "from: (732) 555 0100",
        'from:"+1 732 555 0100"',
        "FROM:17325550100",
        "from:+1 732\u2011555\u20130100",  # dashes a phone keyboard or Slack may substitute
    ],
)
def test_from_reads_the_number_as_typed(text: str) -> None:
    assert parse(text) == only(caller_id="17325550100")


def test_a_number_spanning_pieces_stops_before_the_next_filter() -> None:
    request = parse("from:+1 732 555 0100 yesterday")
    assert request == only(
        caller_id="17325550100",
        start_gte=utc(2024, 6, 11, 4, 0, 0),
        start_lte=utc(2024, 6, 12, 3, 59, 59),
    )


def test_to_and_from_together() -> None:
    request = parse("to:+44 20 7946 0958 from:212 555 0199 inbound")
    assert request == only(
        dnis="442079460958", caller_id="12125550199", call_direction=Direction.INBOUND
    )


def test_from_and_to_keep_short_internal_numbers() -> None:
    assert parse("from:123 to: 4567") == only(caller_id="123", dnis="4567")
    assert parse('from:"123" to: "+1 732 555 0100"') == only(caller_id="123", dnis="17325550100")


def test_bare_numbers_mean_either_side_and_split_where_a_number_ends() -> None:
    request = parse("732-555-0100 +1 212 555 0199 732 555 0100 442079460958")
    assert request == SearchRequest(numbers=("17325550100", "12125550199", "442079460958"))


def test_a_bare_number_after_from_is_a_second_number() -> None:
    request = parse("from:+1 732 555 0100 212-555-0199")
    assert request == SearchRequest(
        filter=RecordingFilter(caller_id="17325550100"), numbers=("12125550199",)
    )


def test_a_bare_short_number_asks_for_ext() -> None:
    exc = error("inbound 999 today")
    assert (exc.token, exc.suggestion) == ("999", "ext:999")
    assert "ext:" in exc.message


def test_a_number_without_area_code_is_named_whole() -> None:
    exc = error("555 0100")
    assert exc.token == "555 0100"
    assert "area code" in exc.message
    assert exc.suggestion == "+1 201-555-0123"


def test_from_without_a_number() -> None:
    assert error("from: inbound").token == "from:"
    exc = error("from:john")
    assert (exc.token, exc.suggestion) == ("from:john", 'name:"john"')
    exc = error("to:555-0100")
    assert (exc.token, exc.suggestion) == ("to:555-0100", "to:+1 201-555-0123")


def test_two_from_clash() -> None:
    exc = error("from:732-555-0100 from:212-555-0199")
    assert exc.token == "from:212-555-0199"
    assert exc.suggestion == "from:732-555-0100"
    assert str(exc) == (
        "`from:732-555-0100` and `from:212-555-0199` together: a call has one caller: keep one, "
        "or write bare numbers to match either side."
    )


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("+1 (732) 555-0100", "17325550100"),
        ("732.555.0100", "17325550100"),
        ("17325550100", "17325550100"),
        ("011 44 20 7946 0958", "442079460958"),
        ("442079460958", "442079460958"),  # VBC's own form, pasted back
    ],
)
def test_normalize_number(raw: str, digits: str) -> None:
    assert normalize_number(raw) == digits


def test_normalize_number_uses_the_region_for_national_numbers() -> None:
    assert normalize_number("020 7946 0958", region="GB") == "442079460958"


@pytest.mark.parametrize("raw", ["555-0100", "123", "1-800-FLOWERS", "", "+1 732 555 0100 x12"])
def test_normalize_number_refuses(raw: str) -> None:
    with pytest.raises(FilterError) as caught:
        normalize_number(raw)
    assert caught.value.token == (raw or "(empty)")


def test_extract_numbers_reads_slack_message_text() -> None:
    text = (
        "Call back 732-555-0100 or <tel:+442079460958|+44 20 7946 0958> re ticket 2024-05-01, "
        "see <https://example.com/12015550123> &amp; <@U123|bob>; again: (732) 555 0100"
    )
    assert extract_numbers(text) == ("17325550100", "442079460958")
    assert extract_numbers("no numbers here, order 193228") == ()


# -- name, ext, call, type, scope, user, page size -----------------------------------------


@pytest.mark.parametrize(
    "text", ['name:"John Smith"', "name:“John  Smith”", "NAME: „John Smith”", 'name:"John Smith" ']
)
def test_quoted_names(text: str) -> None:
    assert parse(text) == only(cnam="John Smith")


def test_unquoted_name_and_a_second_word() -> None:
    assert parse("name:smith inbound") == only(cnam="smith", call_direction=Direction.INBOUND)
    exc = error("name:john smith")
    assert (exc.token, exc.suggestion) == ("smith", 'name:"john smith"')


def test_names_with_quotes_and_mention_marks_round_trip() -> None:
    for name in ['John "Jack" Smith', "“Jack”", "a<@b", "O'Brien", "x<!y"]:
        request = only(cnam=name)
        assert parse(format_filter(request, tz=NY)) == request, name
    assert parse("name:x<!y type:company") == SearchRequest(
        filter=RecordingFilter(cnam="x<!y"), kind=RecordingKind.COMPANY
    )


def test_mixed_quotes_need_their_pair() -> None:
    exc = error('name:“john smith"')
    assert (exc.token, exc.suggestion) == ('name:“john smith"', 'name:"john smith"')


def test_name_errors() -> None:
    exc = error('name:"john smith')
    assert (exc.token, exc.suggestion) == ('name:"john smith', 'name:"john smith"')
    assert error('name:""').token == 'name:""'
    assert error("name:").suggestion == 'name:"john smith"'


def test_ext_and_call() -> None:
    call = "c91150a6-8cc4-4e73-9fef-17fd925c6448"
    assert parse(f"ext:999 call:{call}") == only(extension="999", call_id=call)
    assert error("ext:12a").suggestion == "ext:999"
    assert error("call:a/b").token == "call:a/b"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("type:company", RecordingKind.COMPANY),
        ("type:On-Demand", RecordingKind.ON_DEMAND),
        ("type:ondemand", RecordingKind.ON_DEMAND),
    ],
)
def test_type(text: str, kind: RecordingKind) -> None:
    assert parse(text) == SearchRequest(kind=kind)


def test_type_typo_suggests_the_kind() -> None:
    exc = error("type:ondmand")
    assert (exc.token, exc.suggestion) == ("type:ondmand", "type:ondemand")


def test_scope_and_user() -> None:
    assert parse("scope:company") == SearchRequest(company=True)
    assert parse("user:<@U123ABC|jane>") == SearchRequest(user="U123ABC")
    assert parse("user: <@W42>") == SearchRequest(user="W42")
    assert parse("<@U123ABC|jane> inbound").user == "U123ABC"
    assert error("scope:mine").suggestion == "scope:company"
    exc = error("scope:company user:<@U1X>")
    assert exc.token == "user:<@U1X>"


@pytest.mark.parametrize("text", ["user:@jane", "@jane"])
def test_a_typed_at_name_asks_for_the_autocomplete(text: str) -> None:
    exc = error(text)
    assert exc.token == text
    assert exc.suggestion == "user:@jane"
    assert "autocomplete" in exc.message


def test_user_needs_a_mention() -> None:
    assert error("user:jane").suggestion == "user:@person"
    assert error("<#C123|general>").message == "channels and links are not filters"


def test_mention_user_id() -> None:
    assert mention_user_id("<@U123|bob>") == "U123"
    assert mention_user_id(" <@U123> ") == "U123"
    assert mention_user_id("@bob") is None


def test_page_size() -> None:
    assert parse("page-size:25") == only(page_size=25)
    assert parse("page_size:1") == only(page_size=1)
    assert error("page-size:101").suggestion == "page-size:25"
    assert error("page-size:26").token == "page-size:26"
    assert error("page-size:0").suggestion == "page-size:25"
    assert error("page-size:ten").token == "page-size:ten"


# -- time ----------------------------------------------------------------------------------


def test_today_and_yesterday_are_calendar_days_in_the_asker_zone() -> None:
    assert parse("today") == only(
        start_gte=utc(2024, 6, 12, 4, 0, 0), start_lte=utc(2024, 6, 13, 3, 59, 59)
    )
    tokyo = parse("today", tz=ZoneInfo("Asia/Tokyo"))  # already Thursday there
    assert tokyo.filter.start_gte == utc(2024, 6, 12, 15, 0, 0)


def test_yesterday_after_fall_back_is_25_hours() -> None:
    now = utc(2024, 11, 4, 15, 0, 0)
    assert parse("yesterday", now=now) == only(
        start_gte=utc(2024, 11, 3, 4, 0, 0), start_lte=utc(2024, 11, 4, 4, 59, 59)
    )


def test_today_on_spring_forward_is_23_hours() -> None:
    now = utc(2024, 3, 10, 18, 0, 0)
    assert parse("today", now=now) == only(
        start_gte=utc(2024, 3, 10, 5, 0, 0), start_lte=utc(2024, 3, 11, 3, 59, 59)
    )


def test_this_week_starts_monday_midnight_local_and_ends_now() -> None:
    assert parse("this week") == only(start_gte=utc(2024, 6, 10, 4, 0, 0), start_lte=NOW_S)
    across_dst = utc(2024, 3, 12, 12, 0, 0)  # Tue after spring-forward: Monday was EDT
    assert parse("this week", now=across_dst).filter.start_gte == utc(2024, 3, 11, 4, 0, 0)
    sunday = utc(2024, 3, 10, 12, 0, 0)  # the Monday before was still EST
    assert parse("this week", now=sunday).filter.start_gte == utc(2024, 3, 4, 5, 0, 0)


def test_last_week_is_the_previous_monday_to_sunday() -> None:
    assert parse("last week") == only(
        start_gte=utc(2024, 6, 3, 4, 0, 0), start_lte=utc(2024, 6, 10, 3, 59, 59)
    )


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("last 7d", timedelta(days=7)),
        ("last 24h", timedelta(hours=24)),
        ("LAST 2w", timedelta(weeks=2)),
        ("last 30min", timedelta(minutes=30)),
        ("last 30 mins", timedelta(minutes=30)),
        ("last 90s", timedelta(seconds=90)),
        ("last 2 minutes", timedelta(minutes=2)),
        ("last 3 days", timedelta(days=3)),
        ("last 1 hour", timedelta(hours=1)),
    ],
)
def test_rolling_windows_end_now(text: str, span: timedelta) -> None:
    assert parse(text) == only(start_gte=NOW_S - span, start_lte=NOW_S)


def test_last_24h_across_dst_is_24_real_hours() -> None:
    now = utc(2024, 3, 10, 12, 0, 0)
    assert parse("last 24h", now=now).filter.start_gte == utc(2024, 3, 9, 12, 0, 0)


def test_since_and_until_are_local() -> None:
    assert parse("since:2024-05-01 until:2024-05-31") == only(
        start_gte=utc(2024, 5, 1, 4, 0, 0), start_lte=utc(2024, 6, 1, 3, 59, 59)
    )
    assert parse("since:2024-05-01 09:30 until:2024-05-31 17:00") == only(
        start_gte=utc(2024, 5, 1, 13, 30, 0), start_lte=utc(2024, 5, 31, 21, 0, 0)
    )
    assert parse("since:2024-01-15 9:30pm") == only(start_gte=utc(2024, 1, 16, 2, 30, 0))
    assert parse("until:2024-01-15T08:00:05") == only(start_lte=utc(2024, 1, 15, 13, 0, 5))


def test_explicit_offsets_pin_the_instant() -> None:
    assert later("since:2024-11-03T01:30:00Z") == only(start_gte=utc(2024, 11, 3, 1, 30, 0))
    assert later("since:2024-11-03T01:30-05:00") == only(start_gte=utc(2024, 11, 3, 6, 30, 0))


def test_dst_gap_and_overlap_local_times() -> None:
    # 02:30 does not exist on 2024-03-10 in New York: read with the EST offset (= 03:30 EDT).
    assert later("since:2024-03-10 02:30").filter.start_gte == utc(2024, 3, 10, 7, 30, 0)
    # 01:30 happens twice on 2024-11-03: the first (EDT) one.
    assert later("since:2024-11-03 01:30").filter.start_gte == utc(2024, 11, 3, 5, 30, 0)


def test_microseconds_of_now_are_dropped() -> None:
    assert parse("last 24h").filter.start_lte == utc(2024, 6, 12, 15, 30, 12)


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("since:2024-13-01", "since:2024-13-01"),
        ("since:2024-02-30", "since:2024-02-30"),
        ("until:5/31/2024", "until:5/31/2024"),
        ("since:1969-12-31", "since:1969-12-31"),
        ("since:2024-05-01 13:00pm", "since:2024-05-01 13:00pm"),
    ],
)
def test_bad_dates(text: str, token: str) -> None:
    exc = error(text)
    assert exc.token == token
    assert exc.suggestion == f"{token.split(':')[0]}:2024-06-12"


def test_time_conflicts() -> None:
    exc = error("since:2024-06-01 until:2024-05-01")
    assert exc.token == "until:2024-05-01"
    assert exc.suggestion == "since:2024-05-01 until:2024-06-01"
    exc = error("today yesterday")
    assert (exc.token, exc.suggestion) == ("yesterday", "today")
    assert error("last 7d since:2024-05-01").token == "since:2024-05-01"


def test_window_errors() -> None:
    assert error("last 0d").token == "last 0d"
    assert error("last 99999w").suggestion == "last 7d"
    exc = error("last fortnight")
    assert (exc.token, exc.suggestion) == ("last fortnight", "last 7d")
    exc = error("this year")
    assert (exc.suggestion, exc.options) == ("this week", ("this month",))


def test_a_bare_date_needs_since() -> None:
    exc = error("2024-05-01")
    assert (exc.token, exc.suggestion) == ("2024-05-01", "since:2024-05-01")


# -- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gte", "lte"),
    [
        (">2m", 120_000, None),
        (">=90s", 90_000, None),
        ("≥1h", 3_600_000, None),
        ("<30s", None, 30_000),
        ("<=2m30s", None, 150_000),
        ("1m..5m", 60_000, 300_000),
        ("1m…5m", 60_000, 300_000),  # macOS turns ".." into an ellipsis
        ("30s..", 30_000, None),
        ("..1h30m", None, 5_400_000),
        (">1.5m", 90_000, None),
        (">1500ms", 1500, None),
        ("&gt;2m", 120_000, None),  # Slack escapes > in command text
        ("> 2m", 120_000, None),
        (">2min", 120_000, None),
    ],
)
def test_durations(text: str, gte: int | None, lte: int | None) -> None:
    assert parse(text) == only(duration_gte=gte, duration_lte=lte)


def test_two_duration_bounds_combine() -> None:
    assert parse(">1m <5m") == only(duration_gte=60_000, duration_lte=300_000)


@pytest.mark.parametrize(
    ("text", "token", "suggestion"),
    [
        ("2m", "2m", ">2m"),
        ("<30", "<30", "<30s"),
        (">2x", ">2x", ">2s"),
        ("5m..2m", "5m..2m", "2m..5m"),
        (">5m <2m", "<2m", "2m..5m"),
        (">1m >2m", ">2m", ">1m"),
        ("1..5", "1..5", "1s..5s"),
    ],
)
def test_duration_errors(text: str, token: str, suggestion: str) -> None:
    exc = error(text)
    assert (exc.token, exc.suggestion) == (token, suggestion)


# -- unknown words and messages ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "token", "suggestion"),
    [
        ("inbund", "inbund", "inbound"),
        ("yesterdy", "yesterdy", "yesterday"),
        ("frm:123", "frm:123", "from:123"),
        ("inbound nme:smith", "nme:smith", "name:smith"),
        ("from 732-555-0100", "from", "from:732-555-0100"),
        ("direction:inbound", "direction:inbound", "inbound"),
        ("xyzzy", "xyzzy", "name:xyzzy"),
        ("%%%", "%%%", "help"),
    ],
)
def test_unknown_words_name_the_nearest_form(text: str, token: str, suggestion: str) -> None:
    exc = error(text)
    assert (exc.token, exc.suggestion) == (token, suggestion)


def test_error_text_is_mrkdwn_ready() -> None:
    assert str(error("frm:123")) == "I can't read `frm:123` - did you mean `from:123`?"
    assert str(error("<30")) == (
        "I can't read `&lt;30`: a duration needs a unit: s, min or h. Try `&lt;30s`."
    )


def test_everything_at_once() -> None:
    request = parse(
        'Inbound from:+1 (732) 555-0100 to:4567 name:"Jane Roe" ext:999 call:abc-1 '
        "since:2024-05-01 until:2024-05-31 17:00 1m..5m type:company oldest page-size:20 "
        "user:<@U0JANE|jane>"
    )
    assert request == SearchRequest(
        filter=RecordingFilter(
            call_direction=Direction.INBOUND,
            caller_id="17325550100",
            dnis="4567",
            cnam="Jane Roe",
            extension="999",
            call_id="abc-1",
            start_gte=utc(2024, 5, 1, 4, 0, 0),
            start_lte=utc(2024, 5, 31, 21, 0, 0),
            duration_gte=60_000,
            duration_lte=300_000,
            order=ORDER_OLDEST,
            page_size=20,
        ),
        kind=RecordingKind.COMPANY,
        user="U0JANE",
    )


# -- printing ------------------------------------------------------------------------------


def test_format_filter_is_canonical() -> None:
    request = parse(
        "oldest >=90s until:2024-05-31 17:00 since:2024-05-01 type:on-demand "
        "name:“Jane Roe” 212 555 0199 from:123 outbound"
    )
    assert format_filter(request, tz=NY) == (
        'outbound +12125550199 from:123 name:"Jane Roe" type:on-demand '
        "since:2024-05-01 until:2024-05-31 17:00 >=1m30s oldest"
    )
    assert format_filter(SearchRequest(), tz=NY) == ""


def test_format_filter_pins_repeated_local_times() -> None:
    second_half_past_one = utc(2024, 11, 3, 6, 30, 0)  # 01:30 EST, after the clocks went back
    request = only(start_gte=second_half_past_one)
    assert format_filter(request, tz=NY) == "since:2024-11-03T06:30:00Z"
    assert parse(format_filter(request, tz=NY), now=LATER) == request


def test_describe_filter() -> None:
    request = parse("inbound from:+1 732 555 0100 yesterday >2m scope:company")
    assert describe_filter(request, tz=NY) == (
        "inbound · from +1 732-555-0100 · on Tue 2024-06-11 · ≥ 2m"
    )
    ranged = parse('since:2024-05-01 09:30 until:2024-05-31 <30s name:"A<B" user:<@U1X>')
    assert describe_filter(ranged, tz=NY) == (
        "name “A&lt;B” · Wed 2024-05-01 09:30 to Fri 2024-05-31 · ≤ 30s"
    )
    assert describe_filter(SearchRequest(), tz=NY) == "all recordings"
    overnight = parse("since:2024-05-01 21:00 until:2024-05-02 06:00 internal")
    assert describe_filter(overnight, tz=NY) == (
        "internal · Wed 2024-05-01 21:00 to Thu 2024-05-02 06:00"
    )
    assert describe_filter(parse("until:2024-05-02"), tz=NY) == "until Thu 2024-05-02"


def test_every_example_in_the_help_parses() -> None:
    spans = re.findall(r"`([^`]+)`", GRAMMAR_HELP)
    examples = [
        s.replace("&gt;", ">").replace("&lt;", "<")
        for s in spans
        if not s.startswith(("/recordings [", "/recordings notify me [", "notify"))
        and not s.endswith("@person")
    ]
    assert len(examples) > 25
    for example in examples:
        text = re.sub(r"^/recordings (export |notify me )?", "", example)
        parse(text)  # raises FilterError if the help promises something the grammar refuses

"""Properties of the filter grammar: it never crashes, and its canonical text reads back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import FilterError, SearchRequest, format_filter, parse_filter
from bot.grammar.limits import echo
from bot.vbc.filter import ORDER_NEWEST, ORDER_OLDEST, Direction, RecordingFilter
from bot.vbc.models import RecordingKind

T = TypeVar("T")
NOW = datetime(2024, 3, 10, 7, 30, 5, tzinfo=UTC)  # the morning US clocks went forward
AFTER_ALL = datetime(2100, 1, 2, tzinfo=UTC)  # after every moment drawn: no window in the future
ZONES = [
    "America/New_York",
    "UTC",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # DST changes at midnight
    "Pacific/Chatham",
]


def _words(text: str) -> list[str]:
    return text.split()


FRAGMENTS = [
    *_words("inbound outbound internal today yesterday this last week newest oldest help"),
    *_words("from: to: name: ext: call: since: until: type: page-size: scope: user: frm: tp:"),
    *_words("+1 (732) 555-0100 732 555 0100 0199 +44 20 7946 0958 123 12 7d 24h 2w 0d 99999w"),
    *_words("> < >= <= ≥ ≤ .. … 2m 30s 1h30m 1.5m 90 1500ms 5m..2m 30s.. ..1m"),
    *_words("&gt; &lt; &amp; &amp;lt; `"),
    *_words("2024-05-01 2024-02-30 1969-01-01 09:30 9:30pm 13:00am T Z +05:00 -0400"),
    *_words('" “ ” „ <@U123|bob> <@W9ZZ> <#C1|general> <!here> @bob company on-demand x'),
    "john smith",
    "since:2024-05-01T01:30:00Z",
    "until:2024-11-03T01:30-04:00",
]


def _unescape(text: str) -> str:
    """Slack escapes these three in command text; the grammar reads what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _phone(region: str) -> str:
    number = phonenumbers.example_number(region)
    assert number is not None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


phones = st.one_of(
    st.sampled_from([_phone(r) for r in ("US", "GB", "DE", "FR", "IN", "JP", "BR", "AU")]),
    st.from_regex(r"1[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True),
)
parties = st.one_of(phones, st.from_regex(r"[0-9]{2,6}", fullmatch=True))
names = (
    # any quote but ”: a name holding both " and ” cannot be quoted (nor typed)
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzJS0123456789 .'-&\"“„<>@!#:", max_size=20)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
durations = st.integers(min_value=0, max_value=2**31 - 1)


def _opt(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), strategy)


@st.composite
def requests(draw: st.DrawFn) -> SearchRequest:
    times = sorted(draw(st.lists(moments, min_size=2, max_size=2)))
    lengths = sorted(draw(st.lists(durations, min_size=2, max_size=2)))
    start_gte, start_lte = (draw(_opt(st.just(t))) for t in times)
    duration_gte, duration_lte = (draw(_opt(st.just(n))) for n in lengths)
    company = draw(st.booleans())
    return SearchRequest(
        filter=RecordingFilter(
            call_direction=draw(_opt(st.sampled_from(Direction))),
            call_id=draw(_opt(st.from_regex(r"[A-Za-z0-9._:\-]{1,40}", fullmatch=True))),
            caller_id=draw(_opt(parties)),
            cnam=draw(_opt(names)),
            dnis=draw(_opt(parties)),
            duration_gte=duration_gte,
            duration_lte=duration_lte,
            extension=draw(_opt(st.from_regex(r"[0-9]{1,8}", fullmatch=True))),
            start_gte=start_gte,
            start_lte=start_lte,
            order=draw(st.sampled_from([None, ORDER_NEWEST, ORDER_OLDEST])),
            page_size=draw(_opt(st.integers(min_value=1, max_value=25))),
        ),
        numbers=tuple(draw(st.lists(phones, max_size=3, unique=True))),
        kind=draw(_opt(st.sampled_from(RecordingKind))),
        company=company,
        user=None if company else draw(_opt(st.from_regex(r"[UW][A-Z0-9]{2,12}", fullmatch=True))),
    )


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """Canonical text with one piece dropped, replaced or added: near-misses of valid input."""
    pieces = format_filter(draw(requests()), tz=ZoneInfo("America/New_York")).split()
    at = draw(st.integers(min_value=0, max_value=len(pieces)))
    noise = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)))
    change = draw(st.sampled_from(["drop", "replace", "insert"]))
    if change == "insert" or at == len(pieces):
        pieces.insert(at, noise)
    else:
        pieces[at : at + 1] = [] if change == "drop" else [noise]
    return " ".join(pieces)


soups = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=8).flatmap(
    lambda parts: st.lists(
        st.sampled_from(["", " ", "  ", "\n", "\t"]), min_size=len(parts), max_size=len(parts)
    ).map(lambda seps: "".join(p + s for p, s in zip(parts, seps, strict=True)))
)
texts = st.one_of(st.text(max_size=60), soups, mutated())


@settings(max_examples=300, deadline=None)
@given(text=texts, zone=st.sampled_from(ZONES))
def test_any_text_parses_or_names_its_bad_token(text: str, zone: str) -> None:
    exc = _error_of(text, ZoneInfo(zone))
    if exc is not None:
        assert 1 <= len(exc.problems) <= 5
        for problem in exc.problems:
            assert problem.token.strip()
            assert _normal(problem.token) in _normal(_unescape(text))
            assert problem.suggestion
            assert echo(problem.token).replace("`", "'") in _unescape(str(exc))  # clipped


def _error_of(text: str, tz: ZoneInfo) -> FilterError | None:
    """Only FilterError may escape ``parse_filter``; any other exception fails the test."""
    try:
        parse_filter(text, now=NOW, tz=tz)
    except FilterError as exc:
        return exc
    return None


@settings(max_examples=300, deadline=None)
@given(request=requests(), zone=st.sampled_from(ZONES))
def test_format_then_parse_round_trips(request: SearchRequest, zone: str) -> None:
    tz = ZoneInfo(zone)
    text = format_filter(request, tz=tz)
    assert parse_filter(text, now=AFTER_ALL, tz=tz) == request, text

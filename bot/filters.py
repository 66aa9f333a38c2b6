"""The `/recordings` filter grammar: slash-command text <-> SearchRequest, pure and I/O-free.

The tokeniser, the reader, the canonical printer and the help text live together (past the
usual 300 lines) because they are one grammar: splitting them lets them drift apart.

Decisions worth knowing:
- A bare 2-6 digit number is an error suggesting ``ext:NNN``: it could be an extension or a
  mistyped phone number. ``from:123`` / ``to:123`` keep short numbers verbatim, because
  internal calls carry the extension as caller id / dialed number.
- ``>2m`` and ``>=2m`` both mean ``duration:gte`` (VBC has no strict comparison).
- ``until:`` a date means the end of that day (23:59:59 local); with a time, that time.
- Time words set both ends: ``today``/``yesterday`` whole local days, ``this week`` and
  ``last 7d`` end now (so paging over a result stays stable).
- Slack escapes ``& < >`` in command text, so ``&gt;2m`` is read as ``>2m``.
- Local times that do not exist (the DST gap) are read with the offset before the change;
  repeated ones (the DST overlap) as their first occurrence. ``since:2024-11-03T01:30:00Z``
  (or ``-05:00``) pins an exact instant; ``format_filter`` uses that form only when needed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from bot.vbc.filter import ORDER_NEWEST, ORDER_OLDEST, Direction, RecordingFilter
from bot.vbc.models import RecordingKind

_UNKNOWN = "unknown word"


class FilterError(ValueError):
    """A token the grammar cannot read; ``str()`` is a mrkdwn sentence ready for Slack."""

    def __init__(self, token: str, message: str, suggestion: str) -> None:
        super().__init__(token, message, suggestion)
        self.token = token
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:
        token, suggestion = _code(self.token), _code(self.suggestion)
        if self.message == _UNKNOWN:
            return f"I can't read {token} - did you mean {suggestion}?"
        return f"I can't read {token}: {_escape(self.message)}. Try {suggestion}."


@dataclass(frozen=True)
class SearchRequest:
    """What a person asked for; ``policy`` turns it into the VBC queries they may run."""

    filter: RecordingFilter = field(default_factory=RecordingFilter)
    numbers: tuple[str, ...] = ()  # either side of the call: caller OR dialed
    kind: RecordingKind | None = None
    company: bool = False
    user: str | None = None  # Slack user id from ``user:<@U123|name>``

    def is_empty(self) -> bool:
        return self == SearchRequest()


_DIRECTIONS = {
    "inbound": Direction.INBOUND,
    "outbound": Direction.OUTBOUND,
    "internal": Direction.INTRA_PBX,
}
_ORDERS = {"newest": ORDER_NEWEST, "oldest": ORDER_OLDEST}
_KINDS = {
    "company": RecordingKind.COMPANY,
    "on-demand": RecordingKind.ON_DEMAND,
    "ondemand": RecordingKind.ON_DEMAND,
    "on_demand": RecordingKind.ON_DEMAND,
}
_KEYS = (
    "from",
    "to",
    "name",
    "ext",
    "call",
    "since",
    "until",
    "type",
    "page-size",
    "scope",
    "user",
)
_KEY_ALIASES = {"page_size": "page-size", "pagesize": "page-size"}
_WORDS = (*_DIRECTIONS, *_ORDERS, "today", "yesterday", "this week", "last week", "last 7d")
_EXAMPLES = {
    "from": "from:+1 732 555 0100",
    "to": "to:+1 732 555 0100",
    "name": 'name:"john smith"',
    "ext": "ext:999",
    "call": "call:c91150a6-8cc4-4e73-9fef-17fd925c6448",
    "type": "type:on-demand",
    "page-size": "page-size:25",
    "scope": "scope:company",
    "user": "user:@person",
}
# Each opening quote and what closes it; Slack clients turn "..." into “...” as people type.
_QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“”"}
_OPEN_QUOTES = "".join(_QUOTES)
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
_CLOCK = re.compile(r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:am|pm)?", re.I)
_MOMENT = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:[T ](?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?\s*(?P<ap>am|pm)?"
    r"(?P<off>Z|[+-][0-9]{2}:?[0-9]{2})?)?",
    re.I,
)
_NUMBERISH = re.compile(r"(?=[^0-9]*[0-9])[+(]{0,2}[0-9().\-\u2010-\u2015]+")
_PHONE_CHARS = re.compile(r"[0-9+()./\s\-\u2010-\u2015]{1,40}")
_SHORT_NUMBER = re.compile(r"[0-9]{2,6}")
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>")
_SLACK_ENTITY = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_WINDOW = re.compile(r"([0-9]{1,5})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)", re.I)
_WINDOW_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(?:[0-9]{1,10}(?:\.[0-9]{1,3})?(?:ms|mins?|m|secs?|s|hrs?|h))+", re.I)
_DURATION_PART = re.compile(r"([0-9]{1,10}(?:\.[0-9]{1,3})?)(ms|mins?|m|secs?|s|hrs?|h)", re.I)
# One Slack message holds about 25 rows within its block and text limits (bot/blocks.py).
MAX_PAGE_SIZE = 25
_DURATION_UNITS = {"ms": 1, "m": 60_000, "s": 1000, "h": 3_600_000}
_COMPARISON = re.compile(r"(>=|=>|<=|=<|[<>≥≤])(.*)", re.S)
_RANGE = re.compile(r"(.*?)(?:\.\.|…)(.*)", re.S)
_MAX_DURATION_MS = 2**31 - 1  # VBC's "integer"; beyond ~24 days no call exists anyway
_MAX_WINDOW = timedelta(days=3660)
_MAX_NUMBER_PIECES = 6


class _Reader:
    """One left-to-right pass over the pieces, filling a request and refusing clashes."""

    def __init__(self, pieces: list[str], now: datetime, tz: ZoneInfo, region: str) -> None:
        self.pieces, self.now, self.tz, self.region = pieces, now, tz, region
        self.filter = RecordingFilter()
        self.request = SearchRequest()
        self.origin: dict[str, str] = {}
        self.numbers: list[str] = []
        self.open_name: str | None = None  # an unquoted ``name:`` that a second word may follow

    def read(self) -> SearchRequest:
        i = 0
        while i < len(self.pieces):
            after_name, self.open_name = self.open_name, None
            i = self.step(i, after_name)
        return replace(self.request, filter=self.filter, numbers=tuple(self.numbers))

    def step(self, i: int, after_name: str | None) -> int:
        piece = self.pieces[i]
        low = piece.lower()
        if low in _DIRECTIONS:
            self.set(piece, "call_direction", _DIRECTIONS[low])
        elif low in _ORDERS:
            self.set(piece, "order", _ORDERS[low])
        elif low in ("today", "yesterday"):
            day = self.now.astimezone(self.tz).date() - timedelta(days=low == "yesterday")
            self.set_times(piece, self.local(day, time(0)), self.local(day, time(23, 59, 59)))
        elif low in ("this", "last"):
            return self.window(i)
        elif piece.startswith("<") and piece.endswith(">"):
            if not piece.startswith("<@"):
                raise FilterError(piece, "channels and links are not filters", "help")
            self.set(piece, "user", self.mention(piece))
        elif piece.startswith("@"):
            raise self.mention_error(piece)
        elif ":" in piece and not _CLOCK.fullmatch(piece):
            return self.keyed(i)
        elif _COMPARISON.match(piece) or _RANGE.fullmatch(piece) or _DURATION.fullmatch(piece):
            return self.duration(i)
        elif _DATE.fullmatch(piece):
            raise FilterError(piece, "a date needs `since:` or `until:`", f"since:{piece}")
        elif _NUMBERISH.fullmatch(piece):
            digits, nxt = self.number(i, [], "")
            if digits not in self.numbers:
                self.numbers.append(digits)
            return nxt
        else:
            raise self.unknown(i, after_name)
        return i + 1

    # -- state -----------------------------------------------------------------------------

    def set(self, token: str, target: str, value: object) -> None:
        if target in self.origin:
            earlier = self.origin[target]
            raise FilterError(token, f"it clashes with `{earlier}`", earlier)
        self.origin[target] = token
        changes: dict[str, Any] = {target: value}
        if target in ("kind", "company", "user"):
            if {"company", "user"} <= self.origin.keys():
                raise FilterError(token, "use `scope:company` or `user:` but not both", token)
            self.request = replace(self.request, **changes)
        else:
            self.filter = replace(self.filter, **changes)

    def set_times(self, token: str, gte: datetime | None, lte: datetime | None) -> None:
        for target, value in (("start_gte", gte), ("start_lte", lte)):
            if value is not None:
                self.set(token, target, value)
        low, high = self.filter.start_gte, self.filter.start_lte
        if low is not None and high is not None and low > high:
            since = self.origin["start_gte"].partition(":")[2].strip()
            until = self.origin["start_lte"].partition(":")[2].strip()
            raise FilterError(token, "the start is after the end", f"since:{until} until:{since}")

    def set_durations(self, token: str, gte: int | None, lte: int | None) -> None:
        for target, value in (("duration_gte", gte), ("duration_lte", lte)):
            if value is not None:
                self.set(token, target, value)
        low, high = self.filter.duration_gte, self.filter.duration_lte
        if low is not None and high is not None and low > high:
            raise FilterError(token, "the minimum is above the maximum", _format_range(high, low))

    def local(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, self.tz).astimezone(UTC)

    # -- forms -----------------------------------------------------------------------------

    def window(self, i: int) -> int:
        """``this week``, ``last week`` and rolling ``last 7d`` / ``last 24 hours`` windows."""
        word = self.pieces[i]
        rest = self.pieces[i + 1 : i + 3]
        today = self.now.astimezone(self.tz).date()
        monday = self.local(today - timedelta(days=today.weekday()), time(0))
        if rest and rest[0].lower() == "week":
            token = f"{word} {rest[0]}"
            if word.lower() == "this":
                self.set_times(token, monday, self.now)
            else:
                start = self.local(today - timedelta(days=today.weekday() + 7), time(0))
                self.set_times(token, start, monday - timedelta(seconds=1))
            return i + 2
        if word.lower() == "last":
            for used in (1, 2):
                match = _WINDOW.fullmatch("".join(rest[:used])) if len(rest) >= used else None
                if match:
                    token = " ".join([word, *rest[:used]])
                    span = int(match[1]) * _WINDOW_UNITS[match[2][0].lower()]
                    if not 0 < span <= _MAX_WINDOW.total_seconds():
                        raise FilterError(token, "pick a window of up to 10 years", "last 7d")
                    self.set_times(token, self.now - timedelta(seconds=span), self.now)
                    return i + 1 + used
        token = " ".join([word, *rest[:1]])
        raise FilterError(token, _UNKNOWN, "this week" if word.lower() == "this" else "last 7d")

    def keyed(self, i: int) -> int:
        """``key:value``; a key typed with a space before its value takes the next piece."""
        piece = self.pieces[i]
        raw_key, _, value = piece.partition(":")
        key = _KEY_ALIASES.get(raw_key.lower(), raw_key.lower())
        if key not in _KEYS:
            raise self.unknown(i, None)
        if key in ("from", "to"):
            return self.party(i, key, value)
        nxt = i + 1
        token = piece
        if not value and nxt < len(self.pieces):
            value, token, nxt = self.pieces[nxt], f"{piece} {self.pieces[nxt]}", nxt + 1
        if not value:
            raise FilterError(piece, "it needs a value", self.example(key))
        if key in ("since", "until"):
            if (
                _DATE.fullmatch(value)
                and nxt < len(self.pieces)
                and _CLOCK.fullmatch(self.pieces[nxt])
            ):
                value, token, nxt = (
                    f"{value} {self.pieces[nxt]}",
                    f"{token} {self.pieces[nxt]}",
                    nxt + 1,
                )
            self.moment(token, key, _unquote(token, value))
        else:
            self.value(token, key, value)
        return nxt

    def value(self, token: str, key: str, value: str) -> None:
        low = value.lower()
        if key == "name":
            name = _unquote(token, value)
            if not name:
                raise FilterError(token, "the name is empty", _EXAMPLES["name"])
            self.set(token, "cnam", name)
            self.open_name = None if value[0] in _OPEN_QUOTES else token
        elif key == "ext":
            if not re.fullmatch(r"[0-9]{1,8}", value):
                raise FilterError(token, "an extension is digits only", _EXAMPLES["ext"])
            self.set(token, "extension", value)
        elif key == "call":
            if not re.fullmatch(r"[A-Za-z0-9._:\-]{1,128}", value):
                raise FilterError(token, "that is not a call id", _EXAMPLES["call"])
            self.set(token, "call_id", value)
        elif key == "type":
            if low not in _KINDS:
                raise FilterError(
                    token, "the type is company or on-demand", _closest(low, _KINDS, "type")
                )
            self.set(token, "kind", _KINDS[low])
        elif key == "scope":
            if low != "company":
                raise FilterError(token, "the only scope is company", _EXAMPLES["scope"])
            self.set(token, "company", True)
        elif key == "page-size":
            size = int(value) if re.fullmatch(r"[0-9]{1,6}", value) else 0
            if not 1 <= size <= MAX_PAGE_SIZE:
                fix = (
                    f"page-size:{min(max(size, 1), MAX_PAGE_SIZE)}"
                    if size
                    else _EXAMPLES["page-size"]
                )
                raise FilterError(token, f"the page size is 1 to {MAX_PAGE_SIZE}", fix)
            self.set(token, "page_size", size)
        else:  # user
            if value.startswith("@"):
                raise self.mention_error(token)
            self.set(token, "user", self.mention(token, value))

    def moment(self, token: str, key: str, value: str) -> None:
        try:
            moment = _read_time(key, value, self.tz)
        except (ValueError, OverflowError):
            moment = None
        if moment is None:
            today = self.now.astimezone(self.tz).date().isoformat()
            raise FilterError(token, "write the date as YYYY-MM-DD [HH:MM]", f"{key}:{today}")
        if key == "since":
            self.set_times(token, moment, None)
        else:
            self.set_times(token, None, moment)

    def duration(self, i: int) -> int:
        """``>2m``, ``<=30s``, ``1m..5m``, ``30s..``; an operator alone takes the next piece."""
        token, nxt = self.pieces[i], i + 1
        if token in ("<", ">", ">=", "<=", "≥", "≤") and nxt < len(self.pieces):
            token, nxt = f"{token} {self.pieces[nxt]}", nxt + 1
        compact = token.replace(" ", "")
        if comparison := _COMPARISON.fullmatch(compact):
            operator, text = comparison.groups()
            ms = _duration_ms(text)
            if ms is None:
                raise FilterError(
                    token, "a duration needs a unit: s, m or h", f"{operator}{_fix_unit(text)}"
                )
            if operator in ("<", "<=", "=<", "≤"):
                self.set_durations(token, None, ms)
            else:
                self.set_durations(token, ms, None)
        elif (span := _RANGE.fullmatch(compact)) and any(span.groups()):
            low, high = (_duration_ms(part) if part else None for part in span.groups())
            if (span[1] and low is None) or (span[2] and high is None):
                fix = f"{_fix_unit(span[1])}..{_fix_unit(span[2])}".strip(".") or "1m..5m"
                raise FilterError(token, "a duration needs a unit: s, m or h", fix)
            self.set_durations(token, low, high)
        elif _DURATION.fullmatch(compact):
            raise FilterError(token, "say longer (>) or shorter (<) than", f">{compact}")
        else:
            raise FilterError(token, "write a duration like >2m, <30s or 1m..5m", ">2m")
        return nxt

    def party(self, i: int, key: str, value: str) -> int:
        """``from:`` / ``to:`` with a phone number that may span several pieces."""
        target, piece, nxt = "caller_id" if key == "from" else "dnis", self.pieces[i], i + 1
        if not value and nxt < len(self.pieces) and self.pieces[nxt][0] in _OPEN_QUOTES:
            value, piece, nxt = self.pieces[nxt], f"{piece} {self.pieces[nxt]}", nxt + 1
        if value and value[0] in _OPEN_QUOTES:
            inner = _unquote(piece, value)
            short = _SHORT_NUMBER.fullmatch(inner)
            self.set(piece, target, inner if short else normalize_number(inner, region=self.region))
            return nxt
        if value and not _NUMBERISH.fullmatch(value):
            raise FilterError(piece, f"`{key}:` takes a phone number", f'name:"{value}"')
        head = [value] if value else []
        if not head and not (nxt < len(self.pieces) and _NUMBERISH.fullmatch(self.pieces[nxt])):
            raise FilterError(piece, "it needs a phone number", self.example(key))
        digits, nxt = self.number(nxt, head, piece)
        self.set(" ".join(self.pieces[i:nxt]), target, digits)
        return nxt

    def number(self, start: int, head: list[str], prefix: str) -> tuple[str, int]:
        """The longest run of number-looking pieces that reads as one phone number.

        ``head`` is a number already begun inside the key's piece (``from:+1``); the result's
        index is that of the first piece not used.
        """
        end = start
        while (
            end < len(self.pieces)
            and len(head) + end - start < _MAX_NUMBER_PIECES
            and _NUMBERISH.fullmatch(self.pieces[end])
        ):
            end += 1
        run = head + self.pieces[start:end]
        for used in range(len(run), 0, -1):
            digits = _phone_digits(" ".join(run[:used]), self.region)
            if digits:
                return digits, start + used - len(head)
        if prefix and _SHORT_NUMBER.fullmatch(run[0]):
            return run[0], start + 1 - len(head)  # an extension as caller id / dialed number
        shown = run[:1]  # name the bad number, not every number-like piece after it
        while len(shown) < len(run) and sum(c.isdigit() for c in "".join(shown)) < 7:
            shown.append(run[len(shown)])
        if not prefix and len(shown) == 1 and _SHORT_NUMBER.fullmatch(shown[0]):
            raise FilterError(
                shown[0],
                "a short number is ambiguous: use `ext:` for an extension",
                f"ext:{shown[0]}",
            )
        token = " ".join([prefix, *shown[len(head) :]]) if prefix else " ".join(shown)
        example = phonenumbers.format_number(
            phonenumbers.example_number(self.region) or phonenumbers.parse("+12015550123"),
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        )
        key = prefix.partition(":")[0].lower()
        raise FilterError(
            token,
            "that is not a phone number I can read (include the area code)",
            f"{key}:{example}" if prefix else example,
        )

    # -- errors ----------------------------------------------------------------------------

    def mention(self, token: str, value: str | None = None) -> str:
        user = mention_user_id(value if value is not None else token)
        if user is None:
            raise FilterError(token, "pick the person from the autocomplete", _EXAMPLES["user"])
        return user

    def mention_error(self, token: str) -> FilterError:
        name = token.partition("@")[2] or "person"
        return FilterError(
            token,
            "pick the person from the autocomplete list so Slack sends who they are",
            f"user:@{name}",
        )

    def unknown(self, i: int, after_name: str | None) -> FilterError:
        piece = self.pieces[i]
        low = piece.lower()
        if after_name is not None:
            name = after_name.partition(":")[2]
            return FilterError(piece, "quote a name with spaces", f'name:"{name} {piece}"')
        if ":" in low:
            raw_key, _, value = piece.partition(":")
            key = _closest(raw_key.lower(), _KEYS, "")
            if key:
                return FilterError(piece, _UNKNOWN, f"{key}:{value}")
            word = _closest(value.lower(), _WORDS, "")
            return FilterError(piece, _UNKNOWN, word or "help")
        if low in _KEYS and i + 1 < len(self.pieces):
            return FilterError(piece, _UNKNOWN, f"{low}:{self.pieces[i + 1]}")
        if word := _closest(low, (*_WORDS, *(f"{k}:" for k in _KEYS)), ""):
            return FilterError(piece, _UNKNOWN, word)
        if re.fullmatch(r"[^\W\d_][\w.'&-]*", piece):
            return FilterError(
                piece, "there is no free-text search; a caller name needs `name:`", f"name:{piece}"
            )
        return FilterError(piece, "that is not a filter; see `/recordings help`", "help")

    def example(self, key: str) -> str:
        if key in ("since", "until"):
            return f"{key}:{self.now.astimezone(self.tz).date().isoformat()}"
        return _EXAMPLES[key]


# -- public API ----------------------------------------------------------------------------


def parse_filter(text: str, *, now: datetime, tz: ZoneInfo, region: str = "US") -> SearchRequest:
    """Read slash-command filters; empty text gives an empty request (the caller opens a modal)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC).replace(microsecond=0)  # VBC resolves seconds
    return _Reader(_split(_unescape(text)), now, tz, region).read()


def format_filter(request: SearchRequest, *, tz: ZoneInfo) -> str:
    """Canonical text that ``parse_filter`` reads back into ``request``."""
    f = request.filter
    parts: list[str] = []
    if f.call_direction is not None:
        parts.append(next(w for w, d in _DIRECTIONS.items() if d == f.call_direction))
    parts += [f"+{number}" for number in request.numbers]
    for key, value in (("from", f.caller_id), ("to", f.dnis)):
        if value is not None:
            parts.append(f"{key}:{value if _SHORT_NUMBER.fullmatch(value) else '+' + value}")
    if f.cnam is not None:
        parts.append(f"name:{_quote(f.cnam)}")
    parts += [
        f"{key}:{value}" for key, value in (("ext", f.extension), ("call", f.call_id)) if value
    ]
    if request.kind is not None:
        parts.append(f"type:{request.kind.value}")
    if request.company:
        parts.append("scope:company")
    if request.user:
        parts.append(f"user:<@{request.user}>")
    if f.start_gte is not None:
        parts.append(_format_time("since", f.start_gte, tz))
    if f.start_lte is not None:
        parts.append(_format_time("until", f.start_lte, tz))
    if f.duration_gte is not None or f.duration_lte is not None:
        parts.append(_format_range(f.duration_gte, f.duration_lte))
    parts += [word for word, order in _ORDERS.items() if order == f.order]
    if f.page_size is not None:
        parts.append(f"page-size:{f.page_size}")
    return " ".join(parts)


def describe_filter(request: SearchRequest, *, tz: ZoneInfo) -> str:
    """A short mrkdwn summary for result headers, e.g. ``inbound · from +1 732-555-0100``."""
    f = request.filter
    parts: list[str] = []
    if f.call_direction is not None:
        parts.append(next(w for w, d in _DIRECTIONS.items() if d == f.call_direction))
    parts += [f"with {_display_number(n)}" for n in request.numbers]
    parts += [f"from {_display_number(f.caller_id)}"] if f.caller_id else []
    parts += [f"to {_display_number(f.dnis)}"] if f.dnis else []
    parts += [f"name “{_escape(f.cnam)}”"] if f.cnam else []
    parts += [f"ext {_escape(f.extension)}"] if f.extension else []
    parts += [f"call {_escape(f.call_id)}"] if f.call_id else []
    parts += [f"{request.kind.value} recordings"] if request.kind else []
    parts += ["company-wide"] if request.company else []
    parts += [f"<@{request.user}>'s recordings"] if request.user else []
    if when := _describe_times(f.start_gte, f.start_lte, tz):
        parts.append(when)
    low, high = f.duration_gte, f.duration_lte
    if low is not None and high is not None:
        parts.append(f"{_format_duration(low)} to {_format_duration(high)} long")
    elif low is not None:
        parts.append(f"≥ {_format_duration(low)}")
    elif high is not None:
        parts.append(f"≤ {_format_duration(high)}")
    parts += [f"{w} first" for w, order in _ORDERS.items() if order == f.order]
    parts += [f"{f.page_size} per page"] if f.page_size else []
    return " · ".join(parts) or "all recordings"


def normalize_number(raw: str, *, region: str = "US") -> str:
    """A phone number as people type it -> E.164 digits without ``+`` (what VBC stores)."""
    digits = _phone_digits(raw.strip(), region)
    if digits is None:
        raise FilterError(
            raw.strip() or "(empty)",
            "that is not a phone number I can read (include the area code)",
            "+1 732 555 0100",
        )
    return digits


def extract_numbers(text: str, *, region: str = "US") -> tuple[str, ...]:
    """Phone numbers in a Slack message's text, as E.164 digits, first mention first."""
    found: list[str] = []
    for match in phonenumbers.PhoneNumberMatcher(_plain_text(text), region):
        digits = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)[1:]
        if match.number.extension is None and digits not in found:
            found.append(digits)
    return tuple(found)


def mention_user_id(text: str) -> str | None:
    """``<@U123|name>`` or ``<@U123>`` (Slack's escaped mention) -> ``U123``."""
    match = _MENTION.fullmatch(text.strip())
    return match[1] if match else None


GRAMMAR_HELP = """\
*Search:* `/recordings [filters]` in any order; no filters opens the search form.
• *Direction:* `inbound`, `outbound`, `internal`
• *Numbers:* `from:+1 (732) 555-0100` (caller), `to:732-555-0100` (dialed), \
or a bare number for either side; short internal numbers: `ext:999`
• *Caller name:* `name:"john smith"` · *call id:* `call:c91150a6-8cc4-4e73-9fef-17fd925c6448`
• *When* (your Slack time zone): `today`, `yesterday`, `this week`, `last week`, `last 24h`, \
`last 7d`, `last 2w`, `since:2024-05-01`, `since:2024-05-01 09:30`, `until:2024-05-31 17:00`
• *Duration:* `&gt;2m`, `&lt;30s`, `1m..5m`, `30s..`, `&gt;=1h30m`
• *Kind:* `type:company`, `type:on-demand` · *order:* `newest` (default), `oldest` · \
*page size:* `page-size:25` (1-25)
• *Admins:* `scope:company`, `user:@person` (pick the person from the autocomplete)
*Examples:* `/recordings inbound yesterday from:+1 732 555 0100` · \
`/recordings export last 7d &gt;2m type:on-demand`"""


# -- helpers -------------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    """Whitespace-separated pieces; quotes and Slack mentions may contain spaces."""
    pieces: list[str] = []
    buf: list[str] = []
    closer = ""
    last_gt = text.rfind(">")  # an unclosed "<@" must not swallow the rest of the text
    for i, ch in enumerate(text):
        if closer:
            buf.append(ch)
            if ch in closer:
                closer = ""
        elif ch.isspace():
            if buf:
                pieces.append("".join(buf))
                buf = []
        else:
            if ch in _OPEN_QUOTES:
                closer = _QUOTES[ch]
            elif ch == "<" and text[i + 1 : i + 2] in ("@", "#", "!") and i < last_gt:
                closer = ">"
            buf.append(ch)
    if buf:
        pieces.append("".join(buf))
    return pieces


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return f"`{_escape(text).replace('`', chr(39))}`"


def _unquote(token: str, value: str) -> str:
    if not value or value[0] not in _OPEN_QUOTES:
        return value
    if len(value) < 2 or value[-1] not in _QUOTES[value[0]]:
        inner = value[1:].strip().strip(_OPEN_QUOTES)
        raise FilterError(
            token, "the closing quote is missing", f'{token.partition(":")[0]}:"{inner}"'
        )
    return " ".join(value[1:-1].split())


def _quote(name: str) -> str:
    """Quote a name only when it needs it, with quotes it does not contain."""
    if not re.search(r"[\s<" + _OPEN_QUOTES + "]", name):
        return name
    return f"“{name}”" if '"' in name else f'"{name}"'


def _closest(word: str, choices: Collection[str], prefix: str) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not match:
        return f"{prefix}:{next(iter(choices))}" if prefix else ""
    return f"{prefix}:{match[0]}" if prefix else match[0]


def _read_time(key: str, text: str, tz: ZoneInfo) -> datetime | None:
    """``2024-05-01``, ``2024-05-01 09:30[:15][pm]``, ``2024-05-01T09:30:00Z`` -> UTC."""
    m = _MOMENT.fullmatch(text)
    if m is None:
        return None
    day = date(int(m["y"]), int(m["mo"]), int(m["d"]))
    if not 1970 <= day.year <= 2999:
        raise ValueError("year out of range")
    if m["h"] is None:
        clock = time(0) if key == "since" else time(23, 59, 59)  # until a day = its end
    else:
        hour = int(m["h"])
        if m["ap"]:
            if not 1 <= hour <= 12:
                raise ValueError("12-hour clock")
            hour = hour % 12 + (12 if m["ap"].lower() == "pm" else 0)
        clock = time(hour, int(m["mi"]), int(m["s"] or 0))
    zone: ZoneInfo | timezone = tz
    if m["off"] and m["off"].upper() != "Z":
        sign = -1 if m["off"][0] == "-" else 1
        hh, mm = int(m["off"][1:3]), int(m["off"][-2:])
        zone = timezone(sign * timedelta(hours=hh, minutes=mm))
    elif m["off"]:
        zone = UTC
    return datetime.combine(day, clock, zone).astimezone(UTC)


def _format_time(key: str, moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    text = local.date().isoformat()
    if clock != (time(0) if key == "since" else time(23, 59, 59)):
        text += f" {clock:%H:%M:%S}" if clock.second else f" {clock:%H:%M}"
    if _read_time(key, text, tz) != moment:  # a DST gap or overlap: pin the instant
        text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{key}:{text}"


def _describe_times(low: datetime | None, high: datetime | None, tz: ZoneInfo) -> str:
    def show(moment: datetime | None, whole: time) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(tz)
        clock = local.time().replace(tzinfo=None)
        return local.strftime("%a %Y-%m-%d") + ("" if clock == whole else local.strftime(" %H:%M"))

    first, last = show(low, time(0)), show(high, time(23, 59, 59))
    if first and last:
        return f"on {first}" if first == last else f"{first} to {last}"
    return f"since {first}" if first else f"until {last}" if last else ""


def _duration_ms(text: str) -> int | None:
    if not _DURATION.fullmatch(text):
        return None
    total = Decimal(0)
    for amount, unit in _DURATION_PART.findall(text):
        total += (
            Decimal(amount) * _DURATION_UNITS["ms" if unit.lower() == "ms" else unit[0].lower()]
        )
    ms = int(total.to_integral_value())
    return ms if ms <= _MAX_DURATION_MS else None


def _fix_unit(text: str) -> str:
    digits = re.match(r"[0-9]{1,7}", text)
    return f"{digits[0]}s" if digits else ("2m" if text else "")


def _format_duration(ms: int) -> str:
    if ms % 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms // 1000, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n)
    return text or "0s"


def _format_range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{_format_duration(low)}..{_format_duration(high)}"
    if low is not None:
        return f">={_format_duration(low)}"
    return f"<={_format_duration(high or 0)}"


def _phone_digits(raw: str, region: str) -> str | None:
    if not _PHONE_CHARS.fullmatch(raw):
        return None
    candidates = [raw, f"+{raw}"] if raw.isascii() and raw.isdigit() else [raw]
    for candidate in candidates:  # the second: E.164 pasted without its "+", as VBC shows it
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason == phonenumbers.ValidationResult.IS_POSSIBLE and number.extension is None:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    return None


def _display_number(digits: str) -> str:
    if _SHORT_NUMBER.fullmatch(digits):
        return digits
    try:
        number = phonenumbers.parse(f"+{digits}")
    except phonenumbers.NumberParseException:
        return digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _plain_text(text: str) -> str:
    """Slack message markup -> text: ``tel:`` links keep their number, other links go."""

    def keep(match: re.Match[str]) -> str:
        target, label = match[1], match[2]
        if target.lower().startswith("tel:"):
            return f" {label or target[4:]} "
        return " "

    return _unescape(_SLACK_ENTITY.sub(keep, text))

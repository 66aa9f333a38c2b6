"""parse_filter: one left-to-right pass over the pieces, collecting every clash and bad value."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.grammar.durations import (
    COMPARISON,
    DURATION,
    RANGE,
    UNIT_WORD,
    format_range,
    read_duration,
)
from bot.grammar.phones import NUMBERISH, SHORT_NUMBER, normalize_number, read_number
from bot.grammar.request import ClashError, FilterError, SearchRequest, read_every
from bot.grammar.suggestions import closest, example, mention_error, unknown
from bot.grammar.times import CLOCK, DATE, TIME_WORDS, read_bound, read_time_word
from bot.grammar.tokens import OPEN_QUOTES, QUOTES, mention_user_id, split, unescape
from bot.grammar.vocabulary import (
    DIRECTIONS,
    EXAMPLES,
    KEY_ALIASES,
    KEYS,
    KINDS,
    MAX_PAGE_SIZE,
    ORDERS,
)
from bot.vbc.filter import RecordingFilter


def parse_filter(text: str, *, now: datetime, tz: ZoneInfo, region: str = "US") -> SearchRequest:
    """Read slash-command filters; empty text gives an empty request (the caller opens a modal)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC).replace(microsecond=0)  # VBC resolves seconds
    return _Reader(split(unescape(text)), now, tz, region).read()


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
        """Read every piece; a bad one is noted and skipped, so one reply names them all."""
        errors, read_all = read_every(self.pieces, self.next_step)
        if not errors and (future := self.future()):
            errors.append(future)
        if errors:
            raise FilterError.grouped(errors, read_all=read_all)
        return replace(self.request, filter=self.filter, numbers=tuple(self.numbers))

    def next_step(self, i: int) -> int:
        """One step; an open ``name:`` is offered to the piece right after it only."""
        after_name, self.open_name = self.open_name, None
        return self.step(i, after_name)

    def future(self) -> FilterError | None:
        """A window that starts after now holds nothing yet: say so rather than search."""
        start = self.filter.start_gte
        if start is None or start <= self.now:
            return None
        local = self.now.astimezone(self.tz)
        return FilterError(
            self.origin["start_gte"],
            f"that starts in the future (it is now {local:%a %Y-%m-%d %H:%M} your time), "
            "so nothing is recorded there yet",
            f"since:{local.date().isoformat()}",
        )

    def step(self, i: int, after_name: str | None) -> int:
        piece = self.pieces[i]
        low = piece.lower()
        if low in DIRECTIONS:
            self.set(piece, "call_direction", DIRECTIONS[low])
        elif low in ORDERS:
            self.set(piece, "order", ORDERS[low])
        elif low in TIME_WORDS:
            window = read_time_word(self.pieces, i, self.now, self.tz)
            if window is None:  # every word of TIME_WORDS begins one or raises
                raise unknown(self.pieces, i, after_name)
            self.set_times(window.token, window.start, window.end)
            return i + window.used
        elif piece.startswith("<") and piece.endswith(">"):
            if not piece.startswith("<@"):
                raise FilterError(piece, "channels and links are not filters", "help")
            self.set(piece, "user", self.mention(piece))
        elif piece.startswith("@"):
            raise mention_error(piece)
        elif ":" in piece and not CLOCK.fullmatch(piece):
            return self.keyed(i)
        elif COMPARISON.match(piece) or RANGE.fullmatch(piece) or DURATION.fullmatch(piece):
            return self.duration(i)
        elif DATE.fullmatch(piece):
            raise FilterError(piece, "a date needs `since:` or `until:`", f"since:{piece}")
        elif (
            piece.isdigit() and i + 1 < len(self.pieces) and UNIT_WORD.fullmatch(self.pieces[i + 1])
        ):
            token, amount = f"{piece} {self.pieces[i + 1]}", piece + self.pieces[i + 1]
            raise FilterError(token, "say longer (>) or shorter (<) than", f">{amount}")
        elif NUMBERISH.fullmatch(piece):
            digits, nxt = read_number(self.pieces, i, [], "", self.region)
            if digits not in self.numbers:
                self.numbers.append(digits)
            return nxt
        else:
            raise unknown(self.pieces, i, after_name)
        return i + 1

    # -- state -----------------------------------------------------------------------------

    def set(self, token: str, target: str, value: object) -> None:
        if target in self.origin:
            raise ClashError(token, self.origin[target], _CLASHES.get(target, _KEEP_ONE))
        if (
            target in ("company", "user")
            and (other := {"company": "user", "user": "company"}[target]) in self.origin
        ):
            raise ClashError(token, self.origin[other], _CLASHES["company"])
        self.origin[target] = token
        changes: dict[str, Any] = {target: value}
        if target in ("kind", "company", "user"):
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
            raise FilterError(token, "the minimum is above the maximum", format_range(high, low))

    # -- forms -----------------------------------------------------------------------------

    def keyed(self, i: int) -> int:
        """``key:value``; a key typed with a space before its value takes the next piece."""
        piece = self.pieces[i]
        raw_key, _, value = piece.partition(":")
        key = KEY_ALIASES.get(raw_key.lower(), raw_key.lower())
        if key not in KEYS:
            raise unknown(self.pieces, i, None)
        if key in ("from", "to"):
            return self.party(i, key, value)
        if key in ("since", "until"):
            bound = read_bound(key, self.pieces, i, self.now, self.tz)
            if key == "since":
                self.set_times(bound.token, bound.start, None)
            else:
                self.set_times(bound.token, None, bound.end)
            return i + bound.used
        nxt = i + 1
        token = piece
        if not value and nxt < len(self.pieces):
            value, token, nxt = self.pieces[nxt], f"{piece} {self.pieces[nxt]}", nxt + 1
        if not value:
            raise FilterError(piece, "it needs a value", example(key, self.now, self.tz))
        self.value(token, key, value)
        return nxt

    def value(self, token: str, key: str, value: str) -> None:
        low = value.lower()
        if key == "name":
            name = _unquote(token, value)
            if not name:
                raise FilterError(token, "the name is empty", EXAMPLES["name"])
            self.set(token, "cnam", name)
            self.open_name = None if value[0] in OPEN_QUOTES else token
        elif key == "ext":
            if not re.fullmatch(r"[0-9]{1,8}", value):
                raise FilterError(token, "an extension is digits only", EXAMPLES["ext"])
            self.set(token, "extension", value)
        elif key == "call":
            if not re.fullmatch(r"[A-Za-z0-9._:\-]{1,128}", value):
                raise FilterError(token, "that is not a call id", EXAMPLES["call"])
            self.set(token, "call_id", value)
        elif key == "type":
            if low not in KINDS:
                raise FilterError(
                    token, "the type is company or on-demand", closest(low, KINDS, "type")
                )
            self.set(token, "kind", KINDS[low])
        elif key == "scope":
            if low != "company":
                raise FilterError(token, "the only scope is company", EXAMPLES["scope"])
            self.set(token, "company", True)
        elif key == "page-size":
            size = int(value) if re.fullmatch(r"[0-9]{1,6}", value) else 0
            if not 1 <= size <= MAX_PAGE_SIZE:
                fix = (
                    f"page-size:{min(max(size, 1), MAX_PAGE_SIZE)}"
                    if size
                    else EXAMPLES["page-size"]
                )
                raise FilterError(token, f"the page size is 1 to {MAX_PAGE_SIZE}", fix)
            self.set(token, "page_size", size)
        else:  # user
            if value.startswith("@"):
                raise mention_error(token)
            self.set(token, "user", self.mention(token, value))

    def duration(self, i: int) -> int:
        """``>2m``, ``<=30s``, ``1m..5m``, ``30s..``; an operator alone takes the next piece."""
        token, nxt = self.pieces[i], i + 1
        if token in ("<", ">", ">=", "<=", "≥", "≤") and nxt < len(self.pieces):
            token, nxt = f"{token} {self.pieces[nxt]}", nxt + 1
        if (
            token[-1:].isdigit()
            and nxt < len(self.pieces)
            and UNIT_WORD.fullmatch(self.pieces[nxt])
        ):
            token, nxt = f"{token} {self.pieces[nxt]}", nxt + 1  # ``>2 min``
        self.set_durations(token, *read_duration(token))
        return nxt

    def party(self, i: int, key: str, value: str) -> int:
        """``from:`` / ``to:`` with a phone number that may span several pieces."""
        target, piece, nxt = "caller_id" if key == "from" else "dnis", self.pieces[i], i + 1
        if not value and nxt < len(self.pieces) and self.pieces[nxt][0] in OPEN_QUOTES:
            value, piece, nxt = self.pieces[nxt], f"{piece} {self.pieces[nxt]}", nxt + 1
        if value and value[0] in OPEN_QUOTES:
            inner = _unquote(piece, value)
            short = SHORT_NUMBER.fullmatch(inner)
            self.set(piece, target, inner if short else normalize_number(inner, region=self.region))
            return nxt
        if value and not NUMBERISH.fullmatch(value):
            raise FilterError(piece, f"`{key}:` takes a phone number", f'name:"{value}"')
        head = [value] if value else []
        if not head and not (nxt < len(self.pieces) and NUMBERISH.fullmatch(self.pieces[nxt])):
            raise FilterError(piece, "it needs a phone number", example(key, self.now, self.tz))
        digits, nxt = read_number(self.pieces, nxt, head, piece, self.region)
        self.set(" ".join(self.pieces[i:nxt]), target, digits)
        return nxt

    def mention(self, token: str, value: str | None = None) -> str:
        user = mention_user_id(value if value is not None else token)
        if user is None:
            raise FilterError(token, "pick the person from the autocomplete", EXAMPLES["user"])
        return user


_KEEP_ONE = "keep one of them"
_CLASHES = {
    "call_direction": "pick one, or leave both out for all directions",
    "order": "pick one (`newest` is the default)",
    "kind": "pick one, or leave both out for both kinds",
    "start_gte": "keep one start for the time window",
    "start_lte": "keep one end for the time window",
    "duration_gte": "keep one minimum duration",
    "duration_lte": "keep one maximum duration",
    "caller_id": "a call has one caller: keep one, or write bare numbers to match either side",
    "dnis": "a call has one dialed number: keep one, or write bare numbers for either side",
    "company": "search the whole company or one person, not both",
}


def _unquote(token: str, value: str) -> str:
    if not value or value[0] not in OPEN_QUOTES:
        return value
    if len(value) < 2 or value[-1] not in QUOTES[value[0]]:
        inner = value[1:].strip().strip(OPEN_QUOTES)
        raise FilterError(
            token, "the closing quote is missing", f'{token.partition(":")[0]}:"{inner}"'
        )
    return " ".join(value[1:-1].split())

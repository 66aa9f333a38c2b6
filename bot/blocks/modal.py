"""The search modal: the filter grammar as form fields, and its submission -> SearchRequest.

The modal builds a SearchRequest directly (not via text) so nothing a person types in a field
can be read as another filter. Dates and times are read in the person's time zone, as the
timepickers say; every problem is reported against its field in one round trip. Form and
reader stay in one module, past 300 lines: they share every block id, choice and range, so a
field cannot be added to one and forgotten in the other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks import CALLBACK_SEARCH_MODAL
from bot.blocks.limits import MAX_PRIVATE_METADATA
from bot.grammar import MAX_PAGE_SIZE, FilterError, SearchRequest, normalize_number
from bot.grammar.limits import echo, too_long
from bot.grammar.times import FIRST_YEAR, LAST_YEAR
from bot.vbc.filter import ORDER_OLDEST, Direction, RecordingFilter
from bot.vbc.models import RecordingKind

BLOCK_DIRECTION = "search_direction"
BLOCK_KIND = "search_kind"
BLOCK_CALLER = "search_caller"
BLOCK_DIALED = "search_dialed"
BLOCK_EITHER = "search_either"
BLOCK_NAME = "search_name"
BLOCK_EXTENSION = "search_extension"
BLOCK_CALL_ID = "search_call_id"
BLOCK_SINCE_DATE = "search_since_date"
BLOCK_SINCE_TIME = "search_since_time"
BLOCK_UNTIL_DATE = "search_until_date"
BLOCK_UNTIL_TIME = "search_until_time"
BLOCK_MIN_DURATION = "search_min_duration"
BLOCK_MAX_DURATION = "search_max_duration"
BLOCK_ORDER = "search_order"
BLOCK_PAGE_SIZE = "search_page_size"
ACTION_FIELD = "value"  # every input block holds one element; its block_id names the field

MAX_NUMBERS = 6
_MAX_DURATION_S = (2**31 - 1) // 1000  # VBC's duration filter is a 32-bit count of ms
_DIRECTIONS = {
    "any": None,
    "inbound": Direction.INBOUND,
    "outbound": Direction.OUTBOUND,
    "internal": Direction.INTRA_PBX,
}
_KINDS = {"both": None, "company": RecordingKind.COMPANY, "on-demand": RecordingKind.ON_DEMAND}
_CALL_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_EXTENSION = re.compile(r"[0-9]{1,8}")
_NAME_MAX = 100  # the input's max_length: Slack enforces it, so more is not a person typing


class ModalErrors(Exception):
    """Field problems, keyed by block_id, ready for ``ack(response_action="errors")``."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(label), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], hint: str = "") -> dict[str, Any]:
    block = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": _plain(label),
        "element": {**element, "action_id": ACTION_FIELD},
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _select(choices: Mapping[str, str], initial: str) -> dict[str, Any]:
    options = [_option(value, label) for value, label in choices.items()]
    return {
        "type": "static_select",
        "options": options,
        "initial_option": next(o for o in options if o["value"] == initial),
    }


def _text(initial: str | None, placeholder: str, max_length: int = 100) -> dict[str, Any]:
    element = {"type": "plain_text_input", "max_length": max_length}
    element["placeholder"] = _plain(placeholder)
    if initial:
        element["initial_value"] = initial[:max_length]
    return element


def _number(initial: int | None, low: int, high: int) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": str(low),
        "max_value": str(high),
    }
    if initial is not None:
        element["initial_value"] = str(min(max(initial, low), high))
    return element


def _picker(kind: str, moment: datetime | None, tz: str, *, end: bool) -> dict[str, Any]:
    """A datepicker or timepicker showing ``moment`` in the person's zone (a whole day: no time)."""
    local = moment.astimezone(ZoneInfo(tz)) if moment is not None else None
    if kind == "date":
        element: dict[str, Any] = {"type": "datepicker"}
        if local is not None:
            element["initial_date"] = local.date().isoformat()
        return element
    element = {"type": "timepicker", "timezone": tz}
    if local is not None and local.time() != (time(23, 59, 59) if end else time(0)):
        element["initial_time"] = local.strftime("%H:%M")
    return element


def build_search_modal(
    *, tz: str, initial: SearchRequest | None = None, private_metadata: str = ""
) -> dict[str, Any]:
    """The search form; ``initial`` pre-fills it (e.g. to refine the current search)."""
    if len(private_metadata) > MAX_PRIVATE_METADATA:
        raise ValueError("private_metadata is longer than Slack allows")
    req = initial or SearchRequest()
    f = req.filter
    direction = next(k for k, v in _DIRECTIONS.items() if v == f.call_direction)
    kind = next(k for k, v in _KINDS.items() if v == req.kind)
    seconds = [None if ms is None else ms // 1000 for ms in (f.duration_gte, f.duration_lte)]
    zone_hint = f"In your time zone ({tz})."
    blocks = [
        _input(
            BLOCK_DIRECTION,
            "Direction",
            _select(
                {
                    "any": "Any direction",
                    "inbound": "Inbound",
                    "outbound": "Outbound",
                    "internal": "Internal",
                },
                direction,
            ),
        ),
        _input(
            BLOCK_KIND,
            "Kind",
            _select(
                {"both": "Company and on-demand", "company": "Company", "on-demand": "On-demand"},
                kind,
            ),
        ),
        _input(BLOCK_CALLER, "Caller number", _text(f.caller_id, "+1 732 555 0100", 40)),
        _input(BLOCK_DIALED, "Dialed number", _text(f.dnis, "+1 732 555 0100", 40)),
        _input(
            BLOCK_EITHER,
            "Either side (caller or dialed)",
            _text(", ".join(req.numbers), "+1 732 555 0100, +44 20 7946 0000", 300),
            "Separate several numbers with commas.",
        ),
        _input(BLOCK_NAME, "Caller name", _text(f.cnam, "John Smith", _NAME_MAX)),
        _input(BLOCK_EXTENSION, "Extension", _text(f.extension, "999", 8)),
        _input(
            BLOCK_CALL_ID, "Call ID", _text(f.call_id, "c91150a6-8cc4-4e73-9fef-17fd925c6448", 128)
        ),
        _input(BLOCK_SINCE_DATE, "From date", _picker("date", f.start_gte, tz, end=False)),
        _input(
            BLOCK_SINCE_TIME,
            "From time",
            _picker("time", f.start_gte, tz, end=False),
            f"{zone_hint} Without a time: the start of the day.",
        ),
        _input(BLOCK_UNTIL_DATE, "Until date", _picker("date", f.start_lte, tz, end=True)),
        _input(
            BLOCK_UNTIL_TIME,
            "Until time",
            _picker("time", f.start_lte, tz, end=True),
            f"{zone_hint} Without a time: the end of the day.",
        ),
        _input(
            BLOCK_MIN_DURATION, "Shortest call (seconds)", _number(seconds[0], 0, _MAX_DURATION_S)
        ),
        _input(
            BLOCK_MAX_DURATION, "Longest call (seconds)", _number(seconds[1], 0, _MAX_DURATION_S)
        ),
        _input(
            BLOCK_ORDER,
            "Order",
            _select(
                {"newest": "Newest first", "oldest": "Oldest first"},
                "oldest" if f.order == ORDER_OLDEST else "newest",
            ),
        ),
        _input(BLOCK_PAGE_SIZE, "Results per page", _number(f.page_size, 1, MAX_PAGE_SIZE)),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_SEARCH_MODAL,
        "title": _plain("Search recordings"),
        "submit": _plain("Search"),
        "close": _plain("Cancel"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


class _Form:
    """Reads Slack's ``view.state.values`` field by field, collecting every problem."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def raw(self, block_id: str) -> Mapping[str, Any]:
        actions = self.values.get(block_id)
        if isinstance(actions, Mapping):
            for action in actions.values():
                if isinstance(action, Mapping):
                    return action
        return {}

    def overlong(self) -> dict[str, str]:
        """Fields over 4,000 characters (``MAX_TEXT``), each with why; none is read then."""
        errors: dict[str, str] = {}
        for block_id in self.values:
            value = self.raw(block_id).get("value")
            if isinstance(value, str) and (
                refusal := too_long(
                    value, what="This field", reader="the form", fix="Shorten it and try again."
                )
            ):
                errors[block_id] = refusal
        return errors

    def text(self, block_id: str) -> str:
        return " ".join(str(self.raw(block_id).get("value") or "").split())

    def choice(self, block_id: str) -> str:
        selected = self.raw(block_id).get("selected_option") or {}
        return str(selected.get("value") or "")

    def integer(self, block_id: str, low: int, high: int, what: str) -> int | None:
        text = self.text(block_id)
        if not text:
            return None
        if not re.fullmatch(r"-?[0-9]{1,10}", text) or not low <= int(text) <= high:
            self.errors[block_id] = f"{what} is a whole number from {low} to {high}."
            return None
        return int(text)

    def number(self, block_id: str, region: str) -> str | None:
        text = self.text(block_id)
        if not text:
            return None
        try:
            return normalize_number(text, region=region)
        except FilterError as exc:
            self.errors[block_id] = (
                f"{exc.message[:1].upper()}{exc.message[1:]}, e.g. {exc.suggestion}."
            )
            return None

    def pattern(self, block_id: str, regex: re.Pattern[str], message: str) -> str | None:
        text = self.text(block_id)
        if text and not regex.fullmatch(text):
            self.errors[block_id] = message
            return None
        return text or None

    def moment(self, date_block: str, time_block: str, tz: ZoneInfo, end: bool) -> datetime | None:
        """A local date (+ optional time) -> UTC; a date alone means its start or its end."""
        day_text = str(self.raw(date_block).get("selected_date") or "")
        clock_text = str(self.raw(time_block).get("selected_time") or "")
        if not day_text:
            if clock_text:
                self.errors[date_block] = "Pick a date for this time."
            return None
        try:
            day = date.fromisoformat(day_text)
            clock = time.fromisoformat(clock_text) if clock_text else None
        except ValueError:
            self.errors[date_block if not clock_text else time_block] = "That is not a date/time."
            return None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:  # so no zone can carry it past datetime's
            self.errors[date_block] = f"Pick a date from {FIRST_YEAR} to {LAST_YEAR}."
            return None
        if clock is None:
            clock = time(23, 59, 59) if end else time(0)
        return datetime.combine(day, clock, tz).astimezone(UTC)


def typed_extension(values: Mapping[str, Any]) -> str | None:
    """The extension field, when it holds a well-formed extension (to check whose it is)."""
    text = _Form(values).text(BLOCK_EXTENSION)
    return text if _EXTENSION.fullmatch(text) else None


def parse_search_modal(
    values: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    region: str = "US",
    now: datetime | None = None,
) -> SearchRequest:
    """The submitted form -> SearchRequest; raises ModalErrors naming each bad field.

    A field over 4,000 characters is refused before any field is read (Slack's own
    ``max_length`` on each input normally stops that long before). With ``now``, a window
    that starts in the future is refused too (no recording can be in it yet).
    """
    form = _Form(values)
    if overlong := form.overlong():
        raise ModalErrors(overlong)
    numbers: list[str] = []
    either = [
        p for p in re.split(r"[,;\n]+", str(form.raw(BLOCK_EITHER).get("value") or "")) if p.strip()
    ]
    if len(either) > MAX_NUMBERS:
        form.errors[BLOCK_EITHER] = f"Up to {MAX_NUMBERS} numbers, please."
    for piece in either[:MAX_NUMBERS]:
        try:
            digits = normalize_number(piece, region=region)
        except FilterError as exc:
            form.errors[BLOCK_EITHER] = (
                f"I can't read {echo(piece.strip())!r} as a phone number, e.g. {exc.suggestion}."
            )
            break
        if digits not in numbers:
            numbers.append(digits)
    since = form.moment(BLOCK_SINCE_DATE, BLOCK_SINCE_TIME, tz, end=False)
    until = form.moment(BLOCK_UNTIL_DATE, BLOCK_UNTIL_TIME, tz, end=True)
    if since is not None and until is not None and until <= since:
        form.errors[BLOCK_UNTIL_DATE] = (
            "The end is before the start."
            if until < since
            else "The end is the start: "
            "that window is empty. Pick a later end, or leave the time out for the whole day."
        )
    if since is not None and now is not None and since > now:
        form.errors[BLOCK_SINCE_DATE] = (
            "That start is in the future, so no recording can be found yet. "
            "Pick a start before now."
        )
    low = form.integer(BLOCK_MIN_DURATION, 0, _MAX_DURATION_S, "The shortest call")
    high = form.integer(BLOCK_MAX_DURATION, 0, _MAX_DURATION_S, "The longest call")
    if low is not None and high is not None and low > high:
        form.errors[BLOCK_MAX_DURATION] = "The longest call is shorter than the shortest."
    name = form.text(BLOCK_NAME)
    if len(name) > _NAME_MAX:  # it would go to VBC in the URL of every query
        form.errors[BLOCK_NAME] = f"A caller name is at most {_NAME_MAX} characters."
    request_filter = RecordingFilter(
        call_direction=_DIRECTIONS.get(form.choice(BLOCK_DIRECTION)),
        call_id=form.pattern(BLOCK_CALL_ID, _CALL_ID, "A call id is letters, digits, . _ : -"),
        caller_id=form.number(BLOCK_CALLER, region),
        cnam=name or None,
        dnis=form.number(BLOCK_DIALED, region),
        duration_gte=None if low is None else low * 1000,
        duration_lte=None if high is None else high * 1000,
        extension=form.pattern(BLOCK_EXTENSION, _EXTENSION, "An extension is 1 to 8 digits."),
        start_gte=since,
        start_lte=until,
        order=ORDER_OLDEST if form.choice(BLOCK_ORDER) == "oldest" else None,
        page_size=form.integer(BLOCK_PAGE_SIZE, 1, MAX_PAGE_SIZE, "The page size"),
    )
    if form.errors:
        raise ModalErrors(form.errors)
    return SearchRequest(
        filter=request_filter, numbers=tuple(numbers), kind=_KINDS.get(form.choice(BLOCK_KIND))
    )

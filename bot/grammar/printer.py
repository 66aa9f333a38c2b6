"""SearchRequest -> text: the canonical filter text, the filter list and the header phrase."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.grammar.durations import format_duration, format_range
from bot.grammar.phones import SHORT_NUMBER, display_number
from bot.grammar.request import SearchRequest
from bot.grammar.times import describe_times, format_time
from bot.grammar.tokens import escape_mrkdwn as escape
from bot.grammar.tokens import quote
from bot.grammar.vocabulary import DIRECTIONS, ORDERS

_RECENT = timedelta(hours=1)  # an end this close before now is "now", not worth saying


def format_filter(request: SearchRequest, *, tz: ZoneInfo) -> str:
    """Canonical text that ``parse_filter`` reads back into ``request``."""
    f = request.filter
    parts: list[str] = []
    if f.call_direction is not None:
        parts.append(next(w for w, d in DIRECTIONS.items() if d == f.call_direction))
    parts += [f"+{number}" for number in request.numbers]
    for key, value in (("from", f.caller_id), ("to", f.dnis)):
        if value is not None:
            parts.append(f"{key}:{value if SHORT_NUMBER.fullmatch(value) else '+' + value}")
    if f.cnam is not None:
        parts.append(f"name:{quote(f.cnam)}")
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
        parts.append(format_time("since", f.start_gte, tz))
    if f.start_lte is not None:
        parts.append(format_time("until", f.start_lte, tz))
    if f.duration_gte is not None or f.duration_lte is not None:
        parts.append(format_range(f.duration_gte, f.duration_lte))
    parts += [word for word, order in ORDERS.items() if order == f.order]
    if f.page_size is not None:
        parts.append(f"page-size:{f.page_size}")
    return " ".join(parts)


def describe_filter(request: SearchRequest, *, tz: ZoneInfo) -> str:
    """A short mrkdwn summary for result headers, e.g. ``inbound · from +1 732-555-0100``."""
    f = request.filter
    parts: list[str] = []
    if f.call_direction is not None:
        parts.append(next(w for w, d in DIRECTIONS.items() if d == f.call_direction))
    if request.numbers:  # either side, any of them: "or", never a list that reads as "and"
        parts.append("with " + " or ".join(display_number(n) for n in request.numbers))
    parts += [f"from {display_number(f.caller_id)}"] if f.caller_id else []
    parts += [f"to {display_number(f.dnis)}"] if f.dnis else []
    parts += [f"name “{escape(f.cnam)}”"] if f.cnam else []
    parts += [f"ext {escape(f.extension)}"] if f.extension else []
    parts += [f"call {escape(f.call_id)}"] if f.call_id else []
    parts += [f"{request.kind.value} recordings"] if request.kind else []
    # Whose recordings (company-wide, someone's) is the scope, which every caller shows beside.
    if when := describe_times(f.start_gte, f.start_lte, tz):
        parts.append(when)
    low, high = f.duration_gte, f.duration_lte
    if low is not None and high is not None:
        parts.append(f"{format_duration(low)} to {format_duration(high)} long")
    elif low is not None:
        parts.append(f"≥ {format_duration(low)}")
    elif high is not None:
        parts.append(f"≤ {format_duration(high)}")
    parts += [f"{w} first" for w, order in ORDERS.items() if order == f.order]
    parts += [f"{f.page_size} per page"] if f.page_size else []
    return " · ".join(parts) or "all recordings"


def describe_recordings(
    request: SearchRequest, *, tz: ZoneInfo, now: datetime | None = None
) -> str:
    """What was searched as a noun phrase that headers build sentences from (mrkdwn).

    ``inbound recordings with +1 732-555-0100 or +1 732-555-0199 since Monday``, so a header
    reads "No inbound recordings … since Monday". With ``now`` the days of the last week read
    as names, and an end within the hour before now (``last 7d`` ends when it was typed) is
    left out; whose recordings (the scope) is left to the caller.
    """
    f = request.filter
    today = now.astimezone(tz).date() if now is not None else None
    high = f.start_lte
    if now is not None and high is not None and timedelta(0) <= now - high < _RECENT:
        high = None
    nouns = (
        [next(w for w, d in DIRECTIONS.items() if d == f.call_direction)]
        if (f.call_direction is not None)
        else []
    )
    nouns += [request.kind.value] if request.kind else []
    parts = [" ".join([*nouns, "recordings"])]
    if request.numbers:
        parts.append("with " + " or ".join(display_number(n) for n in request.numbers))
    parts += [f"from {display_number(f.caller_id)}"] if f.caller_id else []
    parts += [f"to {display_number(f.dnis)}"] if f.dnis else []
    parts += [f"with “{escape(f.cnam)}” in the caller name"] if f.cnam else []
    parts += [f"of extension {escape(f.extension)}"] if f.extension else []
    parts += [f"of call {escape(f.call_id)}"] if f.call_id else []
    if when := describe_times(f.start_gte, high, tz, today=today):
        parts.append(when)
    shortest, longest = f.duration_gte, f.duration_lte
    if shortest is not None and longest is not None:
        parts.append(f"{format_duration(shortest)} to {format_duration(longest)} long")
    elif shortest is not None:
        parts.append(f"at least {format_duration(shortest)} long")
    elif longest is not None:
        parts.append(f"at most {format_duration(longest)} long")
    phrase = " ".join(parts)
    return f"{phrase}, oldest first" if f.order == ORDERS["oldest"] else phrase

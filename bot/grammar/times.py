"""Time filters: dates and clocks in the person's zone, time words, windows, DST, display."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.grammar.request import UNKNOWN, FilterError

DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
CLOCK = re.compile(r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?:am|pm)?", re.I)
_MOMENT = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:[T ](?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?\s*(?P<ap>am|pm)?"
    r"(?P<off>Z|[+-][0-9]{2}:?[0-9]{2})?)?",
    re.I,
)
_WINDOW = re.compile(r"([0-9]{1,5})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)", re.I)
_WINDOW_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_MAX_WINDOW = timedelta(days=3660)
FIRST_YEAR, LAST_YEAR = 1970, 2999  # wide enough for any recording; far from datetime's edges
YEARS = f"dates run from {FIRST_YEAR} to {LAST_YEAR}"


class YearRangeError(ValueError):
    """A date, or the moment a clock offset makes of it, outside FIRST_YEAR..LAST_YEAR."""


class Window(NamedTuple):
    """A time word read from the pieces: the text it was, how many pieces, and its span."""

    token: str
    used: int
    start: datetime
    end: datetime


def local_utc(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tz).astimezone(UTC)


def read_day(word: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``today`` / ``yesterday``: the whole local day."""
    day = now.astimezone(tz).date() - timedelta(days=word == "yesterday")
    return local_utc(day, time(0), tz), local_utc(day, time(23, 59, 59), tz)


def read_window(word: str, rest: list[str], now: datetime, tz: ZoneInfo) -> Window:
    """``this week``, ``last week`` and rolling ``last 7d`` / ``last 24 hours`` windows.

    ``rest`` is the (up to two) pieces after ``word``.
    """
    today = now.astimezone(tz).date()
    monday = local_utc(today - timedelta(days=today.weekday()), time(0), tz)
    if rest and rest[0].lower() == "week":
        token = f"{word} {rest[0]}"
        if word.lower() == "this":
            return Window(token, 2, monday, now)
        start = local_utc(today - timedelta(days=today.weekday() + 7), time(0), tz)
        return Window(token, 2, start, monday - timedelta(seconds=1))
    if word.lower() == "last":
        for used in (1, 2):
            match = _WINDOW.fullmatch("".join(rest[:used])) if len(rest) >= used else None
            if match:
                token = " ".join([word, *rest[:used]])
                span = int(match[1]) * _WINDOW_UNITS[match[2][0].lower()]
                if not 0 < span <= _MAX_WINDOW.total_seconds():
                    raise FilterError(token, "pick a window of up to 10 years", "last 7d")
                return Window(token, 1 + used, now - timedelta(seconds=span), now)
    token = " ".join([word, *rest[:1]])
    raise FilterError(token, UNKNOWN, "this week" if word.lower() == "this" else "last 7d")


def read_time(key: str, text: str, tz: ZoneInfo) -> datetime | None:
    """``2024-05-01``, ``2024-05-01 09:30[:15][pm]``, ``2024-05-01T09:30:00Z`` -> UTC."""
    m = _MOMENT.fullmatch(text)
    if m is None:
        return None
    if not FIRST_YEAR <= int(m["y"]) <= LAST_YEAR:
        raise YearRangeError(YEARS)
    day = date(int(m["y"]), int(m["mo"]), int(m["d"]))
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
    moment = datetime.combine(day, clock, zone).astimezone(UTC)
    if not FIRST_YEAR <= moment.astimezone(tz).year <= LAST_YEAR:  # ``+14:00`` on 1970-01-01
        raise YearRangeError(YEARS)
    return moment


def format_time(key: str, moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    text = local.date().isoformat()
    if clock != (time(0) if key == "since" else time(23, 59, 59)):
        text += f" {clock:%H:%M:%S}" if clock.second else f" {clock:%H:%M}"
    try:
        same = read_time(key, text, tz) == moment
    except ValueError:
        same = False
    if not same:  # a DST gap or overlap: pin the instant
        text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{key}:{text}"


def describe_times(low: datetime | None, high: datetime | None, tz: ZoneInfo) -> str:
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

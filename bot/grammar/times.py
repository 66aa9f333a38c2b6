"""Time filters: dates and clocks in the person's zone, time words, windows, DST, display."""

from __future__ import annotations

import calendar
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
_SPAN = re.compile(r"([0-9]{1,5})\s*([a-z]{1,12})", re.I)
_UNITS: dict[str, int] = {  # unit word -> seconds; 0 = calendar months
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 604800),
    **dict.fromkeys(("mo", "mos", "month", "months"), 0),
}
_MAX_WINDOW = timedelta(days=3660)
_MAX_MONTHS = 120
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The words that begin a time word: ``today``, ``last 7d``, ``this month``, ``monday``.
TIME_WORDS = frozenset(("today", "yesterday", "this", "last", *WEEKDAYS))
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


def read_time_word(pieces: list[str], i: int, now: datetime, tz: ZoneInfo) -> Window | None:
    """The time word starting at ``pieces[i]``, or None when that piece begins none.

    ``today``, ``yesterday`` and a weekday (the latest one, today included) are whole local
    days; ``this``/``last`` begin a window (``read_window``). Raises FilterError for a word
    that begins a time word but does not finish one (``last fortnight``).
    """
    piece = pieces[i]
    word = piece.lower()
    if word in ("today", "yesterday"):
        return Window(piece, 1, *read_day(word, now, tz))
    if word in WEEKDAYS:
        today = now.astimezone(tz).date()
        day = today - timedelta(days=(today.weekday() - WEEKDAYS.index(word)) % 7)
        return Window(piece, 1, local_utc(day, time(0), tz), local_utc(day, time(23, 59, 59), tz))
    if word in ("this", "last"):
        return read_window(piece, pieces[i + 1 : i + 3], now, tz)
    return None


def read_window(word: str, rest: list[str], now: datetime, tz: ZoneInfo) -> Window:
    """``this week|month``, ``last week|month`` (calendar, local) and rolling ``last 7d``.

    ``rest`` is the (up to two) pieces after ``word``. In a window ``m`` is ambiguous
    (minutes or months), so ``last 3m`` is refused with both readings offered.
    """
    today = now.astimezone(tz).date()
    unit = rest[0].lower() if rest else ""
    if unit in ("week", "month"):
        token = f"{word} {rest[0]}"
        if unit == "week":
            first = today - timedelta(days=today.weekday())
            previous = first - timedelta(days=7)
        else:
            first = today.replace(day=1)
            previous = (first - timedelta(days=1)).replace(day=1)
        start = local_utc(first, time(0), tz)
        if word.lower() == "this":
            return Window(token, 2, start, now)
        return Window(token, 2, local_utc(previous, time(0), tz), start - timedelta(seconds=1))
    if word.lower() == "last":
        for used in (1, 2):
            match = _SPAN.fullmatch("".join(rest[:used])) if len(rest) >= used else None
            if match:
                return _rolling(" ".join([word, *rest[:used]]), 1 + used, match, now, tz)
    token = " ".join([word, *rest[:1]])
    if word.lower() == "this":
        raise FilterError(token, UNKNOWN, "this week", options=("this month",))
    raise FilterError(token, UNKNOWN, "last 7d", options=("last month",))


def _rolling(token: str, used: int, match: re.Match[str], now: datetime, tz: ZoneInfo) -> Window:
    count, word = int(match[1]), match[2].lower()
    if word == "m":
        raise FilterError(
            token,
            "`m` could be minutes or months",
            f"last {count}min",
            options=(f"last {count}mo",),
        )
    if word not in _UNITS:
        raise FilterError(token, "the units are min, h, d, w and mo", f"last {count}d")
    seconds = _UNITS[word]
    if seconds:
        span = timedelta(seconds=count * seconds)
        if not timedelta(0) < span <= _MAX_WINDOW:
            raise FilterError(token, "pick a window of up to 10 years", "last 7d")
        return Window(token, used, now - span, now)
    if not 0 < count <= _MAX_MONTHS:
        raise FilterError(token, "pick a window of up to 10 years", "last 3mo")
    local = now.astimezone(tz)
    year, month = divmod(local.year * 12 + local.month - 1 - count, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    start = local_utc(date(year, month + 1, day), local.time().replace(tzinfo=None), tz)
    return Window(token, used, min(start, now), now)


def read_bound(key: str, pieces: list[str], i: int, now: datetime, tz: ZoneInfo) -> Window:
    """``since:``/``until:`` at ``pieces[i]``; its value may be in the next piece.

    A date (``2024-05-01``, with a clock ``09:30`` in the same or the next piece) or a time
    word (``since:yesterday``, ``until:"last week"``): ``since`` takes its start, ``until``
    its end. The result's ``start`` and ``end`` are both the moment read.
    """
    piece = pieces[i]
    value, nxt = piece.partition(":")[2], i + 1
    if not value and nxt < len(pieces):
        value, nxt = pieces[nxt], nxt + 1
    today = now.astimezone(tz).date().isoformat()
    if not value:
        raise FilterError(piece, "it needs a date or a time word", f"{key}:{today}")
    words = [value]
    if value[0] in '"“”„':
        if len(value) < 2 or value[-1] not in '"“”':
            raise FilterError(
                " ".join(pieces[i:nxt]), "the closing quote is missing", f"{key}:{today}"
            )
        words = value[1:-1].split() or [""]
    if words[0].lower() in TIME_WORDS:
        quoted = len(words) > 1 or words[0] != value
        tail = words if quoted else [value, *pieces[nxt : nxt + 2]]
        window = read_time_word(tail, 0, now, tz)
        if window is not None and quoted and window.used != len(words):
            raise FilterError(
                " ".join(pieces[i:nxt]), "that is more than one time word", key + ":yesterday"
            )
        if window is not None:
            nxt += 0 if quoted else window.used - 1
            token = " ".join(pieces[i:nxt])
            moment = window.start if key == "since" else window.end
            return Window(token, nxt - i, moment, moment)
    text = " ".join(words)
    if DATE.fullmatch(text) and nxt < len(pieces) and CLOCK.fullmatch(pieces[nxt]):
        text, nxt = f"{text} {pieces[nxt]}", nxt + 1
    token = " ".join(pieces[i:nxt])
    read: datetime | None
    try:
        read = read_time(key, text, tz)
    except YearRangeError:
        raise FilterError(token, YEARS, f"{key}:{today}") from None
    except (ValueError, OverflowError):
        read = None
    if read is None:
        raise FilterError(
            token,
            "write a date as YYYY-MM-DD [HH:MM], or a time word",
            f"{key}:{today}",
            options=(f"{key}:yesterday",),
        )
    return Window(token, nxt - i, read, read)


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
        text = pinned(moment)
    return f"{key}:{text}"


def pinned(moment: datetime) -> str:
    """The instant as ``read_time`` reads it in any time zone (``2026-12-04T14:03:05Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_times(
    low: datetime | None, high: datetime | None, tz: ZoneInfo, *, today: date | None = None
) -> str:
    """``on Tue 2024-06-11``, ``since Wed 2024-05-01 09:30``, ``Wed … to Fri …``.

    With ``today`` (the reader's local date) the last week's days read as people say them
    (``yesterday``, ``since Monday``) and a span reads ``between … and …``.
    """

    def day_name(day: date) -> str:
        ago = (today - day).days if today is not None else -1
        if ago in (0, 1):
            return "today" if ago == 0 else "yesterday"
        return day.strftime("%A") if 2 <= ago <= 6 else day.strftime("%a %Y-%m-%d")

    def show(moment: datetime | None, whole: time) -> str:
        if moment is None:
            return ""
        local = moment.astimezone(tz)
        clock = local.time().replace(tzinfo=None)
        return day_name(local.date()) + ("" if clock == whole else local.strftime(" %H:%M"))

    first, last = show(low, time(0)), show(high, time(23, 59, 59))
    if first and last:
        if first == last:
            return first if first in ("today", "yesterday") else f"on {first}"
        return f"between {first} and {last}" if today is not None else f"{first} to {last}"
    return f"since {first}" if first else f"until {last}" if last else ""

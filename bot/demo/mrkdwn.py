"""Slack mrkdwn as a terminal shows it: bold, emoji, names, local dates and visible links (pure).

The console passes a ``Reader``: the person's time zone, the moment they look, the workspace's
names and whether the output understands ANSI styles (a terminal) or is plain text (a pipe, a
transcript), where the markers are dropped so ``*Today 4:11 AM*`` reads ``Today 4:11 AM``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

_TOKEN = re.compile(r"<([^<>\n]+)>")
_DATE_FORMAT = re.compile(r"\{([a-z_]+)\}")
_CODE = re.compile(r"(```.*?```|`[^`\n]+`)", re.DOTALL)
_EMOJI_NAME = re.compile(r":([a-z0-9_+\-]+):")


def _styled(marker: str) -> re.Pattern[str]:
    """Slack's rule: a marker opens after a space or punctuation and closes before one."""
    m = re.escape(marker)
    return re.compile(rf"(?<![\w{m}]){m}(?=\S)([^{m}\n]+?)(?<=\S){m}(?![\w{m}])")


_BOLD, _ITALIC, _STRIKE = _styled("*"), _styled("_"), _styled("~")
_ANSI = {"bold": ("\x1b[1m", "\x1b[22m"), "italic": ("\x1b[3m", "\x1b[23m")}
_ANSI |= {"strike": ("\x1b[9m", "\x1b[29m"), "link": ("\x1b[4m", "\x1b[24m")}

# Every emoji name the bot writes (tests/unit/demo/test_mrkdwn.py checks the source for new
# ones), plus a few Slack shows often in messages people paste.
EMOJI = {
    "arrow_down": "↓",
    "arrow_up": "↑",
    "arrows_counterclockwise": "🔄",
    "bell": "🔔",
    "bust_in_silhouette": "👤",
    "double_vertical_bar": "⏸",
    "grey_question": "❔",
    "heavy_check_mark": "✔️",
    "hourglass": "⌛",
    "octagonal_sign": "🛑",
    "unlock": "🔓",
    "hourglass_flowing_sand": "⏳",
    "no_bell": "🔕",
    "inbox_tray": "📥",
    "information_source": "ℹ️",  # noqa: RUF001 - the emoji itself
    "left_right_arrow": "↔",
    "link": "🔗",
    "lock": "🔒",
    "mag": "🔍",
    "no_entry": "⛔",
    "outbox_tray": "📤",
    "package": "📦",
    "scroll": "📜",
    "speaker": "🔈",
    "telephone_receiver": "📞",
    "wastebasket": "🗑️",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "x": "❌",
}


@dataclass(frozen=True)
class Reader:
    """Whose eyes: their time zone, the moment they look, display names, a styled terminal."""

    tz: ZoneInfo
    now: datetime
    names: Mapping[str, str] = field(default_factory=dict)
    ansi: bool = False


def render_mrkdwn(text: str, reader: Reader) -> str:
    """Slack's escapes, styles, links, mentions, dates and emoji as readable terminal text."""
    parts = _CODE.split(text)
    shown = [
        _unescape(part) if i % 2 else _prose(part, reader) for i, part in enumerate(parts) if part
    ]
    return "".join(shown)


def _prose(text: str, reader: Reader) -> str:
    """Outside code spans: styles first (a link's URL may hold ``_``), then tokens and emoji."""
    tokens: list[str] = []

    def keep(match: re.Match[str]) -> str:
        tokens.append(_token(match.group(1), reader))
        return f"\x00{len(tokens) - 1}\x00"

    held = _TOKEN.sub(keep, text)
    held = _EMOJI_NAME.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), held)
    for pattern, style in ((_BOLD, "bold"), (_ITALIC, "italic"), (_STRIKE, "strike")):
        held = pattern.sub(functools.partial(_style_match, style=style, reader=reader), held)
    shown = re.sub("\x00(\\d+)\x00", lambda m: tokens[int(m.group(1))], held)
    return _unescape(shown)


def _style_match(match: re.Match[str], *, style: str, reader: Reader) -> str:
    return _style(match.group(1), style, reader)


def _style(text: str, style: str, reader: Reader) -> str:
    if not reader.ansi:
        return text
    start, end = _ANSI[style]
    return f"{start}{text}{end}"


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(inner: str, reader: Reader) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("!date^"):
        parts = target.split("^")
        if len(parts) >= 3 and parts[1].isdigit():
            shown = format_slack_date(int(parts[1]), parts[2], reader)
            return shown if shown is not None else label
        return label
    if target.startswith("@"):
        return "@" + (reader.names.get(target[1:]) or label or target[1:])
    if target.startswith("#"):
        return "#" + (label or reader.names.get(target[1:], target[1:]))
    if target.startswith("!subteam^"):
        return label or "@team"
    if target.startswith("!"):
        return "@" + target[1:]
    return _link(_unescape(target), label, reader)


def _link(url: str, label: str, reader: Reader) -> str:
    """A link shows its URL (a terminal cannot follow a label); ``mailto:`` shows the address."""
    if url.startswith("mailto:"):
        return label or url.removeprefix("mailto:")
    shown = _style(url, "link", reader)
    label = _unescape(label)
    return f"{label} ({shown})" if label and label != url else shown


def format_slack_date(stamp: int, fmt: str, reader: Reader) -> str | None:
    """A ``<!date>`` format in the reader's zone; None for a token Slack would not know."""
    when = datetime.fromtimestamp(stamp, reader.tz)
    today = reader.now.astimezone(reader.tz).date()
    pretty = {
        today: "Today",
        today - timedelta(days=1): "Yesterday",
        today + timedelta(days=1): "Tomorrow",
    }.get(when.date())
    day = f"{when.day}{_ordinal(when.day)}"
    hour = when.hour % 12 or 12
    values = {
        "date_num": when.strftime("%Y-%m-%d"),
        "date": f"{when:%B} {day}, {when.year}",
        "date_short": f"{when:%b} {when.day}, {when.year}",
        "date_long": f"{when:%A, %B} {day}, {when.year}",
        "time": f"{hour}:{when:%M %p}",
        "time_secs": f"{hour}:{when:%M:%S %p}",
        "ago": _ago(reader.now - when),
    }
    for name in ("date", "date_short", "date_long"):
        values[f"{name}_pretty"] = pretty or values[name]
    unknown = [t for t in _DATE_FORMAT.findall(fmt) if t not in values]
    if unknown:
        return None
    return _DATE_FORMAT.sub(lambda m: values[m.group(1)], fmt)


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"

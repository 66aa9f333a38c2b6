"""Block Kit and Slack mrkdwn as terminal text, with every button numbered for the console.

Pure: the console passes in the reader's time zone, the current time and the workspace's
names, so a ``<!date^…>`` token reads the way that person's Slack client would show it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Json = Mapping[str, Any]

_TOKEN = re.compile(r"<([^<>]+)>")
_DATE_FORMAT = re.compile(r"\{([a-z_]+)\}")
_EMOJI = {
    "mag": "🔍",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "no_entry": "⛔",
    "x": "❌",
    "arrow_down": "↓",
    "arrow_up": "↑",
    "left_right_arrow": "↔",
    "arrows_counterclockwise": "↻",
    "hourglass_flowing_sand": "⏳",
    "package": "📦",
    "lock": "🔒",
    "link": "🔗",
    "bust_in_silhouette": "👤",
    "telephone_receiver": "📞",
    "information_source": "ℹ️",  # noqa: RUF001 - the emoji itself
}
_EMOJI_NAME = re.compile(r":([a-z0-9_+\-]+):")


@dataclass(frozen=True)
class Clickable:
    """One thing the person can press: a button, or one option of a menu."""

    number: int
    label: str
    action_id: str
    value: str
    url: str | None = None
    confirm: Json | None = None


@dataclass
class Rendered:
    lines: list[str] = field(default_factory=list)
    clickables: list[Clickable] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class Reader:
    """Whose eyes: their time zone, the moment they look, and display names for mentions."""

    tz: ZoneInfo
    now: datetime
    names: Mapping[str, str] = field(default_factory=dict)


def render_blocks(blocks: Sequence[Json], reader: Reader, *, first_number: int = 1) -> Rendered:
    """One or more lines per block; buttons become ``[n Label]`` numbered from ``first_number``."""
    out = Rendered()
    for block in blocks:
        out.lines += _block_lines(block, reader, out, first_number)
    return out


def render_mrkdwn(text: str, reader: Reader) -> str:
    """Slack's escapes, links, mentions, dates and a few emoji as plain readable text."""
    rendered = _TOKEN.sub(lambda m: _token(m.group(1), reader), text)
    rendered = _EMOJI_NAME.sub(lambda m: _EMOJI.get(m.group(1), m.group(0)), rendered)
    return rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


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


def _token(inner: str, reader: Reader) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("!date^"):
        parts = target.split("^")
        if len(parts) >= 3 and parts[1].isdigit():
            shown = format_slack_date(int(parts[1]), parts[2], reader)
            return shown if shown is not None else label
        return label
    if target.startswith("@"):
        return "@" + (label or reader.names.get(target[1:], target[1:]))
    if target.startswith("#"):
        return "#" + (label or reader.names.get(target[1:], target[1:]))
    if target.startswith("!subteam^"):
        return label or "@team"
    if target.startswith("!"):
        return "@" + target[1:]
    return label or target


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


def _plain(node: Any, reader: Reader) -> str:
    if isinstance(node, Mapping):
        text = str(node.get("text", ""))
        return render_mrkdwn(text, reader) if node.get("type") == "mrkdwn" else text
    return str(node or "")


def _field(node: Any, reader: Reader) -> str:
    """Fields are usually ``*Label*\\nvalue``: shown as ``Label: value`` on one line."""
    text = _plain(node, reader)
    head, newline, rest = text.partition("\n")
    if newline and head.startswith("*") and head.endswith("*") and len(head) > 2:
        return f"{head[1:-1]}: {rest.replace(chr(10), ' ')}"
    return text.replace("\n", " ")


def _block_lines(block: Json, reader: Reader, out: Rendered, first: int) -> list[str]:
    kind = block.get("type")
    if kind == "divider":
        return ["─" * 40]
    if kind == "header":
        return [f"== {_plain(block.get('text'), reader)} =="]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind in ("markdown", "rich_text"):
        return [render_mrkdwn(rich_text(block), reader)]
    if kind == "context":
        parts = [_element_text(e, reader) for e in block.get("elements") or []]
        return ["  " + " · ".join(p for p in parts if p)]
    if kind == "actions":
        buttons = [b for e in block.get("elements") or [] for b in _press(e, reader, out, first)]
        return [" ".join(buttons)] if buttons else []
    if kind == "input":
        return [f"{_plain(block.get('label'), reader)}: …"]
    lines = _plain(block.get("text"), reader).splitlines() if block.get("text") else []
    lines += ["  " + _field(f, reader) for f in block.get("fields") or []]
    accessory = block.get("accessory")
    if isinstance(accessory, Mapping):
        pressed = list(_press(accessory, reader, out, first))
        if pressed and lines and accessory.get("type") == "button":
            lines[-1] += "  " + pressed[0]
        elif pressed:
            lines.append("  " + " ".join(pressed))
    return lines


def _element_text(element: Json, reader: Reader) -> str:
    if element.get("type") == "image":
        return f"[image: {element.get('alt_text', '')}]"
    return _plain(element, reader)


def _press(element: Json, reader: Reader, out: Rendered, first: int) -> Iterator[str]:
    """Number a button, or each option of a menu, and yield how it reads on screen."""
    action_id = element.get("action_id")
    if not isinstance(action_id, str):
        return
    if element.get("type") == "button":
        label = _plain(element.get("text"), reader)
        yield _add(out, first, label, action_id, str(element.get("value", "")), element)
        return
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    for option in options:
        label = _plain(option.get("text"), reader)
        yield _add(out, first, label, action_id, str(option.get("value", "")), {})


def _add(out: Rendered, first: int, label: str, action_id: str, value: str, element: Json) -> str:
    number = first + len(out.clickables)
    confirm = element.get("confirm")
    url = element.get("url")
    out.clickables.append(
        Clickable(
            number=number,
            label=label,
            action_id=action_id,
            value=value,
            url=url if isinstance(url, str) else None,
            confirm=confirm if isinstance(confirm, Mapping) else None,
        )
    )
    return f"[{number} {label}]"


def rich_text(block: Json) -> str:
    """The plain text of a ``rich_text`` block (links as their URLs)."""
    if isinstance(block.get("text"), str):
        return str(block["text"])
    return "".join(_rich(block.get("elements") or []))


def _rich(elements: Sequence[Any]) -> Iterator[str]:
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        if isinstance(element.get("text"), str):
            yield element["text"]
        elif element.get("type") == "link":
            yield str(element.get("url", ""))
        yield from _rich(element.get("elements") or [])

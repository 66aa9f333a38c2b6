"""Block Kit and Slack mrkdwn as terminal text, with every button numbered for the console.

Pure: the console passes in the reader's time zone, the current time and the workspace's
names, so a ``<!date^…>`` token reads the way that person's Slack client would show it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.demo.mrkdwn import Reader, format_slack_date, render_mrkdwn

Json = Mapping[str, Any]
__all__ = ["Clickable", "Reader", "Rendered", "format_slack_date", "render_blocks", "render_mrkdwn"]


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


def render_blocks(blocks: Sequence[Json], reader: Reader, *, first_number: int = 1) -> Rendered:
    """One or more lines per block; buttons become ``[n Label]`` numbered from ``first_number``."""
    out = Rendered()
    for block in blocks:
        out.lines += _block_lines(block, reader, out, first_number)
    return out


def _plain(node: Any, reader: Reader) -> str:
    if isinstance(node, Mapping):
        text = str(node.get("text", ""))
        return render_mrkdwn(text, reader) if node.get("type") == "mrkdwn" else text
    return str(node or "")


def _field(node: Any, reader: Reader) -> str:
    """Fields are usually ``*Label*\\nvalue``: shown as ``Label: value`` on one line."""
    raw = str(node.get("text", "")) if isinstance(node, Mapping) else ""
    head, newline, rest = raw.partition("\n")
    labelled = newline and head.startswith("*") and head.endswith("*") and len(head) > 2
    if labelled and isinstance(node, Mapping) and node.get("type") == "mrkdwn":
        value = render_mrkdwn(rest, reader).replace("\n", " ")
        return f"{render_mrkdwn(head[1:-1], reader)}: {value}"
    return _plain(node, reader).replace("\n", " ")


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

"""Block Kit assertions for tests, and a plain-text rendering of blocks for readable checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.blocks.limits import message_problems, view_problems
from bot.demo.render import rich_text


def assert_valid_message(payload: Mapping[str, Any]) -> None:
    """Fail with every problem Slack would have with this message payload."""
    problems = message_problems(payload)
    if problems:
        raise AssertionError("invalid Slack message:\n  " + "\n  ".join(problems))


def assert_valid_view(view: Mapping[str, Any]) -> None:
    """Fail with every problem Slack would have with this modal or Home tab view."""
    problems = view_problems(view)
    if problems:
        raise AssertionError("invalid Slack view:\n  " + "\n  ".join(problems))


def render_text(blocks: Sequence[Mapping[str, Any]]) -> str:
    """Roughly what a person reads in Slack: one line per block, buttons as [Label]."""
    return "\n".join(line for block in blocks if (line := _render_block(block)))


def _render_block(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    if kind == "divider":
        return "---"
    if kind == "image":
        return f"[image: {block.get('alt_text', '')}]"
    if kind == "input":
        return f"{_text(block.get('label'))}: {_element(block.get('element') or {})}"
    if kind == "markdown":
        return str(block.get("text", ""))
    parts = [_text(block.get("text"))] if block.get("text") else []
    parts += [_text(field) for field in block.get("fields") or []]
    if kind == "rich_text":
        parts.append(rich_text(block))
    else:
        parts += [_element(element) for element in block.get("elements") or []]
    if isinstance(block.get("accessory"), Mapping):
        parts.append(_element(block["accessory"]))
    separator = " · " if kind == "context" else " "
    return separator.join(part for part in parts if part)


def _element(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind in ("mrkdwn", "plain_text"):
        return _text(element)
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind == "button":
        return f"[{_text(element.get('text'))}]"
    label = _text(element.get("placeholder")) or str(kind)
    return f"[{label} ▾]"


def _text(node: Any) -> str:
    if isinstance(node, Mapping):
        return str(node.get("text", ""))
    return str(node or "")

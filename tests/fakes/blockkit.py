"""Block Kit for tests: assertions, payloads Slack accepts, and a plain-text rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.blocks.limits import message_problems, view_problems
from bot.demo.render import rich_text

Json = dict[str, Any]


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


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text}


def button(action_id: str, value: str, label: str = "Play") -> Json:
    return {"type": "button", "action_id": action_id, "text": plain(label), "value": value}


def good_message() -> Json:
    return {
        "text": "2 recordings",
        "blocks": [
            {"type": "header", "text": plain("Recordings")},
            {
                "type": "section",
                "block_id": "row-1",
                "text": {"type": "mrkdwn", "text": "*Inbound* from +1 732 555 0100"},
                "fields": [{"type": "mrkdwn", "text": "2m 10s"}],
                "accessory": button("play", "rec-1"),
            },
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "page 1 of 3"}]},
            {
                "type": "actions",
                "block_id": "nav",
                "elements": [
                    button("next", "cursor-2", "Next"),
                    {
                        "type": "static_select",
                        "action_id": "size",
                        "placeholder": plain("Page size"),
                        "options": [{"text": plain("25"), "value": "25"}],
                    },
                ],
            },
        ],
    }


def good_modal() -> Json:
    return {
        "type": "modal",
        "callback_id": "search",
        "title": plain("Search recordings"),
        "submit": plain("Search"),
        "private_metadata": "C0001",
        "blocks": [
            {
                "type": "input",
                "block_id": "number",
                "label": plain("Number"),
                "element": {"type": "plain_text_input", "action_id": "value"},
            },
            {
                "type": "input",
                "block_id": "direction",
                "optional": True,
                "label": plain("Direction"),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [
                        {"text": plain("Inbound"), "value": "inbound"},
                        {"text": plain("Outbound"), "value": "outbound"},
                    ],
                },
            },
        ],
    }


def with_block(block: Json) -> Json:
    return {"text": "fallback", "blocks": [block]}


def section(text: str) -> Json:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


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

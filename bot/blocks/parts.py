"""Block Kit building blocks every renderer shares: sections, buttons, ids and the message dict.

Sections, contexts and buttons clip their text to Slack's per-element limits
(``bot.blocks.limits``), so a renderer only has to budget the message as a whole.
"""

from __future__ import annotations

import hashlib
from typing import Any

from bot.blocks.limits import MAX_SECTION_TEXT, truncate
from bot.blocks.mrkdwn import clip, fallback_text

Block = dict[str, Any]
Message = dict[str, Any]


def bid(*parts: object) -> str:
    """A block_id; long keys are hashed so the id stays under Slack's 255 characters."""
    raw = ":".join(str(p) for p in parts)
    if len(raw) <= 200:
        return raw
    return f"{parts[0]}:{hashlib.sha256(raw.encode()).hexdigest()[:24]}"


def section(text: str, block_id: str, accessory: Block | None = None) -> Block:
    block: Block = {
        "type": "section",
        "block_id": block_id,
        "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT - 100)},
    }
    if accessory is not None:
        block["accessory"] = accessory
    return block


def context(text: str, block_id: str) -> Block:
    return {
        "type": "context",
        "block_id": block_id,
        "elements": [{"type": "mrkdwn", "text": clip(text, 2000)}],
    }


def actions(block_id: str, elements: list[Block]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": elements}


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: Block | None = None,
    url: str | None = None,
) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": truncate(text, 75), "emoji": True},
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    if url:
        element["url"] = url
    return element


def plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


def build_message(fallback: str, blocks: list[Block]) -> Message:
    return {"text": fallback_text(fallback), "blocks": blocks}

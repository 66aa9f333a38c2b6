"""Slack Block Kit limits and an offline checker for message and view payloads.

slack_sdk's models validate single attributes, but they miss the per-message limits (50 blocks,
~12,000 characters of block text) and silently drop keys they do not know. Slack answers those
with `invalid_blocks` / `msg_blocks_too_long`, so renderers budget against these constants and
the fake Slack Web API rejects payloads with `message_problems` / `view_problems`.
Facts: ../shared/slack/platform-notes.md section 3.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 12_000
"""Cumulative block text where Slack starts answering `msg_blocks_too_long` (undocumented)."""
MESSAGE_TEXT_BUDGET = 11_000
"""What our renderers may spend: MAX_MESSAGE_TEXT less a margin for container overhead."""
MAX_FALLBACK_TEXT = 40_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_SELECT_OPTIONS = 100
MAX_OVERFLOW_OPTIONS = 5
MAX_ID_LENGTH = 255
MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3000
MAX_VIEW_BYTES = 250_000

MISSING_FALLBACK_PROBLEM = "/text: fallback text is required when blocks are present"
CUMULATIVE_TEXT_PROBLEM = "/blocks: cumulative text"

_PARSE_ERRORS = (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError)
_VIEW_KEYS = frozenset(View.attributes) | {"app_installed_team_id"}


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut `text` to at most `limit` characters, marking the cut so readers know it was cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ellipsis[:limit]
    return text[: limit - len(ellipsis)] + ellipsis


def message_problems(payload: Mapping[str, Any]) -> list[str]:
    """Everything Slack would reject (or silently mangle) in a message payload."""
    blocks = payload.get("blocks")
    if blocks is None:
        return []
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return ["/blocks: not valid JSON (invalid_blocks_format)"]
    if not isinstance(blocks, list):
        return ["/blocks: must be an array (invalid_blocks_format)"]
    problems: list[str] = []
    text = payload.get("text")
    if blocks and (not isinstance(text, str) or not text.strip()):
        problems.append(MISSING_FALLBACK_PROBLEM)
    if isinstance(text, str) and len(text) > MAX_FALLBACK_TEXT:
        problems.append(f"/text: {len(text)} characters, Slack truncates at {MAX_FALLBACK_TEXT}")
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        problems.append(f"/blocks: {len(blocks)} blocks, at most {MAX_MESSAGE_BLOCKS} allowed")
    problems += _blocks_problems(blocks)
    total = sum(text_length(block) for block in blocks)
    if total > MAX_MESSAGE_TEXT:
        problems.append(f"{CUMULATIVE_TEXT_PROBLEM} is {total} characters, max {MAX_MESSAGE_TEXT}")
    return problems


def view_problems(view: Mapping[str, Any]) -> list[str]:
    """Everything Slack would reject in a modal or Home tab view."""
    problems: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"/type: must be 'modal' or 'home', got {kind!r}"]
    problems += [f"/{key}: unknown view key" for key in view if key not in _VIEW_KEYS]
    try:
        # Blocks are checked one by one below; a stand-in keeps View's own count check quiet.
        View(**{**view, "blocks": [{"type": "divider"}]}).to_dict()
    except _PARSE_ERRORS as exc:
        problems.append(f"/view: {exc}")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= MAX_VIEW_BLOCKS:
        count = len(blocks) if isinstance(blocks, list) else 0
        problems.append(f"/blocks: {count} blocks, must be 1..{MAX_VIEW_BLOCKS}")
        blocks = blocks if isinstance(blocks, list) else []
    problems += _blocks_problems(blocks)
    if kind == "home":
        problems += [
            f"/{key}: a home view cannot have it" for key in ("submit", "close") if key in view
        ]
    else:
        if not _plain_text(view.get("title")):
            problems.append("/title: a modal needs a title")
        has_input = any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)
        if has_input and not _plain_text(view.get("submit")):
            problems.append("/submit: a modal with input blocks needs a submit button")
    title = _plain_text(view.get("title"))
    if len(title) > MAX_VIEW_TITLE:
        problems.append(f"/title: {len(title)} characters, max {MAX_VIEW_TITLE}")
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > MAX_PRIVATE_METADATA:
        problems.append(
            f"/private_metadata: {len(metadata)} characters, max {MAX_PRIVATE_METADATA}"
        )
    for key in ("callback_id", "external_id"):
        value = view.get(key)
        if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
            problems.append(f"/{key}: {len(value)} characters, max {MAX_ID_LENGTH}")
    size = len(json.dumps(view).encode())
    if size > MAX_VIEW_BYTES:
        problems.append(f"/view: {size} bytes, max {MAX_VIEW_BYTES} (view_too_large)")
    return problems


def _blocks_problems(blocks: Sequence[Any]) -> list[str]:
    problems: list[str] = []
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        path = f"/blocks/{index}"
        if not isinstance(block, Mapping):
            problems.append(f"{path}: a block must be an object")
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in seen_block_ids:
                problems.append(f"{path}/block_id: {block_id!r} is not unique in this message")
            seen_block_ids.add(block_id)
        problems += _block_problems(block, path)
    return problems


def _block_problems(block: Mapping[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    try:
        parsed = Block.parse(dict(block))
        if parsed is None:
            return [f"{path}: unknown block type {block.get('type')!r}"]
        problems += _lost_keys(block, parsed.to_dict(), path)
    except _PARSE_ERRORS as exc:
        problems.append(f"{path}: {exc}")  # slack_sdk stops at the first failure; go on
    block_id = block.get("block_id")
    if isinstance(block_id, str) and len(block_id) > MAX_ID_LENGTH:
        problems.append(f"{path}/block_id: {len(block_id)} characters, max {MAX_ID_LENGTH}")
    kind = block.get("type")
    if kind == "section":
        text = _plain_text(block.get("text"))
        if len(text) > MAX_SECTION_TEXT:
            problems.append(f"{path}/text: {len(text)} characters, max {MAX_SECTION_TEXT}")
        fields = block.get("fields") or []
        if len(fields) > MAX_SECTION_FIELDS:
            problems.append(f"{path}/fields: {len(fields)} items, max {MAX_SECTION_FIELDS}")
        for i, field in enumerate(fields):
            if len(_plain_text(field)) > MAX_FIELD_TEXT:
                problems.append(f"{path}/fields/{i}: longer than {MAX_FIELD_TEXT} characters")
    elif kind == "header" and len(_plain_text(block.get("text"))) > MAX_HEADER_TEXT:
        problems.append(f"{path}/text: header longer than {MAX_HEADER_TEXT} characters")
    limit = {"actions": MAX_ACTIONS_ELEMENTS, "context": MAX_CONTEXT_ELEMENTS}.get(str(kind))
    elements = block.get("elements") or []
    if limit is not None and len(elements) > limit:
        problems.append(f"{path}/elements: {len(elements)} items, no more than {limit} allowed")
    seen_action_ids: set[str] = set()
    for element_path, element in _interactive_elements(block, path):
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            if len(action_id) > MAX_ID_LENGTH:
                problems.append(f"{element_path}/action_id: longer than {MAX_ID_LENGTH}")
            if action_id in seen_action_ids:
                problems.append(f"{element_path}/action_id: {action_id!r} repeated in block")
            seen_action_ids.add(action_id)
        problems += _element_problems(element, element_path)
    return problems


def _element_problems(element: Mapping[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if element.get("type") == "button":
        value = element.get("value")
        if isinstance(value, str) and len(value) > MAX_BUTTON_VALUE:
            problems.append(f"{path}/value: {len(value)} characters, max {MAX_BUTTON_VALUE}")
        if len(_plain_text(element.get("text"))) > MAX_BUTTON_TEXT:
            problems.append(f"{path}/text: button text longer than {MAX_BUTTON_TEXT}")
    options = list(element.get("options") or [])
    limit = MAX_OVERFLOW_OPTIONS if element.get("type") == "overflow" else MAX_SELECT_OPTIONS
    if len(options) > limit:
        problems.append(f"{path}/options: {len(options)} items, max {limit}")
    for group in element.get("option_groups") or []:
        if isinstance(group, Mapping):
            options += group.get("options") or []
    options += element.get("initial_options") or []
    if isinstance(element.get("initial_option"), Mapping):
        options.append(element["initial_option"])
    for option in options:
        if not isinstance(option, Mapping):
            continue
        value = option.get("value")
        if isinstance(value, str) and len(value) > MAX_OPTION_VALUE:
            problems.append(f"{path}: option value {value[:20]!r}… longer than {MAX_OPTION_VALUE}")
        if len(_plain_text(option.get("text"))) > MAX_OPTION_TEXT:
            problems.append(f"{path}: option text longer than {MAX_OPTION_TEXT}")
    return problems


def _interactive_elements(
    block: Mapping[str, Any], path: str
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key in ("accessory", "element"):
        element = block.get(key)
        if isinstance(element, Mapping):
            yield f"{path}/{key}", element
    if block.get("type") in ("actions", "context", "context_actions"):
        for i, element in enumerate(block.get("elements") or []):
            if isinstance(element, Mapping):
                yield f"{path}/elements/{i}", element


def _lost_keys(original: Any, parsed: Any, path: str) -> Iterator[str]:
    """Keys slack_sdk dropped while parsing: Slack would reject them, the sdk only logs."""
    if isinstance(original, Mapping) and isinstance(parsed, Mapping):
        for key, value in original.items():
            if key not in parsed:
                yield f"{path}/{key}: unknown key (dropped by slack_sdk)"
            else:
                yield from _lost_keys(value, parsed[key], f"{path}/{key}")
    elif isinstance(original, list) and isinstance(parsed, list):
        for i, (left, right) in enumerate(zip(original, parsed, strict=False)):
            yield from _lost_keys(left, right, f"{path}/{i}")


def text_length(node: Any) -> int:
    """Characters of every `text` string below `node` (text objects, rich text, markdown)."""
    if isinstance(node, Mapping):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else text_length(value)
            for key, value in node.items()
        )
    if isinstance(node, list):
        return sum(text_length(item) for item in node)
    return 0


def _plain_text(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, Mapping) and isinstance(node.get("text"), str):
        return str(node["text"])
    return ""

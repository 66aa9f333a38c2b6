"""What a click or a form submission sends, read from the blocks the app actually rendered.

Slack's ``actions[]`` entry for a pressed button or picked option, and a view's
``state.values`` with every input block present, so nothing the app never showed can be sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from bot.demo.fake_slack_records import Json


def _elements(blocks: list[Json]) -> Iterator[tuple[str | None, Json]]:
    for block in blocks:
        inner = [block.get("accessory"), block.get("element"), *(block.get("elements") or [])]
        for element in inner:
            if isinstance(element, dict) and "action_id" in element:
                yield block.get("block_id"), element


def _options(element: Json) -> list[Json]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def find_element(blocks: list[Json], action_id: str, value: str) -> tuple[str | None, Json | None]:
    """The element with `action_id` that would send `value` (rows may share an action_id)."""
    candidates = [(b, e) for b, e in _elements(blocks) if e["action_id"] == action_id]
    for block_id, element in candidates:
        if element.get("value") == value or any(o.get("value") == value for o in _options(element)):
            return block_id, element
    return None, None


def action_for(element: Json, value: str) -> Json:
    action: Json = {"action_id": element["action_id"], "type": element["type"]}
    action["action_ts"] = f"{time.time():.6f}"
    if element["type"] == "button":
        action["value"] = value
        action["text"] = element.get("text") or {"type": "plain_text", "text": "Button"}
    else:
        picked = [o for o in _options(element) if o.get("value") == value]
        action["selected_option"] = picked[0] if picked else {"value": value}
    return action


def view_state(view: Json, values: Mapping[str, Mapping[str, Any]]) -> Json:
    """Slack's view.state.values: every input block, empty unless `values` fills it."""
    inputs = {
        (block.get("block_id"), element["action_id"]): element
        for block in view.get("blocks", [])
        if block.get("type") == "input"
        for element in [block.get("element") or {}]
        if "action_id" in element
    }
    for block_id, actions in values.items():
        for action_id in actions:
            if (block_id, action_id) not in inputs:
                raise AssertionError(f"view has no input {block_id}/{action_id}")
    state: Json = {}
    for (block_id, action_id), element in inputs.items():
        given = values.get(str(block_id), {}).get(action_id)
        state.setdefault(block_id, {})[action_id] = _state_value(element, given)
    return state


def _state_value(element: Json, given: Any) -> Json:
    kind = element["type"]
    if isinstance(given, dict):
        return {"type": kind, **given}
    if kind in ("static_select", "external_select", "radio_buttons"):
        picked = [o for o in _options(element) if o.get("value") == given]
        return {"type": kind, "selected_option": picked[0] if picked else None}
    if kind == "checkboxes" or kind.startswith("multi_"):
        chosen = given or []
        return {
            "type": kind,
            "selected_options": [o for o in _options(element) if o.get("value") in chosen],
        }
    key = {
        "datepicker": "selected_date",
        "timepicker": "selected_time",
        "datetimepicker": "selected_date_time",
        "users_select": "selected_user",
        "conversations_select": "selected_conversation",
        "channels_select": "selected_channel",
    }.get(kind, "value")
    if key == "value" and given is not None:
        given = str(given)  # plain_text_input and number_input both report strings
    state: Json = {"type": kind, key: given}
    if kind == "timepicker" and element.get("timezone"):
        state["timezone"] = element["timezone"]
    return state

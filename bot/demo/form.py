"""A modal's inputs as console fields: what to ask, what a typed answer means to Slack.

Slack sends every input's current value on submission, initial values included, so a field
the person skips keeps whatever the modal showed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Json = Mapping[str, Any]

SELECTS = ("static_select", "radio_buttons")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")


class AnswerError(ValueError):
    """A typed answer the field cannot take; ``str()`` says what it wants instead."""


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    block_id: str
    action_id: str
    label: str
    kind: str
    hint: str
    options: tuple[Option, ...]
    initial: str | None

    @property
    def shown(self) -> str:
        """The current value as the modal shows it."""
        if self.initial is None:
            return ""
        label = next((o.label for o in self.options if o.value == self.initial), None)
        return label or self.initial

    def describe(self) -> str:
        """One line: the label, the current value, and what may be typed."""
        expect = {
            "datepicker": "YYYY-MM-DD",
            "timepicker": "HH:MM",
            "number_input": "a number",
        }.get(self.kind, "")
        if self.options:
            expect = " / ".join(o.value for o in self.options)
        parts = [self.label]
        if self.shown:
            parts.append(f"[{self.shown}]")
        if expect:
            parts.append(f"({expect})")
        return " ".join(parts)


def fields_of(view: Json) -> list[Field]:
    """Every input block with an element the console can fill, in display order."""
    found: list[Field] = []
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") != "input" or "action_id" not in element:
            continue
        options = tuple(
            Option(str(o.get("value", "")), str((o.get("text") or {}).get("text", "")))
            for o in element.get("options") or []
        )
        found.append(
            Field(
                block_id=str(block.get("block_id", "")),
                action_id=str(element["action_id"]),
                label=str((block.get("label") or {}).get("text", "")),
                kind=str(element.get("type", "")),
                hint=str((block.get("hint") or {}).get("text", "")),
                options=options,
                initial=_initial(element),
            )
        )
    return found


def parse_answer(field: Field, answer: str) -> str | None:
    """What Slack would report for ``answer``: an option value, text, or None when cleared."""
    text = answer.strip()
    if text == "-":
        return None
    if field.options:
        low = text.lower()
        for index, option in enumerate(field.options, start=1):
            if low in (option.value.lower(), option.label.lower(), str(index)):
                return option.value
        choices = ", ".join(o.value for o in field.options)
        raise AnswerError(f"pick one of: {choices}")
    if field.kind == "datepicker" and not _DATE.match(text):
        raise AnswerError("type a date as YYYY-MM-DD")
    if field.kind == "timepicker" and not _TIME.match(text):
        raise AnswerError("type a time as HH:MM (24-hour)")
    if field.kind == "number_input":
        try:
            float(text)
        except ValueError:
            raise AnswerError("type a number") from None
    return text


def submission(fields: list[Field], answers: Mapping[str, str | None]) -> dict[str, dict[str, Any]]:
    """``{block_id: {action_id: value}}`` for the driver; unanswered fields keep their initial."""
    values: dict[str, dict[str, Any]] = {}
    for field in fields:
        value = answers.get(field.block_id, field.initial)
        values.setdefault(field.block_id, {})[field.action_id] = value
    return values


def _initial(element: Json) -> str | None:
    option = element.get("initial_option")
    if isinstance(option, Mapping):
        return str(option.get("value", ""))
    for key in ("initial_value", "initial_date", "initial_time"):
        if element.get(key) not in (None, ""):
            return str(element[key])
    return None

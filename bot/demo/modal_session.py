"""One modal at the console: shown as text, filled field by field, submitted as Slack would."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from bot.demo.driver import SlackDriver
from bot.demo.form import AnswerError, Field, fields_of, parse_answer, submission
from bot.demo.lines import LineSource

MAX_ROUNDS = 5  # submissions the bot may send back with field errors before we give up
MAX_TRIES = 3  # unreadable answers to one field before moving on
SUBMIT, CANCEL = "/submit", "/cancel"


class ModalSession:
    def __init__(
        self,
        driver: SlackDriver,
        user_id: str,
        view: dict[str, Any],
        source: LineSource,
        say: Callable[[str], None],
    ) -> None:
        self.driver = driver
        self.user_id = user_id
        self.view = view
        self.source = source
        self.say = say

    async def run(self) -> bool:
        """True when the bot accepted the submission (its replies are then on their way)."""
        fields = fields_of(self.view)
        self.say(self.describe(fields))
        answers: dict[str, str | None] = {}
        todo = fields
        for _ in range(MAX_ROUNDS):
            if not await self._ask(todo, answers):
                self.say("(modal closed without submitting)")
                return False
            response = await self.driver.submit_view(
                self.user_id, self.view, submission(fields, answers)
            )
            if response.status_code != 200:
                self.say(f"(the bot answered HTTP {response.status_code}: {response.text[:200]})")
                return False
            errors = _field_errors(response)
            if not errors:
                self.say("(submitted)")
                return True
            for field in fields:
                if field.block_id in errors:
                    self.say(f"  ⚠ {field.label}: {errors[field.block_id]}")
            todo = [f for f in fields if f.block_id in errors] or fields
        self.say("(giving up on this modal)")
        return False

    def describe(self, fields: list[Field]) -> str:
        title = _text(self.view.get("title"))
        buttons = " / ".join(t for t in (_text(self.view.get(k)) for k in ("submit", "close")) if t)
        lines = [f"┄ modal: {title}" + (f"  ({buttons})" if buttons else "")]
        lines += [f"  {i}. {f.describe()}" for i, f in enumerate(fields, start=1)]
        lines.append(
            f"  Enter keeps a value, - clears it, {SUBMIT} sends the form now, {CANCEL} closes it."
        )
        return "\n".join(lines)

    async def _ask(self, todo: list[Field], answers: dict[str, str | None]) -> bool:
        """Fill ``answers``; False when the person cancels (or input ends)."""
        for field in todo:
            if field.hint:
                self.say(f"    ({field.hint})")
            for _ in range(MAX_TRIES):
                line = await self.source.read(f"  {field.describe()}: ")
                typed = (line or "").strip()
                if line is None or typed == CANCEL:
                    return False
                if typed == SUBMIT:
                    return True
                if not typed:
                    break
                try:
                    answers[field.block_id] = parse_answer(field, typed)
                except AnswerError as exc:
                    self.say(f"    ({exc})")
                else:
                    break
        return True


def _field_errors(response: httpx.Response) -> dict[str, str]:
    """Slack's ``response_action: errors`` answer as {block_id: message}; empty otherwise."""
    if not response.content:
        return {}
    try:
        body = response.json()
    except json.JSONDecodeError:
        return {}
    if not isinstance(body, dict) or body.get("response_action") != "errors":
        return {}
    errors = body.get("errors") or {}
    return {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}


def _text(node: Any) -> str:
    return str(node.get("text", "")) if isinstance(node, dict) else str(node or "")

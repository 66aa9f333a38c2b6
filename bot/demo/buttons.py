"""The buttons of the last reply and how a typed line picks one: ``3`` or ``press next``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.demo.fake_slack import Message
from bot.demo.render import Clickable


@dataclass(frozen=True)
class Target:
    """A button on screen and where it is: a message, or the App Home view."""

    clickable: Clickable
    message: Message | None
    view: dict[str, Any] | None = None


def is_button_number(line: str) -> bool:
    """Short numbers press buttons; longer digit strings are phone numbers to search for."""
    return line.isdigit() and len(line) <= 3


def find_target(targets: list[Target], line: str) -> Target | str:
    """The button ``line`` means, or what to tell the person when there is none."""
    number = int(line) if is_button_number(line) else None
    search_hint = f"to search a number type from:{line} or ext:{line}"
    if not targets:
        hint = f"; {search_hint}" if number is not None else ""
        return f"(nothing to press: no reply with buttons yet{hint})"
    if number is not None:
        found = [t for t in targets if t.clickable.number == number]
        if not found:
            return f"there is no button {number} (the last reply has {len(targets)}); {search_hint}"
    else:
        wanted = line.partition(" ")[2].strip().lower()
        found = [t for t in targets if wanted and wanted in t.clickable.label.lower()]
    if not found:
        shown = " ".join(f"[{t.clickable.number} {t.clickable.label}]" for t in targets)
        return f"(no such button; the last reply has {shown})"
    return found[0]

"""What a results row shows while and after Play or Share runs on it (pure).

A Play or Share never replaces the list it was clicked on: the row's button shows the state
(``▶ Play`` -> ``⏳ Uploading 40 %`` -> ``✓ In your DM``, a link to the file) and what there is
to say (the outcome, or why it failed) goes in a line under that row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.blocks.ids import ACTION_ROW_STATE
from bot.blocks.mrkdwn import clip, sanitize_mrkdwn
from bot.blocks.parts import Block, button

WORKING, DONE, LINK, FAILED = "working", "done", "link", "failed"
PLAY, SHARE = "play", "share"
NOTE_MAX = 400  # one row's line; a page of them stays far inside the message text budget
MAX_URL = 3000  # Slack's cap on a button's url
MAX_AWAY = 5  # notes about rows no longer on the page shown (a Play, then Next)


@dataclass(frozen=True)
class ActionState:
    """One action's newest step on one row."""

    status: str  # working | done | link | failed
    percent: int | None = None
    label: str = ""  # done: "In your DM", "In this channel", "Shared"
    url: str = ""
    note: str = ""  # mrkdwn: the outcome, or why it failed


@dataclass(frozen=True)
class RowView:
    """Every action's state on one row (a recording ref); empty when nothing was clicked."""

    states: dict[str, ActionState] = field(default_factory=dict)  # by action: play | share

    def button(self, action: str) -> Block | None:
        """The state button replacing ``action``'s own, or None to draw the usual one."""
        state = self.states.get(action)
        if state is None or state.status == FAILED:
            return None
        if state.status == WORKING:
            text = "⏳ Uploading…" if state.percent is None else f"⏳ Uploading {state.percent} %"
            return button(text, ACTION_ROW_STATE, action)
        url = state.url if 0 < len(state.url) <= MAX_URL else None
        if state.status == LINK and url is None:
            return None  # the link was not kept: Play again makes a fresh one
        text = f"✓ {state.label or 'Done'}" if state.status == DONE else "⬇ Download"
        return button(text, ACTION_ROW_STATE, action, url=url)

    def lines(self) -> list[str]:
        """The lines under the row: outcomes and errors, newest action last."""
        found: list[str] = []
        for action in (PLAY, SHARE):
            state = self.states.get(action)
            if state is None or not state.note:
                continue
            text = clip(sanitize_mrkdwn(state.note), NOTE_MAX)
            found.append(f":warning: {text}" if state.status == FAILED else text)
        return found

    def compact(self) -> list[str]:
        """A compact row has no buttons: the state is said in its text."""
        found: list[str] = []
        for action in (PLAY, SHARE):
            state = self.states.get(action)
            if state is not None and state.status == WORKING:
                pct = "" if state.percent is None else f" {state.percent} %"
                found.append(f"⏳ Uploading{pct}…")
        return found + self.lines()


def away_lines(rows: dict[str, RowView], on_page: set[str]) -> list[str]:
    """What became of actions on rows this page does not show (the person paged on)."""
    found: list[str] = []
    for ref, view in sorted(rows.items()):
        if ref in on_page:
            continue
        if any(s.status == WORKING for s in view.states.values()):
            found.append(f"⏳ Recording {ref.rpartition(':')[2]} is uploading…")
        found.extend(view.lines())
    return found[:MAX_AWAY]

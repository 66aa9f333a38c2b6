"""The access matrix's vocabulary: who acts, on whose recording, and what must happen.

Each later action (play, share, export) adds rows in its own ``access_rows_*.py`` module; the
matrix test runs every row through the real HTTP endpoint with signed requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bot.blocks import RecordingRef, recording_ref
from bot.store import AuditQuery
from bot.vbc.models import RecordingKind
from bot.vbcsim.data import SimRecording
from tests.fakes import Message, render_text
from tests.integration.conftest import ADMIN, MEMBER, OTHER, TEAM, UNLINKED, Stack

Whose = Literal["own", "other"]
Expect = Literal["allowed", "refused"]
ACTORS = {"member": MEMBER, "other member": OTHER, "admin": ADMIN, "unlinked": UNLINKED}
# Words a refusal must use, so a person knows it is about access and what to do.
REFUSAL_WORDS = (
    "not yours",
    "only recordings admins",
    "don't know who you are",
    "not one of yours",
)


@dataclass(frozen=True)
class Outcome:
    """What the actor saw (flattened text) after the action."""

    text: str


Perform = Callable[[Stack, str, "Whose"], Awaitable[Outcome]]  # (stack, actor id, whose)


@dataclass(frozen=True)
class Row:
    actor: str  # a key of ACTORS
    action: str  # the audit action the row must leave: search, page, details, get, audio, ...
    whose: Whose  # the actor's own recording, or the member's when the actor is someone else
    expect: Expect
    perform: Perform

    @property
    def id(self) -> str:
        return f"{self.actor}-{self.action}-{self.whose}-{self.expect}"


def own_or_others_rows(action: str, perform: Perform) -> list[Row]:
    """The usual six: each member may act on their own and not another's; an admin on any;
    an unlinked person on none."""
    return [
        Row("member", action, "own", "allowed", perform),
        Row("member", action, "other", "refused", perform),
        Row("other member", action, "own", "allowed", perform),
        Row("other member", action, "other", "refused", perform),
        Row("admin", action, "other", "allowed", perform),
        Row("unlinked", action, "other", "refused", perform),
    ]


def member_recording(stack: Stack) -> SimRecording:
    """A company recording of MEMBER's extension only (not OTHER's)."""
    member, other = stack.sim.state.users[0], stack.sim.state.users[1]
    return next(
        r
        for r in stack.sim.state.dataset.company
        if member.extension in r.extensions and other.extension not in r.extensions
    )


def other_recording(stack: Stack) -> SimRecording:
    member, other = stack.sim.state.users[0], stack.sim.state.users[1]
    return next(
        r
        for r in stack.sim.state.dataset.company
        if other.extension in r.extensions and member.extension not in r.extensions
    )


def member_on_demand(stack: Stack) -> SimRecording:
    member = stack.sim.state.users[0]
    return next(r for r in stack.sim.state.dataset.on_demand if r.owner_user_id == member.id)


def ref_value(recording: SimRecording) -> str:
    if recording.owner_user_id is None:
        return f"c:{recording.id}"
    return f"o:{recording.owner_user_id}:{recording.id}"


def ref_of(recording: SimRecording) -> RecordingRef:
    kind = RecordingKind.COMPANY if recording.owner_user_id is None else RecordingKind.ON_DEMAND
    owner = str(recording.owner_user_id) if recording.owner_user_id else None
    return RecordingRef(kind=kind, recording_id=recording.id, owner_user_id=owner)


async def latest_reply(stack: Stack, user: str, before: int, timeout: float = 10.0) -> Outcome:
    """Wait for the next message the user sees after ``before`` earlier ones."""

    def newer() -> list[Message] | None:
        seen = stack.slack.messages_for(user)
        return seen[before:] or None

    messages = await stack.slack.wait_for(newer, timeout=timeout)
    return Outcome(text="\n".join(m.text + "\n" + render_text(m.blocks) for m in messages))


def seen_count(stack: Stack, user: str) -> int:
    return len(stack.slack.messages_for(user))


async def audit_outcomes(stack: Stack, user: str, action: str) -> list[str]:
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=user, action=action), offset=0, limit=50
    )
    return [e.outcome for e in events]


__all__ = [
    "ACTORS",
    "REFUSAL_WORDS",
    "Expect",
    "Outcome",
    "Perform",
    "Row",
    "Whose",
    "audit_outcomes",
    "latest_reply",
    "member_on_demand",
    "member_recording",
    "other_recording",
    "recording_ref",
    "ref_of",
    "ref_value",
    "seen_count",
]

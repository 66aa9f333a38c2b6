"""The access matrix's delete rows (see ``tests/integration/access.py`` for ``Row``).

A delete is tried the way an attacker would: Details' "Delete…" button with the recording's
reference (a forged one for someone else's), then the confirmation submitted where it opens.
Members may delete only their own on-demand recordings, and only with ``MEMBERS_MAY_DELETE``;
``MEMBERS_MAY`` rows run with it on, ``ROWS`` with the default (off).
"""

from __future__ import annotations

from bot import blocks
from bot.vbcsim.data import SimRecording
from tests.integration.access import (
    Outcome,
    Row,
    Whose,
    latest_reply,
    member_recording,
    ref_value,
    seen_count,
)
from tests.integration.conftest import MEMBER, OTHER, Stack


def _on_demand_of(stack: Stack, user: str) -> SimRecording:
    vbc_user = stack.sim.state.users[0 if user == MEMBER else 1]
    return next(r for r in stack.sim.state.dataset.on_demand if r.owner_user_id == vbc_user.id)


async def _try_delete(stack: Stack, actor: str, rec: SimRecording) -> Outcome:
    before = seen_count(stack, actor)
    updates = len(stack.slack.calls_to("views.update"))
    await stack.driver.click(actor, blocks.ACTION_DELETE_OPEN, ref_value(rec))
    await stack.slack.wait_for("views.update", timeout=10, count=updates + 1)
    view = stack.slack.current_view(actor)
    if view is not None and view.get("callback_id") == blocks.CALLBACK_DELETE_ONE:
        await stack.driver.submit_view(actor, view, {})
    return await latest_reply(stack, actor, before)


async def do_delete(stack: Stack, actor: str, whose: Whose) -> Outcome:
    """An on-demand recording: the actor's own, or the member's (the other member's)."""
    owner = actor if whose == "own" else (OTHER if actor == MEMBER else MEMBER)
    return await _try_delete(stack, actor, _on_demand_of(stack, owner))


async def do_delete_company(stack: Stack, actor: str, whose: Whose) -> Outcome:
    """A company recording of the member's own extension."""
    del whose
    return await _try_delete(stack, actor, member_recording(stack))


ROWS: list[Row] = [
    Row("member", "delete", "own", "refused", do_delete),
    Row("member", "delete", "other", "refused", do_delete),
    Row("admin", "delete", "other", "allowed", do_delete),
    Row("unlinked", "delete", "other", "refused", do_delete),
]

MEMBERS_MAY: list[Row] = [
    Row("member", "delete", "own", "allowed", do_delete),
    Row("member", "delete", "other", "refused", do_delete),
    Row("other member", "delete", "own", "allowed", do_delete),
    Row("other member", "delete", "other", "refused", do_delete),
    Row("member", "delete", "own", "refused", do_delete_company),
    Row("admin", "delete", "other", "allowed", do_delete),
]

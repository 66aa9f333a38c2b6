"""Legal holds over signed HTTP: placed by id or by filters, listed, released, refused.

``hold_on`` (what every delete path asks) is read from the running bot's hold service.
"""

from __future__ import annotations

from datetime import timedelta

from bot.store import AuditQuery
from bot.vbc.models import Recording, RecordingKind
from bot.vbcsim.data import SimRecording
from tests.fakes import assert_valid_message, render_text
from tests.integration.access import member_recording
from tests.integration.conftest import ADMIN, MEMBER, TEAM, Stack

DEADLINE = 10.0


async def say(stack: Stack, user: str, words: str) -> str:
    """Run a command; the text of the reply the user sees."""
    before = len(stack.slack.messages_for(user))
    await stack.driver.command(user, words)
    *_, reply = await stack.slack.wait_for(
        lambda: stack.slack.messages_for(user)[before:], timeout=DEADLINE
    )
    assert_valid_message({"text": reply.text, "blocks": reply.blocks})
    return render_text(reply.blocks)


def as_recording(rec: SimRecording) -> Recording:
    kind = RecordingKind.COMPANY if rec.owner_user_id is None else RecordingKind.ON_DEMAND
    return Recording(
        id=rec.id,
        kind=kind,
        owner_user_id=str(rec.owner_user_id) if rec.owner_user_id else None,
        caller_id=rec.caller_id,
        dnis=rec.dnis,
        cnam=rec.cnam,
        start=rec.start,
        duration=rec.duration,
        extensions=list(rec.extensions),
        call_direction=rec.call_direction,
    )


async def audits(stack: Stack, action: str) -> list[tuple[str, str, str | None]]:
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(action=action), offset=0, limit=50
    )
    return [(e.actor, e.outcome, e.target) for e in events]


async def test_a_hold_by_id_stands_until_released(stack: Stack) -> None:
    holds = stack.bot.runtime.services.holds
    rec = member_recording(stack)
    shown = await say(stack, ADMIN, f'hold {rec.id} reason:"litigation 2024-17"')
    assert "Hold 1" in shown
    assert f"company recording {rec.id}" in shown
    assert "not VBC's portal" in shown

    ref = await holds.hold_on(as_recording(rec))
    assert ref is not None
    assert (ref.hold_id, ref.reason) == (1, "litigation 2024-17")
    other = next(r for r in stack.sim.state.dataset.company if r.id != rec.id)
    assert await holds.hold_on(as_recording(other)) is None

    listed = await say(stack, ADMIN, "holds")
    assert "Hold 1" in listed
    assert "litigation 2024-17" in listed

    released = await say(stack, ADMIN, "release 1")
    assert "Hold 1" in released
    assert "released" in released
    assert await holds.hold_on(as_recording(rec)) is None
    assert "No legal holds stand" in await say(stack, ADMIN, "holds")
    assert ("U0ADMIN03", "allowed", "hold:1") in await audits(stack, "hold")
    assert ("U0ADMIN03", "allowed", "hold:1") in await audits(stack, "release")

    again = await say(stack, ADMIN, "release 1")
    assert "already released by" in again


async def test_a_hold_by_filters_covers_matching_recordings_now_and_later(stack: Stack) -> None:
    holds = stack.bot.runtime.services.holds
    shown = await say(stack, ADMIN, 'hold from:+1 732 555 0100 last 30d reason:"subpoena 9"')
    assert "Hold 1" in shown
    since = stack.sim.state.dataset.now - timedelta(days=29)
    john = [
        r
        for r in stack.sim.state.dataset.company
        if r.caller_id == "17325550100" and r.start >= since
    ]
    assert john
    assert [await holds.hold_on(as_recording(r)) is not None for r in john] == [True] * len(john)
    # One arriving later within the window (the window's end was resolved when it was made).
    later = stack.sim.state.add_recording(caller_id="17325550100", start=john[0].start)
    assert await holds.hold_on(as_recording(later)) is not None
    # Past the window's end (resolved at hold time): not covered.
    after = as_recording(later).model_copy(update={"start": later.start + timedelta(days=60)})
    assert await holds.hold_on(after) is None
    # Another caller: not covered.
    other = next(r for r in stack.sim.state.dataset.company if r.caller_id != "17325550100")
    assert await holds.hold_on(as_recording(other)) is None


async def test_a_hold_for_one_person_covers_only_theirs(stack: Stack) -> None:
    holds = stack.bot.runtime.services.holds
    shown = await say(stack, ADMIN, f'hold user:<@{MEMBER}|hannah> reason:"HR case"')
    assert "Hold 1" in shown, shown
    member = stack.sim.state.users[0]
    own = next(r for r in stack.sim.state.dataset.on_demand if r.owner_user_id == member.id)
    theirs = next(
        r for r in stack.sim.state.dataset.on_demand if r.owner_user_id not in (member.id, None)
    )
    assert await holds.hold_on(as_recording(own)) is not None
    assert await holds.hold_on(as_recording(theirs)) is None


async def test_bad_hold_and_release_input_is_named_and_changes_nothing(stack: Stack) -> None:
    rows = stack.bot.runtime.services.holds
    rec = member_recording(stack)
    cases = {
        f"hold {rec.id}": "needs a reason",
        'hold reason:"because"': "say what to hold",
        'hold reason:""': "reason is empty",
        'hold 999999999 reason:"x"': "has no recording 999999999",
        'hold od:12 company:13 reason:"x"': "hold one id",
        'hold nonsense-word reason:"x"': "can't read",
        "release": "release needs one hold id",
        "release 77": "There is no hold 77",
        "release abc": "is not a hold id",
    }
    for words, expected in cases.items():
        shown = await say(stack, ADMIN, words)
        assert expected in shown, (words, shown)
    assert await rows.active(TEAM) == []


async def test_members_cannot_hold_list_or_release(stack: Stack) -> None:
    rec = member_recording(stack)
    await say(stack, ADMIN, f'hold {rec.id} reason:"kept"')
    for words in (f'hold {rec.id} reason:"mine"', "holds", "release 1"):
        shown = await say(stack, MEMBER, words)
        assert "Only recordings admins" in shown, shown
    assert [h.id for h in await stack.bot.runtime.services.holds.active(TEAM)] == [1]
    refused = [
        (actor, outcome)
        for action in ("hold", "holds", "release")
        for actor, outcome, _ in await audits(stack, action)
        if outcome == "refused"
    ]
    assert refused == [(MEMBER, "refused")] * 3

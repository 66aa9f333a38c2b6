"""Retention of the bot's Slack copies over signed HTTP, with a hand-moved clock.

Audio played into a channel (a thread under the bot's message) and into a DM is deleted with
``files.delete`` once older than the policy, the bot's message edited to say so; a held
recording's copy stays; Play afterwards uploads again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot import blocks
from bot.store import AuditQuery
from tests.fakes import render_text
from tests.fakes.lifecycle import HandClock
from tests.integration.conftest import ADMIN, CHANNEL, MEMBER, TEAM, Stack, start_stack, stop_stack
from tests.integration.test_audio import (
    MB,
    add_recording,
    click,
    completed,
    results_with,
    set_channel,
)
from tests.integration.test_holds import say


@pytest.fixture
def clock() -> HandClock:
    return HandClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def stack(sqlite_url: str, clock: HandClock) -> AsyncIterator[Stack]:
    running = await start_stack(sqlite_url, now=clock(), clock=clock)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems


async def play(stack: Stack, rec_id: int, action_id: str) -> str:
    """MEMBER searches (30 days back: the clock moves on) and plays the recording."""
    rec = stack.sim.state.recording(rec_id)
    assert rec is not None
    results = await results_with(stack, MEMBER, rec, text="last 30d")
    return await click(stack, MEMBER, action_id, f"c:{rec_id}", results)


async def test_expired_copies_are_deleted_edited_audited_and_held_ones_kept(
    stack: Stack, clock: HandClock
) -> None:
    copies = stack.bot.runtime.services.slack_copies
    assert "7 days after upload" in await say(stack, ADMIN, "retention slack 7")
    here, held = add_recording(stack, MB), add_recording(stack, MB)
    await play(stack, held.id, blocks.ACTION_PLAY)  # into MEMBER's DM
    await set_channel(stack, CHANNEL, allow_share=True, direct_delivery=True)
    await play(stack, here.id, blocks.ACTION_PLAY_HERE)  # into a thread in the channel
    second, first = completed(stack)
    await say(stack, ADMIN, f'hold {held.id} reason:"keep every copy"')

    clock.advance(days=6)
    assert await copies.sweep() == 0
    clock.advance(days=2)
    assert await copies.sweep() == 1
    assert first.deleted
    assert not second.deleted
    [parent] = [m for m in stack.slack.messages_for(CHANNEL) if m.kind == "message"]
    assert "deleted from Slack 7 days after upload" in render_text(parent.blocks)
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(action="slack-copy-delete"), offset=0, limit=10
    )
    outcomes = {(e.target, e.outcome) for e in events}
    assert outcomes == {(f"company:{here.id}", "allowed"), (f"company:{held.id}", "refused")}
    assert any("hold 1" in (e.detail or "") for e in events)
    assert await copies.sweep() == 0  # the held copy is looked at again a day later only

    # Play uploads again: the reuse cache forgot the deleted file.
    outcome = await play(stack, here.id, blocks.ACTION_PLAY_HERE)
    assert outcome.startswith(":white_check_mark:"), outcome
    assert len(completed(stack)) == 3


async def test_off_keeps_every_copy(stack: Stack, clock: HandClock) -> None:
    copies = stack.bot.runtime.services.slack_copies
    await say(stack, ADMIN, "retention slack 1")
    rec = add_recording(stack, MB)
    await play(stack, rec.id, blocks.ACTION_PLAY)
    assert "No retention policy" in await say(stack, ADMIN, "retention slack off")
    clock.advance(days=30)
    assert await copies.sweep() == 0
    assert not completed(stack)[0].deleted

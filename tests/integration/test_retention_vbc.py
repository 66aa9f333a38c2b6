"""Retention at VBC over signed HTTP, with a hand-moved clock: found, announced, skipped or
started no sooner than 24 h after the notice, with exactly the announced ids less held ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot import blocks
from bot.lifecycle.ports import RecordingRef
from bot.store import AuditQuery
from bot.vbc.models import RecordingKind
from tests.fakes import Message, render_text, wait_until
from tests.fakes.lifecycle import HandClock, RecordedJobs
from tests.integration.conftest import ADMIN, MEMBER, TEAM, Stack, start_stack, stop_stack
from tests.integration.test_holds import say

NUMBER = "17325559876"  # a caller no generated recording has


@pytest.fixture
def clock() -> HandClock:
    return HandClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def jobs() -> RecordedJobs:
    return RecordedJobs()


@pytest.fixture
async def stack(sqlite_url: str, clock: HandClock, jobs: RecordedJobs) -> AsyncIterator[Stack]:
    running = await start_stack(sqlite_url, now=clock(), clock=clock, deletion_jobs=jobs)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems


def add_calls(stack: Stack, clock: HandClock) -> list[int]:
    """Company recordings from NUMBER: two old enough for a 30-day policy, one too new."""
    member = stack.sim.state.users[0]
    ids = []
    for days in (45, 31, 10):
        rec = stack.sim.state.add_recording(
            user_id=member.id, caller_id=NUMBER, start=clock() - timedelta(days=days)
        )
        ids.append(rec.id)
    return ids


def notices(stack: Stack) -> list[Message]:
    dm = stack.slack.dm_channel(ADMIN)
    return [m for m in stack.slack.messages if m.channel == dm and "Retention run" in m.text]


def skip_value(message: Message) -> str:
    for block in message.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == blocks.ACTION_RETENTION_SKIP:
                return str(element["value"])
    raise AssertionError("no Skip button")


async def audit(stack: Stack, action: str) -> list[tuple[str, str, str | None, str | None]]:
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(action=action), offset=0, limit=50
    )
    return [(e.actor, e.outcome, e.target, e.detail) for e in events]


async def test_a_run_is_announced_then_started_24h_later_less_held(
    stack: Stack, clock: HandClock, jobs: RecordedJobs
) -> None:
    retention = stack.bot.runtime.services.retention
    old, older, new = add_calls(stack, clock)
    shown = await say(stack, ADMIN, "retention vbc 30 type:company from:+1 732 555 9876")
    assert "older than 30 days" in shown
    assert [(a, o) for a, o, _, _ in await audit(stack, "retention")] == [(ADMIN, "allowed")]

    await retention.tick()  # or the loop's first pass, if it ran late: one of them announces
    [notice] = await wait_until(lambda: notices(stack), 15)
    assert "2 recordings" in notice.text
    assert skip_value(notice)
    status = await say(stack, ADMIN, "retention")
    assert "Next run" in status
    assert "2 recordings" in status

    clock.advance(hours=23, minutes=59)
    await retention.tick()
    assert jobs.started == []
    # A hold placed after the notice keeps its recording out of the run.
    await say(stack, ADMIN, f'hold {older} reason:"new claim"')
    clock.advance(minutes=2)
    await retention.tick()
    [job] = jobs.started
    assert job.origin == "retention"
    assert job.team_id == TEAM
    assert job.requested_by == ADMIN
    assert job.refs == (RecordingRef(RecordingKind.COMPANY, old),)
    assert new not in {r.id for r in job.refs}
    assert "Skip" not in render_text(notice.blocks)  # the button went with the start
    await retention.tick()  # nothing more: one start only
    assert len(jobs.started) == 1
    last = await say(stack, ADMIN, "retention")
    assert "Last run" in last
    assert "started" in last
    assert "1 left out under a hold" in last
    refused = [t for _, o, t, _ in await audit(stack, "retention_run") if o == "refused"]
    assert refused == [f"company:{older}"]


async def test_any_admin_can_skip_a_run_and_members_cannot(
    stack: Stack, clock: HandClock, jobs: RecordedJobs
) -> None:
    retention = stack.bot.runtime.services.retention
    add_calls(stack, clock)
    await say(stack, ADMIN, "retention vbc 30 type:company from:+1 732 555 9876")
    await retention.tick()  # or the loop's first pass, if it ran late: one of them announces
    [notice] = await wait_until(lambda: notices(stack), 15)
    value = skip_value(notice)

    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.click(MEMBER, blocks.ACTION_RETENTION_SKIP, value)
    [refusal] = await stack.slack.wait_for(lambda: stack.slack.messages_for(MEMBER)[before:])
    assert "Only recordings admins" in render_text(refusal.blocks)

    await stack.driver.click(ADMIN, blocks.ACTION_RETENTION_SKIP, value, message=notice)
    await stack.slack.wait_for(lambda: "skipped" in render_text(notice.blocks) or None)
    skips = await audit(stack, "retention_skip")
    assert [(a, o) for a, o, _, _ in skips] == [(ADMIN, "allowed"), (MEMBER, "refused")]
    clock.advance(hours=25)
    await retention.tick()
    assert jobs.started == []
    assert "skipped by" in await say(stack, ADMIN, "retention")
    # The next day's run is found and announced anew, with a button of its own.
    assert [skip_value(m) for m in notices(stack) if "Retention run 2" in m.text] == ["run:2"]


async def test_turning_a_policy_off_cancels_its_announced_run(
    stack: Stack, clock: HandClock, jobs: RecordedJobs
) -> None:
    retention = stack.bot.runtime.services.retention
    add_calls(stack, clock)
    await say(stack, ADMIN, "retention vbc 30 type:company from:+1 732 555 9876")
    await retention.tick()
    assert "No retention policy" in await say(stack, ADMIN, "retention vbc off")
    clock.advance(days=2)
    await retention.tick()
    assert jobs.started == []
    changes = [d for _, _, _, d in await audit(stack, "retention")]
    assert any(d and "-> off" in d for d in changes), changes


async def test_bad_retention_input_is_named_and_changes_nothing(stack: Stack) -> None:
    cases = {
        "retention vbc 0": "out of range",
        "retention slack 3651": "out of range",
        "retention slack abc": "is not a number of days",
        "retention slack 1.5": "is not a number of days",
        "retention slack -3": "is not a number of days",
        "retention slack": "say how many days",
        "retention tape 30": "is not a retention policy",
        "retention slack 30 type:company": "takes no filters",
        "retention vbc 30 nonsense-word": "can't read",
    }
    for words, expected in cases.items():
        shown = await say(stack, ADMIN, words)
        assert expected in shown, (words, shown)
    member = await say(stack, MEMBER, "retention slack 30")
    assert "Only recordings admins" in member
    assert (await stack.bot.runtime.services.retention.status(TEAM)).policies == []


async def test_app_home_shows_admins_the_holds_and_the_next_run(
    stack: Stack, clock: HandClock
) -> None:
    retention = stack.bot.runtime.services.retention
    old, _, _ = add_calls(stack, clock)
    await say(stack, ADMIN, f'hold {old} reason:"board inquiry"')
    await say(stack, ADMIN, "retention vbc 30 type:company from:+1 732 555 9876")
    await retention.tick()
    for user, event_id in ((ADMIN, "EvA"), (MEMBER, "EvM")):
        event = {"type": "app_home_opened", "user": user, "channel": "D0001", "tab": "home"}
        await stack.driver.event(event, event_id=event_id)
    homes = {
        call.args["user_id"]: render_text(call.args["view"]["blocks"])
        for call in await stack.slack.wait_for("views.publish", count=2, timeout=10)
    }
    admin_home, member_home = homes[ADMIN], homes[MEMBER]
    assert "board inquiry" in admin_home
    assert "Hold 1" in admin_home
    assert "Next retention run" in admin_home
    assert "2 recordings" in admin_home
    assert "Hold 1" not in member_home
    assert "retention" not in member_home.lower()

"""New-recording notices end to end: signed commands in, the simulator's new recordings, one
notice per (rule, recording) out, bursts as digests, refusals with nothing stored."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot import blocks
from bot.app import Runtime, build_runtime
from bot.blocks.ids import ACTION_NOTICE_REMOVE, ACTION_NOTICE_TOGGLE
from bot.store.notices import NoticeRows
from bot.store.tables import AuditEvent, NoticeRule
from bot.vbcsim import start_simulator
from bot.web.serve import LocalServer
from tests.fakes import FakeSlack, Message, SlackDriver, render_text, wait_until
from tests.integration.conftest import (
    ADMIN,
    CHANNEL,
    MEMBER,
    OTHER,
    SIGNING_SECRET,
    TEAM,
    UNLINKED,
    Stack,
    make_settings,
)

DEADLINE = 15.0


class ShiftClock:
    """The wall clock, moved forward by a test (the digest's minute passes at once)."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift


@dataclasses.dataclass
class NoticeStack(Stack):
    clock: ShiftClock


def quicken(runtime: Runtime) -> None:
    """Notices posted at once and due work looked for often (settings give a 1 s poll)."""
    tuning = runtime.services.notice_watcher.tuning
    tuning.spacing = 0.02
    tuning.idle_wait = 0.2


async def start_notices(database_url: str, **overrides: Any) -> NoticeStack:
    """A stack polling every second with short waits; ``overrides`` replace settings."""
    clock = ShiftClock()
    sim = await start_simulator(now=datetime.now(UTC))
    slack = FakeSlack(trigger_ttl=None)
    await slack.start()
    users = sim.state.users
    slack.add_user(MEMBER, "Hannah Kowalski", email=users[0].email)
    slack.add_user(OTHER, "Priya Patel", email=users[1].email)
    slack.add_user(ADMIN, "Ada Admin", email=sim.state.admin.email)
    slack.add_user(UNLINKED, "Nobody Known", email="nobody@elsewhere.test")
    settings = dataclasses.replace(
        make_settings(sim.url, slack.url, database_url), notify_poll_seconds=1, **overrides
    )
    runtime = await build_runtime(settings, clock=clock)
    quicken(runtime)
    bot = await LocalServer(runtime).start()
    driver = SlackDriver(f"{bot.url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM)
    return NoticeStack(sim, slack, bot, driver, settings, clock)


async def stop_notices(stack: NoticeStack) -> None:
    await stack.driver.aclose()
    await stack.bot.close()
    await stack.slack.close()
    await stack.sim.close()
    assert stack.slack.problems == [], stack.slack.problems


@pytest.fixture
async def notice_stack(sqlite_url: str) -> AsyncIterator[NoticeStack]:
    stack = await start_notices(sqlite_url)
    try:
        yield stack
    finally:
        await stop_notices(stack)


async def say(stack: Stack, user: str, text: str, *, channel: str = CHANNEL) -> str:
    before = len(stack.slack.responses)
    response = await stack.driver.command(user, text, channel_id=channel)
    assert response.status_code == 200
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, DEADLINE)
    return render_text(stack.slack.responses[-1].args.get("blocks") or [])


async def click(stack: Stack, user: str, action: str, value: str, **where: Any) -> str:
    before = len(stack.slack.responses)
    response = await stack.driver.click(user, action, value, **where)
    assert response.status_code == 200
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, DEADLINE)
    return render_text(stack.slack.responses[-1].args.get("blocks") or [])


def notices_in(slack: FakeSlack, target: str) -> list[Message]:
    return [m for m in slack.messages_for(target) if "New recording" in m.text]


def digests_in(slack: FakeSlack, target: str) -> list[Message]:
    return [m for m in slack.messages_for(target) if "in the last minute" in render_text(m.blocks)]


def add_call(stack: Stack, **fields: Any) -> int:
    """A call that ended just now, listed at once (the simulator's own recording)."""
    start = datetime.now(UTC) - timedelta(seconds=20)
    return stack.sim.state.add_recording(start=start, duration=20_000, **fields).id


async def rules_of(stack: Stack) -> list[NoticeRule]:
    return await NoticeRows(stack.bot.runtime.services.store).rules()


async def audit(stack: Stack, action: str) -> list[AuditEvent]:
    async with stack.bot.runtime.services.store.session() as s:
        return list(await s.exec(select(AuditEvent).where(AuditEvent.action == action)))


async def test_a_personal_rule_dms_each_new_recording_of_mine_once(
    notice_stack: NoticeStack,
) -> None:
    stack = notice_stack
    member = stack.sim.state.users[0]
    shown = await say(stack, MEMBER, "notify me inbound")
    assert "Rule 1 is on" in shown
    assert "inbound" in shown
    await asyncio.sleep(1.2)  # the rule's first poll: what exists already is not new
    mine = add_call(stack, user_id=member.id)
    on_demand = add_call(stack, owner_user_id=member.id)
    add_call(stack, user_id=stack.sim.state.users[1].id)  # someone else's extension
    add_call(stack, user_id=member.id, call_direction="OUTBOUND")  # not inbound
    await wait_until(lambda: len(notices_in(stack.slack, MEMBER)) >= 2, DEADLINE)
    await asyncio.sleep(2.5)  # more polls see the same recordings: still one notice each
    notices = notices_in(stack.slack, MEMBER)
    assert sorted(str(mine) in n.text or str(on_demand) in n.text for n in notices) == [True] * 2
    assert len(notices) == 2
    [notice] = [n for n in notices if str(mine) in n.text]
    assert blocks.ACTION_PLAY in str(notice.blocks)
    assert blocks.ACTION_DETAILS in str(notice.blocks)
    # Details is checked for whoever clicks: the member sees it, another member does not.
    shown = await click(stack, MEMBER, blocks.ACTION_DETAILS, f"c:{mine}", message=notice)
    assert f"Recording {mine}" in shown
    shown = await click(stack, OTHER, blocks.ACTION_DETAILS, f"c:{mine}", message=notice)
    assert "not yours" in shown
    # The list, then Remove: no more notices.
    listed = await say(stack, MEMBER, "notify")
    assert "Rule 1" in listed
    assert "your DM" in listed
    assert "Removed rule 1" in await say(stack, MEMBER, "notify off 1")
    assert await rules_of(stack) == []
    assert [e.outcome for e in await audit(stack, "notify_add")] == ["allowed"]
    assert [e.outcome for e in await audit(stack, "notify_remove")] == ["allowed"]
    add_call(stack, user_id=member.id)
    await asyncio.sleep(2)
    assert len(notices_in(stack.slack, MEMBER)) == 2


async def test_a_recording_listed_late_is_still_noticed(notice_stack: NoticeStack) -> None:
    stack = notice_stack
    assert "Rule 1 is on" in await say(stack, ADMIN, "notify me scope:company")
    await asyncio.sleep(1.2)
    state = stack.sim.state
    # A long call that ends now is listed 3 s late, behind a short one that started later.
    state.arrivals.configure(
        {"late_share": 1.0, "late_seconds": 3.0, "on_demand_share": 0.0}, state.clock()
    )
    [late] = state.arrivals.burst(1, state.clock())
    newer = add_call(stack, user_id=state.users[2].id)
    await wait_until(lambda: any(str(newer) in n.text for n in notices_in(stack.slack, ADMIN)))
    assert not any(str(late.id) in n.text for n in notices_in(stack.slack, ADMIN))
    assert late.start < state.recording(newer).start  # type: ignore[union-attr]
    await wait_until(
        lambda: any(str(late.id) in n.text for n in notices_in(stack.slack, ADMIN)), DEADLINE
    )
    await asyncio.sleep(1.5)
    assert len(notices_in(stack.slack, ADMIN)) == 2


async def test_a_channel_rule_posts_company_recordings_and_pauses_when_sharing_is_denied(
    notice_stack: NoticeStack,
) -> None:
    stack = notice_stack
    assert "not allowed" in await say(stack, ADMIN, f"notify <#{CHANNEL}|general> inbound")
    await say(stack, ADMIN, "channel allow")
    await say(stack, ADMIN, "channel direct")
    shown = await say(stack, ADMIN, f"notify <#{CHANNEL}|general> inbound")
    assert "Rule 1 is on" in shown
    intro = stack.slack.messages_for(CHANNEL)
    assert any("asked me to post new company recordings" in m.text for m in intro)
    await asyncio.sleep(1.2)
    first = add_call(stack, user_id=stack.sim.state.users[3].id)
    await wait_until(lambda: notices_in(stack.slack, CHANNEL), DEADLINE)
    [notice] = notices_in(stack.slack, CHANNEL)
    assert str(first) in notice.text
    assert blocks.ACTION_PLAY_HERE in str(notice.blocks)  # the channel delivers directly
    # A member who may not see it clicks Play in the channel: refused, nothing uploaded.
    shown = await click(stack, MEMBER, blocks.ACTION_PLAY_HERE, f"c:{first}", message=notice)
    assert "not yours" in shown
    assert stack.slack.calls_to("files.completeUploadExternal") == []
    # Sharing denied later: the rule pauses, the admins are told, nothing more is posted.
    await say(stack, ADMIN, "channel deny")
    add_call(stack, user_id=stack.sim.state.users[3].id)
    await wait_until(
        lambda: any("is paused" in m.text for m in stack.slack.messages_for(ADMIN)), DEADLINE
    )
    await asyncio.sleep(1.5)
    assert len(notices_in(stack.slack, CHANNEL)) == 1
    [rule] = await rules_of(stack)
    assert rule.paused_reason
    assert [e.target for e in await audit(stack, "notify_pause")] == ["rule 1"]
    assert "Paused" in await say(stack, ADMIN, "notify all")


async def test_the_bot_removed_from_the_channel_pauses_the_rule(notice_stack: NoticeStack) -> None:
    stack = notice_stack
    await say(stack, ADMIN, "channel allow")
    assert "Rule 1 is on" in await say(stack, ADMIN, f"notify <#{CHANNEL}|general>")
    await asyncio.sleep(1.2)
    stack.slack.channels[CHANNEL]["is_member"] = False  # removed from the channel
    add_call(stack, user_id=stack.sim.state.users[3].id)
    await wait_until(
        lambda: any("can no longer post" in m.text for m in stack.slack.messages_for(ADMIN)),
        DEADLINE,
    )
    [rule] = await rules_of(stack)
    assert rule.paused_reason is not None


async def test_a_burst_becomes_ten_notices_then_one_digest(notice_stack: NoticeStack) -> None:
    stack = notice_stack
    await say(stack, ADMIN, "channel allow")
    await say(stack, ADMIN, f"notify <#{CHANNEL}|general>")
    await asyncio.sleep(1.2)
    state = stack.sim.state
    state.arrivals.configure({"on_demand_share": 0.0, "delay_seconds": 0.0}, state.clock())
    burst = state.arrivals.burst(35, state.clock())
    await wait_until(lambda: len(notices_in(stack.slack, CHANNEL)) >= 10, DEADLINE)
    await asyncio.sleep(1.5)
    assert len(notices_in(stack.slack, CHANNEL)) == 10
    assert digests_in(stack.slack, CHANNEL) == []
    stack.clock.shift = timedelta(seconds=61)  # the minute ends
    await wait_until(lambda: digests_in(stack.slack, CHANNEL), DEADLINE)
    [digest] = digests_in(stack.slack, CHANNEL)
    text = render_text(digest.blocks)
    assert "25 new recordings" in text
    assert "+5 more" in text
    assert "scope:company since:" in text
    store_rows = NoticeRows(stack.bot.runtime.services.store)

    async def all_posted() -> bool:
        return {r.state for r in await store_rows.deliveries()} == {"posted"}

    await wait_until(all_posted, DEADLINE)
    rows = await store_rows.deliveries()
    assert sorted(r.id for r in rows) == sorted(
        f"{TEAM}:{CHANNEL}:company:{rec.id}" for rec in burst
    )
    assert {r.rule_id for r in rows} == {1}
    assert len({r.posted_ts for r in rows}) == 11  # ten notices and one digest


async def test_bad_rules_are_refused_and_nothing_is_stored(notice_stack: NoticeStack) -> None:
    stack = notice_stack
    assert "no time words" in await say(stack, MEMBER, "notify me inbound today")
    assert "no time words" in await say(stack, MEMBER, "notify me since:2024-05-01")
    assert "no order" in await say(stack, MEMBER, "notify me oldest")
    assert "can't read" in await say(stack, MEMBER, "notify me bogus")
    assert "Only recordings admins" in await say(stack, MEMBER, "notify me scope:company")
    assert "I don't know who you are" in await say(stack, UNLINKED, "notify me")
    assert "Only recordings admins" in await say(stack, MEMBER, f"notify <#{CHANNEL}|general>")
    assert "autocomplete" in await say(stack, ADMIN, "notify #general")
    stack.slack.add_channel("C0NOTIN", "elsewhere", is_member=False)
    await say(stack, ADMIN, "channel allow", channel="C0NOTIN")
    refused = await say(stack, ADMIN, "notify <#C0NOTIN|elsewhere>")
    assert "not_in_channel" in refused
    assert "invite" in refused
    assert await rules_of(stack) == []
    # Someone else's rule cannot be removed, by command or by a forged Remove button.
    assert "Rule 1 is on" in await say(stack, OTHER, "notify me")
    assert "not one of your rules" in await say(stack, MEMBER, "notify remove 1")
    assert "not one of your rules" in await say(stack, MEMBER, "notify off 1")
    assert "not one of your rules" in await click(stack, MEMBER, ACTION_NOTICE_REMOVE, "1")
    assert len(await rules_of(stack)) == 1
    refusals = await audit(stack, "notify_remove")
    assert {e.outcome for e in refusals} == {"refused"}


async def test_app_home_shows_rules_and_toggles_notify_me(notice_stack: NoticeStack) -> None:
    stack = notice_stack
    await stack.driver.event(
        {"type": "app_home_opened", "user": MEMBER, "tab": "home"}, event_id="Ev1"
    )
    await wait_until(lambda: stack.slack.homes.get(MEMBER))
    home = stack.slack.homes[MEMBER]
    assert "notify me of every new recording of mine: *off*" in render_text(home["blocks"])
    await stack.driver.click(MEMBER, ACTION_NOTICE_TOGGLE, "on", view=home)
    await wait_until(lambda: len(stack.slack.calls_to("views.publish")) >= 2, DEADLINE)
    home = stack.slack.homes[MEMBER]
    assert "*on*" in render_text(home["blocks"])
    [rule] = await rules_of(stack)
    assert rule.summary == "every new recording"
    await stack.driver.click(MEMBER, ACTION_NOTICE_TOGGLE, "off", view=home)
    await wait_until(lambda: len(stack.slack.calls_to("views.publish")) >= 3, DEADLINE)
    assert await rules_of(stack) == []


async def test_an_unlinked_persons_rules_stop(notice_stack: NoticeStack) -> None:
    stack = notice_stack
    member = stack.sim.state.users[0]
    await say(stack, MEMBER, "notify me")
    await asyncio.sleep(1.2)
    add_call(stack, user_id=member.id)
    await wait_until(lambda: notices_in(stack.slack, MEMBER), DEADLINE)
    await say(stack, ADMIN, f"unlink <@{MEMBER}>")
    add_call(stack, user_id=member.id)
    await asyncio.sleep(2.5)
    assert len(notices_in(stack.slack, MEMBER)) == 1

"""Who a notice may reach, checked when it is posted: overlapping rules give one DM, a company
rule needs its owner to be an admin still, and an admin needs no VBC link for one."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.app import build_runtime
from bot.store.notices import NoticeRows
from bot.store.tables import NoticeSource
from bot.web.serve import LocalServer
from tests.fakes import SlackDriver, wait_until
from tests.integration.conftest import (
    ADMIN,
    MEMBER,
    SIGNING_SECRET,
    TEAM,
    Stack,
    settle_startup,
    start_stack,
    stop_stack,
)
from tests.integration.test_notices import DEADLINE, add_call, notices_in, quicken, say

ADMIN2 = "U0ADMIN2"  # a recordings admin with no VBC user behind them


@pytest.fixture
async def stack(sqlite_url: str) -> AsyncIterator[Stack]:
    running = await start_stack(
        sqlite_url, notify_poll_seconds=1, bot_admins=frozenset({ADMIN, ADMIN2})
    )
    running.slack.add_user(ADMIN2, "Second Admin", tz="UTC", email="second@elsewhere.test")
    quicken(running.bot.runtime)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems


async def first_poll_done(stack: Stack) -> None:
    """Every listing the rules need has been read once: what existed before is not new."""
    store = stack.bot.runtime.services.store
    since = stack.sim.state.clock()

    async def polled() -> bool:
        async with store.session() as s:
            sources = [src.vbc_user_id for src in await s.exec(select(NoticeSource))]
        paths = [
            str(r.get("path", ""))
            for r in list(stack.sim.state.requests)
            if float(r.get("time", 0.0)) >= since
        ]
        wanted = [
            "/company_call_recordings" if user is None else f"/users/{user}/call_recordings"
            for user in sources
        ]
        return bool(wanted) and all(any(w in path for path in paths) for w in wanted)

    await wait_until(polled, DEADLINE)


async def test_two_overlapping_rules_of_one_person_give_one_dm_per_recording(
    stack: Stack,
) -> None:
    member = stack.sim.state.users[0]
    assert "Rule 1 is on" in await say(stack, MEMBER, "notify me")
    assert "Rule 2 is on" in await say(stack, MEMBER, "notify me inbound")
    await first_poll_done(stack)
    calls = [add_call(stack, user_id=member.id) for _ in range(3)]
    await wait_until(lambda: len(notices_in(stack.slack, MEMBER)) >= 3, DEADLINE)
    rows = NoticeRows(stack.bot.runtime.services.store)

    async def settled() -> bool:
        return {r.state for r in await rows.deliveries()} == {"posted"}

    await wait_until(settled, DEADLINE)
    notices = notices_in(stack.slack, MEMBER)
    assert sorted(next(c for c in calls if str(c) in n.text) for n in notices) == sorted(calls)
    assert {r.rule_id for r in await rows.deliveries()} == {1}  # the first rule names it


async def test_an_admin_with_no_vbc_link_gets_company_recordings(stack: Stack) -> None:
    shown = await say(stack, ADMIN2, "notify me scope:company")
    assert "Rule 1 is on" in shown
    await first_poll_done(stack)
    call = add_call(stack, user_id=stack.sim.state.users[1].id)
    await wait_until(lambda: notices_in(stack.slack, ADMIN2), DEADLINE)
    assert str(call) in notices_in(stack.slack, ADMIN2)[0].text


async def test_a_company_rule_stops_when_its_owner_is_no_longer_an_admin(stack: Stack) -> None:
    assert "Rule 1 is on" in await say(stack, ADMIN2, "notify me scope:company")
    assert "Rule 2 is on" in await say(stack, ADMIN, "notify me scope:company")
    await first_poll_done(stack)
    first = add_call(stack, user_id=stack.sim.state.users[1].id)
    await wait_until(lambda: notices_in(stack.slack, ADMIN2), DEADLINE)
    # BOT_ADMINS changes, and the bot restarts on the same database.
    await stack.driver.aclose()
    await stack.bot.close()
    settings = dataclasses.replace(stack.settings, bot_admins=frozenset({ADMIN}))
    runtime = await build_runtime(settings)
    stack.bot = await LocalServer(runtime).start()
    await settle_startup(runtime, stack.sim, stack.slack)
    stack.driver = SlackDriver(
        f"{stack.bot.url}/slack/events", SIGNING_SECRET, stack.slack, team_id=TEAM
    )
    quicken(runtime)
    later = add_call(stack, user_id=stack.sim.state.users[1].id)
    # The same company listing serves both rules: the admin's notice proves it ran.
    await wait_until(
        lambda: any(str(later) in n.text for n in notices_in(stack.slack, ADMIN)), DEADLINE
    )
    assert [str(first) in n.text for n in notices_in(stack.slack, ADMIN2)] == [True]

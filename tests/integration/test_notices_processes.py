"""Notices across real bot processes on PostgreSQL: one is SIGKILLed while notices are posted,
and every notice still goes out exactly once."""

from __future__ import annotations

import asyncio

from tests.fakes import SlackDriver, wait_until
from tests.integration.conftest import ADMIN, CHANNEL, SIGNING_SECRET, TEAM
from tests.integration.test_exports import SLOW, kill_when_held, outside

NOTICE_ENV = {"NOTIFY_POLL_SECONDS": "1", "NOTICE_LEASE_SECONDS": "3", "NOTICE_SPACING": "0.05"}


async def test_a_bot_killed_while_notices_are_posted_leaves_each_notice_once(
    postgres_url: str,
) -> None:
    async with outside(postgres_url, job_seconds=2.0, env=NOTICE_ENV) as (sim, slack, spawn):
        first, second = await spawn(), await spawn()
        async with SlackDriver(
            f"{first.url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM
        ) as driver:
            await driver.command(ADMIN, "channel allow", channel_id=CHANNEL)
            await wait_until(lambda: len(slack.responses) == 1, SLOW)
            await driver.command(ADMIN, f"notify <#{CHANNEL}|general>", channel_id=CHANNEL)
            await wait_until(lambda: len(slack.responses) == 2, SLOW)
            assert "Rule 1 is on" in str(slack.responses[-1].args)
        await asyncio.sleep(2.5)  # both processes have read the rule
        state = sim.state
        state.arrivals.configure({"on_demand_share": 0.0, "delay_seconds": 0.0}, state.clock())
        slack.hold("chat.postMessage")  # the first notice: never carried out
        burst = state.arrivals.burst(8, state.clock())
        await kill_when_held(first, slack)
        assert second.proc is not None
        assert second.proc.returncode is None

        def posted() -> dict[int, int]:
            counts = {rec.id: 0 for rec in burst}
            for message in slack.messages_for(CHANNEL):
                for rec in burst:
                    if f"New recording {rec.id} " in message.text:
                        counts[rec.id] += 1
            return counts

        await wait_until(lambda: all(posted().values()), SLOW)
        await asyncio.sleep(4)  # past another lease: a re-claimed notice would show now
        assert set(posted().values()) == {1}, posted()

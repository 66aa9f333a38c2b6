"""The whole stack over loopback: VBC simulator, fake Slack, the bot on a real port, a driver."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.app import Runtime, build_runtime
from bot.clock import Clock, system_clock
from bot.demo.stack import loopback_settings
from bot.lifecycle.ports import DeletionJobs
from bot.settings import Settings
from bot.vbcsim import (
    RunningSimulator,
    start_simulator,
)
from bot.web.serve import LocalServer
from tests.fakes import FakeSlack, SlackDriver

SIGNING_SECRET = "test-signing-secret"
TEAM = "T0001"
MEMBER = "U0MEMBER1"  # hannah.kowalski@example.com, VBC user 745249, extension 101
OTHER = "U0OTHER02"  # priya.patel@example.com, VBC user 745266
ADMIN = "U0ADMIN03"  # in BOT_ADMINS; admin@example.com
UNLINKED = "U0NOBODY4"  # an email VBC does not know
CHANNEL = "C0001"


@dataclass
class Stack:
    sim: RunningSimulator
    slack: FakeSlack
    bot: LocalServer
    driver: SlackDriver
    settings: Settings

    def user_email(self, index: int) -> str:
        return self.sim.state.users[index].email


def make_settings(sim_url: str, slack_url: str, database_url: str) -> Settings:
    return dataclasses.replace(
        loopback_settings(sim_url, slack_url, database_url),
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SIGNING_SECRET,
        bot_admins=frozenset({ADMIN}),
        bot_secret_key="test-secret-key-test-secret-key-0123456789",
    )


async def start_stack(
    database_url: str,
    *,
    now: datetime | None = None,
    public_url: str = "",
    clock: Clock = system_clock,
    job_seconds: float = 1.0,
    monotonic: Callable[[], float] = time.monotonic,
    with_background: bool = True,
    members_may_delete: bool = False,
    deletion_jobs: DeletionJobs | None = None,
    **overrides: object,
) -> Stack:
    """``overrides`` replace settings (``metrics_token=...``)."""
    sim = await start_simulator(now=now or datetime.now(UTC), job_seconds=job_seconds)
    slack = FakeSlack(trigger_ttl=None)
    await slack.start()
    users = sim.state.users
    slack.add_user(MEMBER, "Hannah Kowalski", tz="America/New_York", email=users[0].email)
    slack.add_user(OTHER, "Priya Patel", tz="Europe/London", email=users[1].email)
    slack.add_user(ADMIN, "Ada Admin", tz="America/Chicago", email=sim.state.admin.email)
    slack.add_user(UNLINKED, "Nobody Known", tz="UTC", email="nobody@elsewhere.test")
    settings = dataclasses.replace(
        make_settings(sim.url, slack.url, database_url),
        public_url=public_url,
        members_may_delete=members_may_delete,
    )
    settings = dataclasses.replace(settings, **overrides)  # type: ignore[arg-type]
    runtime = await build_runtime(
        settings, clock=clock, monotonic=monotonic, deletion_jobs=deletion_jobs
    )
    bot = await LocalServer(runtime).start(with_background=with_background)
    if with_background:
        await settle_startup(runtime, sim, slack)
    driver = SlackDriver(f"{bot.url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM)
    return Stack(sim=sim, slack=slack, bot=bot, driver=driver, settings=settings)


async def settle_startup(runtime: Runtime, sim: RunningSimulator, slack: FakeSlack) -> None:
    """Wait for the start-up credential checks (a VBC token, Slack's auth.test), then forget
    the calls they made, so a test sees only what its own requests caused."""
    await asyncio.wait_for(runtime.services.credential_watch.checked.wait(), timeout=15)
    sim.state.requests.clear()
    slack.calls.clear()


async def stop_stack(stack: Stack) -> None:
    await stack.driver.aclose()
    await stack.bot.close()
    await stack.slack.close()
    await stack.sim.close()


@pytest.fixture
async def stack(sqlite_url: str) -> AsyncIterator[Stack]:
    running = await start_stack(sqlite_url)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems

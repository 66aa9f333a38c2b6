"""The demo's whole world on loopback: VBC simulator, fake Slack, and the bot between them.

Everything runs in one event loop and is wired exactly as in production, except that the
Web API URL points at the fake and the VBC URL at the simulator; the bot cannot tell.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.app import Runtime, build_runtime
from bot.clock import Clock, system_clock
from bot.demo.clock import StillClock
from bot.demo.driver import SlackDriver
from bot.demo.fake_slack import FakeSlack
from bot.people.crypto import new_secret_key
from bot.settings import Settings
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    RunningSimulator,
    start_simulator,
)
from bot.web.serve import LocalServer

DEMO_SIGNING_SECRET = "demo-signing-secret"  # noqa: S105 - only ever signs loopback requests
DEMO_BOT_TOKEN = "xoxb-demo-bot-token"  # noqa: S105 - accepted only by the in-process fake
HOST = "127.0.0.1"


@dataclass(frozen=True)
class DemoPerson:
    """A Slack person in the fake workspace; ``vbc_name`` is who their email matches in VBC."""

    user_id: str
    name: str
    tz: str
    email: str
    vbc_name: str
    alias: str  # what the console accepts besides the id and first name: ``as admin``
    is_admin: bool = False

    @property
    def short(self) -> str:
        return self.name.split()[0].lower()

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.user_id.lower(), self.short, self.alias)

    @property
    def mention(self) -> str:
        """How Slack sends this person in command text when picked from the autocomplete."""
        return f"<@{self.user_id}|{self.short}>"


@dataclass
class DemoStack:
    sim: RunningSimulator
    fake: FakeSlack
    runtime: Runtime
    server: LocalServer
    driver: SlackDriver
    people: list[DemoPerson]
    clock: Clock = system_clock

    @property
    def events_url(self) -> str:
        return f"{self.server.url}/slack/events"

    def person(self, who: str) -> DemoPerson | None:
        """By Slack id (``U0ADMIN01``), alias (``admin``) or first name (``alex``), ``@`` or not."""
        low = who.strip().lstrip("@").lower()
        return next((p for p in self.people if low in p.aliases), None)


def demo_people(sim: RunningSimulator) -> list[DemoPerson]:
    """Slack people whose emails match seeded VBC users, so linking by email just works.

    Ids have the shape Slack issues (``U`` and uppercase letters or digits): the bot's grammar
    accepts only those in ``<@U…>`` mentions.
    """
    members = [u for u in sim.state.users if not u.is_admin]
    dana, sam = sim.state.demo_user, next(u for u in members if u != sim.state.demo_user)
    admin = sim.state.admin
    return [
        DemoPerson(
            "U0DEMO001", "Dana Demo", "America/New_York", dana.email, dana.full_name, "dana"
        ),
        DemoPerson(
            "U0ADMIN01",
            "Alex Admin",
            "Europe/London",
            admin.email,
            admin.full_name,
            "admin",
            is_admin=True,
        ),
        DemoPerson(
            "U0SAM0001", "Sam Member", "America/Los_Angeles", sam.email, sam.full_name, "sam"
        ),
    ]


def free_port(host: str = HOST) -> int:
    """A port the OS says is free now; the bot's links need it before the server starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def loopback_settings(sim_url: str, slack_url: str, database_url: str) -> Settings:
    """A bot wired to the simulator and a fake Slack on loopback (demo, tests and benchmarks).

    Callers change what they need with ``dataclasses.replace``. The secret key is a fresh one:
    nothing it encrypts outlives the run.
    """
    return Settings(
        slack_bot_token=DEMO_BOT_TOKEN,
        slack_signing_secret=DEMO_SIGNING_SECRET,
        slack_api_url=slack_url,
        vbc_api_url=sim_url,
        vbc_client_id=DEMO_CLIENT_ID,
        vbc_client_secret=DEMO_CLIENT_SECRET,
        vbc_username=DEMO_USERNAME,
        vbc_password=DEMO_PASSWORD,
        database_url=database_url,
        bot_secret_key=new_secret_key(),
        host=HOST,
        port=0,
    )


# The simulator costs nothing to read: a notice shows seconds after VBC lists the call.
DEMO_POLL_SECONDS = 10


def demo_settings(sim: RunningSimulator, fake: FakeSlack, database: Path, port: int) -> Settings:
    admins = frozenset(p.user_id for p in demo_people(sim) if p.is_admin)
    settings = loopback_settings(sim.url, fake.url, f"sqlite:///{database}")
    return dataclasses.replace(
        settings, bot_admins=admins, port=port, notify_poll_seconds=DEMO_POLL_SECONDS
    )


DEMO_ARRIVALS = {"per_hour": 60, "late_share": 0.1, "late_seconds": 90, "on_demand_share": 0.2}


@contextlib.asynccontextmanager
async def running_demo(
    workdir: Path, *, clock: StillClock | None = None
) -> AsyncIterator[DemoStack]:
    """Start all three on loopback (database in ``workdir``); stop them in reverse order.

    With ``clock``, the bot and the simulator (its data, jobs and tokens) live at its time.
    """
    async with contextlib.AsyncExitStack() as stack:
        if clock is None:
            sim = await start_simulator(host=HOST, job_seconds=4.0)
        else:
            sim = await start_simulator(
                host=HOST, job_seconds=4.0, now=clock(), clock=clock.seconds
            )
        stack.push_async_callback(sim.close)
        # New calls keep ending while the demo runs, some listed late: `/recordings notify me`
        # shows its notices live.
        sim.state.arrivals.configure(DEMO_ARRIVALS, sim.state.clock())
        fake = FakeSlack()
        await fake.start()
        stack.push_async_callback(fake.close)
        people = demo_people(sim)
        for p in people:
            fake.add_user(p.user_id, p.name, tz=p.tz, email=p.email, is_admin=p.is_admin)
        settings = demo_settings(sim, fake, workdir / "demo.db", free_port())
        runtime = await build_runtime(settings, clock=clock or system_clock)
        server = LocalServer(runtime, settings.host, settings.port)
        try:
            await server.start()
        except BaseException:
            await runtime.close()
            raise
        stack.push_async_callback(server.close)  # closes the runtime too
        driver = SlackDriver(f"{server.url}/slack/events", DEMO_SIGNING_SECRET, fake)
        stack.push_async_callback(driver.aclose)
        yield DemoStack(sim, fake, runtime, server, driver, people, clock or system_clock)

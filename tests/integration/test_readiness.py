"""``GET /readyz`` over the real HTTP front: each failing check turns it 503 and names it, and
it turns 200 again without a restart once the database, VBC or Slack accepts again."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.app import build_runtime
from bot.vbc.auth import PASSWORD_RETRY_SECONDS
from bot.vbcsim import start_simulator
from bot.web.serve import LocalServer
from tests.fakes import FakeSlack
from tests.integration.conftest import Stack, make_settings, start_stack, stop_stack


class Clocks:
    """The stack's wall clock and monotonic clock, moved forward by the test."""

    def __init__(self) -> None:
        self.offset = 0.0

    def wall(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return 1_000_000.0 + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
async def quiet_stack(sqlite_url: str, clocks: Clocks) -> AsyncIterator[Stack]:
    """No background work: only the probes of the test ask VBC for a token."""
    running = await start_stack(
        sqlite_url, clock=clocks.wall, monotonic=clocks.monotonic, with_background=False
    )
    try:
        yield running
    finally:
        await stop_stack(running)


async def probe(stack: Stack) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(f"{stack.bot.url}/readyz")


async def healthz(stack: Stack) -> int:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"{stack.bot.url}/healthz")).status_code


def token_requests(stack: Stack) -> int:
    return sum(1 for r in stack.sim.state.requests if r["path"] == "/token")


async def test_ready_when_every_check_passes(quiet_stack: Stack) -> None:
    answer = await probe(quiet_stack)
    assert answer.status_code == 200
    body = answer.json()
    assert body["ready"] is True
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "vbc", "slack"}
    assert all(check["ok"] for check in body["checks"].values())


async def test_probes_reuse_the_vbc_token_and_slack_answer(quiet_stack: Stack) -> None:
    for _ in range(5):
        assert (await probe(quiet_stack)).status_code == 200
    assert token_requests(quiet_stack) == 1
    assert len(quiet_stack.slack.calls_to("auth.test")) == 1


async def test_refused_password_is_503_naming_vbc_then_200_once_vbc_accepts_it(
    quiet_stack: Stack, clocks: Clocks
) -> None:
    stack = quiet_stack
    # VBC refuses the password grant once (as with a wrong VBC_PASSWORD), then accepts it.
    stack.sim.state.faults.update({"fail_next": [{"status": 400, "path_prefix": "/token"}]})
    refused = await probe(stack)
    assert refused.status_code == 503
    body = refused.json()
    assert body["failing"] == ["vbc"]
    assert "VBC_PASSWORD" in body["checks"]["vbc"]["fix"]
    assert await healthz(stack) == 200  # liveness is not readiness

    # Probes within 5 minutes do not ask VBC again: the account is not locked by them.
    asked = token_requests(stack)
    clocks.advance(PASSWORD_RETRY_SECONDS - 10)
    again = await probe(stack)
    assert again.status_code == 503
    assert "Not asking again" in again.json()["checks"]["vbc"]["detail"]
    assert token_requests(stack) == asked

    clocks.advance(11)  # the password is tried again, and VBC takes it: no restart
    recovered = await probe(stack)
    assert recovered.status_code == 200, recovered.json()
    assert token_requests(stack) == asked + 1


async def test_refused_slack_token_is_503_naming_slack_then_200(
    quiet_stack: Stack, clocks: Clocks
) -> None:
    stack = quiet_stack
    stack.slack.refused_tokens.add(stack.settings.slack_bot_token or "")
    refused = await probe(stack)
    assert refused.status_code == 503
    body = refused.json()
    assert body["failing"] == ["slack"]
    assert "invalid_auth" in body["checks"]["slack"]["detail"]
    assert "SLACK_BOT_TOKEN" in body["checks"]["slack"]["fix"]

    stack.slack.refused_tokens.clear()
    clocks.advance(31)  # Slack's answer is kept for 30 s
    assert (await probe(stack)).status_code == 200


async def test_unreachable_database_is_503_naming_database_then_200(
    quiet_stack: Stack, sqlite_url: str
) -> None:
    stack = quiet_stack
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    aside = path.with_suffix(".aside")
    await stack.bot.runtime.services.store.engine.dispose()
    path.rename(aside)
    path.mkdir()  # a directory where the database was: SQLite cannot open it
    try:
        gone = await probe(stack)
        assert gone.status_code == 503
        body = gone.json()
        assert body["failing"] == ["database"]
        assert "DATABASE_URL" in body["checks"]["database"]["fix"]
        assert await healthz(stack) == 200
    finally:
        shutil.rmtree(path)
        aside.rename(path)
    assert (await probe(stack)).status_code == 200


async def test_oauth_readiness_counts_the_healthy_workspaces(
    sqlite_url: str, clocks: Clocks
) -> None:
    sim = await start_simulator()
    slack = FakeSlack(trigger_ttl=None)
    await slack.start()
    settings = dataclasses.replace(
        make_settings(sim.url, slack.url, sqlite_url),
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret="oauth-secret",
        allowed_teams=frozenset({"T0002", "T0003"}),
    )
    runtime = await build_runtime(settings, clock=clocks.wall, monotonic=clocks.monotonic)
    bot = await LocalServer(runtime).start(with_background=False)
    try:
        async with httpx.AsyncClient() as http:
            fresh = await http.get(f"{bot.url}/readyz")
            assert fresh.status_code == 200
            assert "no workspace" in fresh.json()["checks"]["slack"]["detail"]
            store = runtime.app.installation_store
            assert store is not None
            for team in ("T0002", "T0003"):
                await store.async_save(
                    Installation(
                        app_id="A0001",
                        team_id=team,
                        user_id="U0INSTALL",
                        bot_token=f"xoxb-{team}",
                        bot_id=f"B{team}",
                        bot_user_id=f"U{team}",
                    )
                )
            slack.refused_tokens.add("xoxb-T0003")
            clocks.advance(31)
            one_down = (await http.get(f"{bot.url}/readyz")).json()
            assert one_down["ready"] is True
            detail = one_down["checks"]["slack"]["detail"]
            assert detail.startswith("1 of 2 workspaces healthy; T0003: Slack refused")
            slack.refused_tokens.add("xoxb-T0002")
            clocks.advance(31)
            all_down = await http.get(f"{bot.url}/readyz")
            assert all_down.status_code == 503
            assert all_down.json()["failing"] == ["slack"]
    finally:
        await bot.close()
        await slack.close()
        await sim.close()

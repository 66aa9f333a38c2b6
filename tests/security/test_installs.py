"""Installs: a workspace not in SLACK_ALLOWED_TEAMS is refused before its tokens are stored;
an uninstall or a token revocation deletes what the bot stored for that workspace."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import text

from bot.app import build_runtime
from bot.demo.fake_slack import BOT_USER_ID, Json
from bot.store.engine import create_engine
from bot.vbcsim import RunningSimulator, start_simulator
from bot.web.serve import LocalServer
from tests.fakes import FakeSlack, SlackDriver, render_text
from tests.integration.conftest import (
    MEMBER,
    SIGNING_SECRET,
    make_settings,
    start_stack,
    stop_stack,
)

TEAM = "T0002"
STRANGER = "T0STRANGER"
INSTALLER = "U0TEAM2A1"
STATE_COOKIE = "slack-app-oauth-state"
REFUSAL = (
    "This Slack workspace is not allowed to install the recordings bot; ask your Slack admin "
    "to add its team id to SLACK_ALLOWED_TEAMS."
)
NOT_INSTALLED = "reinstall"  # Bolt's answer when it finds no installation for the workspace


@pytest.fixture
async def backends() -> AsyncIterator[tuple[RunningSimulator, FakeSlack]]:
    sim = await start_simulator()
    slack = FakeSlack(trigger_ttl=None)
    await slack.start()
    slack.add_user(INSTALLER, "Team Two", email=sim.state.users[0].email)
    try:
        yield sim, slack
    finally:
        await slack.close()
        await sim.close()


@pytest.fixture
def slack(backends: tuple[RunningSimulator, FakeSlack]) -> FakeSlack:
    return backends[1]


@pytest.fixture
async def oauth_bot(
    backends: tuple[RunningSimulator, FakeSlack], sqlite_url: str
) -> AsyncIterator[str]:
    """The bot in multi-workspace mode, TEAM its only allowed workspace; yields its URL."""
    sim, slack = backends
    settings = replace(
        make_settings(sim.url, slack.url, sqlite_url),
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret="oauth-secret",
        allowed_teams=frozenset({TEAM}),
    )
    runtime = await build_runtime(settings)
    bot = await LocalServer(runtime).start()
    try:
        yield bot.url
    finally:
        await bot.close()


async def install(bot_url: str, slack: FakeSlack, team: str) -> httpx.Response:
    """The OAuth v2 flow as a browser walks it, approved for ``team``."""
    async with httpx.AsyncClient() as browser:
        page = await browser.get(f"{bot_url}/slack/install")
        cookie = page.headers["set-cookie"].split(";", 1)[0]
        state = cookie.removeprefix(f"{STATE_COOKIE}=")
        # Bolt's state cookie is Secure: a cookie jar would not send it back over http.
        return await browser.get(
            f"{bot_url}/slack/oauth_redirect",
            params={"code": slack.approve_install(team, INSTALLER), "state": state},
            headers={"Cookie": cookie},
        )


async def stored_tokens(database_url: str) -> list[tuple[str, str | None, bool, bool]]:
    """(table, team, holds a bot token, holds a user token) for every installation row."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            installs = await conn.execute(
                text("SELECT team_id, bot_token, user_token FROM slack_installations")
            )
            rows = [("installation", t, bool(b), bool(u)) for t, b, u in installs]
            bots = await conn.execute(text("SELECT team_id, bot_token FROM slack_bots"))
            rows += [("bot", t, bool(b), False) for t, b in bots]
    finally:
        await engine.dispose()
    return rows


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.02)


async def help_reply(bot_url: str, slack: FakeSlack) -> str:
    """What the installer sees for ``/recordings help``: the command's ack, then any reply."""
    before = len(slack.messages_for(INSTALLER))
    async with SlackDriver(f"{bot_url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM) as d:
        acked = await d.command(INSTALLER, "help")
    if NOT_INSTALLED in acked.text:
        return acked.text
    messages = await slack.wait_for(lambda: slack.messages_for(INSTALLER)[before:] or None)
    return "\n".join(m.text + "\n" + render_text(m.blocks) for m in messages)


async def send_event(bot_url: str, slack: FakeSlack, event: Json, n: int) -> None:
    async with SlackDriver(f"{bot_url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM) as d:
        response = await d.event(event, event_id=f"Ev{n:08d}")
    assert response.status_code == 200


async def test_an_install_into_a_workspace_not_allowed_is_refused_before_anything_is_stored(
    oauth_bot: str, slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        refused = await install(oauth_bot, slack, STRANGER)
    assert refused.status_code == 403
    assert REFUSAL in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert await stored_tokens(sqlite_url) == []
    [exchange] = slack.calls_to("oauth.v2.access")
    issued = [exchange.answer["access_token"], exchange.answer["authed_user"]["access_token"]]
    assert sorted(c.token or "" for c in slack.calls_to("auth.revoke")) == sorted(issued)
    said = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert any(STRANGER in line for line in said)
    assert not [line for line in said if "xox" in line]

    assert (await install(oauth_bot, slack, TEAM)).status_code == 200  # an allowed one still can
    assert {row[1] for row in await stored_tokens(sqlite_url)} == {TEAM}


async def test_app_uninstalled_deletes_the_workspace_tokens_and_its_commands_get_no_service(
    oauth_bot: str, slack: FakeSlack, sqlite_url: str
) -> None:
    assert (await install(oauth_bot, slack, TEAM)).status_code == 200
    assert "from:" in await help_reply(oauth_bot, slack)

    await send_event(oauth_bot, slack, {"type": "app_uninstalled"}, 1)

    async def gone() -> bool:
        return await stored_tokens(sqlite_url) == []

    await eventually(gone)
    assert NOT_INSTALLED in await help_reply(oauth_bot, slack)
    await send_event(oauth_bot, slack, {"type": "app_uninstalled"}, 2)  # again: nothing left
    assert await stored_tokens(sqlite_url) == []


async def test_tokens_revoked_deletes_only_the_kinds_slack_revoked(
    oauth_bot: str, slack: FakeSlack, sqlite_url: str
) -> None:
    assert (await install(oauth_bot, slack, TEAM)).status_code == 200
    assert await stored_tokens(sqlite_url) == [
        ("installation", TEAM, True, True),
        ("bot", TEAM, True, False),
    ]
    revoked_user = {"type": "tokens_revoked", "tokens": {"oauth": [INSTALLER]}}
    await send_event(oauth_bot, slack, revoked_user, 1)

    async def user_token_gone() -> bool:
        rows = await stored_tokens(sqlite_url)
        return ("installation", TEAM, True, False) in rows

    await eventually(user_token_gone)
    assert ("bot", TEAM, True, False) in await stored_tokens(sqlite_url)
    assert "from:" in await help_reply(oauth_bot, slack)  # the bot still serves

    revoked_bot = {"type": "tokens_revoked", "tokens": {"bot": [BOT_USER_ID]}}
    await send_event(oauth_bot, slack, revoked_bot, 2)

    async def bot_token_gone() -> bool:
        return await stored_tokens(sqlite_url) == [("installation", TEAM, False, False)]

    await eventually(bot_token_gone)
    assert NOT_INSTALLED in await help_reply(oauth_bot, slack)


async def test_a_single_workspace_bot_answers_uninstall_events_and_keeps_its_token(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    stack = await start_stack(sqlite_url)
    try:
        with caplog.at_level(logging.INFO, logger="handlers"):
            for n, event in enumerate(({"type": "app_uninstalled"}, {"type": "tokens_revoked"})):
                response = await stack.driver.event(event, event_id=f"Ev{n:08d}")
                assert response.status_code == 200

            async def both_logged() -> bool:
                said = [r.getMessage() for r in caplog.records]
                return len([line for line in said if "stores no Slack tokens" in line]) == 2

            await eventually(both_logged)
        before = len(stack.slack.messages_for(MEMBER))
        await stack.driver.command(MEMBER, "help")
        [shown] = await stack.slack.wait_for(lambda: stack.slack.messages_for(MEMBER)[before:])
        assert "from:" in render_text(shown.blocks)
    finally:
        await stop_stack(stack)

"""Slack tokens of OAuth installs are stored encrypted, and the bot still acts with them."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from bot.app import Runtime, build_runtime
from bot.people.crypto import Secrets
from bot.settings import Settings
from bot.store.engine import create_engine, create_tables
from bot.vbcsim import RunningSimulator, start_simulator
from bot.web.serve import LocalServer
from tests.fakes import FakeSlack, SlackDriver, render_text
from tests.integration.conftest import SIGNING_SECRET, make_settings
from tests.security.stored import every_stored_value, found_in

TEAM = "T0002"
INSTALLER = "U0TEAM2A1"
CLIENT_ID = "111.222"
KEY_A = "key-a-key-a-key-a-key-a-key-a-key-a-0001"
KEY_B = "key-b-key-b-key-b-key-b-key-b-key-b-0002"
KEY_C = "key-c-key-c-key-c-key-c-key-c-key-c-0003"
# Whatever Slack issues starts with one of these; none may be stored readable.
SLACK_SECRET_MARKS = ["xoxb-", "xoxp-", "xoxe", "hooks.slack.com"]
STATE_COOKIE = "slack-app-oauth-state"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


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


def oauth_settings(
    backends: tuple[RunningSimulator, FakeSlack], database_url: str, key: str
) -> Settings:
    sim, slack = backends
    return replace(
        make_settings(sim.url, slack.url, database_url),
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret="oauth-secret",
        allowed_teams=frozenset({TEAM}),
        bot_secret_key=key,
    )


@contextlib.asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[tuple[Runtime, str]]:
    runtime = await build_runtime(settings)
    bot = await LocalServer(runtime).start()
    try:
        yield runtime, bot.url
    finally:
        await bot.close()


async def install_through_oauth(bot_url: str, slack: FakeSlack) -> list[str]:
    """Slack's OAuth v2 flow as a browser walks it; returns the secrets Slack issued."""
    async with httpx.AsyncClient() as browser:
        page = await browser.get(f"{bot_url}/slack/install")
    assert page.status_code == 200
    assert "slack.com/oauth/v2/authorize" in page.text
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    state = cookie.removeprefix(f"{STATE_COOKIE}=")
    code = slack.approve_install(TEAM, INSTALLER)
    # Bolt's state cookie is Secure: a cookie jar would not send it back over http.
    async with httpx.AsyncClient() as browser:
        done = await browser.get(
            f"{bot_url}/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": cookie},
        )
    assert done.status_code == 200, done.text
    [exchange] = slack.calls_to("oauth.v2.access")[-1:]
    answer = exchange.answer
    assert answer["ok"], answer
    user = answer["authed_user"]
    return [
        answer["access_token"],
        answer["refresh_token"],
        user["access_token"],
        user["refresh_token"],
        answer["incoming_webhook"]["url"],
    ]


async def help_reply(bot_url: str, slack: FakeSlack) -> str:
    before = len(slack.messages_for(INSTALLER))
    async with SlackDriver(f"{bot_url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM) as d:
        await d.command(INSTALLER, "help")
    messages = await slack.wait_for(lambda: slack.messages_for(INSTALLER)[before:] or None)
    return "\n".join(m.text + "\n" + render_text(m.blocks) for m in messages)


async def test_an_oauth_install_stores_no_slack_token_readable_and_the_bot_uses_it(
    backends: tuple[RunningSimulator, FakeSlack], database_url: str
) -> None:
    _, slack = backends
    async with running_bot(oauth_settings(backends, database_url, KEY_A)) as (_, url):
        issued = await install_through_oauth(url, slack)
        stored = await every_stored_value(database_url)
        assert "slack_installations" in stored
        assert "slack_bots" in stored
        assert found_in(stored, [*SLACK_SECRET_MARKS, *issued]) == []

        assert "from:" in await help_reply(url, slack)
    bot_token = issued[0]
    assert {c.token for c in slack.calls_to("users.info")} == {bot_token}


async def test_tokens_an_earlier_version_stored_readable_are_encrypted_at_start(
    backends: tuple[RunningSimulator, FakeSlack], database_url: str
) -> None:
    _, slack = backends
    engine = create_engine(database_url)
    plain = AsyncSQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    await create_tables(engine, plain.metadata)  # VARCHAR(200): too short once encrypted
    bot_token = "xoxe.xoxb-1-" + "b" * 150
    await plain.async_save(
        Installation(
            app_id="A0001",
            team_id=TEAM,
            user_id=INSTALLER,
            bot_token=bot_token,
            bot_refresh_token="xoxe-1-" + "r" * 150,
            bot_token_expires_at=int(time.time()) + 43200,
            bot_id="B0002",
            bot_user_id="U0BOT0002",
            user_token="xoxp-" + "u" * 60,
        )
    )
    await engine.dispose()
    assert "xoxe.xoxb-1-" in await every_stored_value(database_url)

    async with running_bot(oauth_settings(backends, database_url, KEY_A)) as (_, url):
        assert found_in(await every_stored_value(database_url), SLACK_SECRET_MARKS) == []
        assert "from:" in await help_reply(url, slack)
    assert {c.token for c in slack.calls_to("users.info")} == {bot_token}


async def test_a_rotated_key_keeps_installs_and_links_and_a_removed_one_fails_cleanly(
    backends: tuple[RunningSimulator, FakeSlack], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, slack = backends
    old_link = Secrets(KEY_A).sign_link(
        {"k": "audio", "t": TEAM, "u": INSTALLER, "s": "c:1", "f": "a.mp3"},
        expires_at=int(time.time()) + 3600,
    )
    async with running_bot(oauth_settings(backends, sqlite_url, KEY_A)) as (_, url):
        issued = await install_through_oauth(url, slack)

    rotated = oauth_settings(backends, sqlite_url, f"{KEY_B},{KEY_A}")
    async with running_bot(rotated) as (_, url), httpx.AsyncClient() as http:
        assert "from:" in await help_reply(url, slack)
        opened = await http.get(f"{url}/links/{old_link}/a.mp3")
        assert "not valid" not in opened.text  # signed under A, still verified
    stored = await every_stored_value(sqlite_url)
    ciphertexts = [part for part in stored.split("'") if part.startswith("gAAAAA")]
    assert len(ciphertexts) >= 5
    assert [Secrets(KEY_B).decrypt(c) for c in ciphertexts]  # moved to the newest key at start

    async with running_bot(oauth_settings(backends, sqlite_url, KEY_B)) as (_, url):
        assert "from:" in await help_reply(url, slack)  # A is gone: the install moved to B
        async with httpx.AsyncClient() as http:
            refused = await http.get(f"{url}/links/{old_link}/a.mp3")
        assert refused.status_code == 403
        assert "not valid" in refused.text
    assert {c.token for c in slack.calls_to("users.info")} == {issued[0]}

    caplog.clear()
    with caplog.at_level(logging.ERROR):
        async with running_bot(oauth_settings(backends, sqlite_url, KEY_C)) as (_, url):
            assert "reinstall" in await help_reply(url, slack)  # Bolt's answer: not installed
    problems = [r for r in caplog.records if r.name.startswith("bot.")]
    assert problems
    assert all("BOT_SECRET_KEY" in r.getMessage() for r in problems)
    assert all(r.exc_info is None for r in problems)  # a clear line, not a traceback

"""Multi-workspace mode: the install page, and a command from a workspace that installed us."""

from __future__ import annotations

from dataclasses import replace

import httpx
from slack_sdk.oauth.installation_store import Installation

from bot.app import build_runtime
from bot.vbcsim import start_simulator
from bot.web.serve import LocalServer
from tests.fakes import FakeSlack, SlackDriver, render_text
from tests.integration.conftest import SIGNING_SECRET, make_settings


async def test_installed_workspace_uses_its_own_bot_token(sqlite_url: str) -> None:
    sim = await start_simulator()
    slack = FakeSlack(trigger_ttl=None)
    await slack.start()
    slack.add_user("U0TEAM2A1", "Team Two", email=sim.state.users[0].email)
    settings = replace(
        make_settings(sim.url, slack.url, sqlite_url),
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret="oauth-secret",
        allowed_teams=frozenset({"T0002"}),
    )
    assert settings.mode == "oauth"
    runtime = await build_runtime(settings)
    bot = await LocalServer(runtime).start()
    driver = SlackDriver(f"{bot.url}/slack/events", SIGNING_SECRET, slack, team_id="T0002")
    try:
        async with httpx.AsyncClient() as http:
            page = await http.get(f"{bot.url}/slack/install")
        assert page.status_code == 200
        assert "slack.com/oauth/v2/authorize" in page.text
        assert "client_id=111.222" in page.text

        store = runtime.app.installation_store
        assert store is not None
        await store.async_save(
            Installation(
                app_id="A0001",
                team_id="T0002",
                user_id="U0TEAM2A1",
                bot_token="xoxb-team-two",
                bot_id="B0002",
                bot_user_id="U0BOT0002",
            )
        )
        before = len(slack.messages_for("U0TEAM2A1"))
        await driver.command("U0TEAM2A1", "help")
        shown = await latest_reply_for(slack, "U0TEAM2A1", before)
        assert "from:" in shown
        tokens = {c.token for c in slack.calls_to("users.info")}
        assert tokens == {"xoxb-team-two"}

        await store.async_save(  # installed there too, but not one of our workspaces
            Installation(
                app_id="A0001",
                team_id="T0BAD",
                user_id="U0TEAM2A1",
                bot_token="xoxb-stranger",
                bot_id="B0009",
                bot_user_id="U0BOT0009",
            )
        )
        stranger = SlackDriver(f"{bot.url}/slack/events", SIGNING_SECRET, slack, team_id="T0BAD")
        refused = await stranger.command("U0TEAM2A1", "last 7d")
        await stranger.aclose()
        assert refused.status_code == 200
        assert "not enabled for this workspace" in refused.text
    finally:
        await driver.aclose()
        await bot.close()
        await slack.close()
        await sim.close()


async def latest_reply_for(slack: FakeSlack, user: str, before: int) -> str:
    messages = await slack.wait_for(lambda: slack.messages_for(user)[before:] or None, timeout=10)
    return "\n".join(m.text + "\n" + render_text(m.blocks) for m in messages)

"""`recordings-bot run` as an IT admin starts it: env in, HTTP up, signed commands answered,
a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

import httpx

from bot.demo.stack import free_port
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    RunningSimulator,
)
from tests.fakes import FakeSlack, SlackDriver, render_text, wait_until
from tests.integration.conftest import MEMBER, SIGNING_SECRET


async def test_run_serves_slack_over_http_and_stops_on_sigterm(
    backends: tuple[RunningSimulator, FakeSlack], sqlite_url: str, tmp_path: object
) -> None:
    sim, slack = backends
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-entrypoint",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": slack.url,
        "VBC_API_URL": sim.url,
        "VBC_CLIENT_ID": DEMO_CLIENT_ID,
        "VBC_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "VBC_USERNAME": DEMO_USERNAME,
        "VBC_PASSWORD": DEMO_PASSWORD,
        "DATABASE_URL": sqlite_url,
        "BOT_SECRET_KEY": "entrypoint-secret-key-entrypoint-secret-key",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=str(tmp_path)
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:

            async def listening() -> httpx.Response | None:
                with contextlib.suppress(httpx.TransportError):
                    return await http.get(f"{base}/healthz")
                return None

            health = await wait_until(listening, timeout=15)
        assert health.json() == {"ok": True}
        async with SlackDriver(f"{base}/slack/events", SIGNING_SECRET, slack) as driver:
            await driver.command(MEMBER, "last 30d")
            [reply] = await slack.wait_for(lambda: slack.messages_for(MEMBER) or None, timeout=15)
        assert "Page 1 of" in render_text(reply.blocks)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=15)
    assert code == 0

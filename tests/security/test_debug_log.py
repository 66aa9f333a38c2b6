"""`recordings-bot run` at LOG_LEVEL=DEBUG writes no secret: its whole log is scanned after a
Connect VBC sign-in, a search and a Play that becomes a signed link."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot import blocks
from bot.demo.fake_slack import Json
from bot.demo.stack import free_port
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    RunningSimulator,
)
from tests.fakes import FakeSlack, SlackDriver
from tests.integration.conftest import MEMBER, SIGNING_SECRET
from tests.security.stored import every_stored_value, found_in

BOT_TOKEN = "xoxb-debug-log-bot-token"
SECRET_KEYS = "debug-log-key-new-0123456789abcdef,debug-log-key-old-0123456789abcdef"
LINK = re.compile(r"/links/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/")


def elements(value: object) -> list[Json]:
    """Every interactive element in a Block Kit structure, however deeply nested."""
    if isinstance(value, list):
        return [e for item in value for e in elements(item)]
    if isinstance(value, dict):
        own = [value] if "action_id" in value else []
        return own + [e for item in value.values() for e in elements(item)]
    return []


async def sign_in_search_and_play(base: str, slack: FakeSlack) -> list[str]:
    """The flows that carry secrets; returns the signed tokens and the code the bot handled."""
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(600):
            try:
                await http.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the bot did not start listening")
        async with SlackDriver(f"{base}/slack/events", SIGNING_SECRET, slack) as driver:
            await driver.command(MEMBER, "whoami")
            await slack.wait_for(lambda: slack.responses or None, timeout=15)
            [connect] = [
                e["url"]
                for e in elements(slack.responses[-1].args["blocks"])
                if e["action_id"] == blocks.ACTION_CONNECT_VBC
            ]
            start = await http.get(connect)  # the bot sets its cookie and sends us to VBC
            assert start.status_code == 302
            consent = await http.get(start.headers["location"])  # the simulator signs us in
            assert consent.status_code == 302
            callback = await http.get(consent.headers["location"])  # the cookie goes along
            assert "VBC connected" in callback.text
            query = parse_qs(urlsplit(consent.headers["location"]).query)

            before = len(slack.messages_for(MEMBER))
            await driver.command(MEMBER, "last 30d")
            [results] = await slack.wait_for(lambda: slack.messages_for(MEMBER)[before:], 15)
            plays = [e for e in elements(results.blocks) if e["action_id"] == blocks.ACTION_PLAY]
            # An on-demand recording: read with the person's own (stored, encrypted) VBC token.
            [own, *_] = [e["value"] for e in plays if e["value"].startswith("o:")]
            await driver.click(MEMBER, blocks.ACTION_PLAY, own, message=results)

            def link() -> str | None:
                found = LINK.search(json.dumps([m.blocks for m in slack.messages_for(MEMBER)]))
                return found.group(1) if found else None

            token = await slack.wait_for(link, timeout=30)
        download = await http.get(f"{base}/links/{token}/recording.mp3")
        assert download.status_code == 200
    return [query["state"][0], query["code"][0], token]


@pytest.mark.parametrize("libraries", ["", "DEBUG"])
async def test_a_debug_run_logs_no_secret_unless_libraries_are_asked_to(
    backends: tuple[RunningSimulator, FakeSlack], tmp_path: Path, libraries: str
) -> None:
    sim, slack = backends
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": slack.url,
        "VBC_API_URL": sim.url,
        "VBC_CLIENT_ID": DEMO_CLIENT_ID,
        "VBC_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "VBC_USERNAME": DEMO_USERNAME,
        "VBC_PASSWORD": DEMO_PASSWORD,
        "DATABASE_URL": database,
        "BOT_SECRET_KEY": SECRET_KEYS,
        "PUBLIC_URL": base,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "UPLOAD_CAP_BYTES": "1",  # every Play becomes a signed link
        "LOG_LEVEL": "DEBUG",
        "LOG_LEVEL_LIBRARIES": libraries,
    }
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=str(tmp_path), stderr=log_file
        )
        try:
            handled = await sign_in_search_and_play(base, slack)
        finally:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=15) == 0

    issued = [*sim.state.tokens._access, *sim.state.tokens._refresh]  # the simulator's record
    assert len(issued) >= 4  # the integration user's and the person's, access and refresh
    secrets = [
        SIGNING_SECRET,
        BOT_TOKEN,
        DEMO_PASSWORD,
        DEMO_CLIENT_SECRET,
        *SECRET_KEYS.split(","),
        *issued,
        *handled,
    ]
    log = log_path.read_text()
    assert "vbc token obtained via password grant" in log  # the log was captured
    assert "Traceback" not in log
    if libraries:
        assert " DEBUG slack_sdk" in log
        assert found_in(log, secrets)  # what the default keeps out
    else:
        assert found_in(log, secrets) == []
        # The person's VBC tokens are stored too: encrypted.
        assert found_in(await every_stored_value(database), secrets) == []

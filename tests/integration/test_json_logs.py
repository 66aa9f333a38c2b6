"""``recordings-bot run`` with LOG_FORMAT=json: every line of its log is one JSON object, a
refused credential at start is an ERROR naming the setting, one request's lines share its
request id, and no secret or whole phone number is written at INFO."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.demo.stack import free_port
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    RunningSimulator,
)
from tests.fakes import FakeSlack, SlackDriver, wait_until
from tests.integration.conftest import MEMBER, SIGNING_SECRET, Stack, start_stack, stop_stack

BOT_TOKEN = "xoxb-json-logs-bot-token"
SECRET_KEY = "json-logs-secret-key-0123456789abcdef"
METRICS_TOKEN = "json-logs-metrics-token-0123456789"
NUMBER = "+1 (732) 555-0100"
DIGITS = "7325550100"


def read_log(path: Path) -> list[dict[str, Any]]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line parses, or the test fails here


async def test_json_log_of_a_real_process(
    backends: tuple[RunningSimulator, FakeSlack], sqlite_url: str, tmp_path: Path
) -> None:
    sim, slack = backends
    slack.refused_tokens.add(BOT_TOKEN)  # the token is refused at start...
    port = free_port()
    log_path = tmp_path / "bot.log"
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
        "DATABASE_URL": sqlite_url,
        "BOT_SECRET_KEY": SECRET_KEY,
        "METRICS_TOKEN": METRICS_TOKEN,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        "LOG_LEVEL_LIBRARIES": "INFO",  # httpx writes every URL, query strings included
        "LOG_FORMAT": "json",
    }
    with log_path.open("w") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=str(tmp_path), stderr=sink
        )
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient() as http:

                async def listening() -> httpx.Response | None:
                    with contextlib.suppress(httpx.TransportError):
                        return await http.get(f"{base}/healthz")
                    return None

                await wait_until(listening, timeout=15)

                def refused() -> list[dict[str, Any]] | None:
                    found = [e for e in read_log(log_path) if e["level"] == "ERROR"]
                    return found or None

                [error] = await wait_until(refused, timeout=15)
                assert "SLACK_BOT_TOKEN" in error["message"]
                assert (await http.get(f"{base}/readyz")).status_code == 503
            slack.refused_tokens.clear()  # ...and fixed at Slack: no restart
            async with SlackDriver(f"{base}/slack/events", SIGNING_SECRET, slack) as driver:
                await driver.command(MEMBER, f"from:{NUMBER} last 30d")
                await slack.wait_for(lambda: slack.responses or None, timeout=15)
        finally:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=15) == 0

    entries = read_log(log_path)
    for entry in entries:
        assert {"time", "level", "logger", "message", "request_id"} <= set(entry)
    text = log_path.read_text()
    for secret in (BOT_TOKEN, SIGNING_SECRET, SECRET_KEY, METRICS_TOKEN, DEMO_PASSWORD):
        assert secret not in text
    assert DEMO_CLIENT_SECRET not in text
    assert DIGITS not in text.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
    # The VBC search carried the number; its log line shows only the last 4 digits.
    searched = [e for e in entries if "call_recordings" in e["message"] and "…0100" in e["message"]]
    assert searched, "the search's VBC request was logged, masked"
    # One request id follows the command into the listener's work (email link, VBC calls).
    ids = {e["request_id"] for e in searched}
    assert len(ids) == 1
    assert None not in ids
    [rid] = ids
    assert any(e["request_id"] == rid and "linked" in e["message"] for e in entries)


async def test_a_refused_vbc_password_at_start_is_an_error_naming_it(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    stack: Stack | None = None
    try:
        stack = await start_stack(sqlite_url, with_background=False)
        stack.sim.state.faults.update({"fail_next": [{"status": 400, "path_prefix": "/token"}]})
        watch = stack.bot.runtime.services.credential_watch
        await watch.check_once()
        await watch.check_once()  # the same problem again: not a second ERROR line
    finally:
        if stack is not None:
            await stop_stack(stack)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "vbc check failed" in errors[0].getMessage()
    assert "VBC_PASSWORD" in errors[0].getMessage()

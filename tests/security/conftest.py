"""Fixtures for the security tests: the whole stack, a sink for forged response_urls, and
what a request left behind (database rows, outbound calls, log lines)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.app import build_runtime
from bot.web.serve import LocalServer
from tests.fakes.sink import Sink
from tests.integration.conftest import (
    MEMBER,
    SIGNING_SECRET,
    Stack,
    make_settings,
    start_stack,
    stop_stack,
)

FORGED_USER = "U0FORGED9"
FORGED_TEXT = "forged-marker-7f3a"
OLD_SOCKET_SECRET = "socket-mode-does-not-sign"  # the constant the bot used to verify with


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    async with Sink() as running:
        yield running


@pytest.fixture
async def stack(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Stack]:
    # At the production level before the app exists: Bolt copies the root level at start.
    caplog.set_level(logging.INFO)
    running = await start_stack(sqlite_url)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems


@pytest.fixture
async def oauth_bot(stack: Stack, tmp_path: object) -> AsyncIterator[LocalServer]:
    """The same world, served by a bot in OAuth mode (Slack's install and redirect pages)."""
    settings = dataclasses.replace(
        make_settings(stack.sim.url, stack.slack.url, f"sqlite:///{tmp_path}/oauth.db"),
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret="oauth-secret",
        allowed_teams=frozenset({"T0001"}),
    )
    runtime = await build_runtime(settings)
    store = runtime.app.installation_store
    assert store is not None
    await store.async_save(
        Installation(app_id="A0001", team_id="T0001", user_id=MEMBER, bot_token="xoxb-oauth")
    )
    bot = await LocalServer(runtime).start()
    try:
        yield bot
    finally:
        await bot.close()


def forged_command(response_url: str, *, text: str = FORGED_TEXT) -> bytes:
    """A slash command as an attacker would send it: a person's id and a URL of their own."""
    return urlencode(
        {
            "command": "/recordings",
            "text": text,
            "user_id": FORGED_USER,
            "user_name": "forged",
            "team_id": "T0001",
            "channel_id": "C0001",
            "response_url": response_url,
            "trigger_id": "1.forged",
        }
    ).encode()


def now() -> str:
    return str(int(time.time()))


@dataclass(frozen=True)
class Outbound:
    """Everything the bot sent out so far: Web API calls, response_url posts, VBC requests."""

    slack_calls: int
    slack_responses: int
    vbc_requests: int
    sink_requests: int

    @classmethod
    def of(cls, stack: Stack, sink: Sink) -> Outbound:
        return cls(
            len(stack.slack.calls),
            len(stack.slack.responses),
            len(stack.sim.state.requests),
            len(sink.requests),
        )


def _row_counts(path: str) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


async def row_counts(sqlite_url: str) -> dict[str, int]:
    """Rows per table (audit_events among them): a request that touched nothing changes none."""
    return await asyncio.to_thread(_row_counts, sqlite_url.removeprefix("sqlite:///"))


def signed_headers(body: bytes, timestamp: str | None = None) -> list[tuple[bytes, bytes]]:
    """Slack's signature over the raw bytes (which need not be UTF-8), with the test secret."""
    stamp = (timestamp or now()).encode()
    mac = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp + b":" + body, hashlib.sha256)
    return [
        (b"x-slack-request-timestamp", stamp),
        (b"x-slack-signature", b"v0=" + mac.hexdigest().encode()),
    ]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()[:200]}" for r in caplog.records if r.exc_info]


async def logged(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 10.0) -> None:
    """Wait (a deadline poll) until a log line contains ``text``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(text in r.getMessage() for r in caplog.records):
        assert asyncio.get_running_loop().time() < deadline, f"never logged: {text!r}"
        await asyncio.sleep(0.02)

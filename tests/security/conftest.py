"""Fixtures for the security tests: the whole stack, a sink for forged response_urls, and
what a request left behind (database rows, outbound calls, log lines)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from tests.fakes.sink import Sink
from tests.integration.conftest import (
    Stack,
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

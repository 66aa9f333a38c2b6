"""The whole stack over loopback, as in ``tests/integration`` (simulator, fake Slack, bot)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.conftest import Stack, start_stack, stop_stack


@pytest.fixture
async def stack(sqlite_url: str) -> AsyncIterator[Stack]:
    running = await start_stack(sqlite_url)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems

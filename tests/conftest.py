"""Shared fixtures: databases (SQLite per test, PostgreSQL for concurrency), the VBC router."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from bot.clock import system_clock
from bot.demo.fake_slack import FakeSlack
from bot.store import Store
from bot.store.engine import create_engine, migrate
from bot.vbcsim import RunningSimulator, start_simulator
from tests.fakes.vbc_router import VbcRouter
from tests.integration.conftest import MEMBER

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)


async def _admin_connection() -> asyncpg.Connection:
    url = postgres_base_url().replace("postgresql+asyncpg://", "postgresql://")
    return await asyncpg.connect(url, timeout=5)


@pytest.fixture
def vbc_router() -> Iterator[VbcRouter]:
    """A VBC transport router; the test fails if anything reached VBC off its routes."""
    router = VbcRouter()
    yield router
    router.assert_no_unexpected()


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/bot.db"


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[Store]:
    """A migrated SQLite store of its own for one test."""
    store = Store(create_engine(sqlite_url), clock=system_clock)
    await migrate(store.engine)
    yield store
    await store.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test; skips locally, fails in CI, when PG is down."""
    try:
        admin = await _admin_connection()
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    name = f"rbtest_{secrets.token_hex(6)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = postgres_base_url().rsplit("/", 1)[0]
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def backends() -> AsyncIterator[tuple[RunningSimulator, FakeSlack]]:
    """The VBC simulator and a fake Slack knowing MEMBER, for tests that run the real process."""
    sim = await start_simulator()
    slack = FakeSlack(trigger_ttl=None)
    await slack.start()
    slack.add_user(MEMBER, "Hannah Kowalski", email=sim.state.users[0].email)
    try:
        yield sim, slack
    finally:
        await slack.close()
        await sim.close()

"""Retention work shared by two processes on one database: nothing done twice.

The second "process" is a second engine, store and service on the same database (SQLite
and PostgreSQL), sharing Slack and VBC with the running bot; both work at the same moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.lifecycle.copies import SlackCopies
from bot.lifecycle.retention import RetentionService
from bot.store import Store
from bot.store.engine import create_engine
from bot.store.retention import RetentionRows
from bot.store.tables import UploadedFile
from tests.fakes.lifecycle import HandClock, RecordedJobs
from tests.integration.conftest import ADMIN, TEAM, Stack, start_stack, stop_stack
from tests.integration.test_holds import say
from tests.integration.test_retention_vbc import add_calls, notices


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def clock() -> HandClock:
    return HandClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def jobs() -> RecordedJobs:
    return RecordedJobs()


@pytest.fixture
async def stack(database_url: str, clock: HandClock, jobs: RecordedJobs) -> AsyncIterator[Stack]:
    running = await start_stack(database_url, now=clock(), clock=clock, deletion_jobs=jobs)
    try:
        yield running
    finally:
        await stop_stack(running)


@pytest.fixture
async def second_store(database_url: str, clock: HandClock) -> AsyncIterator[Store]:
    store = Store(create_engine(database_url), clock=clock)
    try:
        yield store
    finally:
        await store.close()


async def test_two_sweepers_delete_each_expired_copy_once(
    stack: Stack, clock: HandClock, second_store: Store
) -> None:
    services = stack.bot.runtime.services
    await say(stack, ADMIN, "retention slack 3")
    for n in range(30):
        await services.store.save_upload(
            UploadedFile(
                team_id=TEAM,
                conversation_id="D0001",
                recording_key=f"company:{900000 + n}",
                file_id=f"F{n:08d}",
                permalink=f"https://fake.slack.test/F{n:08d}",
            )
        )
    other = SlackCopies(
        store=second_store,
        rows=RetentionRows(second_store),
        slack=services.slack,
        holds=services.holds,
        clock=clock,
    )
    clock.advance(days=4)
    counts = await asyncio.gather(services.slack_copies.sweep(), other.sweep())
    assert sum(counts) == 30
    deleted = [c.args["file"] for c in stack.slack.calls_to("files.delete")]
    assert sorted(deleted) == [f"F{n:08d}" for n in range(30)]


async def test_two_processes_announce_once_and_start_once(
    stack: Stack, clock: HandClock, jobs: RecordedJobs, second_store: Store
) -> None:
    services = stack.bot.runtime.services
    add_calls(stack, clock)
    await say(stack, ADMIN, "retention vbc 30 type:company from:+1 732 555 9876")
    other = RetentionService(
        store=second_store,
        rows=RetentionRows(second_store),
        recordings=services.recordings,
        directory=services.directory,
        vbc=services.vbc,
        slack=services.slack,
        holds=services.holds,
        jobs=jobs,
        clock=clock,
        admins=frozenset({ADMIN}),
    )
    for _ in range(3):
        await asyncio.gather(services.retention.tick(), other.tick())
    assert len(notices(stack)) == 1
    clock.advance(hours=24, seconds=1)
    for _ in range(3):
        await asyncio.gather(services.retention.tick(), other.tick())
    assert len(jobs.started) == 1
    assert len(jobs.started[0].refs) == 2

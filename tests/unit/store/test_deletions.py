"""Deletion rows: an item is settled only by the job's holder; stale offers are pruned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store
from bot.store.deletions import DeletionRows, Settled
from bot.store.engine import create_engine, migrate
from bot.store.tables import AuditEvent, DeletionItem, DeletionJob

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
async def rows(sqlite_url: str) -> AsyncIterator[DeletionRows]:
    engine = create_engine(sqlite_url)
    await migrate(engine)
    store = Store(engine, clock=lambda: NOW)
    yield DeletionRows(store)
    await store.close()


def _items(n: int) -> list[DeletionItem]:
    return [DeletionItem(job_id=0, seq=i, kind="company", recording_id=100 + i) for i in range(n)]


def _job(state: str, created: datetime) -> DeletionJob:
    return DeletionJob(
        team_id="T1",
        requested_by="U1",
        origin="bulk",
        state=state,
        total=3,
        created_at=created,
        updated_at=created,
        next_run_at=created,
    )


async def test_only_the_holder_settles_items_and_each_once(rows: DeletionRows) -> None:
    job_id = await rows.create(_job("running", NOW), _items(3))
    [claimed] = await rows.claim_due("A", now=NOW, until=NOW + timedelta(seconds=30), limit=5)
    assert claimed == job_id
    items = await rows.pending_items(job_id, after=-1, limit=10)
    event = AuditEvent(team_id="T1", actor="U1", action="delete", outcome="allowed")
    assert await rows.settle_many([Settled(items[0], "deleted", "", event)], "B") == set()
    assert await rows.settle_many([Settled(items[0], "deleted", "", event)], "A") == {0}
    again = Settled(items[0], "gone", "already gone at VBC", None)
    assert await rows.settle_many([again, Settled(items[1], "held", "hold #1", None)], "A") == {1}
    tally = await rows.tally(job_id)
    assert tally.counts == {"deleted": 1, "held": 1, "pending": 1}
    assert [i.seq for i in tally.held] == [1]
    # The lease ran out and B took the job over: A can no longer write.
    later = NOW + timedelta(seconds=31)
    assert await rows.claim_due("B", now=later, until=later + timedelta(seconds=30), limit=5)
    assert await rows.settle_many([Settled(items[2], "deleted", "", None)], "A") == set()
    assert await rows.renew(job_id, "A", until=later) is None


async def test_offers_nobody_confirmed_expire_with_their_items(rows: DeletionRows) -> None:
    old = await rows.create(_job("pending", NOW - timedelta(days=2)), _items(3))
    fresh = await rows.create(_job("pending", NOW), _items(3))
    running = await rows.create(_job("running", NOW - timedelta(days=2)), _items(3))
    assert await rows.prune_offers(timedelta(days=1)) == 1
    assert (await rows.get(old)).state == "expired"  # type: ignore[union-attr]
    assert await rows.first_items(old, 10) == []
    assert len(await rows.first_items(fresh, 10)) == 3
    assert len(await rows.first_items(running, 10)) == 3

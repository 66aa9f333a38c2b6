"""Settled notices go once no listing can reach their recordings again; open ones never do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store
from bot.store.engine import create_engine, migrate
from bot.store.notices import DIGEST, FAILED, PENDING, POSTED, SKIPPED, NoticeRows
from bot.store.tables import NoticeDelivery, NoticeSource

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
OVERLAP = timedelta(minutes=120)


@pytest.fixture
async def rows(sqlite_url: str) -> AsyncIterator[tuple[Store, NoticeRows]]:
    store = Store(create_engine(sqlite_url), clock=lambda: NOW)
    await migrate(store.engine)
    yield store, NoticeRows(store)
    await store.close()


def row(key: str, state: str, made: datetime) -> NoticeDelivery:
    return NoticeDelivery(
        id=key, rule_id=1, team_id="T1", target="U1", recording="{}", state=state, created_at=made
    )


async def test_only_settled_rows_older_than_the_lowest_reach_go(
    rows: tuple[Store, NoticeRows],
) -> None:
    store, notices = rows
    stalled = NOW - timedelta(days=2)  # a quiet source: its listing still reaches back from here
    reach = stalled - OVERLAP - timedelta(hours=1)
    async with store.session() as s:
        s.add(NoticeSource(id="company", watermark=NOW))
        s.add(NoticeSource(id="od:1", vbc_user_id="1", watermark=stalled))
        s.add_all(
            [
                row("gone-posted", POSTED, reach - timedelta(minutes=1)),
                row("gone-skipped", SKIPPED, reach - timedelta(minutes=1)),
                row("gone-failed", FAILED, reach - timedelta(minutes=1)),
                row("kept-reachable", POSTED, reach + timedelta(minutes=1)),
                row("kept-pending", PENDING, reach - timedelta(days=9)),
                row("kept-digest", DIGEST, reach - timedelta(days=9)),
            ]
        )
        await s.commit()
    assert await notices.prune_settled(OVERLAP, now=NOW) == 3
    left = sorted(r.id for r in await notices.deliveries())
    assert left == ["kept-digest", "kept-pending", "kept-reachable"]


async def test_with_no_sources_the_reach_is_from_now(rows: tuple[Store, NoticeRows]) -> None:
    store, notices = rows
    async with store.session() as s:
        s.add(row("old", POSTED, NOW - OVERLAP - timedelta(hours=2)))
        s.add(row("recent", POSTED, NOW - OVERLAP))
        await s.commit()
    assert await notices.prune_settled(OVERLAP, now=NOW) == 1
    assert [r.id for r in await notices.deliveries()] == ["recent"]

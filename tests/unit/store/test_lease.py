"""The row lease on a table of its own: claim, hold, expire, take over, renew, release.

SQLite for the rules; PostgreSQL where concurrent claimers are the point.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.engine import create_engine, create_tables
from bot.store.lease import Lease, LeasedTable

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
metadata = MetaData()  # not SQLModel's: the bot's schema stays what its migrations make it
chores = Table(
    "chores",
    metadata,
    Column("key", String(16), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("holder", String(64)),
    Column("held_until", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("note", String(64)),
)
LEASE = Lease(
    LeasedTable(
        table=chores,
        id="key",
        owner="holder",
        until="held_until",
        due="due_at",
        watchable=(chores.c.kind == "watched",),
    )
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Rows:
    """The table on one engine; every call is its own transaction, like two processes'."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add(self, key: str, *, due: float = 0, kind: str = "watched") -> None:
        async with AsyncSession(self.engine) as s:
            await s.exec(insert(chores).values(key=key, kind=kind, due_at=at(due)))
            await s.commit()

    async def claim(
        self, owner: str, *, now: float, lease: float = 30, limit: int = 10
    ) -> list[str]:
        async with AsyncSession(self.engine) as s:
            ids = await LEASE.claim(s, owner, now=at(now), until=at(now + lease), limit=limit)
            await s.commit()
        return ids

    async def renew(self, key: str, owner: str, *, until: float, note: str) -> set[str]:
        async with AsyncSession(self.engine) as s:
            renewed = await LEASE.renew(s, [key], owner, until=at(until), note=note)
            await s.commit()
        return renewed

    async def release(self, key: str, owner: str, note: str | None = None) -> set[str]:
        async with AsyncSession(self.engine) as s:
            released = await LEASE.release(s, [key], owner, note=note)
            await s.commit()
        return released

    async def holds(self, keys: list[str], owner: str) -> set[str]:
        async with AsyncSession(self.engine) as s:
            return await LEASE.holds(s, keys, owner)

    async def next_free(self) -> datetime | None:
        async with AsyncSession(self.engine) as s:
            found = await LEASE.next_free(s)
        return found.replace(tzinfo=UTC) if found is not None and not found.tzinfo else found

    async def row(self, key: str) -> tuple[str | None, datetime | None, str | None]:
        async with self.engine.connect() as conn:
            found = (
                await conn.execute(
                    select(chores.c.holder, chores.c.held_until, chores.c.note).where(
                        chores.c.key == key
                    )
                )
            ).one()
        until = found.held_until
        return found.holder, until.replace(tzinfo=UTC) if until else None, found.note


async def rows_on(url: str) -> Rows:
    engine = create_engine(url)
    await create_tables(engine, metadata)
    return Rows(engine)


@pytest.fixture
async def rows(sqlite_url: str) -> AsyncIterator[Rows]:
    made = await rows_on(sqlite_url)
    yield made
    await made.engine.dispose()


async def test_claims_due_watchable_rows_longest_due_first_up_to_the_limit(rows: Rows) -> None:
    await rows.add("later", due=5)
    await rows.add("second", due=-1)
    await rows.add("first", due=-2)
    await rows.add("third", due=0)
    await rows.add("ignored", due=-9, kind="done")
    assert set(await rows.claim("a", now=0, limit=2)) == {"first", "second"}
    assert await rows.holds(["first", "second", "third"], "a") == {"first", "second"}
    assert await rows.claim("a", now=0) == ["third"], "not the row due later, nor the unwatched"
    holder, until, _ = await rows.row("third")
    assert (holder, until) == ("a", at(30))


async def test_a_held_row_cannot_be_claimed_by_another_owner(rows: Rows) -> None:
    await rows.add("r1")
    assert await rows.claim("a", now=0) == ["r1"]
    assert await rows.claim("b", now=29) == []
    assert await rows.claim("a", now=29) == [], "nor claimed twice by its holder"
    assert await rows.holds(["r1"], "a") == {"r1"}
    assert await rows.holds(["r1"], "b") == set()


async def test_an_expired_lease_lets_another_owner_take_over(rows: Rows) -> None:
    await rows.add("r1")
    await rows.claim("a", now=0)
    assert await rows.holds(["r1"], "a") == {"r1"}, "held until someone else claims it"
    assert await rows.claim("b", now=31) == ["r1"]
    assert await rows.holds(["r1"], "a") == set()
    assert await rows.row("r1") == ("b", at(61), None)


async def test_renewing_extends_only_a_lease_still_held(rows: Rows) -> None:
    await rows.add("r1")
    await rows.claim("a", now=0)
    assert await rows.renew("r1", "a", until=50, note="polled") == {"r1"}
    assert await rows.row("r1") == ("a", at(50), "polled")
    assert await rows.claim("b", now=40) == [], "the renewed lease keeps others away"
    assert await rows.claim("b", now=51) == ["r1"]
    assert await rows.renew("r1", "a", until=90, note="stale") == set(), "taken over"
    assert await rows.row("r1") == ("b", at(81), "polled"), "the new owner's row is untouched"


async def test_releasing_frees_the_row_for_the_next_claim(rows: Rows) -> None:
    await rows.add("r1")
    await rows.claim("a", now=0)
    assert await rows.release("r1", "b") == set(), "only the holder releases"
    assert await rows.release("r1", "a", note="done for now") == {"r1"}
    assert await rows.row("r1") == (None, None, "done for now")
    assert await rows.holds(["r1"], "a") == set()
    assert await rows.claim("b", now=1) == ["r1"], "free at once, not when the lease ends"


async def test_next_free_is_the_later_of_due_and_lease_end(rows: Rows) -> None:
    assert await rows.next_free() is None
    await rows.add("r1", due=10)
    await rows.add("r2", due=5, kind="done")
    assert await rows.next_free() == at(10)
    await rows.add("r3", due=0)
    await rows.claim("a", now=0)
    assert await rows.next_free() == at(10), "r3 is leased until 30; r1 is due at 10"
    async with AsyncSession(rows.engine) as s:
        await s.exec(chores.update().where(chores.c.key == "r1").values(kind="done"))
        await s.commit()
    assert await rows.next_free() == at(30)


async def test_owners_claiming_at_once_on_postgresql_never_share_a_row(postgres_url: str) -> None:
    rows = await rows_on(postgres_url)
    try:
        async with AsyncSession(rows.engine) as s:
            await s.exec(
                insert(chores),
                params=[
                    {"key": f"r{n:03}", "kind": "watched", "due_at": at(-n)} for n in range(300)
                ],
            )
            await s.commit()
        won: dict[str, list[str]] = {}

        async def claimer(owner: str) -> None:
            won[owner] = []
            while ids := await rows.claim(owner, now=0, limit=7):
                won[owner] += ids
                await asyncio.sleep(0)

        await asyncio.gather(*(claimer(f"w{n}") for n in range(6)))
        every = [key for ids in won.values() for key in ids]
        assert len(every) == len(set(every)) == 300, "each row claimed exactly once"
        assert sum(1 for ids in won.values() if ids) > 1, "the claimers really ran side by side"
    finally:
        await rows.engine.dispose()

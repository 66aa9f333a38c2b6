"""The store reads time only from its injected clock: stamps, ages and pruning follow it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import AuditQuery, Store
from bot.store.engine import create_engine, migrate
from bot.store.tables import AuditEvent, ChannelSetting, SearchCursor, UploadedFile

T0 = datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC)  # years before the wall clock: no accidental pass
WEEK = timedelta(days=7)


class HandClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def aware(when: datetime) -> datetime:
    """SQLite hands datetimes back naive; the store writes UTC."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
async def store(sqlite_url: str, clock: HandClock) -> AsyncIterator[Store]:
    store = Store(create_engine(sqlite_url), clock=clock)
    await migrate(store.engine)
    yield store
    await store.close()


def cursor(key: str) -> SearchCursor:
    return SearchCursor(key=key, team_id="T1", owner="U1", request_text="", tz="UTC", state="{}")


async def test_cursors_are_pruned_a_lifetime_after_their_first_save(
    store: Store, clock: HandClock
) -> None:
    await store.save_cursor(cursor("old"))
    clock.advance(timedelta(days=6))
    await store.save_cursor(cursor("new"))
    paged = await store.get_cursor("old")
    assert paged is not None
    await store.save_cursor(paged)  # a page view later does not make it younger
    clock.advance(timedelta(days=1))
    assert await store.prune_cursors(WEEK) == 0, "exactly a week old is kept"
    clock.advance(timedelta(seconds=1))
    assert await store.prune_cursors(WEEK) == 1
    assert await store.get_cursor("old") is None
    kept = await store.get_cursor("new")
    assert kept is not None
    assert aware(kept.created_at) == T0 + timedelta(days=6)


async def test_audit_events_carry_the_clock_time(store: Store, clock: HandClock) -> None:
    await store.audit("T1", "U1", "search", outcome="allowed")
    clock.advance(timedelta(minutes=5))
    # Made (with a wall-clock default) before it is saved: the store stamps it.
    event = AuditEvent(team_id="T1", actor="U1", action="page", outcome="allowed")
    clock.advance(timedelta(minutes=5))
    await store.save_cursor(cursor("k"), event)
    rows, total = await store.audit_events("T1", AuditQuery(), offset=0, limit=10)
    assert total == 2
    assert [(r.action, aware(r.at)) for r in rows] == [
        ("page", T0 + timedelta(minutes=10)),
        ("search", T0),
    ]
    since = AuditQuery(since=T0 + timedelta(minutes=1))
    assert [r.action for r in (await store.audit_events("T1", since, offset=0, limit=10))[0]] == [
        "page"
    ]


async def test_event_ids_are_forgotten_by_the_clock(store: Store, clock: HandClock) -> None:
    assert await store.first_delivery("Ev1")
    assert not await store.first_delivery("Ev1")
    clock.advance(timedelta(days=1))
    assert await store.prune_seen_events(timedelta(days=1)) == 0
    clock.advance(timedelta(seconds=1))
    assert await store.prune_seen_events(timedelta(days=1)) == 1
    assert await store.first_delivery("Ev1"), "a forgotten id is new again"


async def test_channel_settings_and_uploads_are_stamped_by_the_clock(
    store: Store, clock: HandClock
) -> None:
    await store.save_channel(ChannelSetting(team_id="T1", channel_id="C1", allow_share=True))
    clock.advance(timedelta(hours=1))
    await store.save_upload(
        UploadedFile(
            team_id="T1",
            conversation_id="C1",
            recording_key="company:1",
            file_id="F1",
            permalink="https://slack.test/F1",
        )
    )
    setting = await store.get_channel("T1", "C1")
    assert aware(setting.updated_at) == T0
    upload = await store.find_upload("T1", "C1", "company:1")
    assert upload is not None
    assert aware(upload.created_at) == T0 + timedelta(hours=1)

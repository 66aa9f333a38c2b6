"""AUDIT_RETENTION_DAYS: old audit rows go once a day, the pruning is audited, and the records
of deletions, holds, releases and retention runs stay whatever their age."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import AuditQuery, Store
from bot.store.engine import create_engine, migrate
from bot.store.housekeeping import prune_audit_daily, tidy_once
from bot.store.operations import AUDIT_KEPT_ACTION_PREFIXES, AUDIT_PRUNE_TARGET

START = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
KEPT = ("delete", "delete_job", "hold", "hold_refused", "release", "retention", "retention_run")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def timed(sqlite_url: str) -> AsyncIterator[tuple[Store, Clock]]:
    clock = Clock()
    store = Store(create_engine(sqlite_url), clock=clock)
    await migrate(store.engine)
    yield store, clock
    await store.close()


async def actions(store: Store, team: str = "T1") -> list[str]:
    events, _ = await store.audit_events(team, AuditQuery(), offset=0, limit=100)
    return sorted(e.action for e in events)


async def test_old_rows_go_kept_kinds_and_new_rows_stay(timed: tuple[Store, Clock]) -> None:
    store, clock = timed
    for action in ("search", "audio", "export", *KEPT):
        await store.audit("T1", "U1", action, outcome="allowed")
    await store.audit("T2", "U2", "audio", outcome="allowed")
    clock.now += timedelta(days=40)
    await store.audit("T1", "U1", "share", outcome="allowed")  # young: stays

    counts = await prune_audit_daily(store, clock=clock, retention=timedelta(days=30))

    assert counts == {"T1": 3, "T2": 1}
    assert await actions(store) == sorted([*KEPT, "share", "retention"])
    [pruned] = [
        e
        for e in (await store.audit_events("T1", AuditQuery(), offset=0, limit=100))[0]
        if e.target == AUDIT_PRUNE_TARGET
    ]
    assert pruned.detail is not None
    assert pruned.detail.startswith("pruned 3 audit rows older than 30 days")
    assert await actions(store, "T2") == ["retention"]


async def test_it_runs_once_a_day_whatever_the_number_of_calls(timed: tuple[Store, Clock]) -> None:
    store, clock = timed
    await store.audit("T1", "U1", "search", outcome="allowed")
    clock.now += timedelta(days=31)
    assert await prune_audit_daily(store, clock=clock, retention=timedelta(days=30)) == {"T1": 1}
    await store.audit("T1", "U1", "search", outcome="allowed")
    clock.now += timedelta(hours=23)  # that row is old now, but a day has not passed...
    assert await prune_audit_daily(store, clock=clock, retention=timedelta(hours=1)) == {}
    clock.now += timedelta(hours=2)  # ...and now it has
    assert await prune_audit_daily(store, clock=clock, retention=timedelta(hours=1)) == {"T1": 1}


async def test_housekeeping_keeps_everything_without_a_retention(
    timed: tuple[Store, Clock],
) -> None:
    store, clock = timed
    await store.audit("T1", "U1", "search", outcome="allowed")
    clock.now += timedelta(days=3650)
    await tidy_once(store, clock=clock, audit_retention=None)
    assert await actions(store) == ["search"]
    await tidy_once(store, clock=clock, audit_retention=timedelta(days=365))
    assert await actions(store) == ["retention"]


def test_the_kept_kinds_are_named_in_one_place() -> None:
    assert set(AUDIT_KEPT_ACTION_PREFIXES) == {
        "delete",
        "hold",
        "release",
        "retention",
        "slack-copy-delete",
    }

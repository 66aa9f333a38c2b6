"""The directory reads time only from its injected clock: profile cache, link age, stamps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.clock import Clock
from bot.people.directory import Directory, SlackProfile
from bot.people.policy import Identity
from bot.store import AuditQuery, Store
from bot.store.engine import create_engine, migrate
from bot.vbc.client import PROVISIONING_API, VbcClient
from bot.vbc.models import User

T0 = datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC)  # years before the wall clock: no accidental pass
TEAM = "T1"
USER_PATH = f"{PROVISIONING_API}/accounts/self/users/101"
ADA = {"id": 101, "email": "ada@example.com", "first_name": "Ada", "extensions": []}


class HandClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self, store: Store, clock: HandClock) -> None:
        self.store, self.clock = store, clock
        self.fetched: list[str] = []
        self.vbc_reads: list[str] = []
        self.http = httpx.AsyncClient(
            base_url="https://vbc.test", transport=httpx.MockTransport(self.vbc)
        )
        self.directory = Directory(
            store,
            VbcClient(self.http),
            admins=frozenset(),
            fetch_profile=self.profile,
            clock=clock,
            profile_ttl=timedelta(minutes=10),
            extensions_stale_after=timedelta(hours=6),
        )

    async def profile(self, team_id: str, user_id: str) -> SlackProfile:
        self.fetched.append(user_id)
        return SlackProfile(user_id=user_id, name=user_id)

    def vbc(self, request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("GET", USER_PATH), request.url
        self.vbc_reads.append(request.url.path)
        page = {"_embedded": {"data": [{**ADA, "extensions": [{"extension_number": "299"}]}]}}
        return httpx.Response(200, json=page)


@pytest.fixture
async def world(sqlite_url: str) -> AsyncIterator[World]:
    clock = HandClock()
    store = Store(create_engine(sqlite_url), clock=clock)
    await migrate(store.engine)
    made = World(store, clock)
    yield made
    await made.http.aclose()
    await store.close()


def later(clock: HandClock, delta: timedelta) -> Clock:
    clock.now += delta
    return clock


async def test_profiles_are_cached_until_the_clock_passes_their_lifetime(world: World) -> None:
    await world.directory.profile(TEAM, "UADA")
    later(world.clock, timedelta(minutes=9, seconds=59))
    await world.directory.profile(TEAM, "UADA")
    assert world.fetched == ["UADA"]
    later(world.clock, timedelta(seconds=1))
    await world.directory.profile(TEAM, "UADA")
    assert world.fetched == ["UADA", "UADA"]


async def test_links_are_stamped_and_refreshed_by_the_clock(world: World) -> None:
    link = await world.directory.link_oauth(TEAM, "UADA", User.model_validate(ADA), "sealed")
    assert link.linked_at == link.refreshed_at == T0
    [event], _ = await world.store.audit_events(TEAM, AuditQuery(), offset=0, limit=5)
    assert event.at.replace(tzinfo=UTC) == T0
    later(world.clock, timedelta(hours=5, minutes=59))
    assert (await world.directory.person(TEAM, "UADA")).identity == Identity("101", (), "Ada")
    assert world.vbc_reads == [], "not stale yet"
    later(world.clock, timedelta(minutes=1))
    assert (await world.directory.person(TEAM, "UADA")).identity == Identity("101", ("299",), "Ada")
    assert world.vbc_reads == [USER_PATH]
    refreshed = await world.store.get_link(TEAM, "UADA")
    assert refreshed is not None
    assert refreshed.refreshed_at.replace(tzinfo=UTC) == world.clock.now

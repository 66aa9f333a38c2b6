"""An unlink that lands while the same person's link is being refreshed or made stays done.

A refresh reads the link, asks VBC for the user's extensions, then writes; an admin's unlink in
between must not be undone by that write (which would also bring back Connect VBC tokens). The
same holds for a link by email whose VBC lookup was under way when the admin unlinked.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from bot.people.directory import Directory, SlackProfile
from bot.store import Store
from bot.vbc.client import PROVISIONING_API, VbcClient

TEAM = "T1"
ADMIN = "UADMIN"
USERS = f"{PROVISIONING_API}/accounts/self/users"
ADA = {
    "id": 101,
    "email": "ada@example.com",
    "login_name": "ada",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "extensions": [{"extension_number": "201", "dids": []}],
}


class GatedVbc:
    """The Provisioning API with one user; while ``gate`` is set, requests wait on it."""

    def __init__(self) -> None:
        self.gate: asyncio.Event | None = None
        self.waiting = asyncio.Event()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.gate is not None:
            self.waiting.set()
            await asyncio.wait_for(self.gate.wait(), timeout=5)
        page = {"_embedded": {"data": [ADA]}, "page": 1, "page_size": 100, "total_items": 1}
        if request.url.path.startswith(USERS):
            return httpx.Response(200, json=page)
        raise AssertionError(f"unexpected VBC request {request.url}")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def profile(team_id: str, user_id: str) -> SlackProfile:
    return SlackProfile(user_id=user_id, name=user_id, email="ada@example.com")


def make_directory(store: Store, vbc: GatedVbc, clock: Clock) -> Directory:
    http = httpx.AsyncClient(base_url="https://vbc.test", transport=httpx.MockTransport(vbc.handle))
    return Directory(
        store, VbcClient(http), admins=frozenset({ADMIN}), fetch_profile=profile, clock=clock
    )


async def test_a_refresh_under_way_does_not_undo_an_unlink(store: Store) -> None:
    vbc, clock = GatedVbc(), Clock()
    directory = make_directory(store, vbc, clock)
    await directory.person(TEAM, "UADA")  # linked by email
    link = await store.get_link(TEAM, "UADA")
    assert link is not None
    link.token_ciphertext = "connect-vbc-ciphertext"
    await store.save_link(link)

    clock.now += timedelta(days=1)  # the extensions are stale: the next use refreshes them
    vbc.gate, vbc.waiting = asyncio.Event(), asyncio.Event()
    refreshing = asyncio.ensure_future(directory.person(TEAM, "UADA"))
    await asyncio.wait_for(vbc.waiting.wait(), timeout=5)
    await directory.unlink(TEAM, admin=ADMIN, slack_user="UADA")
    vbc.gate.set()
    await refreshing

    assert await store.get_link(TEAM, "UADA") is None, "the refresh wrote the link back"
    assert (await directory.person(TEAM, "UADA")).identity is None


async def test_a_link_by_email_under_way_does_not_undo_an_unlink(store: Store) -> None:
    vbc, clock = GatedVbc(), Clock()
    directory = make_directory(store, vbc, clock)
    vbc.gate = asyncio.Event()
    linking = asyncio.ensure_future(directory.person(TEAM, "UADA"))
    await asyncio.wait_for(vbc.waiting.wait(), timeout=5)
    await directory.unlink(TEAM, admin=ADMIN, slack_user="UADA")
    vbc.gate.set()
    await linking

    assert await store.get_link(TEAM, "UADA") is None
    assert (await directory.person(TEAM, "UADA")).identity is None

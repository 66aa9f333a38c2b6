"""Directory: auto-linking by email, extension refresh, admin link/unlink, audit, profiles."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.people.directory import Directory, LinkError, SlackProfile
from bot.people.policy import Identity
from bot.store import AuditQuery, Store
from bot.vbc.client import PROVISIONING_API, VbcClient
from bot.vbc.errors import VbcUnavailableError
from bot.vbc.retry import RetryPolicy
from tests.fakes import wait_until
from tests.fakes.vbc_router import USER, USERS, PathParams, VbcRouter, hal_page

TEAM = "T1"
ADMIN = "UADMIN"
USERS_PATH = f"{PROVISIONING_API}/accounts/self/users"


def vbc_user(user_id: int, email: str, *exts: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": email,
        "login_name": email.split("@")[0],
        "first_name": "Ada",
        "last_name": f"User{user_id}",
        "extensions": [{"extension_number": e, "dids": []} for e in exts],
    }


def unavailable() -> httpx.Response:
    return httpx.Response(503, json={"error": "unavailable"})


@dataclass
class Provisioning:
    """VBC's Provisioning users behind the shared router; any other request fails the test."""

    router: VbcRouter
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    down: bool = False

    def __post_init__(self) -> None:
        self.router.add("GET", USERS, self._by_email, query={"email": None})
        self.router.add("GET", USER, self._by_id, query={})

    @property
    def requests(self) -> list[str]:
        return self.router.log

    def client(self) -> VbcClient:
        http = httpx.AsyncClient(base_url="https://vbc.test", transport=self.router.transport())

        async def no_sleep(_seconds: float) -> None:
            return None

        return VbcClient(http, retry=RetryPolicy(attempts=2), sleep=no_sleep)

    def _by_email(self, request: httpx.Request, _path: PathParams) -> httpx.Response:
        if self.down:
            return unavailable()
        email = request.url.params["email"].lower()
        return httpx.Response(
            200, json=hal_page("data", [u for u in self.users.values() if u["email"] == email])
        )

    def _by_id(self, _request: httpx.Request, path: PathParams) -> httpx.Response:
        if self.down:
            return unavailable()
        user = self.users.get(int(path["user_id"]))
        if user is None:
            return httpx.Response(404, json={"msg": "User not found", "status": 404})
        return httpx.Response(200, json=hal_page("data", [user]))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Profiles:
    known: dict[str, SlackProfile] = field(default_factory=dict)
    calls: int = 0
    gate: asyncio.Event | None = None

    async def fetch(self, team_id: str, user_id: str) -> SlackProfile:
        assert team_id == TEAM
        self.calls += 1
        if self.gate is not None:
            await asyncio.wait_for(self.gate.wait(), timeout=5)
        if user_id not in self.known:
            raise LookupError(user_id)
        return self.known[user_id]

    def add(self, user_id: str, email: str | None, **kw: Any) -> None:
        self.known[user_id] = SlackProfile(user_id=user_id, name=user_id, email=email, **kw)


@pytest.fixture
def vbc(vbc_router: VbcRouter) -> Provisioning:
    fake = Provisioning(vbc_router)
    fake.users[101] = vbc_user(101, "ada@example.com", "201", "202")
    fake.users[102] = vbc_user(102, "bob@example.com", "203")
    return fake


@pytest.fixture
def profiles() -> Profiles:
    fake = Profiles()
    fake.add("UADA", "Ada@Example.com")
    fake.add("UBOB", "bob@example.com")
    fake.add("UNOMAIL", None)
    fake.add("USTRANGER", "nobody@example.com")
    fake.add(ADMIN, "admin@example.com")
    return fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(store: Store, vbc: Provisioning, profiles: Profiles, clock: Clock) -> Directory:
    return Directory(
        store, vbc.client(), admins=frozenset({ADMIN}), fetch_profile=profiles.fetch, clock=clock
    )


async def audit_rows(store: Store) -> list[tuple[str, str, str, str | None, str | None]]:
    rows, _ = await store.audit_events(TEAM, AuditQuery(), offset=0, limit=50)
    return [(r.actor, r.action, r.outcome, r.target, r.detail) for r in reversed(rows)]


async def test_first_use_links_by_slack_email(directory: Directory, store: Store) -> None:
    person = await directory.person(TEAM, "UADA")
    assert person.identity == Identity("101", ("201", "202"), "Ada User101")
    assert not person.is_admin
    link = await store.get_link(TEAM, "UADA")
    assert link is not None
    assert (link.linked_how, link.email, link.linked_by) == ("email", "ada@example.com", None)
    assert await audit_rows(store) == [
        ("UADA", "link", "allowed", "UADA", "by email: VBC user 101")
    ]


async def test_second_use_reads_the_link_without_vbc(
    directory: Directory, vbc: Provisioning
) -> None:
    await directory.person(TEAM, "UADA")
    before = len(vbc.requests)
    assert (await directory.person(TEAM, "UADA")).identity is not None
    assert len(vbc.requests) == before


async def test_no_email_means_not_linked(
    directory: Directory, vbc: Provisioning, store: Store
) -> None:
    person = await directory.person(TEAM, "UNOMAIL")
    assert person.identity is None
    assert vbc.requests == []
    assert await store.get_link(TEAM, "UNOMAIL") is None


async def test_email_unknown_to_vbc_means_not_linked(directory: Directory, store: Store) -> None:
    assert await directory.identity_of(TEAM, "USTRANGER") is None
    assert await store.get_link(TEAM, "USTRANGER") is None
    assert await audit_rows(store) == []


async def test_bots_and_missing_slack_users_are_not_linked(
    directory: Directory, profiles: Profiles, vbc: Provisioning
) -> None:
    profiles.add("UBOT", "ada@example.com", is_bot=True)
    assert await directory.identity_of(TEAM, "UBOT") is None
    assert await directory.identity_of(TEAM, "UGHOST") is None
    assert vbc.requests == []


async def test_identity_of_someone_else_auto_links_them(directory: Directory, store: Store) -> None:
    assert await directory.identity_of(TEAM, "UBOB") == Identity("102", ("203",), "Ada User102")
    assert (await store.get_link(TEAM, "UBOB")) is not None


async def test_stale_extensions_are_refreshed(
    directory: Directory, vbc: Provisioning, clock: Clock, store: Store
) -> None:
    await directory.person(TEAM, "UADA")
    vbc.users[101] = vbc_user(101, "ada@example.com", "299")
    clock.now += timedelta(hours=5)
    assert (await directory.person(TEAM, "UADA")).identity == Identity(
        "101", ("201", "202"), "Ada User101"
    )
    clock.now += timedelta(hours=2)
    assert (await directory.person(TEAM, "UADA")).identity == Identity(
        "101", ("299",), "Ada User101"
    )
    link = await store.get_link(TEAM, "UADA")
    assert link is not None
    assert link.refreshed_at == clock.now
    assert link.linked_how == "email"


async def test_refresh_failure_keeps_old_extensions(
    directory: Directory, vbc: Provisioning, clock: Clock
) -> None:
    await directory.person(TEAM, "UADA")
    vbc.down = True
    clock.now += timedelta(days=1)
    person = await directory.person(TEAM, "UADA")
    assert person.identity == Identity("101", ("201", "202"), "Ada User101")
    assert vbc.requests[-1].startswith(f"GET {USERS_PATH}/101")


async def test_a_user_deleted_in_vbc_loses_the_link(
    directory: Directory, vbc: Provisioning, clock: Clock, store: Store
) -> None:
    await directory.person(TEAM, "UADA")
    del vbc.users[101]
    clock.now += timedelta(days=1)
    assert (await directory.person(TEAM, "UADA")).identity is None
    assert await store.get_link(TEAM, "UADA") is None
    assert ("UADA", "unlink", "allowed") in [row[:3] for row in await audit_rows(store)]


async def test_vbc_down_on_first_use_is_reported(directory: Directory, vbc: Provisioning) -> None:
    vbc.down = True
    with pytest.raises(VbcUnavailableError):
        await directory.person(TEAM, "UADA")


async def test_admin_links_by_id_and_by_email(directory: Directory, store: Store) -> None:
    link = (await directory.link(TEAM, admin=ADMIN, slack_user="USTRANGER", vbc_ref="102")).link
    assert (link.vbc_user_id, link.linked_how, link.linked_by) == ("102", "admin", ADMIN)
    assert (await directory.identity_of(TEAM, "USTRANGER")) == Identity(
        "102", ("203",), "Ada User102"
    )
    change = await directory.link(
        TEAM, admin=ADMIN, slack_user="UNOMAIL", vbc_ref=" ADA@example.com "
    )
    link = change.link
    assert link.vbc_user_id == "101"
    assert await audit_rows(store) == [
        (ADMIN, "link", "allowed", "USTRANGER", "by admin: VBC user 102"),
        (ADMIN, "link", "allowed", "UNOMAIL", "by admin: VBC user 101"),
    ]


async def test_admin_link_to_unknown_vbc_user_says_so(directory: Directory, store: Store) -> None:
    with pytest.raises(LinkError, match="VBC has no user with id 999"):
        await directory.link(TEAM, admin=ADMIN, slack_user="UADA", vbc_ref="999")
    with pytest.raises(LinkError, match=r"no user with the email address x@example\.com"):
        await directory.link(TEAM, admin=ADMIN, slack_user="UADA", vbc_ref="x@example.com")
    with pytest.raises(LinkError, match="neither a VBC user id"):
        await directory.link(TEAM, admin=ADMIN, slack_user="UADA", vbc_ref="ada")
    with pytest.raises(LinkError, match="Slack has no user UGHOST"):
        await directory.link(TEAM, admin=ADMIN, slack_user="UGHOST", vbc_ref="101")
    assert await store.get_link(TEAM, "UADA") is None


async def test_non_admin_may_not_link_or_unlink(
    directory: Directory, store: Store, vbc: Provisioning
) -> None:
    with pytest.raises(LinkError, match="BOT_ADMINS"):
        await directory.link(TEAM, admin="UADA", slack_user="UADA", vbc_ref="102")
    await directory.person(TEAM, "UBOB")
    with pytest.raises(LinkError, match="BOT_ADMINS"):
        await directory.unlink(TEAM, admin="UADA", slack_user="UBOB")
    assert await store.get_link(TEAM, "UADA") is None
    assert await store.get_link(TEAM, "UBOB") is not None
    rows = await audit_rows(store)
    assert ("UADA", "link", "refused", "UADA", "not an admin") in rows
    assert ("UADA", "unlink", "refused", "UBOB", "not an admin") in rows


async def test_unlink(directory: Directory, store: Store) -> None:
    await directory.link(TEAM, admin=ADMIN, slack_user="UNOMAIL", vbc_ref="102")
    assert await directory.unlink(TEAM, admin=ADMIN, slack_user="UNOMAIL") is not None
    assert await store.get_link(TEAM, "UNOMAIL") is None
    assert await directory.identity_of(TEAM, "UNOMAIL") is None
    assert await directory.unlink(TEAM, admin=ADMIN, slack_user="UNOMAIL") is None
    rows = await audit_rows(store)
    assert rows[-2:] == [
        (ADMIN, "unlink", "allowed", "UNOMAIL", "removed VBC user 102 (admin); kept unlinked"),
        (ADMIN, "unlink", "allowed", "UNOMAIL", "was not linked; kept unlinked"),
    ]


async def test_admin_relink_to_another_user_drops_connect_tokens(
    directory: Directory, store: Store
) -> None:
    await directory.person(TEAM, "UADA")
    # No tokens yet: a rotation has nothing to replace.
    assert not await store.set_link_tokens(TEAM, "UADA", "ciphertext-1", replacing=None)
    link = await store.get_link(TEAM, "UADA")
    assert link is not None
    assert link.token_ciphertext is None
    link.token_ciphertext = "ciphertext-2"
    await store.save_link(link)
    same = await directory.link(TEAM, admin=ADMIN, slack_user="UADA", vbc_ref="101")
    assert same.link.token_ciphertext == "ciphertext-2"
    other = await directory.link(TEAM, admin=ADMIN, slack_user="UADA", vbc_ref="102")
    assert other.link.token_ciphertext is None
    assert other.previous is not None
    assert other.previous.token_ciphertext == "ciphertext-2", "what it replaced, as it was"


async def test_admin_flag_comes_from_bot_admins(directory: Directory) -> None:
    admin = await directory.person(TEAM, ADMIN)
    assert admin.is_admin
    assert admin.identity is None


async def test_profile_is_cached_and_fetched_once_concurrently(
    directory: Directory, profiles: Profiles, clock: Clock
) -> None:
    profiles.gate = asyncio.Event()
    waiters = [asyncio.ensure_future(directory.profile(TEAM, "UADA")) for _ in range(5)]
    await wait_until(lambda: profiles.calls == 1)  # the one fetch is in flight, held
    profiles.gate.set()
    results = await asyncio.wait_for(asyncio.gather(*waiters), timeout=5)
    assert {r.email for r in results} == {"Ada@Example.com"}
    assert profiles.calls == 1
    await directory.profile(TEAM, "UADA")
    assert profiles.calls == 1
    clock.now += timedelta(hours=1)
    await directory.profile(TEAM, "UADA")
    assert profiles.calls == 2


async def test_concurrent_first_use_links_once(directory: Directory, store: Store) -> None:
    people = await asyncio.wait_for(
        asyncio.gather(*(directory.person(TEAM, "UADA") for _ in range(4))), timeout=5
    )
    assert {p.identity for p in people} == {Identity("101", ("201", "202"), "Ada User101")}
    assert len(await audit_rows(store)) == 1


async def test_missing_profile_is_not_cached(directory: Directory, profiles: Profiles) -> None:
    with pytest.raises(LookupError):
        await directory.profile(TEAM, "ULATE")
    profiles.add("ULATE", None, tz="Europe/Paris")
    assert (await directory.profile(TEAM, "ULATE")).tz == "Europe/Paris"

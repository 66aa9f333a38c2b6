"""Connect VBC: sign-in start, state and nonce checks, proof of whose tokens, encryption,
rotation, refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from bot.clock import system_clock
from bot.people.connect import ConnectRefusedError, SignIn, VbcConnect
from bot.people.crypto import LinkExpiredError, LinkInvalidError, Secrets
from bot.people.directory import Directory, LinkError, SlackProfile
from bot.people.own_login import OwnLogins, VbcLoginLostError
from bot.store import AuditQuery, Store
from bot.store.tables import Link
from bot.vbc.auth import TokenEndpoint, VbcCredentials
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcAuthError
from bot.vbc.filter import RecordingFilter
from tests.fakes.vbc_router import (
    TOKEN,
    USER,
    USER_RECORDINGS,
    USERS,
    PathParams,
    VbcRouter,
    hal_page,
)

TEAM = "T1"
API = "https://vbc.test"
REDIRECT = "https://bot.test/vbc/callback"
START = "https://bot.test/vbc/start"
CODES = {"code-ada": 101, "code-bob": 102}


def vbc_user(user_id: int, email: str, ext: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": email,
        "first_name": f"User{user_id}",
        "extensions": [{"extension_number": ext}],
    }


def page(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return hal_page(key, items, page_size=10)


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass
class VbcAccount:
    """Token endpoint, Provisioning and the on-demand list, with per-user bearer tokens."""

    router: VbcRouter
    users: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {
            101: vbc_user(101, "ada@example.com", "201"),
            102: vbc_user(102, "bob@example.com", "202"),
        }
    )
    access: dict[str, int] = field(default_factory=dict)
    refresh: dict[str, int] = field(default_factory=dict)
    issued: int = 0

    def __post_init__(self) -> None:
        self.router.add("POST", TOKEN, self._token)
        self.router.add("GET", USERS, self._by_email, query={"email": None})
        self.router.add("GET", USER, self._by_id)
        self.router.add("GET", USER_RECORDINGS, self._recordings, query={"page_size": "1"})

    @property
    def requests(self) -> list[str]:
        return self.router.log

    def _by_email(self, request: httpx.Request, _path: PathParams) -> httpx.Response:
        email = request.url.params["email"].lower()
        found = [u for u in self.users.values() if u["email"] == email]
        return httpx.Response(200, json=page("data", found))

    def _by_id(self, _request: httpx.Request, path: PathParams) -> httpx.Response:
        return httpx.Response(200, json=page("data", [self.users[int(path["user_id"])]]))

    def _recordings(self, request: httpx.Request, path: PathParams) -> httpx.Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        caller = self.access.get(bearer)
        if caller is None:
            return httpx.Response(401, json={"error": "invalid_token"})
        if path["user_id"] != str(caller):
            return httpx.Response(403, json={"error": "forbidden"})
        return httpx.Response(200, json=page("recordings", []))

    def _token(self, request: httpx.Request, _path: PathParams) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        assert (form["client_id"], form["client_secret"]) == ("cid", "csecret")
        if form["grant_type"] == "authorization_code":
            assert form["redirect_uri"] == REDIRECT
            user = CODES.get(form["code"])
        elif form["grant_type"] == "refresh_token":
            user = self.refresh.pop(form["refresh_token"], None)
        else:
            raise AssertionError(f"unexpected grant {form['grant_type']}")
        if user is None:
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.issued += 1
        access, refresh = f"AT-secret-{self.issued}", f"RT-secret-{self.issued}"
        self.access[access], self.refresh[refresh] = user, user
        body = {"access_token": access, "refresh_token": refresh, "expires_in": 86400}
        return httpx.Response(200, json=body)


@dataclass
class World:
    connect: VbcConnect
    logins: OwnLogins
    store: Store
    vbc: VbcAccount
    secrets: Secrets
    wall: Clock
    mono: Clock
    client: VbcClient
    endpoint: TokenEndpoint

    def another_process(self) -> OwnLogins:
        """Logins as a second bot process over the same database would hold them."""
        return OwnLogins(
            secrets=self.secrets,
            endpoint=self.endpoint,
            store=self.store,
            vbc=self.client,
            clock=self.wall,
            token_clock=self.mono,
        )


@pytest.fixture
async def world(store: Store, vbc_router: VbcRouter) -> AsyncIterator[World]:
    fake = VbcAccount(vbc_router)
    transport = vbc_router.transport()
    wall, mono = Clock(1_700_000_000.0), Clock(500.0)
    http = httpx.AsyncClient(base_url=API, transport=transport)
    emails = {"UADA": "ada@example.com", "UBOB": "bob@example.com", "UNOMAIL": None}

    async def fetch(team_id: str, user_id: str) -> SlackProfile:
        return SlackProfile(user_id=user_id, name=user_id, email=emails[user_id])

    vbc = VbcClient(http)
    directory = Directory(store, vbc, admins=frozenset(), fetch_profile=fetch, clock=system_clock)
    secrets = Secrets("test-key-not-a-real-secret")
    endpoint = TokenEndpoint(http, f"{API}/token", VbcCredentials("cid", "csecret"), mono)
    logins = OwnLogins(
        secrets=secrets, endpoint=endpoint, store=store, vbc=vbc, clock=wall, token_clock=mono
    )
    connect = VbcConnect(
        vbc_api_url=API + "/",
        client_id="cid",
        redirect_uri=REDIRECT,
        start_uri=START,
        secrets=secrets,
        logins=logins,
        vbc=vbc,
        directory=directory,
        store=store,
        clock=wall,
    )
    yield World(connect, logins, store, fake, secrets, wall, mono, vbc, endpoint)
    await http.aclose()
    await store.close()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def sign_in(world: World, user: str = "UADA") -> SignIn:
    """What a browser gets from the whoami button's start URL."""
    return await world.connect.start(query_of(world.connect.start_link(TEAM, user))["t"])


async def connected(world: World, user: str = "UADA", code: str = "code-ada") -> Link:
    started = await sign_in(world, user)
    state = query_of(started.authorize_url)["state"]
    return await world.connect.complete(code=code, state=state, nonce=started.nonce)


async def test_start_link_and_authorize_url(world: World) -> None:
    start = world.connect.start_link(TEAM, "UADA")
    assert start.startswith(f"{START}?t=")
    ticket = world.secrets.verify_link(query_of(start)["t"], now=int(world.wall.now))
    assert ticket == {"kind": "vbc-connect-start", "team": TEAM, "user": "UADA"}
    started = await world.connect.start(query_of(start)["t"])
    parts = urlsplit(started.authorize_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{API}/authorize"
    query = query_of(started.authorize_url)
    assert {k: v for k, v in query.items() if k != "state"} == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": REDIRECT,
    }
    payload = world.secrets.verify_link(query["state"], now=int(world.wall.now))
    assert (payload["kind"], payload["team"], payload["user"]) == ("vbc-connect", TEAM, "UADA")
    assert started.nonce not in started.authorize_url  # the state holds its hash only
    assert "nonce" not in repr(started)
    again = await sign_in(world)
    assert again.nonce != started.nonce


async def test_complete_links_with_encrypted_tokens(world: World) -> None:
    link = await connected(world)
    assert (link.vbc_user_id, link.linked_how, link.linked_by) == ("101", "oauth", "UADA")
    assert link.extensions == "201"
    async with world.store.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT * FROM links"))).all()
        nonces = (await conn.execute(text("SELECT * FROM connect_nonces"))).all()
    dump = repr(rows)
    assert "AT-secret-1" not in dump
    assert "RT-secret-1" not in dump
    assert link.token_ciphertext is not None
    assert link.token_ciphertext in dump
    assert "AT-secret-1" in world.secrets.decrypt(link.token_ciphertext)
    assert nonces == []  # used up
    events, _ = await world.store.audit_events(TEAM, AuditQuery(), offset=0, limit=10)
    assert [(e.action, e.detail) for e in events] == [
        ("connect", "by Connect VBC: VBC user 101"),
        ("link", "by email: VBC user 101"),
    ]


async def test_tampered_state_is_refused_before_the_code_is_spent(world: World) -> None:
    started = await sign_in(world)
    state = query_of(started.authorize_url)["state"]
    body, _, mac = state.partition(".")
    other = query_of((await sign_in(world, "UBOB")).authorize_url)["state"]
    changed = ("y" if mac[0] == "x" else "x") + mac[1:]  # one character of the MAC, changed
    for bad in (f"{other.partition('.')[0]}.{mac}", f"{body}.{changed}", "garbage"):
        with pytest.raises(LinkInvalidError):
            await world.connect.complete(code="code-ada", state=bad, nonce=started.nonce)
    assert world.vbc.requests == []


async def test_expired_state_is_refused(world: World) -> None:
    started = await sign_in(world)
    world.wall.now += 601
    with pytest.raises(LinkExpiredError):
        await world.connect.complete(
            code="code-ada", state=query_of(started.authorize_url)["state"], nonce=started.nonce
        )
    assert world.vbc.requests == []


async def test_expired_ticket_is_refused(world: World) -> None:
    ticket = query_of(world.connect.start_link(TEAM, "UADA"))["t"]
    world.wall.now += 901
    with pytest.raises(LinkExpiredError):
        await world.connect.start(ticket)


async def test_other_signed_links_are_not_states_or_tickets(world: World) -> None:
    audio = world.secrets.sign_link(
        {"kind": "audio", "team": TEAM, "user": "UADA"}, expires_at=int(world.wall.now) + 60
    )
    ticket = query_of(world.connect.start_link(TEAM, "UADA"))["t"]
    started = await sign_in(world)
    state = query_of(started.authorize_url)["state"]
    for not_a_state in (audio, ticket):
        with pytest.raises(LinkInvalidError, match="not a Connect VBC link"):
            await world.connect.complete(code="code-ada", state=not_a_state, nonce=started.nonce)
    for not_a_ticket in (audio, state):
        with pytest.raises(LinkInvalidError, match="not a Connect VBC link"):
            await world.connect.start(not_a_ticket)
    assert world.vbc.requests == []


async def test_state_needs_its_own_browsers_nonce_once(world: World) -> None:
    started, other = await sign_in(world), await sign_in(world)
    state = query_of(started.authorize_url)["state"]
    for nonce in (None, "", other.nonce):
        with pytest.raises(ConnectRefusedError, match="browser"):
            await world.connect.complete(code="code-ada", state=state, nonce=nonce)
    assert world.vbc.requests == []  # refused before the code is spent
    await world.connect.complete(code="code-ada", state=state, nonce=started.nonce)
    with pytest.raises(ConnectRefusedError, match="already used"):
        await world.connect.complete(code="code-ada", state=state, nonce=started.nonce)
    events, _ = await world.store.audit_events(
        TEAM, AuditQuery(action="connect", outcome="refused"), offset=0, limit=10
    )
    assert len(events) == 4


async def test_tokens_of_another_vbc_user_are_refused(world: World) -> None:
    with pytest.raises(LinkError, match="not VBC user 101"):
        await connected(world, code="code-bob")
    link = await world.store.get_link(TEAM, "UADA")
    assert link is not None
    assert (link.linked_how, link.token_ciphertext) == ("email", None)


async def test_unidentifiable_person_is_told_how_to_link(world: World) -> None:
    with pytest.raises(LinkError, match="/recordings link"):
        await connected(world, user="UNOMAIL")
    assert await world.store.get_link(TEAM, "UNOMAIL") is None


async def test_used_code_is_a_vbc_auth_error(world: World) -> None:
    with pytest.raises(VbcAuthError):
        await connected(world, code="code-unknown")


async def list_own(logins: OwnLogins, user: str = "UADA") -> None:
    access = await logins.access_for(TEAM, user)
    assert access.own is not None
    await access.own.list_user_recordings(101, RecordingFilter(page_size=1))


async def test_auth_for_refreshes_and_saves_rotated_tokens(world: World) -> None:
    link = await connected(world)
    # Another process with its own monotonic clock reads the stored expiry in wall time.
    world.mono.now = 10.0
    auth = world.connect.auth_for(link)
    assert auth is not None
    assert "secret" not in repr(auth)
    assert (await auth.current()).access_token == "AT-secret-1"
    world.wall.now += 86400
    world.mono.now += 86400
    await list_own(world.logins)
    assert world.vbc.issued == 2
    stored = await world.store.get_link(TEAM, "UADA")
    assert stored is not None
    assert stored.token_ciphertext is not None
    opened = json.loads(world.secrets.decrypt(stored.token_ciphertext))
    assert (opened["access_token"], opened["refresh_token"]) == ("AT-secret-2", "RT-secret-2")
    assert opened["expires_at"] == pytest.approx(world.wall.now + 86400)


async def test_two_processes_refreshing_at_once_keep_the_connection(world: World) -> None:
    await connected(world)
    first, second = world.logins, world.another_process()
    await asyncio.gather(list_own(first), list_own(second))  # both hold the tokens now
    world.wall.now += 86400
    world.mono.now += 86400
    await list_own(first)  # rotates: the second process's refresh token is spent
    await list_own(second)  # refused, then finds the pair the first stored
    await list_own(first)
    assert world.vbc.issued == 2
    link = await world.store.get_link(TEAM, "UADA")
    assert link is not None
    assert link.token_ciphertext is not None


async def test_refused_tokens_are_forgotten_and_the_person_told(world: World) -> None:
    await connected(world)
    world.vbc.access.clear()  # VBC withdrew the grant
    world.vbc.refresh.clear()
    with pytest.raises(VbcLoginLostError, match="Connect again"):
        await list_own(world.logins)
    link = await world.store.get_link(TEAM, "UADA")
    assert link is not None
    assert link.token_ciphertext is None
    assert (await world.logins.access_for(TEAM, "UADA")).own is None
    events, _ = await world.store.audit_events(
        TEAM, AuditQuery(action="disconnect"), offset=0, limit=10
    )
    assert [e.detail for e in events] == ["VBC refused the person's own login; tokens forgotten"]


async def test_disconnect_forgets_the_tokens(world: World) -> None:
    await connected(world)
    assert await world.connect.disconnect(TEAM, "UADA") is True
    assert await world.connect.disconnect(TEAM, "UADA") is False
    link = await world.store.get_link(TEAM, "UADA")
    assert link is not None
    assert link.token_ciphertext is None
    assert (await world.connect.access_for(TEAM, "UADA")).own is None


async def test_auth_for_without_or_with_unreadable_tokens(world: World) -> None:
    link = Link(team_id=TEAM, slack_user_id="UADA", vbc_user_id="101", linked_how="email")
    assert world.connect.auth_for(link) is None
    link.token_ciphertext = Secrets("another-key").encrypt('{"access_token": "x"}')
    assert world.connect.auth_for(link) is None
    link.token_ciphertext = world.secrets.encrypt("not json")
    assert world.connect.auth_for(link) is None

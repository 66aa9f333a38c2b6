"""Connect VBC's sign-in is bound to the browser that started it and works once.

The whoami button opens the bot's start URL, which sets a nonce cookie and sends the browser
to VBC with a state carrying the nonce's hash; the callback needs the same browser's cookie
and uses the nonce up. Everything runs over real HTTP: the bot, the VBC simulator's
``/authorize`` and the person's browser (an ``httpx`` client with its own cookie jar).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import text

from bot.app import build_runtime
from bot.clock import system_clock
from bot.store import AuditQuery, Store
from bot.store.engine import create_engine, migrate
from bot.store.tables import ConnectNonce
from bot.web.serve import LocalServer
from tests.integration.browser import Browser, start_url, state_of
from tests.integration.conftest import MEMBER, OTHER, TEAM, Stack, start_stack, stop_stack

COOKIE = "vbc_connect"


async def stored_tokens(stack: Stack) -> list[str | None]:
    async with stack.bot.runtime.services.store.engine.connect() as conn:
        rows = await conn.execute(text("SELECT token_ciphertext FROM links"))
        return [row[0] for row in rows]


async def refusals(stack: Stack, user: str) -> list[str | None]:
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=user, action="connect", outcome="refused"), offset=0, limit=10
    )
    return [e.detail for e in events]


@pytest.fixture
async def browsers(stack: Stack) -> AsyncIterator[list[Browser]]:
    opened = [Browser(stack) for _ in range(2)]
    yield opened
    for browser in opened:
        await browser.aclose()


async def test_the_browser_that_started_it_connects_and_its_cookie_is_cleared(
    stack: Stack, browsers: list[Browser]
) -> None:
    mine, _ = browsers
    authorize = await mine.start(await start_url(stack, MEMBER))
    nonce = mine.http.cookies.get(COOKIE)
    assert nonce
    assert nonce not in authorize  # VBC (and its logs) see the nonce's hash only
    response = await mine.callback(await mine.sign_in(authorize))
    assert response.status_code == 200, response.text
    assert "VBC connected" in response.text
    assert mine.http.cookies.get(COOKIE) is None
    assert [t for t in await stored_tokens(stack) if t]


async def test_a_callback_without_the_cookie_is_refused_and_stores_nothing(
    stack: Stack, browsers: list[Browser]
) -> None:
    mine, _ = browsers
    callback = await mine.sign_in(await mine.start(await start_url(stack, MEMBER)))
    async with httpx.AsyncClient() as cookieless:  # the link opened anywhere else
        refused = await cookieless.get(callback)
    assert refused.status_code == 400
    assert "VBC was not connected" in refused.text
    assert "did not start this sign-in" in refused.text
    assert not any(await stored_tokens(stack))
    assert await refusals(stack, MEMBER) == ["no sign-in cookie in this browser"]
    # Refused before the code was spent or the nonce used: the real browser still finishes.
    assert (await mine.callback(callback)).status_code == 200


async def test_a_callback_in_another_browser_is_refused(
    stack: Stack, browsers: list[Browser]
) -> None:
    mine, other = browsers
    callback = await mine.sign_in(await mine.start(await start_url(stack, MEMBER)))
    await other.start(await start_url(stack, MEMBER))  # a sign-in of its own, its own cookie
    refused = await other.callback(callback)
    assert refused.status_code == 400
    assert "started in another browser" in refused.text
    assert not any(await stored_tokens(stack))
    assert await refusals(stack, MEMBER) == ["the cookie of another sign-in"]


async def test_a_sign_in_started_by_someone_else_is_refused_in_the_victims_browser(
    stack: Stack, browsers: list[Browser]
) -> None:
    """Login CSRF: an attacker starts Connect VBC for themselves and lures the victim, who is
    signed in to VBC, through the attacker's /authorize link."""
    attacker, victim = browsers
    lure = await attacker.start(await start_url(stack, OTHER))
    await victim.start(await start_url(stack, MEMBER))  # the victim's own cookie is no help
    refused = await victim.callback(await victim.sign_in(lure))
    assert refused.status_code == 400
    assert not any(await stored_tokens(stack))
    assert await refusals(stack, OTHER) == ["the cookie of another sign-in"]


async def test_a_replayed_state_is_refused_in_any_process_and_writes_no_tokens(
    stack: Stack, browsers: list[Browser]
) -> None:
    mine, _ = browsers
    authorize = await mine.start(await start_url(stack, MEMBER))
    nonce = mine.http.cookies.get(COOKIE)
    assert (await mine.callback(await mine.sign_in(authorize))).status_code == 200
    [before] = await stored_tokens(stack)
    # The state leaked (history, logs): replayed with a fresh VBC code and the same cookie,
    # to a second bot process on the same database.
    async with httpx.AsyncClient() as http:
        fresh = (await http.get(authorize)).headers["location"]
    second = await LocalServer(await build_runtime(stack.settings)).start()
    try:
        code = parse_qs(urlsplit(fresh).query)["code"][0]
        replay = f"{second.url}/vbc/oauth/callback?" + urlencode(
            {"code": code, "state": state_of(authorize)}
        )
        async with httpx.AsyncClient(headers={"Cookie": f"{COOKIE}={nonce}"}) as http:
            refused = await http.get(replay)
    finally:
        await second.close()
    assert refused.status_code == 400
    assert "already used" in refused.text
    assert await stored_tokens(stack) == [before]
    assert await refusals(stack, MEMBER) == ["state already used or expired"]


async def test_a_forged_start_ticket_sets_no_cookie(stack: Stack) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{stack.bot.url}/vbc/oauth/start?t=forged.ticket")
    assert response.status_code == 400
    assert "set-cookie" not in response.headers
    async with stack.bot.runtime.services.store.engine.connect() as conn:
        assert (await conn.execute(text("SELECT * FROM connect_nonces"))).all() == []


async def test_the_cookie_is_http_only_lax_scoped_and_secure_behind_https(
    sqlite_url: str,
) -> None:
    stack = await start_stack(sqlite_url, public_url="https://recordings.example.com")
    browser = Browser(stack)
    try:
        response = await browser.http.get(browser.on_bot(await start_url(stack, MEMBER)))
    finally:
        await browser.aclose()
        await stop_stack(stack)
    assert response.status_code == 302
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"]
    attributes = {a.strip().split("=")[0] for a in cookie.split(";")}
    assert cookie.startswith("__Secure-vbc_connect=")
    assert {"HttpOnly", "Secure", "Max-Age", "Path"} <= attributes
    assert "SameSite=Lax" in cookie
    assert "Path=/vbc/oauth/" in cookie
    assert "Domain" not in attributes


async def test_concurrent_callbacks_take_a_nonce_once_on_postgres(postgres_url: str) -> None:
    """Several processes on one PostgreSQL: of racing callbacks for one state, one wins."""
    engines = [create_engine(postgres_url) for _ in range(4)]
    await migrate(engines[0])
    stores = [Store(engine, clock=system_clock) for engine in engines]
    now = datetime.now(UTC)
    nonce = ConnectNonce(
        digest="d" * 43, team_id=TEAM, slack_user_id=MEMBER, expires_at=now + timedelta(minutes=5)
    )
    try:
        await stores[0].add_connect_nonce(nonce, now=now)
        taken = await asyncio.gather(
            *(s.take_connect_nonce("d" * 43, TEAM, MEMBER, now=now) for s in stores)
        )
    finally:
        for store in stores:
            await store.close()
    assert sorted(taken) == [False, False, False, True]

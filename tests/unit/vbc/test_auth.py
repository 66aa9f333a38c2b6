"""VbcAuth and TokenEndpoint: grants, rotation, fallback, one refresh in flight, no leaks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from bot.vbc.auth import TokenEndpoint, TokenSet, VbcAuth, VbcCredentials
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcAuthError, VbcBadResponseError, VbcError, VbcUnavailableError
from tests.fakes.vbc_router import COMPANY_RECORDING, TOKEN, PathParams, VbcRouter

API = "https://api.vonage.com"
CLIENT_SECRET = "client-SECRET-4d1e"
PASSWORD = "password-SECRET-9a0b"
CREDS = VbcCredentials("client-id", CLIENT_SECRET, "bot@example.com", PASSWORD)
TTL = 3600.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class TokenServer:
    """VBC's token endpoint, with its single-use rotating refresh tokens, and one recording
    path that accepts only the access tokens it issued."""

    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)
    grants: list[dict[str, str]] = field(default_factory=list)
    api_calls: list[str] = field(default_factory=list)  # the bearer of each API call
    token_answer: httpx.Response | None = None  # a canned answer instead of a grant
    always_401: bool = False
    issued: int = 0

    def route(self, router: VbcRouter) -> None:
        router.add("POST", TOKEN, self._token)
        router.add("GET", COMPANY_RECORDING, self._api)

    def revoke_access(self) -> None:
        self.access.clear()

    def forget_refresh(self) -> None:
        """As if another process had already spent our refresh token."""
        self.refresh.clear()

    async def _token(self, request: httpx.Request, _path: PathParams) -> httpx.Response:
        assert "Authorization" not in request.headers  # client keys travel in the form
        form = dict(parse_qsl(request.content.decode()))
        self.grants.append(form)
        for _ in range(10):  # let concurrent callers pile up behind this grant
            await asyncio.sleep(0)
        if self.token_answer is not None:
            return self.token_answer
        if (form.get("client_id"), form.get("client_secret")) != ("client-id", CLIENT_SECRET):
            return httpx.Response(401, json={"error": "invalid_client"})
        grant = form.get("grant_type")
        if grant == "password" and form.get("password") != PASSWORD:
            return httpx.Response(400, json={"error": "invalid_grant"})
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh:
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.refresh.discard(form["refresh_token"])  # single use: it rotates
        self.issued += 1
        access, refresh = f"access-SECRET-{self.issued}", f"refresh-SECRET-{self.issued}"
        self.access.add(access)
        self.refresh.add(refresh)
        body = {"access_token": access, "refresh_token": refresh, "expires_in": TTL}
        return httpx.Response(200, json={**body, "token_type": "Bearer", "scope": "openid"})

    def _api(self, request: httpx.Request, path: PathParams) -> httpx.Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.api_calls.append(bearer)
        if self.always_401 or bearer not in self.access:
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json={"id": int(path["recording_id"])})

    def grant_types(self) -> list[str]:
        return [g["grant_type"] for g in self.grants]

    def secrets(self) -> list[str]:
        issued = [f"{kind}-SECRET-{n}" for kind in ("access", "refresh") for n in range(9)]
        return [CLIENT_SECRET, PASSWORD, *issued]


@dataclass
class Rig:
    vbc: TokenServer
    clock: FakeClock
    auth: VbcAuth
    endpoint: TokenEndpoint
    client: VbcClient
    saved: list[TokenSet]


async def _no_sleep(_delay: float) -> None:
    return None


def make_rig(
    http: httpx.AsyncClient, fake: TokenServer, *, use_password: bool = True, tokens: Any = None
) -> Rig:
    clock = FakeClock()
    saved: list[TokenSet] = []

    async def save(tokens: TokenSet) -> None:
        saved.append(tokens)

    endpoint = TokenEndpoint(http, f"{API}/token", CREDS, clock)
    auth = VbcAuth(endpoint, clock=clock, use_password=use_password, tokens=tokens, on_tokens=save)
    http.auth = auth
    return Rig(fake, clock, auth, endpoint, VbcClient(http, sleep=_no_sleep), saved)


@pytest.fixture
def vbc(vbc_router: VbcRouter) -> TokenServer:
    server = TokenServer()
    server.route(vbc_router)
    return server


@pytest.fixture
async def http(vbc_router: VbcRouter) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=API, transport=vbc_router.transport()) as client:
        client.headers["X-Fake"] = "1"
        yield client


@pytest.fixture
def rig(http: httpx.AsyncClient, vbc: TokenServer) -> Rig:
    return make_rig(http, vbc)


# Grants and rotation ---------------------------------------------------------------------------
async def test_first_call_uses_the_password_grant(rig: Rig) -> None:
    rec = await rig.client.get_company_recording(1)
    assert rec.id == 1
    assert rig.vbc.grant_types() == ["password"]
    (grant,) = rig.vbc.grants
    assert grant == {
        "grant_type": "password",
        "username": "bot@example.com",
        "password": PASSWORD,
        "client_id": "client-id",
        "client_secret": CLIENT_SECRET,
    }
    assert rig.vbc.api_calls == ["access-SECRET-1"]
    (saved,) = rig.saved
    assert saved.expires_at == rig.clock.now + TTL
    assert saved.scope == "openid"


async def test_a_fresh_token_is_reused(rig: Rig) -> None:
    await rig.client.get_company_recording(1)
    rig.clock.now += TTL - 301  # still outside the 300 s renewal margin
    await rig.client.get_company_recording(2)
    assert rig.vbc.grant_types() == ["password"]
    assert rig.vbc.api_calls == ["access-SECRET-1", "access-SECRET-1"]


async def test_an_expiring_token_is_refreshed_and_the_refresh_token_rotates(rig: Rig) -> None:
    await rig.client.get_company_recording(1)
    for _ in range(2):
        rig.clock.now += TTL - 299  # inside the renewal margin
        await rig.client.get_company_recording(1)
    assert rig.vbc.grant_types() == ["password", "refresh_token", "refresh_token"]
    spent = [g["refresh_token"] for g in rig.vbc.grants[1:]]
    assert spent == ["refresh-SECRET-1", "refresh-SECRET-2"]  # each one used once, the newest
    assert rig.vbc.api_calls == ["access-SECRET-1", "access-SECRET-2", "access-SECRET-3"]
    assert [t.access_token for t in rig.saved] == [f"access-SECRET-{n}" for n in (1, 2, 3)]


async def test_a_rejected_refresh_falls_back_to_the_password_grant(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await rig.client.get_company_recording(1)
    rig.vbc.forget_refresh()
    rig.clock.now += TTL
    await rig.client.get_company_recording(1)
    assert rig.vbc.grant_types() == ["password", "refresh_token", "password"]
    assert "falling back to the password grant" in caplog.text
    _assert_no_secret(rig, caplog.text)


async def test_without_password_a_rejected_refresh_asks_to_reconnect(
    http: httpx.AsyncClient, vbc: TokenServer
) -> None:
    vbc.refresh.add("refresh-SECRET-0")
    stale = TokenSet("access-SECRET-0", "refresh-SECRET-0", expires_at=0.0)
    rig = make_rig(http, vbc, use_password=False, tokens=stale)
    vbc.forget_refresh()
    with pytest.raises(VbcAuthError, match="refresh_token grant") as caught:
        await rig.client.get_company_recording(1)
    assert vbc.grant_types() == ["refresh_token"]  # never the password grant
    _assert_no_secret(rig, f"{caught.value} {caught.value!r}")


async def test_without_password_or_tokens_nothing_is_sent(
    http: httpx.AsyncClient, vbc: TokenServer
) -> None:
    rig = make_rig(http, vbc, use_password=False)
    with pytest.raises(VbcAuthError, match="connect VBC again"):
        await rig.client.get_company_recording(1)
    assert rig.vbc.grants == []
    assert rig.vbc.api_calls == []


async def test_missing_login_is_an_auth_error_without_a_request(
    http: httpx.AsyncClient, vbc: TokenServer
) -> None:
    endpoint = TokenEndpoint(http, f"{API}/token", VbcCredentials("id", "s"), FakeClock())
    with pytest.raises(VbcAuthError, match="not configured"):
        await endpoint.password()
    assert vbc.grants == []


async def test_authorization_code_grant(rig: Rig) -> None:
    tokens = await rig.endpoint.authorization_code("code-1", "https://bot.example/cb")
    assert tokens.access_token == "access-SECRET-1"
    assert rig.vbc.grants[0]["grant_type"] == "authorization_code"
    assert rig.vbc.grants[0]["code"] == "code-1"
    assert rig.vbc.grants[0]["redirect_uri"] == "https://bot.example/cb"


# 401 handling ----------------------------------------------------------------------------------
async def test_a_401_refreshes_once_and_retries_once(rig: Rig) -> None:
    await rig.client.get_company_recording(1)
    rig.vbc.revoke_access()  # the token died early (VBC restarted, revoked...)
    assert (await rig.client.get_company_recording(2)).id == 2
    assert rig.vbc.grant_types() == ["password", "refresh_token"]
    assert rig.vbc.api_calls == ["access-SECRET-1", "access-SECRET-1", "access-SECRET-2"]


async def test_a_second_401_is_an_auth_error_not_a_loop(rig: Rig) -> None:
    rig.vbc.always_401 = True
    with pytest.raises(VbcAuthError, match="rejected the bot's credentials") as caught:
        await rig.client.get_company_recording(1)
    assert caught.value.status == 401
    assert rig.vbc.grant_types() == ["password", "refresh_token"]
    assert len(rig.vbc.api_calls) == 2


# One renewal in flight -------------------------------------------------------------------------
async def test_twenty_concurrent_calls_with_an_expired_token_make_one_token_request(
    rig: Rig,
) -> None:
    await rig.client.get_company_recording(0)
    rig.clock.now += TTL
    results = await asyncio.gather(*(rig.client.get_company_recording(i) for i in range(20)))
    assert [r.id for r in results] == list(range(20))
    assert rig.vbc.grant_types() == ["password", "refresh_token"]
    assert set(rig.vbc.api_calls[1:]) == {"access-SECRET-2"}


async def test_twenty_concurrent_calls_without_any_token_make_one_token_request(
    rig: Rig,
) -> None:
    await asyncio.gather(*(rig.client.get_company_recording(i) for i in range(20)))
    assert rig.vbc.grant_types() == ["password"]


async def test_twenty_concurrent_401s_make_one_refresh(rig: Rig) -> None:
    await rig.client.get_company_recording(0)
    rig.vbc.revoke_access()
    await asyncio.gather(*(rig.client.get_company_recording(i) for i in range(20)))
    assert rig.vbc.grant_types() == ["password", "refresh_token"]
    assert rig.vbc.api_calls.count("access-SECRET-2") == 20


# The token endpoint's failures -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (httpx.Response(500, text="oops"), VbcUnavailableError, "answered 500"),
        (httpx.Response(429), VbcUnavailableError, "answered 429"),
        (httpx.Response(401, json={"error": "invalid_client"}), VbcAuthError, "(401)"),
        (httpx.Response(403), VbcAuthError, "refused the password grant (403)"),
        (httpx.Response(200, text="<html>"), VbcBadResponseError, "could not read"),
        (httpx.Response(200, json={"token": "x"}), VbcBadResponseError, "password grant"),
        (httpx.Response(200, json=["access_token"]), VbcBadResponseError, "could not read"),
    ],
)
async def test_token_endpoint_failures(
    rig: Rig, answer: httpx.Response, error: type[VbcError], words: str
) -> None:
    rig.vbc.token_answer = answer
    with pytest.raises(error) as caught:
        await rig.client.get_company_recording(1)
    assert words in str(caught.value)
    assert rig.vbc.api_calls == []
    _assert_no_secret(rig, f"{caught.value} {caught.value!r} {caught.value.__cause__!r}")


async def test_an_unreachable_token_endpoint_is_unavailable(vbc_router: VbcRouter) -> None:
    def refuse(request: httpx.Request, _path: PathParams) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    vbc_router.add("POST", TOKEN, refuse)
    async with httpx.AsyncClient(transport=vbc_router.transport()) as http:
        endpoint = TokenEndpoint(http, f"{API}/token", CREDS, FakeClock())
        with pytest.raises(VbcUnavailableError, match=r"not answering \(ConnectError\)") as caught:
            await endpoint.password()
    assert caught.value.__cause__ is None  # the request (and its form) is not chained along


async def test_expires_in_defaults_to_vbc_s_24_hours(rig: Rig) -> None:
    rig.vbc.token_answer = httpx.Response(200, json={"access_token": "access-SECRET-1"})
    tokens = await rig.endpoint.password()
    assert tokens.expires_at == rig.clock.now + 86400
    assert tokens.refresh_token is None


# Secrets ---------------------------------------------------------------------------------------
async def test_no_secret_in_any_log_record_or_repr(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await rig.client.get_company_recording(1)
    rig.clock.now += TTL
    await rig.client.get_company_recording(1)
    rig.vbc.revoke_access()
    await rig.client.get_company_recording(1)
    assert len(rig.saved) == 3
    records = " ".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    texts = [caplog.text, records, repr(rig.auth), repr(CREDS)]
    texts += [repr(t) for t in rig.saved]
    for text in texts:
        _assert_no_secret(rig, text)
    assert "has_token=True" in repr(rig.auth)


def _assert_no_secret(rig: Rig, text: str) -> None:
    for secret in rig.vbc.secrets():
        assert secret not in text, f"a secret leaked into: {text[:200]}"

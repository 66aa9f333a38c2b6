"""OAuth for VBC: password grant, rotating refresh tokens, one refresh in flight, 401 retry.

VBC access tokens last 24 h; refresh tokens are single-use and rotate. When another process
has already spent our refresh token the refresh is rejected, and only then do we fall back
to the password grant (product contract, "Precise behaviours").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.vbc.errors import VbcAuthError, VbcBadResponseError, VbcUnavailableError

log = logging.getLogger(__name__)

Clock = Callable[[], float]
TokenSaver = Callable[["TokenSet"], Awaitable[None]]
GrantObserver = Callable[[str, str], None]  # (grant type, outcome)
# A refused password grant is not tried again sooner: repeated failed logins can lock the
# integration user's VBC account, and a password fixed at VBC is picked up within this time.
PASSWORD_RETRY_SECONDS = 300.0


@dataclass(frozen=True)
class VbcCredentials:
    """The API application's keys and, for the integration user, its login."""

    client_id: str
    client_secret: str = field(repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float  # on the auth's clock
    scope: str | None = None

    def fresh(self, now: float, margin: float) -> bool:
        return now < self.expires_at - margin


class TokenEndpoint:
    """Speaks to ``{VBC_API_URL}/token``; never logs or raises with a secret in it.

    After VBC refuses the password grant, ``password()`` refuses at once, without asking VBC,
    until ``PASSWORD_RETRY_SECONDS`` have passed (``refused_until`` says when).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        credentials: VbcCredentials,
        clock: Clock,
        *,
        observe: GrantObserver | None = None,
        password_retry: float = PASSWORD_RETRY_SECONDS,
    ) -> None:
        self._http = http
        self._url = url
        self._credentials = credentials
        self._clock = clock
        self._observe = observe
        self._password_retry = password_retry
        self._password_lock = asyncio.Lock()
        self._refusal: VbcAuthError | None = None
        self.refused_until: float | None = None  # on the endpoint's clock

    async def password(self) -> TokenSet:
        creds = self._credentials
        if not creds.username or not creds.password:
            raise VbcAuthError("VBC username and password are not configured.")
        async with self._password_lock:
            if self._refusal is not None and self.refused_until is not None:
                wait = self.refused_until - self._clock()
                if wait > 0:
                    raise VbcAuthError(
                        f"{self._refusal} Not asking again for {wait:.0f}s, so that VBC does "
                        "not lock the account.",
                        status=self._refusal.status,
                    )
            try:
                tokens = await self._grant(
                    {
                        "grant_type": "password",
                        "username": creds.username,
                        "password": creds.password,
                    }
                )
            except VbcAuthError as exc:
                self._refusal = exc
                self.refused_until = self._clock() + self._password_retry
                raise
            self._refusal = self.refused_until = None
            return tokens

    async def refresh(self, refresh_token: str) -> TokenSet:
        return await self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def authorization_code(self, code: str, redirect_uri: str) -> TokenSet:
        return await self._grant(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    async def _grant(self, form: dict[str, str]) -> TokenSet:
        grant = form["grant_type"]
        data = {
            **form,
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
        }
        try:
            # A bare Auth() sends no bearer: the token endpoint takes the client keys in the form.
            response = await self._http.post(self._url, data=data, auth=httpx.Auth())
        except httpx.HTTPError as exc:
            self._count(grant, "unreachable")
            raise VbcUnavailableError(
                f"VBC's token endpoint is not answering ({type(exc).__name__})."
            ) from None
        self._count(grant, str(response.status_code))
        if response.status_code in (400, 401, 403):
            raise VbcAuthError(
                f"VBC refused the {grant} grant ({response.status_code}).",
                status=response.status_code,
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise VbcUnavailableError(
                f"VBC's token endpoint answered {response.status_code}.",
                status=response.status_code,
            )
        try:
            body: Any = response.json()
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in") or 86400)
        except (ValueError, KeyError, TypeError):
            raise VbcBadResponseError(
                f"VBC's token endpoint sent a response we could not read ({grant} grant)."
            ) from None
        refresh = body.get("refresh_token")
        log.info("vbc token obtained via %s grant, expires in %.0fs", grant, expires_in)
        return TokenSet(
            access_token=token,
            refresh_token=str(refresh) if refresh else None,
            expires_at=self._clock() + expires_in,
            scope=body.get("scope"),
        )

    def _count(self, grant: str, outcome: str) -> None:
        if self._observe is not None:
            self._observe(grant, outcome)


class VbcAuth(httpx.Auth):
    """Bearer auth that keeps a token fresh and retries a request once after a 401."""

    requires_response_body = False

    def __init__(
        self,
        endpoint: TokenEndpoint,
        *,
        clock: Clock = time.monotonic,
        refresh_margin: float = 300.0,
        tokens: TokenSet | None = None,
        use_password: bool = True,
        on_tokens: TokenSaver | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._clock = clock
        self._margin = refresh_margin
        self._tokens = tokens
        self._use_password = use_password
        self._on_tokens = on_tokens
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"VbcAuth(has_token={self._tokens is not None})"

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        tokens = await self.current()
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = yield request
        if response.status_code == 401:
            renewed = await self._renew(stale=tokens)
            request.headers["Authorization"] = f"Bearer {renewed.access_token}"
            yield request

    async def current(self) -> TokenSet:
        """A token that will not expire within the margin, renewing at most once at a time."""
        tokens = self._tokens
        if tokens is not None and tokens.fresh(self._clock(), self._margin):
            return tokens
        return await self._renew(stale=tokens)

    async def _renew(self, *, stale: TokenSet | None) -> TokenSet:
        async with self._lock:
            # Someone else renewed while we waited: use theirs (one refresh in flight).
            if self._tokens is not None and self._tokens is not stale:
                return self._tokens
            self._tokens = await self._obtain(stale)
            if self._on_tokens is not None:
                await self._on_tokens(self._tokens)
            return self._tokens

    async def _obtain(self, stale: TokenSet | None) -> TokenSet:
        if stale is not None and stale.refresh_token:
            try:
                return await self._endpoint.refresh(stale.refresh_token)
            except VbcAuthError:
                if not self._use_password:
                    raise
                log.warning("vbc refresh token rejected; falling back to the password grant")
        if not self._use_password:
            raise VbcAuthError("The VBC connection has expired; connect VBC again.")
        return await self._endpoint.password()

"""People's own VBC logins (Connect VBC tokens): sealed at rest, used, and forgotten.

Tokens are stored encrypted on the person's link. Each process keeps one auth per person, so
concurrent requests share one refresh (refresh tokens are single-use and rotate). When VBC
refuses them, the tokens stored by another process that rotated first are tried; if none,
the tokens are forgotten and the person is told to connect again. The request that failed is
never retried with the integration user's login.

VBC documents no token revocation endpoint (the official OpenAPI files name none, and the
simulator, built from them, serves only ``/token`` and ``/authorize``), so disconnecting
forgets the tokens: the access token lapses at VBC within 24 h, and the refresh token is
never presented again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncGenerator, Callable
from typing import NoReturn

import httpx

from bot.people.crypto import CryptoError, Secrets
from bot.people.vbc_access import VbcAccess
from bot.store import Store
from bot.store.tables import Link
from bot.vbc.auth import Clock, TokenEndpoint, TokenSet, VbcAuth
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcAuthError

log = logging.getLogger(__name__)

_CACHE_MAX = 5000
LOST = (
    "VBC no longer accepts your own VBC login (Connect VBC), so I have forgotten it. "
    "Connect again with the button in `/recordings whoami`, then try once more."
)


class VbcLoginLostError(VbcAuthError):
    """VBC refused a person's own tokens (revoked, expired, password changed); forgotten."""


class OwnLogins:
    """Seals tokens, builds the per-person ``VbcAccess`` and forgets refused tokens.

    ``clock`` is wall time in epoch seconds (stored expiry); ``token_clock`` is the clock the
    token endpoint stamps ``TokenSet.expires_at`` with.
    """

    def __init__(
        self,
        *,
        secrets: Secrets,
        endpoint: TokenEndpoint,
        store: Store,
        vbc: VbcClient,
        clock: Callable[[], float] = time.time,
        token_clock: Clock = time.monotonic,
    ) -> None:
        self._secrets = secrets
        self.endpoint = endpoint
        self._store = store
        self._vbc = vbc
        self._clock = clock
        self.token_clock = token_clock
        self._auths: dict[tuple[str, str], _OwnAuth] = {}

    async def access_for(self, team_id: str, slack_user: str) -> VbcAccess:
        """The clients for this person's requests, read from their link now."""
        link = await self._store.get_link(team_id, slack_user)
        auth = self.auth_for(link) if link is not None else None
        if link is None or auth is None:
            self._auths.pop((team_id, slack_user), None)
            return VbcAccess(self._vbc)
        return VbcAccess(self._vbc, own=self._vbc.with_auth(auth), own_user_id=link.vbc_user_id)

    def auth_for(self, link: Link) -> VbcAuth | None:
        """The person's own VBC auth, or None when they have not connected VBC."""
        key = (link.team_id, link.slack_user_id)
        if not link.token_ciphertext:
            return None
        cached = self._auths.get(key)
        if cached is not None and cached.sealed == link.token_ciphertext:
            return cached
        try:
            tokens = self.open(link.token_ciphertext)
        except CryptoError as exc:
            log.warning("stored VBC tokens of %s unreadable: %s", link.slack_user_id, exc)
            return None
        if len(self._auths) >= _CACHE_MAX:
            self._auths.clear()
        auth = self._auths[key] = _OwnAuth(self, key, tokens, link.token_ciphertext)
        return auth

    async def forget(
        self, team_id: str, slack_user: str, *, actor: str, detail: str, only: str | None = None
    ) -> bool:
        """Drop the stored tokens (``only`` these, when given); audited as ``disconnect``."""
        self._auths.pop((team_id, slack_user), None)
        forgotten = await self._store.set_link_tokens(team_id, slack_user, None, replacing=only)
        if forgotten:
            await self._store.audit(
                team_id, actor, "disconnect", outcome="allowed", target=slack_user, detail=detail
            )
        return forgotten

    async def stored(self, team_id: str, slack_user: str) -> tuple[str, TokenSet] | None:
        link = await self._store.get_link(team_id, slack_user)
        if link is None or not link.token_ciphertext:
            return None
        try:
            return link.token_ciphertext, self.open(link.token_ciphertext)
        except CryptoError:
            return None

    async def replace(self, team_id: str, slack_user: str, sealed: str, *, old: str) -> bool:
        return await self._store.set_link_tokens(team_id, slack_user, sealed, replacing=old)

    def seal(self, tokens: TokenSet) -> str:
        """Encrypt with the expiry in wall time, so another process or a restart can use it."""
        expires_at = self._clock() + (tokens.expires_at - self.token_clock())
        body = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": expires_at,
            "scope": tokens.scope,
        }
        return self._secrets.encrypt(json.dumps(body))

    def open(self, ciphertext: str) -> TokenSet:
        try:
            body = json.loads(self._secrets.decrypt(ciphertext))
            return TokenSet(
                access_token=str(body["access_token"]),
                refresh_token=body.get("refresh_token"),
                expires_at=self.token_clock() + (float(body["expires_at"]) - self._clock()),
                scope=body.get("scope"),
            )
        except (ValueError, KeyError, TypeError):
            raise CryptoError("Stored VBC tokens are not in a readable form.") from None


class _OwnAuth(VbcAuth):
    """One person's auth: rotated tokens are stored; refused ones are forgotten, loudly."""

    def __init__(
        self, logins: OwnLogins, key: tuple[str, str], tokens: TokenSet, sealed: str
    ) -> None:
        super().__init__(
            logins.endpoint,
            clock=logins.token_clock,
            tokens=tokens,
            use_password=False,
            on_tokens=self._save,
        )
        self._logins = logins
        self._key = key
        self.sealed = sealed  # the ciphertext these tokens are stored as

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = super().async_auth_flow(request)
        response: httpx.Response | None = None
        try:
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                outgoing = await flow.asend(response)
        except StopAsyncIteration:
            pass
        finally:
            await flow.aclose()
        if response is not None and response.status_code == 401:
            # A token VBC has just issued is refused as well: the grant itself is gone.
            await self._lost()

    async def _obtain(self, stale: TokenSet | None) -> TokenSet:
        try:
            return await super()._obtain(stale)
        except VbcAuthError:
            newer = await self._logins.stored(*self._key)
            if newer is not None and newer[0] != self.sealed:
                # Another process rotated them first and stored the new pair: use that.
                self.sealed = newer[0]
                return newer[1]
            await self._lost()

    async def _save(self, rotated: TokenSet) -> None:
        # Refresh tokens are single-use: losing the rotated one ends the connection.
        old, self.sealed = self.sealed, self._logins.seal(rotated)
        if not await self._logins.replace(*self._key, self.sealed, old=old):
            log.info("VBC tokens of %s rotated after they were forgotten", self._key[1])

    async def _lost(self) -> NoReturn:
        team_id, slack_user = self._key
        await self._logins.forget(
            team_id,
            slack_user,
            actor=slack_user,
            detail="VBC refused the person's own login; tokens forgotten",
            only=self.sealed,
        )
        log.warning("VBC refused the own login of %s; forgot the tokens", slack_user)
        raise VbcLoginLostError(LOST, status=401)

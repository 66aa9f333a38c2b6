"""OAuth2 bookkeeping: access tokens, single-use rotating refresh tokens, authorization codes."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

REFRESH_TTL = 30 * 86400
CODE_TTL = 600
SCOPE = "openid"


def bearer_digest(token: str) -> str:
    """How the request log names a token: tests compare it, nobody can replay it."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class TokenGrant:
    access_token: str
    refresh_token: str
    expires_in: int
    user_id: int

    def to_json(self) -> dict[str, str | int]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": SCOPE,
        }


@dataclass(frozen=True, slots=True)
class _Code:
    user_id: int
    client_id: str
    redirect_uri: str
    expires_at: float


class TokenStore:
    """Tokens live in memory; ``clock`` is the simulator's (shiftable) clock in epoch seconds."""

    def __init__(self, clock: Callable[[], float], access_ttl: int) -> None:
        self._clock = clock
        self.access_ttl = access_ttl
        self._access: dict[str, tuple[int, float]] = {}
        self._refresh: dict[str, tuple[int, float]] = {}
        self._codes: dict[str, _Code] = {}

    def issue(self, user_id: int) -> TokenGrant:
        now = self._clock()
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        self._access[access] = (user_id, now + self.access_ttl)
        self._refresh[refresh] = (user_id, now + REFRESH_TTL)
        return TokenGrant(access, refresh, self.access_ttl, user_id)

    def user_for_access(self, token: str) -> int | None:
        entry = self._access.get(token)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def redeem_refresh(self, token: str) -> int | None:
        """The refresh token's user, once: a used refresh token is gone (rotation)."""
        entry = self._refresh.pop(token, None)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def create_code(self, user_id: int, client_id: str, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(16)
        self._codes[code] = _Code(user_id, client_id, redirect_uri, self._clock() + CODE_TTL)
        return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str) -> int | None:
        entry = self._codes.pop(code, None)
        if (
            entry is None
            or entry.expires_at <= self._clock()
            or entry.client_id != client_id
            or entry.redirect_uri != redirect_uri
        ):
            return None
        return entry.user_id

    def revoke_user(self, user_id: int) -> int:
        """Withdraw every access and refresh token of one user (as VBC does when an admin
        resets their password or removes the app's access); their codes go too."""
        gone = 0
        for table in (self._access, self._refresh):
            for token in [t for t, entry in table.items() if entry[0] == user_id]:
                del table[token]
                gone += 1
        for code in [c for c, entry in self._codes.items() if entry.user_id == user_id]:
            del self._codes[code]
        return gone

    def expire_access_tokens(self) -> int:
        """Make every current access token invalid (refresh tokens keep working)."""
        count = len(self._access)
        self._access.clear()
        return count

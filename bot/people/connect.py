"""Connect VBC: a person's own VBC tokens through the authorization-code grant, kept encrypted.

The sign-in is bound to the browser that starts it. The whoami button opens the bot's start
URL with a short-lived signed ticket naming the person; the start sets a cookie holding a
random nonce and sends the browser to VBC with a signed state carrying the nonce's hash, also
stored in the database. The callback needs that cookie, and uses the stored hash up: a state
works once, in the browser that started it, in any process.

VBC's token response does not say whose tokens they are, and neither API has a "who am I"
(Provisioning documents no ``self``; the recording API's ``self`` answers without naming the
user). So the VBC user comes from what we already trust, the person's existing link or their
Slack email (``Directory.person``), and the new tokens must prove they belong to that user
by reading that user's on-demand recordings list: tokens of another (non-admin) VBC user get
403 there and the connection is refused. The link therefore never grants more than linking by
email or by an admin would; it only lets the person's requests run with their own rights.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from bot.people.crypto import LinkInvalidError, Payload, Secrets
from bot.people.directory import Directory, LinkError
from bot.people.own_login import OwnLogins
from bot.people.vbc_access import VbcAccess
from bot.store import Store
from bot.store.tables import ConnectNonce, Link
from bot.vbc.auth import VbcAuth
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcForbiddenError, VbcNotFoundError
from bot.vbc.filter import RecordingFilter

log = logging.getLogger(__name__)

TICKET_KIND = "vbc-connect-start"
STATE_KIND = "vbc-connect"
TICKET_TTL = 900  # seconds; the whoami message's button
STATE_TTL = 600  # seconds; the person is expected to sign in to VBC right away


class ConnectRefusedError(LinkError):
    """A callback this browser may not complete; ``str()`` tells the person why."""


@dataclass(frozen=True)
class SignIn:
    """A started sign-in: where to send the browser, and the nonce its cookie must carry."""

    authorize_url: str
    nonce: str = field(repr=False)
    max_age: int = STATE_TTL


class VbcConnect:
    """Starts and completes the sign-in, and disconnects; ``logins`` holds and uses the tokens.

    ``clock`` is wall time in epoch seconds (ticket, state and nonce expiry).
    """

    def __init__(
        self,
        *,
        vbc_api_url: str,
        client_id: str,
        redirect_uri: str,
        start_uri: str,
        secrets: Secrets,
        logins: OwnLogins,
        vbc: VbcClient,
        directory: Directory,
        store: Store,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_url = vbc_api_url.rstrip("/")
        self._client_id = client_id
        self.redirect_uri = redirect_uri
        self._start_uri = start_uri
        self._secrets = secrets
        self.logins = logins
        self._vbc = vbc
        self._directory = directory
        self._store = store
        self._clock = clock

    def start_link(self, team_id: str, slack_user: str) -> str:
        """The bot's start URL for the whoami button: a signed ticket, no nonce yet."""
        ticket = self._secrets.sign_link(
            {"kind": TICKET_KIND, "team": team_id, "user": slack_user},
            expires_at=int(self._clock()) + TICKET_TTL,
        )
        return f"{self._start_uri}?{urlencode({'t': ticket})}"

    async def start(self, ticket: str) -> SignIn:
        """Raises ``CryptoError`` for a bad or expired ticket."""
        payload = self._read(ticket, TICKET_KIND)
        team_id, slack_user = str(payload["team"]), str(payload["user"])
        nonce = secrets.token_urlsafe(32)
        digest = _digest(nonce)
        now = int(self._clock())
        await self._store.add_connect_nonce(
            ConnectNonce(
                digest=digest,
                team_id=team_id,
                slack_user_id=slack_user,
                expires_at=_utc(now + STATE_TTL),
            ),
            now=_utc(now),
        )
        state = self._secrets.sign_link(
            {"kind": STATE_KIND, "team": team_id, "user": slack_user, "n": digest},
            expires_at=now + STATE_TTL,
        )
        query = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": self.redirect_uri,
            "state": state,
        }
        return SignIn(f"{self._api_url}/authorize?{urlencode(query)}", nonce)

    async def complete(self, *, code: str, state: str, nonce: str | None) -> Link:
        """The OAuth callback, with the nonce from this browser's cookie.

        Raises ``CryptoError`` (bad state), ``ConnectRefusedError`` (not this browser's, or
        used), ``VbcError`` or ``LinkError``.
        """
        payload = self._read(state, STATE_KIND)
        team_id, slack_user, digest = (str(payload.get(k)) for k in ("team", "user", "n"))
        await self._use_nonce(team_id, slack_user, digest, nonce)
        tokens = await self.logins.endpoint.authorization_code(code, self.redirect_uri)
        person = await self._directory.person(team_id, slack_user)
        if person.identity is None:
            raise LinkError(
                "I could not tell which VBC user you are: your Slack email does not match one. "
                "Ask a recordings admin to run `/recordings link @you <VBC user id or email>`, "
                "then connect VBC again."
            )
        vbc_user_id = person.identity.vbc_user_id
        auth = VbcAuth(
            self.logins.endpoint, clock=self.logins.token_clock, tokens=tokens, use_password=False
        )
        try:
            await self._vbc.with_auth(auth).list_user_recordings(
                vbc_user_id, RecordingFilter(page_size=1)
            )
        except (VbcForbiddenError, VbcNotFoundError):
            await self._refused(team_id, slack_user, f"tokens not of VBC user {vbc_user_id}")
            raise LinkError(
                f"The VBC account you signed in with is not VBC user {vbc_user_id}, who you "
                "are linked to. Sign in to VBC as yourself and connect again."
            ) from None
        user = await self._vbc.get_user(vbc_user_id)
        ciphertext = self.logins.seal(await auth.current())
        return await self._directory.link_oauth(team_id, slack_user, user, ciphertext)

    async def access_for(self, team_id: str, slack_user: str) -> VbcAccess:
        return await self.logins.access_for(team_id, slack_user)

    def auth_for(self, link: Link) -> VbcAuth | None:
        return self.logins.auth_for(link)

    async def disconnect(self, team_id: str, slack_user: str) -> bool:
        """The person's own "Disconnect": forget their tokens; False when there were none."""
        return await self.logins.forget(
            team_id, slack_user, actor=slack_user, detail="by the person (Disconnect)"
        )

    async def _use_nonce(
        self, team_id: str, slack_user: str, digest: str, nonce: str | None
    ) -> None:
        if not nonce:
            await self._refused(team_id, slack_user, "no sign-in cookie in this browser")
            raise ConnectRefusedError(
                "This browser did not start this sign-in (or blocks the bot's cookie). Press "
                "Connect in `/recordings whoami` and finish the sign-in in the same browser."
            )
        if not hmac.compare_digest(_digest(nonce), digest):
            await self._refused(team_id, slack_user, "the cookie of another sign-in")
            raise ConnectRefusedError(
                "This sign-in was started in another browser. Press Connect in "
                "`/recordings whoami` and finish the sign-in in the same browser."
            )
        now = _utc(int(self._clock()))
        if not await self._store.take_connect_nonce(digest, team_id, slack_user, now=now):
            await self._refused(team_id, slack_user, "state already used or expired")
            raise ConnectRefusedError(
                "This sign-in was already used (or took too long). Press Connect in "
                "`/recordings whoami` to start a new one."
            )

    async def _refused(self, team_id: str, slack_user: str, why: str) -> None:
        log.warning("connect VBC for %s refused: %s", slack_user, why)
        await self._store.audit(
            team_id, slack_user, "connect", outcome="refused", target=slack_user, detail=why
        )

    def _read(self, token: str, kind: str) -> Payload:
        payload = self._secrets.verify_link(token, now=int(self._clock()))
        wanted = ("team", "user", "n") if kind == STATE_KIND else ("team", "user")
        if payload.get("kind") != kind or not all(isinstance(payload.get(k), str) for k in wanted):
            raise LinkInvalidError("This sign-in link is not a Connect VBC link.")
        return payload


def _digest(nonce: str) -> str:
    """What the state and the database hold: the cookie's nonce, hashed."""
    raw = hashlib.sha256(nonce.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)

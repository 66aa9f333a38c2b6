"""Connect VBC: a person's own VBC tokens through the authorization-code grant, kept encrypted.

VBC's token response does not say whose tokens they are, and neither API has a "who am I"
(Provisioning documents no ``self``; the recording API's ``self`` answers without naming the
user). So the VBC user comes from what we already trust, the person's existing link or their
Slack email (``Directory.person``), and the new tokens must prove they belong to that user
by reading that user's on-demand recordings list: tokens of another (non-admin) VBC user get
403 there and the connection is refused. The link therefore never grants more than linking by
email or by an admin would; it only lets the person's requests run with their own rights.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from bot.people.crypto import CryptoError, LinkInvalidError, Secrets
from bot.people.directory import Directory, LinkError
from bot.store.tables import Link
from bot.vbc.auth import TokenEndpoint, TokenSet, VbcAuth
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcForbiddenError, VbcNotFoundError
from bot.vbc.filter import RecordingFilter

log = logging.getLogger(__name__)

STATE_KIND = "vbc-connect"
STATE_TTL = 600  # seconds; the person is expected to sign in to VBC right away


class VbcConnect:
    """Builds the VBC sign-in URL, completes the callback and rebuilds per-person auth.

    ``clock`` is wall time in epoch seconds (state expiry, stored token expiry);
    ``token_clock`` is the clock ``endpoint`` stamps ``TokenSet.expires_at`` with.
    """

    def __init__(
        self,
        *,
        vbc_api_url: str,
        client_id: str,
        redirect_uri: str,
        secrets: Secrets,
        endpoint: TokenEndpoint,
        vbc: VbcClient,
        directory: Directory,
        clock: Callable[[], float] = time.time,
        token_clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api_url = vbc_api_url.rstrip("/")
        self._client_id = client_id
        self._redirect_uri = redirect_uri
        self._secrets = secrets
        self._endpoint = endpoint
        self._vbc = vbc
        self._directory = directory
        self._clock = clock
        self._token_clock = token_clock
        self._transport = transport

    def authorize_url(self, team_id: str, slack_user: str) -> str:
        state = self._secrets.sign_link(
            {"kind": STATE_KIND, "team": team_id, "user": slack_user},
            expires_at=int(self._clock()) + STATE_TTL,
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": self._redirect_uri,
                "state": state,
            }
        )
        return f"{self._api_url}/authorize?{query}"

    async def complete(self, *, code: str, state: str) -> Link:
        """The OAuth callback: raises ``CryptoError`` (bad state), ``VbcError`` or ``LinkError``."""
        team_id, slack_user = self._read_state(state)
        tokens = await self._endpoint.authorization_code(code, self._redirect_uri)
        person = await self._directory.person(team_id, slack_user)
        if person.identity is None:
            raise LinkError(
                "I could not tell which VBC user you are: your Slack email does not match one. "
                "Ask a recordings admin to run `/recordings link @you <VBC user id or email>`, "
                "then connect VBC again."
            )
        vbc_user_id = person.identity.vbc_user_id
        auth = VbcAuth(self._endpoint, clock=self._token_clock, tokens=tokens, use_password=False)
        async with self._http(auth) as http:
            client = VbcClient(http, account_id=self._vbc.account_id)
            try:
                await client.list_user_recordings(vbc_user_id, RecordingFilter(page_size=1))
            except (VbcForbiddenError, VbcNotFoundError):
                raise LinkError(
                    f"The VBC account you signed in with is not VBC user {vbc_user_id}, who you "
                    "are linked to. Sign in to VBC as yourself and connect again."
                ) from None
        user = await self._vbc.get_user(vbc_user_id)
        ciphertext = self._seal(await auth.current())
        return await self._directory.link_oauth(team_id, slack_user, user, ciphertext)

    async def auth_for(self, link: Link) -> VbcAuth | None:
        """The person's own VBC auth, or None when they have not connected VBC."""
        if not link.token_ciphertext:
            return None
        try:
            tokens = self._open(link.token_ciphertext)
        except CryptoError as exc:
            log.warning("stored VBC tokens of %s unreadable: %s", link.slack_user_id, exc)
            return None
        team_id, slack_user = link.team_id, link.slack_user_id

        async def save(rotated: TokenSet) -> None:
            # Refresh tokens are single-use: losing the rotated one ends the connection.
            await self._directory.save_tokens(team_id, slack_user, self._seal(rotated))

        return VbcAuth(
            self._endpoint,
            clock=self._token_clock,
            tokens=tokens,
            use_password=False,
            on_tokens=save,
        )

    def _read_state(self, state: str) -> tuple[str, str]:
        payload = self._secrets.verify_link(state, now=int(self._clock()))
        team_id, slack_user = payload.get("team"), payload.get("user")
        if payload.get("kind") != STATE_KIND or not isinstance(team_id, str):
            raise LinkInvalidError("This sign-in link is not a Connect VBC link.")
        if not isinstance(slack_user, str):
            raise LinkInvalidError("This sign-in link is not a Connect VBC link.")
        return team_id, slack_user

    def _http(self, auth: VbcAuth) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._api_url, auth=auth, transport=self._transport, timeout=30.0
        )

    def _seal(self, tokens: TokenSet) -> str:
        """Encrypt with the expiry in wall time, so another process or a restart can use it."""
        expires_at = self._clock() + (tokens.expires_at - self._token_clock())
        body = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": expires_at,
            "scope": tokens.scope,
        }
        return self._secrets.encrypt(json.dumps(body))

    def _open(self, ciphertext: str) -> TokenSet:
        try:
            body = json.loads(self._secrets.decrypt(ciphertext))
            return TokenSet(
                access_token=str(body["access_token"]),
                refresh_token=body.get("refresh_token"),
                expires_at=self._token_clock() + (float(body["expires_at"]) - self._clock()),
                scope=body.get("scope"),
            )
        except (ValueError, KeyError, TypeError):
            raise CryptoError("Stored VBC tokens are not in a readable form.") from None

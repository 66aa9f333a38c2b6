"""Signed, expiring download links served by the bot itself (``GET /links/<token>/<name>``).

VBC download URLs need the bot's token, so a file too big for Slack is offered as a link to
the bot, which streams it from VBC. A link names a kind (``audio``, ``export``, ...) whose
opener is registered here by the module that owns that kind; every use checks the signature
and expiry, asks Slack whether the person's account is still active (a deactivated one is
refused at once, past any cache), then the opener re-checks the person's access now, and the
use is audited.
"""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.clock import Clock
from bot.people.crypto import LinkExpiredError, LinkInvalidError, Secrets
from bot.people.policy import AccessRefusedError
from bot.store import Store
from bot.vbc.client import Download
from bot.vbc.errors import VbcError, VbcNotFoundError
from bot.web.http import Request, Response, Routes

log = logging.getLogger(__name__)

LINK_PREFIX = "/links/"
DEFAULT_TTL = timedelta(hours=24)
AUDIT_ACTION = "signed_link"  # "link" is identity linking's
ACTION_OPEN_LINK = "open_signed_link"  # a URL button: Slack still sends the click, to be acked


@dataclass(frozen=True)
class LinkGrant:
    """What a verified link grants: one subject of one kind, to one person."""

    kind: str
    team_id: str
    user_id: str
    subject: str  # e.g. a recording reference or an export request id
    filename: str


Opener = Callable[[LinkGrant], Awaitable[Response]]
# (team_id, user_id) -> asks Slack now whether the person may still use the bot: raises
# AccessRefusedError for a deactivated account, LookupError when Slack knows no such person.
AccountCheck = Callable[[str, str], Awaitable[object]]
GONE = "Slack no longer knows the person this link was made for, so it no longer works."
UNCHECKED = "I could not check your Slack account just now; try the link again in a minute."


class Links:
    """The registry of link kinds, the URL signer and the ``/links/`` route."""

    def __init__(
        self,
        *,
        secrets: Secrets,
        store: Store,
        clock: Clock,
        base_url: str,
        check_account: AccountCheck,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self._secrets = secrets
        self._check_account = check_account
        self._store = store
        self._clock = clock
        self._base = base_url.rstrip("/")
        self._ttl = ttl
        self._openers: dict[str, Opener] = {}

    def register(self, kind: str, opener: Opener) -> None:
        if kind in self._openers:
            raise ValueError(f"link kind {kind!r} is already registered")
        self._openers[kind] = opener

    def url_for(
        self,
        kind: str,
        *,
        team_id: str,
        user_id: str,
        subject: str,
        filename: str,
        ttl: timedelta | None = None,
    ) -> tuple[str, datetime]:
        """A signed URL for ``user_id`` and the moment it stops working."""
        if kind not in self._openers:
            raise ValueError(f"no link kind {kind!r} is registered")
        expires = self._clock() + (ttl or self._ttl)
        payload: dict[str, str | int] = {
            "k": kind,
            "t": team_id,
            "u": user_id,
            "s": subject,
            "f": filename,
        }
        token = self._secrets.sign_link(payload, expires_at=int(expires.timestamp()))
        return f"{self._base}{LINK_PREFIX}{token}/{quote(filename)}", expires

    def install(self, router: Routes) -> None:
        router.add_prefix("GET", LINK_PREFIX, self.handle)

    async def handle(self, request: Request) -> Response:
        token = request.path.removeprefix(LINK_PREFIX).split("/", 1)[0]
        now = int(self._clock().timestamp())
        try:
            payload = self._secrets.verify_link(token, now=now)
        except LinkExpiredError as exc:
            return _page(410, str(exc))
        except LinkInvalidError as exc:
            log.warning("refused a link with a bad signature")
            return _page(403, str(exc))
        grant = LinkGrant(
            kind=str(payload.get("k", "")),
            team_id=str(payload.get("t", "")),
            user_id=str(payload.get("u", "")),
            subject=str(payload.get("s", "")),
            filename=str(payload.get("f", "download")),
        )
        opener = self._openers.get(grant.kind)
        if opener is None:
            return _page(404, "This kind of link is no longer served.")
        refused = await self._account_refusal(grant)
        if refused is not None:
            return refused
        try:
            response = await opener(grant)
        except AccessRefusedError as exc:
            await self._audit(grant, "refused", str(exc))
            return _page(403, str(exc))
        except VbcNotFoundError as exc:
            await self._audit(grant, "failed", str(exc))
            return _page(404, str(exc))
        except VbcError as exc:
            await self._audit(grant, "failed", str(exc))
            return _page(502, f"{exc} Try the link again in a minute.")
        await self._audit(grant, "allowed", "signed link")
        return response

    async def _account_refusal(self, grant: LinkGrant) -> Response | None:
        """A link outlives the cache of Slack profiles: ask Slack now if its person is active."""
        try:
            await self._check_account(grant.team_id, grant.user_id)
        except AccessRefusedError as exc:
            await self._audit(grant, "refused", str(exc))
            return _page(403, str(exc))
        except LookupError:
            await self._audit(grant, "refused", "no such Slack person")
            return _page(403, GONE)
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("could not check a link's Slack account: %s", type(exc).__name__)
            await self._audit(grant, "failed", "Slack account check failed")
            return _page(503, UNCHECKED)
        return None

    async def _audit(self, grant: LinkGrant, outcome: str, detail: str) -> None:
        await self._store.audit(
            grant.team_id,
            grant.user_id,
            AUDIT_ACTION,
            outcome=outcome,
            target=f"{grant.kind}:{grant.subject}",
            detail=detail,
        )


async def streamed_download(
    opened: AbstractAsyncContextManager[Download], *, filename: str, content_type: str
) -> Response:
    """A Response streaming an open VBC download; the download closes when the body ends."""
    stack = AsyncExitStack()
    download = await stack.enter_async_context(opened)

    async def body() -> AsyncIterator[bytes]:
        async with stack:
            try:
                async for chunk in download.chunks():
                    yield chunk
            except VbcError as exc:
                log.warning("a linked download broke off: %s", exc)
                raise

    headers = attachment_headers(filename, download.length)
    return Response(
        200, content_type=download.content_type or content_type, headers=headers, stream=body()
    )


def attachment_headers(filename: str, length: int | None) -> dict[str, str]:
    """Save-as headers; the link itself is a secret, so keep it out of caches and referrers."""
    printable = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in filename)
    ascii_name = printable.encode("ascii", "replace").decode().replace("?", "_")
    headers = {
        "Content-Disposition": (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
        ),
        "Cache-Control": "private, no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    if length is not None:
        headers["Content-Length"] = str(length)
    return headers


def render_link_offer(
    text: str, url: str, expires: datetime, *, label: str = "⬇ Download"
) -> dict[str, Any]:
    """``text`` (our mrkdwn) and a button opening the signed link; says until when it works."""
    message = blocks.render_notice(
        f"{text} The link works for you until {blocks.slack_date(expires)}; don't forward it."
    )
    button = {
        "type": "button",
        "action_id": ACTION_OPEN_LINK,
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "url": url,
        "value": "link",
    }
    message["blocks"].append({"type": "actions", "block_id": "link_actions", "elements": [button]})
    return message


def _page(status: int, message: str) -> Response:
    body = f"<!doctype html><title>Recordings bot</title><p>{html.escape(message)}</p>"
    return Response.html(body, status)

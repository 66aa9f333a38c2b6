"""ASGI guards in front of the routes: Slack's signature checked before Bolt reads anything of
a request that claims to come from Slack."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

SIGNATURE_MAX_AGE = 5 * 60  # seconds either way, as Slack's own verifiers allow
SIGNATURE_VERIFIED = "slack_signature_verified"  # Bolt context key: our check passed
UNVERIFIED = json.dumps({"error": "invalid request"}).encode()  # Bolt's own 401 body


class SlackSignature:
    """Lets through only requests signed with ``signing_secret`` within the last 5 minutes.

    The timestamp must be ASCII digits (Slack's verifiers call ``int()``, which also takes
    ``+1``, ``1_0`` or other scripts' digits, and raises on the rest). Anything unverified gets
    401 and one fixed log line: nothing of the request reaches a log, a reply or Bolt. Bolt
    checks again behind this (defence in depth).
    """

    def __init__(
        self, app: App, signing_secret: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        if not signing_secret.strip():
            raise ValueError("a Slack signing secret is required")
        self.app = app
        self._key = signing_secret.encode()
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        if not self.verifies(scope, bytes(body)):
            log.warning("refused a request without a valid, fresh Slack signature (401)")
            await answer(send, 401, UNVERIFIED, content_type=b"application/json")
            return
        await self.app(scope, replay(bytes(body), receive), send)

    def verifies(self, scope: Scope, body: bytes) -> bool:
        timestamps = header_values(scope, b"x-slack-request-timestamp")
        signatures = header_values(scope, b"x-slack-signature")
        if len(timestamps) != 1 or len(signatures) != 1:
            return False  # absent, or sent twice: which one would Bolt read?
        timestamp = timestamps[0]
        if not (timestamp.isdigit() and len(timestamp) <= 12):  # bytes: ASCII digits only
            return False
        if abs(self._clock() - int(timestamp)) > SIGNATURE_MAX_AGE:
            return False
        digest = hmac.new(self._key, b"v0:" + timestamp + b":" + body, hashlib.sha256)
        return hmac.compare_digest(b"v0=" + digest.hexdigest().encode(), signatures[0])


def header_values(scope: Scope, name: bytes) -> list[bytes]:
    """Every value of one header (ASGI names are lower-case bytes)."""
    return [value for key, value in scope.get("headers", []) if key == name]


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive() that hands over ``body`` whole, then waits on the client (disconnect)."""
    pending = True

    async def receive_again() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receive_again


async def answer(
    send: Send,
    status: int,
    body: bytes,
    *,
    content_type: bytes = b"text/plain; charset=utf-8",
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

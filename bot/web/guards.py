"""ASGI guards in front of the routes: a cap on request bodies, and Slack's signature checked
before Bolt reads anything of a request that claims to come from Slack."""

from __future__ import annotations

import asyncio
import contextlib
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

MAX_BODY_BYTES = 1024 * 1024
LINGER_BYTES, LINGER_SECONDS = 4 * MAX_BODY_BYTES, 1.0  # see `refuse_too_large`
TOO_LARGE = b"Request body too large: the limit is 1 MiB.\n"
SIGNATURE_MAX_AGE = 5 * 60  # seconds either way, as Slack's own verifiers allow
SIGNATURE_VERIFIED = "slack_signature_verified"  # Bolt context key: our check passed
UNVERIFIED = json.dumps({"error": "invalid request"}).encode()  # Bolt's own 401 body


class BodyCap:
    """Reads each request's body, at most ``limit`` bytes of it, before the app runs.

    Over the limit is a 413: at once when Content-Length says so (nothing is read), else as
    soon as the bytes received pass it (so at most ``limit`` plus one chunk is read before the
    answer, and no more than ``limit`` is ever held). Then the connection is closed, not
    drained; see `refuse_too_large`.
    """

    def __init__(self, app: App, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = content_length(scope)
        if declared is not None and declared > self.limit:
            await refuse_too_large(receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away; nobody is left to answer
            chunk: bytes = message.get("body", b"")
            if len(body) + len(chunk) > self.limit:
                await refuse_too_large(receive, send)
                return
            body += chunk
            if not message.get("more_body", False):
                break
        await self.app(scope, replay(bytes(body), receive), send)


class SlackSignature:
    """Lets through only requests signed with ``signing_secret`` within the last 5 minutes.

    The timestamp must be ASCII digits (Slack's verifiers call ``int()``, which also takes
    ``+1``, ``1_0`` or other scripts' digits, and raises on the rest). Anything unverified gets
    401 and one fixed log line: nothing of the request reaches a log, a reply or Bolt. Bolt
    checks again behind this (defence in depth). Sits behind `BodyCap`, which bounds the body.
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


async def refuse_too_large(receive: Receive, send: Send) -> None:
    """413, then hang up after a short "lingering close".

    Closing a socket with unread bytes resets the connection, and a client still writing its
    body may then lose the 413 it was sent. So the answer goes out first, and the body is read
    on and dropped for a moment (at most ``LINGER_BYTES`` or ``LINGER_SECONDS``) before the
    connection closes, as nginx does.
    """
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(TOO_LARGE)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": TOO_LARGE, "more_body": True})
    dropped = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(LINGER_SECONDS):
            while dropped < LINGER_BYTES:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
                dropped += len(message.get("body", b""))
    await send({"type": "http.response.body", "body": b""})


def header_values(scope: Scope, name: bytes) -> list[bytes]:
    """Every value of one header (ASGI names are lower-case bytes)."""
    return [value for key, value in scope.get("headers", []) if key == name]


def content_length(scope: Scope) -> int | None:
    """The declared length, or None (chunked, absent or unreadable: the count decides)."""
    values = header_values(scope, b"content-length")
    if len(values) == 1 and values[0].isdigit():
        return int(values[0])
    return None


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

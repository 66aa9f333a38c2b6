"""The bot's HTTP front: Slack's endpoint, health, OAuth callbacks and signed links (ASGI).

Bolt's ASGI adapter answers only Slack's paths; this small router puts ``/healthz`` and our
own streaming routes beside it without pulling in a web framework.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp

from bot.web.http import Handler, Request, Response

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Router:
    """Exact-path and prefix routes in front of Bolt (a ``bot.web.http.Routes``)."""

    def __init__(self, app: AsyncApp) -> None:
        # Bolt types the ASGI scope narrowly; the adapter accepts any ASGI mapping.
        self._bolt: Any = AsyncSlackRequestHandler(app)
        self._exact: dict[tuple[str, str], Handler] = {("GET", "/healthz"): _healthz}
        self._prefix: list[tuple[str, str, Handler]] = []

    def add(self, method: str, path: str, handler: Handler) -> None:
        self._exact[(method, path)] = handler

    def add_prefix(self, method: str, prefix: str, handler: Handler) -> None:
        self._prefix.append((method, prefix, handler))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._bolt(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        handler = self._exact.get((method, path)) or next(
            (h for m, p, h in self._prefix if m == method and path.startswith(p)), None
        )
        if handler is None:
            await self._bolt(scope, receive, send)
            return
        request = Request(
            method=method,
            path=path,
            query={k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()},
            headers={k.decode().lower(): v.decode() for k, v in scope.get("headers", [])},
        )
        try:
            response = await handler(request)
        except Exception:
            log.exception("error in %s %s", method, path)
            response = Response(500, b"Something went wrong on our side.")
        await _send(response, send)


async def _healthz(_request: Request) -> Response:
    return Response.json({"ok": True})


async def _send(response: Response, send: Send) -> None:
    headers = [(b"content-type", response.content_type.encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in response.headers.items()]
    if response.stream is None:
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if response.stream is None:
        await send({"type": "http.response.body", "body": response.body})
        return
    try:
        async for chunk in response.stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        # A client that hangs up must not leave the VBC download open behind it.
        closer = getattr(response.stream, "aclose", None)
        if closer is not None:
            await closer()

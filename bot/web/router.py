"""The bot's HTTP front: Slack's endpoint, health, OAuth callbacks and signed links (ASGI).

Bolt's ASGI adapter answers only Slack's paths; this small router puts ``/healthz`` and our
own streaming routes beside it without pulling in a web framework. Slack's endpoint goes
through `SlackSignature` first, and exists only when Slack's traffic comes over HTTP.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.asgi.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.ops.logs import start_request
from bot.web.guards import SIGNATURE_VERIFIED, App, Receive, Scope, Send, SlackSignature, answer
from bot.web.http import Handler, Request, Response
from bot.web.slack_payloads import payload_problem

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"  # commands, interactivity and events (manifest.yml)
AckObserver = Callable[[str, float], None]  # (kind of request, seconds to its ack)
ErrorCounter = Callable[[str], None]
KINDS = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "event_callback",
        "url_verification",
    }
)


def request_kind(body: Any) -> str:
    """What a Slack request is, from a closed set (metrics labels stay few)."""
    if not isinstance(body, dict):
        return "other"
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        return "event"
    return str(kind) if kind in KINDS else "other"


class Router:
    """Exact-path and prefix routes, Slack's endpoint and Bolt's OAuth pages; 404 otherwise.

    ``slack_signing_secret`` is None in Socket Mode: Slack's traffic arrives over the socket,
    so no HTTP request is ever handed to Bolt's dispatch (``POST /slack/events`` is a 404).
    """

    def __init__(
        self,
        app: AsyncApp,
        *,
        slack_signing_secret: str | None,
        on_ack: AckObserver | None = None,
        on_error: ErrorCounter | None = None,
    ) -> None:
        bolt = _BoltEndpoint(app, SLACK_EVENTS_PATH)
        bolt.on_ack = on_ack
        self._on_error = on_error
        self._events: App | None = None
        if slack_signing_secret is not None:
            self._events = SlackSignature(bolt, slack_signing_secret)
        flow = app.oauth_flow  # install page and redirect: GETs guarded by the OAuth state
        self._bolt_pages: dict[str, App] = (
            {flow.install_path: bolt, flow.redirect_uri_path: bolt} if flow else {}
        )
        self._exact: dict[tuple[str, str], Handler] = {("GET", "/healthz"): _healthz}
        self._prefix: list[tuple[str, str, Handler]] = []

    def add(self, method: str, path: str, handler: Handler) -> None:
        self._exact[(method, path)] = handler

    def add_prefix(self, method: str, prefix: str, handler: Handler) -> None:
        self._prefix.append((method, prefix, handler))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":  # nothing here speaks WebSocket
                await send({"type": "websocket.close", "code": 1008})
            return
        method, path = scope["method"], scope["path"]
        start_request()  # this request and the work it starts log under one id
        handler = self._exact.get((method, path)) or next(
            (h for m, p, h in self._prefix if m == method and path.startswith(p)), None
        )
        if handler is None:
            await self._slack(scope, receive, send)
            return
        request = Request(
            method=method,
            path=path,
            query={k: v[0] for k, v in parse_qs(scope["query_string"].decode("latin-1")).items()},
            # Header values may carry any byte above 0x7f; latin-1 reads them all.
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
        )
        try:
            response = await handler(request)
        except Exception:
            log.exception("error in %s %s", method, path)
            if self._on_error is not None:
                self._on_error("http_500")
            response = Response(500, b"Something went wrong on our side.")
        await _send(response, send)

    async def _slack(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        if method == "POST" and path == SLACK_EVENTS_PATH and self._events is not None:
            await self._events(scope, receive, send)
        elif method == "GET" and path in self._bolt_pages:
            await self._bolt_pages[path](scope, receive, send)
        else:
            await answer(send, 404, b"Not Found")


class _BoltEndpoint(AsyncSlackRequestHandler):
    """Bolt's ASGI adapter, except that a payload Bolt cannot read is a 400, not a 500.

    Bolt parses before it dispatches (and so before its error handler): a body that is not
    UTF-8, JSON that does not decode or nests too deep; then it and our listeners index into
    the payload (see `payload_problem`). Only a signed request gets this far, so this is Slack
    (or someone holding its secret) sending what Slack does not send.
    ``on_ack`` is told how long Bolt took to answer (it answers once the listener acked).
    """

    on_ack: AckObserver | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _utf8(scope["query_string"], *(v for _, v in scope["headers"])):
            await answer(send, 400, b"Bad Request")
            return
        await super().__call__(scope, receive, send)  # type: ignore[arg-type]

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        try:
            bolt_request = AsyncBoltRequest(
                body=await request.get_raw_body(),
                query=request.query_string,
                headers=request.get_headers(),
            )
        except (ValueError, TypeError, AttributeError, LookupError, RecursionError) as exc:
            log.warning("a signed Slack request Bolt cannot parse (%s)", type(exc).__name__)
            return BoltResponse(status=400, body="")
        problem = payload_problem(bolt_request.body, bolt_request.context)
        if problem is not None:
            log.warning("a signed Slack request of a shape Slack does not send: %s", problem)
            return BoltResponse(status=400, body="")
        bolt_request.context[SIGNATURE_VERIFIED] = True  # by `SlackSignature`, the only way here
        started = time.perf_counter()
        try:
            return await self.app.async_dispatch(bolt_request)
        finally:
            if self.on_ack is not None:
                self.on_ack(request_kind(bolt_request.body), time.perf_counter() - started)


def _utf8(*values: bytes) -> bool:
    try:
        for value in values:
            value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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

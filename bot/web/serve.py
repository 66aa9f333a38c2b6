"""Running the bot: HTTP behind uvicorn, or Socket Mode plus a small HTTP server beside it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import Runtime
from bot.ops.logs import start_request
from bot.ops.metrics import Metrics
from bot.web.guards import App, BodyCap
from bot.web.router import Router, request_kind

log = logging.getLogger(__name__)


def build_front(runtime: Runtime) -> App:
    """The ASGI app uvicorn serves: the body cap, then the routes."""
    settings = runtime.settings
    # In Socket Mode Slack's requests come over the socket: no HTTP route may take them.
    secret = None if settings.mode == "socket" else settings.slack_signing_secret
    if settings.mode != "socket" and not secret:
        raise ValueError("SLACK_SIGNING_SECRET is required outside Socket Mode")
    metrics = runtime.metrics
    router = Router(
        runtime.app,
        slack_signing_secret=secret,
        on_ack=metrics.observe_ack,
        on_error=metrics.count_error,
    )
    for route in runtime.routes:
        route(router)
    return BodyCap(router)


class _Server(uvicorn.Server):
    """uvicorn, minus re-raising SIGTERM after its graceful stop: we still have work to
    finish (cancel the watcher, release leases, close pools) and then exit 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def uvicorn_server(app: App, host: str, port: int) -> uvicorn.Server:
    # log_config=None: uvicorn's records go through our handler (LOG_FORMAT=json included).
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
        log_config=None,
    )
    return _Server(config)


async def serve(runtime: Runtime) -> None:
    """Serve until cancelled; background work (export watcher) runs alongside."""
    settings = runtime.settings
    server = uvicorn_server(build_front(runtime), settings.host, settings.port)
    # ~130k long-lived objects exist after start-up; a full collection over them stalls the
    # loop for 100-200 ms, long enough to push acks past Slack's patience. Freeze them.
    gc.collect()
    gc.freeze()
    http = asyncio.create_task(server.serve(), name="http")
    background = [asyncio.create_task(job(), name="background") for job in runtime.background]
    socket: AsyncSocketModeHandler | None = None
    if settings.mode == "socket":
        socket = _TimedSocketHandler(runtime.app, settings.slack_app_token)
        socket.metrics = runtime.metrics
        await socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack in Socket Mode")
    slack = "Slack over the socket" if socket is not None else "POST /slack/events"
    log.info("listening on http://%s:%d (%s, GET /healthz)", settings.host, settings.port, slack)
    try:
        # uvicorn handles SIGINT/SIGTERM: when it stops serving, everything else stops too.
        await http
    finally:
        server.should_exit = True
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if socket is not None:
            await socket.close_async()  # type: ignore[no-untyped-call]
        await runtime.close()


class _TimedSocketHandler(AsyncSocketModeHandler):
    """Socket Mode with a request id per message and its ack time measured, as over HTTP."""

    metrics: Metrics | None = None

    async def handle(self, client: Any, req: Any) -> None:
        start_request()
        started = time.perf_counter()
        try:
            await super().handle(client, req)
        finally:
            if self.metrics is not None:
                kind = request_kind(getattr(req, "payload", None))
                self.metrics.observe_ack(kind, time.perf_counter() - started)


class LocalServer:
    """The bot's HTTP side on a loopback port chosen by the OS (demo and tests)."""

    def __init__(self, runtime: Runtime, host: str = "127.0.0.1", port: int = 0) -> None:
        self.runtime = runtime
        self._server = uvicorn_server(build_front(runtime), host, port)
        self._task: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []
        self.url = ""

    async def start(self, *, with_background: bool = True) -> LocalServer:
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started or self._task.done():
                break
            await asyncio.sleep(0.01)
        if not self._server.started:
            raise RuntimeError("the bot's HTTP server did not start")
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        if with_background:
            self._background = [asyncio.create_task(job()) for job in self.runtime.background]
        return self

    async def close(self) -> None:
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        await self.runtime.close()

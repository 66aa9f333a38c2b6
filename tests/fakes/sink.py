"""An HTTP server that records every request it gets: the ``response_url`` of forged bodies."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from aiohttp import web


@dataclass(frozen=True)
class SinkRequest:
    method: str
    path: str
    body: bytes


class Sink:
    """Answers 200 to anything on 127.0.0.1 (port 0) and keeps what it was sent."""

    def __init__(self) -> None:
        self.requests: list[SinkRequest] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    def url_for(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    async def start(self) -> Self:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._record)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _record(self, request: web.Request) -> web.Response:
        self.requests.append(SinkRequest(request.method, request.path, await request.read()))
        return web.json_response({"ok": True})

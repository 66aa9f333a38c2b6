"""Requests and responses as our own routes see them, free of Bolt: services import these.

``bot.web.router`` puts the routes in front of Bolt; signed links (``bot.web.links``) and the
audio and export services that answer them need only these types.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stream: AsyncIterator[bytes] | None = None  # streamed bodies are never held whole

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(status, json.dumps(data).encode(), "application/json")

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), "text/html; charset=utf-8")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Handler = Callable[[Request], Awaitable[Response]]


class Routes(Protocol):
    """Where a module installs its routes (``bot.web.router.Router``)."""

    def add(self, method: str, path: str, handler: Handler) -> None: ...

    def add_prefix(self, method: str, prefix: str, handler: Handler) -> None: ...

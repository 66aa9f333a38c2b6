"""VbcRouter: a handler for ``httpx.MockTransport`` that routes VBC requests and refuses others.

Each route is a method, a path template (``{name}`` matches one path segment), optionally the
exact query parameter names (with values, where given) it accepts, and one or more handlers
that answer in turn (the last one repeats). Every request is recorded; one that matches no
route, or goes to another host than the router's ``host``, is recorded as unexpected and
raises ``UnexpectedRequestError``, which no client code converts into a ``VbcError``::

    router = VbcRouter()
    router.add("GET", USER, lambda request, path: httpx.Response(200, json=hal_page(...)))
    http = httpx.AsyncClient(base_url="https://vbc.test", transport=router.transport())
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.vbc.client import PROVISIONING_API, RECORDING_API

TOKEN = "/token"
COMPANY_RECORDINGS = f"{RECORDING_API}/accounts/{{account}}/company_call_recordings"
COMPANY_RECORDING = f"{COMPANY_RECORDINGS}/{{recording_id}}"
USER_RECORDINGS = f"{RECORDING_API}/accounts/{{account}}/users/{{user_id}}/call_recordings"
USER_RECORDING = f"{USER_RECORDINGS}/{{recording_id}}"
EXPORT_JOBS = f"{USER_RECORDINGS}/jobs"
EXPORT_JOB = f"{EXPORT_JOBS}/{{job_id}}"
USERS = f"{PROVISIONING_API}/accounts/{{account}}/users"
USER = f"{USERS}/{{user_id}}"

PathParams = dict[str, str]
Handler = Callable[[httpx.Request, PathParams], httpx.Response | Awaitable[httpx.Response]]
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class UnexpectedRequestError(AssertionError):
    """A request no route accepts: the code under test called VBC in a way the test forbids."""


@dataclass
class Route:
    method: str
    template: str
    handlers: list[Handler]  # in turn; the last one repeats
    query: Mapping[str, str | None] | None  # exact names (value None: any value); None: any
    calls: list[httpx.Request] = field(default_factory=list)
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # re.split with a group alternates text and placeholder names: text, name, text...
        parts = _PLACEHOLDER.split(self.template)
        self._pattern = re.compile(
            "".join(f"(?P<{p}>[^/]+)" if i % 2 else re.escape(p) for i, p in enumerate(parts))
        )

    def match(self, request: httpx.Request) -> PathParams | None:
        if request.method != self.method:
            return None
        found = self._pattern.fullmatch(request.url.path)
        if found is None or not self._query_matches(request.url.params):
            return None
        return found.groupdict()

    def answer(self, request: httpx.Request, params: PathParams) -> Awaitable[httpx.Response]:
        self.calls.append(request)
        handler = self.handlers[min(len(self.calls), len(self.handlers)) - 1]
        return _awaited(handler(request, params))

    def _query_matches(self, params: httpx.QueryParams) -> bool:
        if self.query is None:
            return True
        if set(params.keys()) != set(self.query):
            return False
        return all(want is None or params.get(name) == want for name, want in self.query.items())


class VbcRouter:
    """Routes by method and path template to handlers; records every request."""

    def __init__(self, *, host: str | None = None) -> None:
        self.host = host  # when set, a request to any other host is unexpected
        self.routes: list[Route] = []
        self.requests: list[httpx.Request] = []
        self.unexpected: list[httpx.Request] = []

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        *then: Handler,
        query: Mapping[str, str | None] | None = None,
    ) -> Route:
        """Route ``method template`` to ``handler`` (and ``then`` the next ones, in turn, the
        last repeating); the first route that matches a request answers it."""
        route = Route(method.upper(), template, [handler, *then], query)
        self.routes.append(route)
        return route

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.host is None or request.url.host == self.host:
            for route in self.routes:
                params = route.match(request)
                if params is not None:
                    return await route.answer(request, params)
        self.unexpected.append(request)
        known = "; ".join(f"{r.method} {r.template}" for r in self.routes) or "none"
        where = f" on {self.host}" if self.host else ""
        raise UnexpectedRequestError(
            f"unexpected VBC request {request.method} {request.url} (routes{where}: {known})"
        )

    def count(self, method: str, path: str) -> int:
        """Requests made with ``method`` to exactly ``path``."""
        return sum(1 for r in self.requests if (r.method, r.url.path) == (method, path))

    @property
    def log(self) -> list[str]:
        """Every request as ``METHOD /path?query``, in order: short to assert on."""
        return [_line(r) for r in self.requests]

    def assert_no_unexpected(self) -> None:
        """For teardown: fail even where the code under test swallowed the raised error."""
        if self.unexpected:
            lines = "\n  ".join(_line(r) for r in self.unexpected)
            raise UnexpectedRequestError(f"unexpected VBC requests:\n  {lines}")


def hal_page(
    key: str,
    items: Sequence[Mapping[str, Any]],
    *,
    page: int = 1,
    page_size: int | None = None,
    total_items: int | None = None,
) -> dict[str, Any]:
    """A VBC list body: items under ``_embedded[key]`` with VBC's paging numbers."""
    size = page_size if page_size is not None else max(len(items), 1)
    total = total_items if total_items is not None else len(items)
    return {
        "_embedded": {key: list(items)},
        "page": page,
        "page_size": size,
        "total_items": total,
        "total_pages": -(-total // size),
    }


async def _awaited(answer: httpx.Response | Awaitable[httpx.Response]) -> httpx.Response:
    return await answer if inspect.isawaitable(answer) else answer


def _line(request: httpx.Request) -> str:
    query = request.url.query.decode()
    return f"{request.method} {request.url.path}{'?' + query if query else ''}"

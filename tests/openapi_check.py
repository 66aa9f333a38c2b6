"""Validate httpx exchanges with VBC against our OpenAPI contract; record what was exercised.

Usage (any test suite that talks to VBC or the simulator through httpx)::

    recorder = SpecRecorder()                  # loads both documents once per process
    recorder.install(http)                     # or event_hooks={"response": [recorder]}
    ...                                        # exercise the client
    recorder.assert_clean()                    # every exchange matched the documents
    recorder.operations("call-recording")      # the operationIds seen

or the ``spec_recorder`` fixture below (it asserts clean at teardown), made available with
``from tests.openapi_check import spec_recorder  # noqa: F401`` in a ``conftest.py``.

Requests are checked for path, parameters (and undeclared query names, which openapi-core
lets through), body and bearer auth; JSON responses against their schema. Audio and export
downloads are not operations of the documents: only their path, auth and status are checked,
and their bodies are never read here, so streaming stays streaming. ``/token`` answers are
checked for an access token.

The documents are the project's own, in ``tests/contract/`` (see its README); they carry the
errata real VBC needs, and ``tests/contract/test_agreement.py`` holds them to VBC's official ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.paths import VBC_APIS, vbc_contract

SPEC_HOST = "https://api.vonage.com"
# VBC's own examples and answers use "+0000", which RFC 3339 ("+00:00") rejects.
VBC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")
# VBC's API gateway answers these for any operation (an expired token, rate limits, outages),
# though the documents list them for some operations or none; they are not violations.
GATEWAY_STATUSES = frozenset({401, 429, 500, 502, 503, 504})
DOWNLOAD_STATUSES = frozenset({200, 401, 403, 404, 409, 410}) | GATEWAY_STATUSES
_DOWNLOADS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    (
        "download:audio",
        re.compile(r"^/t/vbc\.prod/call_recording/api/audio/recording/\d+$"),
        ("audio/",),
    ),
    (
        "download:export",
        re.compile(r"^/t/vbc\.prod/call_recording/api/bulkDownload/retrieve$"),
        ("application/zip", "application/octet-stream"),
    ),
)
TOKEN_OPERATION = "oauth:token"


class SpecViolation(AssertionError):
    """An exchange that does not match the VBC OpenAPI documents."""


@dataclass(frozen=True)
class Exchange:
    """One checked request/response pair; ``problems`` is empty when it matched."""

    api: str  # "call-recording", "provisioning", "download", "oauth" or "unknown"
    operation_id: str
    method: str
    path: str
    status: int
    problems: tuple[str, ...] = ()

    def describe(self) -> str:
        head = f"{self.method} {self.path} -> {self.status} ({self.operation_id})"
        return "\n    ".join([head, *self.problems])


@dataclass(frozen=True)
class ApiSpec:
    """One OpenAPI document, reached under ``prefix`` (its server URL's path)."""

    name: str
    prefix: str
    openapi: OpenAPI
    raw: Mapping[str, Any]
    finder: APICallPathFinder = field(repr=False)

    def operation_ids(self) -> set[str]:
        return {op for op, _params in _operations(self.raw)}

    def query_names(self, operation_id: str) -> set[str]:
        return next(names for op, names in _operations(self.raw) if op == operation_id)


class OpenApiCheck:
    """Both VBC documents of our contract."""

    def __init__(self, apis: Sequence[ApiSpec]) -> None:
        self.apis = {api.name: api for api in apis}

    @classmethod
    def load(cls) -> OpenApiCheck:
        return _load()

    def operation_ids(self, api: str) -> set[str]:
        return self.apis[api].operation_ids()

    def check(
        self, request: httpx.Request, response: httpx.Response, body: bytes | None
    ) -> Exchange:
        """Check one exchange; ``body`` is the response body (None for downloads)."""
        path, method, status = request.url.path, request.method, response.status_code
        if method == "POST" and path.endswith("/token"):
            return Exchange(
                "oauth", TOKEN_OPERATION, method, path, status, _token_problems(status, body)
            )
        for name, pattern, types in _DOWNLOADS:
            if pattern.match(path):
                checked = _download_problems(request, response, types)
                return Exchange("download", name, method, path, status, checked)
        api = next((a for a in self.apis.values() if path.startswith(a.prefix + "/")), None)
        if api is None:
            return Exchange("unknown", "?", method, path, status, ("no VBC API has this path",))
        try:
            found = api.finder.find(method.lower(), SPEC_HOST + path)
        except PathError as exc:
            return Exchange(api.name, "?", method, path, status, (f"no operation: {exc}",))
        operation_id = str(found.operation["operationId"])
        problems = [*_request_problems(api, operation_id, request)]
        problems += _response_problems(api, request, response, body)
        return Exchange(api.name, operation_id, method, path, status, tuple(problems))


class SpecRecorder:
    """An ``httpx`` response event hook that checks and records every exchange."""

    def __init__(self, check: OpenApiCheck | None = None) -> None:
        self.check = check or OpenApiCheck.load()
        self.exchanges: list[Exchange] = []
        self._unclaimed: list[Exchange] = []

    async def __call__(self, response: httpx.Response) -> None:
        request = response.request
        streamed = any(pattern.match(request.url.path) for _n, pattern, _t in _DOWNLOADS)
        body = None if streamed else await response.aread()
        exchange = self.check.check(request, response, body)
        self.exchanges.append(exchange)
        if exchange.problems:
            self._unclaimed.append(exchange)

    def install(self, http: httpx.AsyncClient) -> None:
        hooks = http.event_hooks
        hooks["response"] = [*hooks.get("response", []), self]
        http.event_hooks = hooks

    def operations(self, api: str | None = None) -> set[str]:
        return {e.operation_id for e in self.exchanges if api is None or e.api == api}

    def statuses(self, operation_id: str) -> list[int]:
        return [e.status for e in self.exchanges if e.operation_id == operation_id]

    def take_violations(self) -> list[Exchange]:
        """The violations so far, which the caller expected (an injected fault); forgets them."""
        taken, self._unclaimed = self._unclaimed, []
        return taken

    def assert_clean(self) -> None:
        if self._unclaimed:
            listing = "\n  ".join(e.describe() for e in self._unclaimed)
            raise SpecViolation(
                f"{len(self._unclaimed)} exchange(s) off the VBC spec:\n  {listing}"
            )


@pytest.fixture
def spec_recorder() -> Iterator[SpecRecorder]:
    """A recorder that fails the test if any unclaimed exchange broke the spec."""
    recorder = SpecRecorder()
    yield recorder
    recorder.assert_clean()


# Loading -----------------------------------------------------------------------------------------
@cache
def _load() -> OpenApiCheck:
    config = Config(extra_format_validators={"date-time": lambda v: bool(VBC_TIME.match(v))})
    apis = []
    for name in VBC_APIS:
        raw: dict[str, Any] = yaml.safe_load(vbc_contract(name).read_text())
        openapi = OpenAPI.from_dict(raw, config=config)
        prefix = httpx.URL(raw["servers"][0]["url"]).path.rstrip("/")
        apis.append(ApiSpec(name, prefix, openapi, raw, APICallPathFinder(openapi.spec)))
    return OpenApiCheck(apis)


def _resolve(raw: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = raw
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operations(raw: Mapping[str, Any]) -> Iterable[tuple[str, set[str]]]:
    for item in raw["paths"].values():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                params = [_resolve(raw, p) for p in [*shared, *operation.get("parameters", [])]]
                yield operation["operationId"], {p["name"] for p in params if p["in"] == "query"}


# Checks ------------------------------------------------------------------------------------------
class _Request:
    """httpx.Request as openapi-core's request protocol, addressed to the spec's host."""

    def __init__(self, request: httpx.Request) -> None:
        self.host_url = SPEC_HOST
        self.path = request.url.path
        self.method = request.method.lower()
        try:
            self.body: bytes | None = request.content or None
        except httpx.RequestNotRead:
            self.body = None
        self.content_type = request.headers.get("Content-Type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )


class _Response:
    def __init__(self, response: httpx.Response, body: bytes | None) -> None:
        self.status_code = response.status_code
        self.data = body
        self.content_type = response.headers.get("Content-Type", "")
        self.headers = Headers(list(response.headers.items()))


def _request_problems(api: ApiSpec, operation_id: str, request: httpx.Request) -> list[str]:
    problems = [_describe(e) for e in api.openapi.iter_request_errors(_Request(request))]
    declared = api.query_names(operation_id)
    for name, value in request.url.params.multi_items():
        if name not in declared:
            problems.append(f"query parameter {name!r} is not declared by {operation_id}")
        elif name.startswith("start:") and not VBC_TIME.match(value):
            problems.append(f"{name}={value!r} is not VBC's yyyy-MM-ddTHH:mm:ss+0000")
    return problems


def _response_problems(
    api: ApiSpec, request: httpx.Request, response: httpx.Response, body: bytes | None
) -> list[str]:
    errors = list(api.openapi.iter_response_errors(_Request(request), _Response(response, body)))
    if response.status_code in GATEWAY_STATUSES:
        errors = [e for e in errors if not isinstance(e, ResponseNotFound)]
    return [_describe(e) for e in errors]


def _download_problems(
    request: httpx.Request, response: httpx.Response, types: tuple[str, ...]
) -> tuple[str, ...]:
    problems = []
    if request.method != "GET":
        problems.append(f"downloads are GETs, not {request.method}")
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        problems.append("download URLs need the OAuth bearer token")
    if response.status_code not in DOWNLOAD_STATUSES:
        problems.append(f"unexpected download status {response.status_code}")
    content_type = response.headers.get("Content-Type", "")
    if response.status_code == 200 and not content_type.startswith(types):
        problems.append(f"a download of type {content_type!r}, expected {' or '.join(types)}")
    if "bulkDownload" in request.url.path and not request.url.params.get("jobId"):
        problems.append("an export download needs its jobId")
    return tuple(problems)


def _token_problems(status: int, body: bytes | None) -> tuple[str, ...]:
    if status != 200:
        return () if status in {400, 401, *GATEWAY_STATUSES} else (f"token status {status}",)
    try:
        data = json.loads(body or b"")
    except ValueError:
        return ("the token answer is not JSON",)
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        return ("the token answer has no access_token",)
    return ()


def _describe(error: Exception) -> str:
    """openapi-core's errors are terse; the schema errors underneath say what was wrong."""
    text = f"{type(error).__name__}: {error}"
    cause = error.__cause__
    if cause is not None:
        schema_errors = getattr(cause, "schema_errors", None) or ()
        details = [getattr(e, "message", str(e)) for e in list(schema_errors)[:3]]
        text += f" ({'; '.join(details) or cause})"
    return text[:500]

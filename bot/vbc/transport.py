"""The HTTP boundary to VBC: retries, streamed downloads, and every failure as a ``VbcError``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError

from bot.vbc.errors import (
    VbcAuthError,
    VbcBadResponseError,
    VbcError,
    VbcForbiddenError,
    VbcNotFoundError,
    VbcRateLimitedError,
    VbcUnavailableError,
)
from bot.vbc.operations import VbcObserver, operation_of
from bot.vbc.retry import (
    IDEMPOTENT_METHODS,
    RETRYABLE_STATUS,
    RetryPolicy,
    Sleep,
    parse_retry_after,
)

log = logging.getLogger(__name__)

DOWNLOAD_CHUNK = 256 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class Download:
    """An open streamed download; read it with ``chunks()`` inside its context."""

    response: httpx.Response
    length: int | None
    content_type: str | None

    def chunks(self, size: int = DOWNLOAD_CHUNK) -> AsyncIterator[bytes]:
        return self.response.aiter_bytes(size)


class VbcTransport:
    """Requests over the shared ``httpx.AsyncClient``, which carries base URL, auth and timeouts.

    ``auth`` replaces the client's own auth on every request (a person's own VBC login) while
    the connection pool stays the shared one. Idempotent requests are retried by ``retry``;
    whatever still fails leaves as a ``VbcError``.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        auth: httpx.Auth | None = None,
        observe: VbcObserver | None = None,
    ) -> None:
        self._http = http
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._auth = auth
        self._observe = observe
        self._origin = _origin(str(http.base_url))

    async def get(
        self,
        path: str,
        parse: Callable[[Mapping[str, Any]], T],
        *,
        params: Mapping[str, str] | None = None,
    ) -> T:
        """GET a JSON object and parse it; data of a shape we do not expect is a bad response."""
        body = read_json(await self.request("GET", path, params=params))
        if not isinstance(body, Mapping):
            raise VbcBadResponseError("VBC sent a response we could not read (not an object).")
        return _parse(body, parse)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        request = self._http.build_request(method, url, params=params, json=json)
        return await self._send(request, stream=False)

    @asynccontextmanager
    async def stream(self, url: str) -> AsyncIterator[Download]:
        # httpx asks for gzip by default and decodes it, while Content-Length counts the
        # encoded bytes: ask for the file as stored so the length is what chunks() yields.
        request = self._http.build_request(
            "GET", self.checked_link(url), headers={"Accept-Encoding": "identity"}
        )
        response = await self._send(request, stream=True, operation="download")
        try:
            yield Download(
                response=response,
                length=_decoded_length(response),
                content_type=response.headers.get("Content-Type"),
            )
        except httpx.TimeoutException as exc:
            raise VbcUnavailableError("VBC stopped sending the file (timed out).") from exc
        except httpx.TransportError as exc:
            raise VbcUnavailableError(
                f"The download from VBC broke off ({type(exc).__name__})."
            ) from exc
        finally:
            await response.aclose()

    def checked_link(self, url: str) -> str:
        """Follow VBC's links, but never send the token to another host."""
        if url.startswith("/") and not url.startswith("//"):
            return url
        if _origin(url) != self._origin:
            raise VbcBadResponseError("VBC returned a link to another host; not following it.")
        return url

    async def _send(
        self, request: httpx.Request, *, stream: bool, operation: str | None = None
    ) -> httpx.Response:
        retryable = request.method in IDEMPOTENT_METHODS
        operation = operation or operation_of(request.method, request.url.path)
        attempt = 0
        while True:
            attempt += 1
            response: httpx.Response | None = None
            failure: Exception | None = None
            started = time.perf_counter()
            try:
                auth = self._auth or self._http.auth
                response = await self._http.send(request, stream=stream, auth=auth)
            except httpx.TimeoutException as exc:
                failure = exc
            except httpx.TransportError as exc:
                failure = exc
            finally:
                if self._observe is not None:
                    status = str(response.status_code) if response is not None else "error"
                    if isinstance(failure, httpx.TimeoutException):
                        status = "timeout"
                    self._observe(operation, status, time.perf_counter() - started)
            if response is not None and response.status_code not in RETRYABLE_STATUS:
                if response.is_success:
                    return response
                await _close(response, stream)
                raise _status_error(response, request)
            delay = self._retry.delay(attempt, response) if retryable else None
            if delay is None:
                if response is not None:
                    await _close(response, stream)
                    raise _status_error(response, request)
                raise _transport_error(failure) from failure
            if response is not None:
                await _close(response, stream)
            log.warning(
                "vbc %s %s: %s; retry %d in %.2fs",
                request.method,
                request.url.path,
                response.status_code if response is not None else type(failure).__name__,
                attempt,
                delay,
            )
            await self._sleep(delay)


def read_json(response: httpx.Response) -> Any:
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type:
        raise VbcBadResponseError(
            f"VBC sent an HTML page instead of data (HTTP {response.status_code})."
        )
    try:
        return response.json()
    except ValueError:
        raise VbcBadResponseError(
            "VBC sent a response we could not read (malformed or truncated JSON)."
        ) from None


def _parse(data: Mapping[str, Any], parse: Callable[[Mapping[str, Any]], T]) -> T:
    """Parse at the boundary: data of a shape we do not expect is a bad response, not a crash."""
    try:
        return parse(data)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        where = ""
        if isinstance(exc, ValidationError) and exc.errors():
            where = " in field " + ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise VbcBadResponseError(f"VBC sent data we could not read{where}.") from exc


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _decoded_length(response: httpx.Response) -> int | None:
    """Content-Length, unless a server encoded the body anyway: then the length is unknown."""
    length = response.headers.get("Content-Length")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        log.warning("vbc sent a %s-encoded download; its decoded length is unknown", encoding)
        return None
    return int(length) if length and length.isdigit() else None


async def _close(response: httpx.Response, stream: bool) -> None:
    if stream:
        await response.aclose()


def _status_error(response: httpx.Response, request: httpx.Request) -> VbcError:
    status = response.status_code
    what = _describe(request)
    if status == 404:
        return VbcNotFoundError(f"VBC could not find {what}.", status=status)
    if status == 403:
        return VbcForbiddenError(f"VBC does not allow the bot to read {what}.", status=status)
    if status == 401:
        return VbcAuthError("VBC rejected the bot's credentials.", status=status)
    if status == 429:
        return VbcRateLimitedError(
            "VBC is rate limiting the bot; try again shortly.",
            retry_after=parse_retry_after(response),
        )
    if status >= 500:
        return VbcUnavailableError(
            f"VBC is having trouble right now (HTTP {status}); try again in a minute.",
            status=status,
        )
    return VbcBadResponseError(
        f"VBC refused the request for {what} (HTTP {status}).", status=status
    )


def _transport_error(failure: Exception | None) -> VbcError:
    if isinstance(failure, httpx.TimeoutException):
        return VbcUnavailableError("VBC did not answer in time; try again in a minute.")
    name = type(failure).__name__ if failure else "unknown error"
    return VbcUnavailableError(f"Could not reach VBC ({name}); try again in a minute.")


def _describe(request: httpx.Request) -> str:
    path = request.url.path
    if "/jobs" in path:
        return "that export job"
    if "/audio/" in path or "bulkDownload" in path:
        return "that file"
    if "call_recordings" in path:
        return "that recording" if path.rstrip("/").split("/")[-1].isdigit() else "the recordings"
    if "/users" in path:
        return "that VBC user"
    return "that resource"

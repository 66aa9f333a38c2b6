"""VbcClient: one method per VBC endpoint, returning models; retries and errors at one boundary."""

from __future__ import annotations

import asyncio
import logging
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
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import ExportJob, Extension, Page, Recording, RecordingKind, User
from bot.vbc.retry import (
    IDEMPOTENT_METHODS,
    RETRYABLE_STATUS,
    RetryPolicy,
    Sleep,
    parse_retry_after,
)

log = logging.getLogger(__name__)

RECORDING_API = "/t/vbc.prod/call_recording/api"
PROVISIONING_API = "/t/vbc.prod/provisioning/api"
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


class VbcClient:
    """The VBC Call Recording and Provisioning APIs over one shared ``httpx.AsyncClient``.

    The http client carries base URL, auth (``VbcAuth``), timeouts and User-Agent; this class
    adds paths, retries of idempotent requests and the mapping of failures to ``VbcError``.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        account_id: str = "self",
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._http = http
        self._account = account_id
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._origin = _origin(str(http.base_url))

    @property
    def account_id(self) -> str:
        return self._account

    # -- company call recordings -------------------------------------------------------------

    async def list_company_recordings(self, filters: RecordingFilter) -> Page[Recording]:
        data = await self._get_json(self._company_path(), params=filters.to_query())
        return _parse(data, lambda d: Page.from_hal(d, "recordings", _company_parser()))

    async def get_company_recording(self, recording_id: int | str) -> Recording:
        data = await self._get_json(f"{self._company_path()}/{recording_id}")
        return _parse(data, _company_parser())

    async def delete_company_recording(self, recording_id: int | str) -> None:
        await self._request("DELETE", f"{self._company_path()}/{recording_id}")

    async def export_company_recordings(self, filters: RecordingFilter) -> list[str]:
        return await self._create_export(f"{self._company_path()}/export", filters)

    # -- on-demand call recordings -----------------------------------------------------------

    async def list_user_recordings(
        self, user_id: int | str, filters: RecordingFilter
    ) -> Page[Recording]:
        data = await self._get_json(self._user_path(user_id), params=filters.to_query())
        return _parse(
            data, lambda d: Page.from_hal(d, "recordings", _on_demand_parser(str(user_id)))
        )

    async def get_user_recording(self, user_id: int | str, recording_id: int | str) -> Recording:
        data = await self._get_json(f"{self._user_path(user_id)}/{recording_id}")
        return _parse(data, _on_demand_parser(str(user_id)))

    async def delete_user_recording(self, user_id: int | str, recording_id: int | str) -> None:
        await self._request("DELETE", f"{self._user_path(user_id)}/{recording_id}")

    async def export_user_recordings(
        self, user_id: int | str, filters: RecordingFilter
    ) -> list[str]:
        return await self._create_export(f"{self._user_path(user_id)}/export", filters)

    # -- export jobs -------------------------------------------------------------------------

    async def list_export_jobs(
        self, user_id: int | str = "self", *, status: str | None = None
    ) -> Page[ExportJob]:
        params = {"status": status} if status else None
        data = await self._get_json(f"{self._user_path(user_id)}/jobs", params=params)
        return _parse(data, lambda d: Page.from_hal(d, "jobs", ExportJob.from_api))

    async def get_export_job(self, job_id: str, user_id: int | str = "self") -> ExportJob:
        data = await self._get_json(f"{self._user_path(user_id)}/jobs/{job_id}")
        return _parse(data, ExportJob.from_api)

    # -- paging ------------------------------------------------------------------------------

    async def iter_company_recordings(self, filters: RecordingFilter) -> AsyncIterator[Recording]:
        first = await self.list_company_recordings(filters)
        async for item in self._follow(first, "recordings", _company_parser()):
            yield item

    async def iter_user_recordings(
        self, user_id: int | str, filters: RecordingFilter
    ) -> AsyncIterator[Recording]:
        first = await self.list_user_recordings(user_id, filters)
        async for item in self._follow(first, "recordings", _on_demand_parser(str(user_id))):
            yield item

    async def follow_page(
        self, url: str, key: str, parse: Callable[[Mapping[str, Any]], T]
    ) -> Page[T]:
        """Fetch a page by a ``_links`` href exactly as VBC returned it."""
        data = await self._get_json(self._checked_link(url))
        return _parse(data, lambda d: Page.from_hal(d, key, parse))

    async def _follow(
        self, page: Page[T], key: str, parse: Callable[[Mapping[str, Any]], T]
    ) -> AsyncIterator[T]:
        seen = 0
        while True:
            for item in page.items:
                yield item
            seen += 1
            if not page.next_url or not page.items or seen > 10_000:
                return
            page = await self.follow_page(page.next_url, key, parse)

    # -- downloads ---------------------------------------------------------------------------

    @asynccontextmanager
    async def open_audio(self, recording: Recording) -> AsyncIterator[Download]:
        """Stream a recording's audio from its ``download_url``; never read whole."""
        if not recording.download_url:
            raise VbcNotFoundError(f"Recording {recording.id} has no audio to download.")
        async with self._stream(recording.download_url) as download:
            yield download

    @asynccontextmanager
    async def open_export(self, job: ExportJob) -> AsyncIterator[Download]:
        """Stream a finished export's zip from its ``download_url``."""
        if not job.download_url:
            raise VbcNotFoundError(f"Export {job.id} has no file yet (state: {job.status}).")
        async with self._stream(job.download_url) as download:
            yield download

    # -- provisioning ------------------------------------------------------------------------

    async def list_users(
        self,
        *,
        email: str | None = None,
        login_name: str | None = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> Page[User]:
        params = _compact(email=email, login_name=login_name, page=page, page_size=page_size)
        data = await self._get_json(f"{self._provisioning_path()}/users", params=params)
        return _parse(data, lambda d: Page.from_hal(d, "data", User.from_api))

    async def iter_users(self, *, page_size: int = 100) -> AsyncIterator[User]:
        first = await self.list_users(page_size=page_size)
        async for user in self._follow(first, "data", User.from_api):
            yield user

    async def get_user(self, user_id: int | str) -> User:
        # Provisioning documents numeric ids only; it has no "self" alias.
        if not str(user_id).isdigit():
            raise VbcNotFoundError(f"VBC user ids are numbers; {user_id!r} is not one.")
        data = await self._get_json(f"{self._provisioning_path()}/users/{user_id}")
        page = _parse(data, lambda d: Page.from_hal(d, "data", User.from_api))
        if not page.items:
            raise VbcNotFoundError(f"VBC has no user {user_id}.")
        return page.items[0]

    async def find_user_by_email(self, email: str) -> User | None:
        page = await self.list_users(email=email)
        wanted = email.strip().lower()
        matches = [u for u in page.items if (u.email or "").lower() == wanted]
        return matches[0] if matches else None

    async def list_extensions(
        self,
        *,
        page: int | None = None,
        page_size: int | None = None,
        email: str | None = None,
        login_name: str | None = None,
        phone_number: str | None = None,
    ) -> Page[Extension]:
        params = _compact(
            page=page,
            page_size=page_size,
            email=email,
            login_name=login_name,
            phone_number=phone_number,
        )
        data = await self._get_json(f"{self._provisioning_path()}/extensions", params=params)
        return _parse(data, lambda d: Page.from_hal(d, "data", Extension.from_api))

    # -- plumbing ----------------------------------------------------------------------------

    def _company_path(self) -> str:
        return f"{RECORDING_API}/accounts/{self._account}/company_call_recordings"

    def _user_path(self, user_id: int | str) -> str:
        return f"{RECORDING_API}/accounts/{self._account}/users/{user_id}/call_recordings"

    def _provisioning_path(self) -> str:
        return f"{PROVISIONING_API}/accounts/{self._account}"

    async def _create_export(self, path: str, filters: RecordingFilter) -> list[str]:
        # Never retried: a second POST could start a second export job.
        response = await self._request("POST", path, json=filters.to_json())
        body = _json(response)
        ids = body.get("job_ids") if isinstance(body, Mapping) else None
        if not isinstance(ids, list) or not ids:
            raise VbcBadResponseError("VBC accepted the export but sent no job id.")
        return [str(job_id) for job_id in ids]

    async def _get_json(
        self, path: str, *, params: Mapping[str, str] | None = None
    ) -> Mapping[str, Any]:
        body = _json(await self._request("GET", path, params=params))
        if not isinstance(body, Mapping):
            raise VbcBadResponseError("VBC sent a response we could not read (not an object).")
        return body

    async def _request(
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
    async def _stream(self, url: str) -> AsyncIterator[Download]:
        # httpx asks for gzip by default and decodes it, while Content-Length counts the
        # encoded bytes: ask for the file as stored so the length is what chunks() yields.
        request = self._http.build_request(
            "GET", self._checked_link(url), headers={"Accept-Encoding": "identity"}
        )
        response = await self._send(request, stream=True)
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

    async def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        retryable = request.method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            attempt += 1
            response: httpx.Response | None = None
            failure: Exception | None = None
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TimeoutException as exc:
                failure = exc
            except httpx.TransportError as exc:
                failure = exc
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

    def _checked_link(self, url: str) -> str:
        """Follow VBC's links, but never send the token to another host."""
        if url.startswith("/") and not url.startswith("//"):
            return url
        if _origin(url) != self._origin:
            raise VbcBadResponseError("VBC returned a link to another host; not following it.")
        return url


def _company_parser() -> Callable[[Mapping[str, Any]], Recording]:
    return lambda data: Recording.from_api(data, kind=RecordingKind.COMPANY)


def _on_demand_parser(user_id: str) -> Callable[[Mapping[str, Any]], Recording]:
    return lambda data: Recording.from_api(
        data, kind=RecordingKind.ON_DEMAND, owner_user_id=user_id
    )


def _parse(data: Mapping[str, Any], parse: Callable[[Mapping[str, Any]], T]) -> T:
    """Parse at the boundary: data of a shape we do not expect is a bad response, not a crash."""
    try:
        return parse(data)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        where = ""
        if isinstance(exc, ValidationError) and exc.errors():
            where = " in field " + ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise VbcBadResponseError(f"VBC sent data we could not read{where}.") from exc


def _compact(**values: object) -> dict[str, str]:
    return {key: str(value) for key, value in values.items() if value is not None}


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _json(response: httpx.Response) -> Any:
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

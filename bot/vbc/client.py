"""VbcClient: one method per VBC endpoint, returning models; the HTTP boundary is ``transport``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from bot.vbc.errors import VbcBadResponseError, VbcNotFoundError
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import ExportJob, Extension, Page, Recording, RecordingKind, User
from bot.vbc.operations import VbcObserver
from bot.vbc.paging import hal_page, iter_items
from bot.vbc.retry import RetryPolicy, Sleep
from bot.vbc.transport import DOWNLOAD_CHUNK, Download, VbcTransport, read_json

__all__ = ["DOWNLOAD_CHUNK", "PROVISIONING_API", "RECORDING_API", "Download", "VbcClient"]

RECORDING_API = "/t/vbc.prod/call_recording/api"
PROVISIONING_API = "/t/vbc.prod/provisioning/api"

T = TypeVar("T")


class VbcClient:
    """The VBC Call Recording and Provisioning APIs over one shared ``httpx.AsyncClient``.

    The http client carries base URL, auth (``VbcAuth``), timeouts and User-Agent; this class
    adds paths and models, and ``VbcTransport`` the retries and the mapping to ``VbcError``.
    ``auth``, when given, is used instead of the http client's (see ``with_auth``).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        account_id: str = "self",
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        auth: httpx.Auth | None = None,
        observe: VbcObserver | None = None,
    ) -> None:
        self._http = http
        self._retry = retry
        self._sleep = sleep
        self._observe = observe
        self._vbc = VbcTransport(http, retry=retry, sleep=sleep, auth=auth, observe=observe)
        self._account = account_id

    def with_auth(self, auth: httpx.Auth) -> VbcClient:
        """The same API over the same connection pool, signed in with ``auth`` instead."""
        return VbcClient(
            self._http,
            account_id=self._account,
            retry=self._retry,
            sleep=self._sleep,
            auth=auth,
            observe=self._observe,
        )

    @property
    def account_id(self) -> str:
        return self._account

    # -- company call recordings -------------------------------------------------------------

    async def list_company_recordings(self, filters: RecordingFilter) -> Page[Recording]:
        return await self._vbc.get(
            self._company_path(),
            hal_page("recordings", _company_parser()),
            params=filters.to_query(),
        )

    async def get_company_recording(self, recording_id: int | str) -> Recording:
        return await self._vbc.get(f"{self._company_path()}/{recording_id}", _company_parser())

    async def delete_company_recording(self, recording_id: int | str) -> None:
        await self._vbc.request("DELETE", f"{self._company_path()}/{recording_id}")

    async def export_company_recordings(self, filters: RecordingFilter) -> list[str]:
        return await self._create_export(f"{self._company_path()}/export", filters)

    # -- on-demand call recordings -----------------------------------------------------------

    async def list_user_recordings(
        self, user_id: int | str, filters: RecordingFilter
    ) -> Page[Recording]:
        return await self._vbc.get(
            self._user_path(user_id),
            hal_page("recordings", _on_demand_parser(str(user_id))),
            params=filters.to_query(),
        )

    async def get_user_recording(self, user_id: int | str, recording_id: int | str) -> Recording:
        path = f"{self._user_path(user_id)}/{recording_id}"
        return await self._vbc.get(path, _on_demand_parser(str(user_id)))

    async def delete_user_recording(self, user_id: int | str, recording_id: int | str) -> None:
        await self._vbc.request("DELETE", f"{self._user_path(user_id)}/{recording_id}")

    async def export_user_recordings(
        self, user_id: int | str, filters: RecordingFilter
    ) -> list[str]:
        return await self._create_export(f"{self._user_path(user_id)}/export", filters)

    # -- export jobs -------------------------------------------------------------------------

    async def list_export_jobs(
        self, user_id: int | str = "self", *, status: str | None = None
    ) -> Page[ExportJob]:
        params = {"status": status} if status else None
        path = f"{self._user_path(user_id)}/jobs"
        return await self._vbc.get(path, hal_page("jobs", ExportJob.from_api), params=params)

    async def get_export_job(self, job_id: str, user_id: int | str = "self") -> ExportJob:
        return await self._vbc.get(f"{self._user_path(user_id)}/jobs/{job_id}", ExportJob.from_api)

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
        return await self._vbc.get(self._vbc.checked_link(url), hal_page(key, parse))

    def _follow(
        self, first: Page[T], key: str, parse: Callable[[Mapping[str, Any]], T]
    ) -> AsyncIterator[T]:
        return iter_items(first, lambda url: self.follow_page(url, key, parse))

    # -- downloads ---------------------------------------------------------------------------

    @asynccontextmanager
    async def open_audio(self, recording: Recording) -> AsyncIterator[Download]:
        """Stream a recording's audio from its ``download_url``; never read whole."""
        if not recording.download_url:
            raise VbcNotFoundError(f"Recording {recording.id} has no audio to download.")
        async with self._vbc.stream(recording.download_url) as download:
            yield download

    @asynccontextmanager
    async def open_export(self, job: ExportJob) -> AsyncIterator[Download]:
        """Stream a finished export's zip from its ``download_url``."""
        if not job.download_url:
            raise VbcNotFoundError(f"Export {job.id} has no file yet (state: {job.status}).")
        async with self._vbc.stream(job.download_url) as download:
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
        path = f"{self._provisioning_path()}/users"
        return await self._vbc.get(path, hal_page("data", User.from_api), params=params)

    async def iter_users(self, *, page_size: int = 100) -> AsyncIterator[User]:
        first = await self.list_users(page_size=page_size)
        async for user in self._follow(first, "data", User.from_api):
            yield user

    async def get_user(self, user_id: int | str) -> User:
        # Provisioning documents numeric ids only; it has no "self" alias.
        if not str(user_id).isdigit():
            raise VbcNotFoundError(f"VBC user ids are numbers; {user_id!r} is not one.")
        path = f"{self._provisioning_path()}/users/{user_id}"
        page = await self._vbc.get(path, hal_page("data", User.from_api))
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
        path = f"{self._provisioning_path()}/extensions"
        return await self._vbc.get(path, hal_page("data", Extension.from_api), params=params)

    # -- shared by the endpoints -------------------------------------------------------------

    def _company_path(self) -> str:
        return f"{RECORDING_API}/accounts/{self._account}/company_call_recordings"

    def _user_path(self, user_id: int | str) -> str:
        return f"{RECORDING_API}/accounts/{self._account}/users/{user_id}/call_recordings"

    def _provisioning_path(self) -> str:
        return f"{PROVISIONING_API}/accounts/{self._account}"

    async def _create_export(self, path: str, filters: RecordingFilter) -> list[str]:
        # Never retried: a second POST could start a second export job.
        body = read_json(await self._vbc.request("POST", path, json=filters.to_json()))
        ids = body.get("job_ids") if isinstance(body, Mapping) else None
        if not isinstance(ids, list) or not ids:
            raise VbcBadResponseError("VBC accepted the export but sent no job id.")
        return [str(job_id) for job_id in ids]


def _company_parser() -> Callable[[Mapping[str, Any]], Recording]:
    return lambda data: Recording.from_api(data, kind=RecordingKind.COMPANY)


def _on_demand_parser(user_id: str) -> Callable[[Mapping[str, Any]], Recording]:
    return lambda data: Recording.from_api(
        data, kind=RecordingKind.ON_DEMAND, owner_user_id=user_id
    )


def _compact(**values: object) -> dict[str, str]:
    return {key: str(value) for key, value in values.items() if value is not None}

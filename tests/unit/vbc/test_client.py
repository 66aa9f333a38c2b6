"""VbcClient over httpx.MockTransport: exact paths and wire names, paging, retries, errors."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.vbc.auth import TokenEndpoint, TokenSet, VbcAuth, VbcCredentials
from bot.vbc.client import VbcClient
from bot.vbc.errors import (
    VbcBadResponseError,
    VbcError,
    VbcForbiddenError,
    VbcNotFoundError,
    VbcRateLimitedError,
    VbcUnavailableError,
)
from bot.vbc.filter import Direction, RecordingFilter
from bot.vbc.models import ExportJob, Recording, RecordingKind
from bot.vbc.retry import RetryPolicy
from tests.fakes.vbc_router import Handler, PathParams, VbcRouter

API = "https://api.vonage.com"
CR = "/t/vbc.prod/call_recording/api/accounts/self"
COMPANY = CR + "/company_call_recordings"
ODC = CR + "/users/745249/call_recordings"
JOBS = CR + "/users/self/call_recordings/jobs"
PROV = "/t/vbc.prod/provisioning/api/accounts/self"
AUDIO = "/t/vbc.prod/call_recording/api/audio/recording/193228"
ACCESS = "access-SECRET-7f3a9c"
REFRESH = "refresh-SECRET-51b2"
CREDS = VbcCredentials("client-id", "client-SECRET-x", "bot@example.com", "password-SECRET-y")
SECRETS = (ACCESS, REFRESH, CREDS.client_secret, "password-SECRET-y")


def reply(
    status: int = 200,
    json: Any = None,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> Handler:
    def answer(_request: httpx.Request, _path: PathParams) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content, headers=headers)
        return httpx.Response(status, json=json, headers=headers)

    return answer


def fail(exc_type: type[httpx.TransportError]) -> Handler:
    def answer(request: httpx.Request, _path: PathParams) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return answer


def recording(rec_id: int = 193228, **extra: Any) -> dict[str, Any]:
    return {
        "id": rec_id,
        "start": "2019-01-01T00:00:00+0000",
        "caller_id": "17325550100",
        "download_url": f"{API}/t/vbc.prod/call_recording/api/audio/recording/{rec_id}",
        "file_size_in_bytes": 12,
        "_links": {"self": {"href": f"{API}{COMPANY}/{rec_id}"}},
        **extra,
    }


def hal(key: str, rows: list[Any], *, next_href: str | None = None, page: int = 1) -> Any:
    links = {"self": {"href": f"{API}{COMPANY}?page={page}"}}
    if next_href:
        links["next"] = {"href": next_href}
    return {
        "_embedded": {key: rows},
        "_links": links,
        "page": page,
        "page_size": len(rows),
        "total_items": 99,
        "total_pages": 9,
    }


class Sleeps:
    """An injected sleep that records the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@dataclass
class Harness:
    router: VbcRouter
    sleeps: Sleeps
    http: httpx.AsyncClient
    vbc: VbcClient


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    router, sleeps = VbcRouter(host="api.vonage.com"), Sleeps()

    def clock() -> float:
        return 1000.0

    http = httpx.AsyncClient(base_url=API, transport=httpx.MockTransport(router))
    endpoint = TokenEndpoint(http, f"{API}/token", CREDS, clock)
    tokens = TokenSet(ACCESS, REFRESH, expires_at=10**9)
    http.auth = VbcAuth(endpoint, clock=clock, tokens=tokens)
    vbc = VbcClient(http, retry=RetryPolicy(rng=random.Random(7)), sleep=sleeps)
    yield Harness(router, sleeps, http, vbc)
    await http.aclose()
    router.assert_no_unexpected()


FULL = RecordingFilter(
    call_direction=Direction.INBOUND,
    call_id="c91150a6-8cc4-4e73-9fef-17fd925c6448",
    caller_id="17325550100",
    cnam="JOHN SMITH",
    dnis="17325550101",
    duration_gte=60000,
    duration_lte=120000,
    extension="999",
    start_gte=datetime(2019, 1, 1, tzinfo=UTC),
    start_lte=datetime(2019, 1, 31, 23, 59, 59, tzinfo=UTC),
    order="start:ASC",
    page=2,
    page_size=25,
)
FULL_WIRE = {
    "call_direction": "INBOUND",
    "call_id": "c91150a6-8cc4-4e73-9fef-17fd925c6448",
    "caller_id": "17325550100",
    "cnam": "JOHN SMITH",
    "dnis": "17325550101",
    "duration:gte": "60000",
    "duration:lte": "120000",
    "extension": "999",
    "start:gte": "2019-01-01T00:00:00+0000",
    "start:lte": "2019-01-31T23:59:59+0000",
    "order": "start:ASC",
    "page": "2",
    "page_size": "25",
}


# Endpoints: exact paths, wire names, parsed models ------------------------------------------
async def test_list_company_recordings_sends_every_filter_by_its_wire_name(h: Harness) -> None:
    h.router.add("GET", COMPANY, reply(json=hal("recordings", [recording(1), recording(2)])))
    page = await h.vbc.list_company_recordings(FULL)
    (sent,) = h.router.requests
    assert dict(sent.url.params) == FULL_WIRE
    assert b"%2B0000" in sent.url.query  # a bare "+" would arrive as a space
    assert sent.headers["Authorization"] == f"Bearer {ACCESS}"
    assert [r.id for r in page.items] == [1, 2]
    assert all(r.kind is RecordingKind.COMPANY for r in page.items)
    assert (page.total_items, page.total_pages) == (99, 9)


async def test_an_empty_filter_sends_no_parameters(h: Harness) -> None:
    h.router.add("GET", COMPANY, reply(json=hal("recordings", [])))
    page = await h.vbc.list_company_recordings(RecordingFilter())
    assert h.router.requests[0].url.query == b""
    assert page.items == []


async def test_single_company_recording_get_and_delete(h: Harness) -> None:
    h.router.add("GET", f"{COMPANY}/193228", reply(json=recording()))
    h.router.add("DELETE", f"{COMPANY}/193228", reply(204, content=b""))
    rec = await h.vbc.get_company_recording(193228)
    assert rec.start == datetime(2019, 1, 1, tzinfo=UTC)
    assert rec.kind is RecordingKind.COMPANY
    await h.vbc.delete_company_recording("193228")
    assert [r.method for r in h.router.requests] == ["GET", "DELETE"]


async def test_company_export_posts_the_filters_as_json(h: Harness) -> None:
    h.router.add("POST", f"{COMPANY}/export", reply(202, {"job_ids": ["j-1", "j-2"]}))
    assert await h.vbc.export_company_recordings(FULL) == ["j-1", "j-2"]
    (sent,) = h.router.requests
    assert sent.headers["Content-Type"] == "application/json"
    body = httpx.Response(200, content=sent.content).json()
    assert body == {
        k: (int(v) if k.startswith("duration") else v)
        for k, v in FULL_WIRE.items()
        if k not in {"order", "page", "page_size"}
    }


async def test_on_demand_endpoints_use_the_user_path(h: Harness) -> None:
    h.router.add("GET", ODC, reply(json=hal("recordings", [recording(5)])))
    h.router.add("GET", f"{ODC}/5", reply(json=recording(5)))
    h.router.add("DELETE", f"{ODC}/5", reply(204, content=b""))
    h.router.add("POST", f"{ODC}/export", reply(202, {"job_ids": ["j-9"]}))
    page = await h.vbc.list_user_recordings(745249, RecordingFilter(extension="101"))
    assert dict(h.router.requests[0].url.params) == {"extension": "101"}
    assert page.items[0].kind is RecordingKind.ON_DEMAND
    assert page.items[0].owner_user_id == "745249"
    one = await h.vbc.get_user_recording("745249", 5)
    assert (one.kind, one.owner_user_id) == (RecordingKind.ON_DEMAND, "745249")
    await h.vbc.delete_user_recording(745249, 5)
    assert await h.vbc.export_user_recordings(745249, RecordingFilter(cnam="X")) == ["j-9"]
    assert h.router.requests[-1].content == b'{"cnam":"X"}'


async def test_export_jobs_list_and_get(h: Harness) -> None:
    job = {"id": "j-1", "status": "in_progress", "files_completed": 1, "files_total": 3}
    h.router.add("GET", JOBS, reply(json={"_embedded": {"jobs": [job]}}))
    h.router.add("GET", f"{JOBS}/j-1", reply(json=job))
    page = await h.vbc.list_export_jobs(status="in_progress")
    assert dict(h.router.requests[0].url.params) == {"status": "in_progress"}
    assert [(j.id, j.is_finished) for j in page.items] == [("j-1", False)]
    await h.vbc.list_export_jobs()
    assert h.router.requests[1].url.query == b""
    got = await h.vbc.get_export_job("j-1")
    assert (got.files_completed, got.files_total) == (1, 3)


def user(uid: int, email: str) -> dict[str, Any]:
    return {"id": uid, "email": email, "extensions": [{"extension_number": "101"}]}


async def test_provisioning_users(h: Harness) -> None:
    h.router.add(
        "GET",
        f"{PROV}/users",
        reply(json={"_embedded": {"data": [user(1, "Other@Example.com"), user(2, "a@b.c")]}}),
    )
    h.router.add("GET", f"{PROV}/users/2", reply(json={"_embedded": {"data": user(2, "a@b.c")}}))
    page = await h.vbc.list_users(email="a@b.c", login_name="ab", page=2, page_size=50)
    assert dict(h.router.requests[0].url.params) == {
        "email": "a@b.c",
        "login_name": "ab",
        "page": "2",
        "page_size": "50",
    }
    assert [u.id for u in page.items] == [1, 2]
    found = await h.vbc.find_user_by_email("  A@B.C ")
    assert found is not None
    assert found.id == 2
    assert (await h.vbc.get_user(2)).extension_numbers == ["101"]


async def test_find_user_by_email_ignores_near_matches(h: Harness) -> None:
    h.router.add("GET", f"{PROV}/users", reply(json={"_embedded": {"data": [user(1, "ab@c.d")]}}))
    assert await h.vbc.find_user_by_email("b@c.d") is None


async def test_get_user_needs_a_numeric_id_and_sends_nothing_otherwise(h: Harness) -> None:
    with pytest.raises(VbcNotFoundError, match="numbers"):
        await h.vbc.get_user("self")
    assert h.router.requests == []


async def test_get_user_with_nothing_embedded_is_not_found(h: Harness) -> None:
    h.router.add("GET", f"{PROV}/users/3", reply(json={"_embedded": {}}))
    with pytest.raises(VbcNotFoundError, match="no user 3"):
        await h.vbc.get_user(3)


async def test_provisioning_extensions(h: Harness) -> None:
    ext = {"extension_number": "101", "user": {"id": 1}, "external_id": "3001001"}
    h.router.add("GET", f"{PROV}/extensions", reply(json={"_embedded": {"data": [ext]}}))
    page = await h.vbc.list_extensions(page=1, page_size=10, phone_number="17325550100")
    assert dict(h.router.requests[0].url.params) == {
        "page": "1",
        "page_size": "10",
        "phone_number": "17325550100",
    }
    assert page.items[0].user is not None
    assert page.items[0].user.id == 1


# Paging ----------------------------------------------------------------------------------------
async def test_iterator_follows_next_links_exactly_as_returned(h: Harness) -> None:
    second = f"{API}{COMPANY}?page=2&page_size=2&cursor=a%2Bb&start%3Agte=x"
    third = f"{COMPANY}?page=3&page_size=2&cursor=c"  # a relative link is followed too
    h.router.add(
        "GET",
        COMPANY,
        reply(json=hal("recordings", [recording(1), recording(2)], next_href=second)),
        reply(json=hal("recordings", [recording(3), recording(4)], next_href=third, page=2)),
        reply(json=hal("recordings", [recording(5)], page=3)),
    )
    ids = [r.id async for r in h.vbc.iter_company_recordings(RecordingFilter(page_size=2))]
    assert ids == [1, 2, 3, 4, 5]
    urls = [str(r.url) for r in h.router.requests]
    assert urls == [f"{API}{COMPANY}?page_size=2", second, API + third]


async def test_iterator_stops_on_an_empty_page_even_with_a_next_link(h: Harness) -> None:
    h.router.add("GET", ODC, reply(json=hal("recordings", [], next_href=f"{API}{ODC}?page=2")))
    assert [r async for r in h.vbc.iter_user_recordings(745249, RecordingFilter())] == []
    assert len(h.router.requests) == 1


async def test_iter_users_follows_provisioning_links(h: Harness) -> None:
    nxt = {"next": {"href": f"{API}{PROV}/users?page=2&page_size=1"}}
    h.router.add(
        "GET",
        f"{PROV}/users",
        reply(json={"_embedded": {"data": [user(1, "a@x")]}, "_links": nxt}),
        reply(json={"_embedded": {"data": [user(2, "b@x")]}}),
    )
    assert [u.id async for u in h.vbc.iter_users(page_size=1)] == [1, 2]
    assert h.router.requests[1].url.params["page"] == "2"


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/t/vbc.prod/call_recording/api/accounts/self/company_call_recordings",
        f"http://api.vonage.com{COMPANY}?page=2",  # a downgrade to plain HTTP is another origin
        f"https://api.vonage.com:8443{COMPANY}?page=2",
    ],
)
async def test_links_to_another_origin_are_refused(h: Harness, link: str) -> None:
    h.router.add("GET", COMPANY, reply(json=hal("recordings", [recording(1)], next_href=link)))
    seen: list[int] = []
    with pytest.raises(VbcBadResponseError, match="another host"):
        await collect(h.vbc.iter_company_recordings(RecordingFilter()), seen)
    assert seen == [1]
    assert len(h.router.requests) == 1


async def test_a_scheme_relative_link_never_leaves_the_api_host(h: Harness) -> None:
    link = "//evil.example/steal?page=2"
    h.router.add("GET", COMPANY, reply(json=hal("recordings", [recording(1)], next_href=link)))
    h.router.add("GET", "/steal", reply(json=hal("recordings", [])))
    with pytest.raises(VbcBadResponseError, match="another host"):
        await h.vbc.follow_page(link, "recordings", Recording.model_validate)
    assert all(r.url.host == "api.vonage.com" for r in h.router.requests)


# Downloads -------------------------------------------------------------------------------------
class ChunkStream(httpx.AsyncByteStream):
    """A body that arrives in pieces and may break off after them."""

    def __init__(self, chunks: list[bytes], *, then: Exception | None = None) -> None:
        self.chunks, self.then = chunks, then

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.then is not None:
            raise self.then


def audio_reply(chunks: list[bytes], *, then: Exception | None = None) -> Handler:
    size = str(sum(map(len, chunks)))
    headers = {"Content-Type": "audio/mpeg", "Content-Length": size}
    return lambda _request, _path: httpx.Response(
        200, headers=headers, stream=ChunkStream(chunks, then=then)
    )


async def collect(items: AsyncIterator[Recording], into: list[int]) -> None:
    async for rec in items:
        into.append(rec.id)


async def drain(vbc: VbcClient, rec: Recording) -> None:
    async with vbc.open_audio(rec) as download:
        async for _chunk in download.chunks():
            pass


def audio_recording(url: str | None = f"{API}{AUDIO}") -> Recording:
    return Recording.from_api(recording(download_url=url), kind=RecordingKind.COMPANY)


async def test_with_auth_signs_in_as_someone_else_over_the_same_pool(h: Harness) -> None:
    """A person's own login: their bearer on every request (downloads and retries too), the
    integration user's stays on the original client, one pool for both."""
    h.router.add("GET", ODC, reply(503), reply(json=hal("recordings", [recording(1)])))
    h.router.add("GET", AUDIO, audio_reply([b"ID3", b"abc", b"defghi"]))
    h.router.add("GET", COMPANY, reply(json=hal("recordings", [])))
    own = TokenSet("own-SECRET-access", None, expires_at=10**9)
    endpoint = TokenEndpoint(h.http, f"{API}/token", CREDS, lambda: 1000.0)
    person = h.vbc.with_auth(VbcAuth(endpoint, tokens=own, use_password=False))
    await person.list_user_recordings(745249, RecordingFilter())
    await drain(person, audio_recording())
    await h.vbc.list_company_recordings(RecordingFilter())
    bearers = [(r.url.path, r.headers["Authorization"]) for r in h.router.requests]
    assert bearers == [
        (ODC, "Bearer own-SECRET-access"),
        (ODC, "Bearer own-SECRET-access"),
        (AUDIO, "Bearer own-SECRET-access"),
        (COMPANY, f"Bearer {ACCESS}"),
    ]
    assert h.sleeps.delays  # the same retry policy and sleep
    assert person.account_id == h.vbc.account_id


async def test_open_audio_streams_from_the_download_url(h: Harness) -> None:
    h.router.add("GET", AUDIO, audio_reply([b"ID3", b"abc", b"defghi"]))
    async with h.vbc.open_audio(audio_recording()) as download:
        assert (download.length, download.content_type) == (12, "audio/mpeg")
        body = b"".join([chunk async for chunk in download.chunks(4)])
    assert body == b"ID3abcdefghi"
    assert h.router.requests[0].headers["Authorization"] == f"Bearer {ACCESS}"


async def test_audio_on_another_host_is_refused_without_a_request(h: Harness) -> None:
    with pytest.raises(VbcBadResponseError, match="another host"):
        async with h.vbc.open_audio(audio_recording("https://cdn.example/a.mp3")):
            pass
    with pytest.raises(VbcNotFoundError, match="no audio"):
        async with h.vbc.open_audio(audio_recording(None)):
            pass
    assert h.router.requests == []


async def test_a_download_that_breaks_off_is_unavailable(h: Harness) -> None:
    h.router.add("GET", AUDIO, audio_reply([b"ID3"], then=httpx.ReadError("reset")))
    with pytest.raises(VbcUnavailableError, match="broke off"):
        await drain(h.vbc, audio_recording())


async def test_a_download_that_stalls_is_unavailable(h: Harness) -> None:
    h.router.add("GET", AUDIO, audio_reply([b"ID3"], then=httpx.ReadTimeout("slow")))
    with pytest.raises(VbcUnavailableError, match="timed out"):
        await drain(h.vbc, audio_recording())


async def test_missing_audio_is_not_found(h: Harness) -> None:
    h.router.add("GET", AUDIO, reply(404, {"error": "not_found"}))
    with pytest.raises(VbcNotFoundError, match="that file"):
        async with h.vbc.open_audio(audio_recording()):
            pass


async def test_open_export_streams_a_finished_job_only(h: Harness) -> None:
    path = "/t/vbc.prod/call_recording/api/bulkDownload/retrieve"
    h.router.add("GET", path, lambda _r, _p: httpx.Response(200, content=b"PK\x03\x04zip"))
    done = ExportJob.from_api(
        {"id": "j", "status": "complete", "download_url": f"{API}{path}?jobId=j"}
    )
    async with h.vbc.open_export(done) as download:
        assert b"".join([c async for c in download.chunks()]) == b"PK\x03\x04zip"
    assert h.router.requests[0].url.params["jobId"] == "j"
    with pytest.raises(VbcNotFoundError, match="in_progress"):
        async with h.vbc.open_export(ExportJob.from_api({"id": "k", "status": "in_progress"})):
            pass


# Retries ---------------------------------------------------------------------------------------
async def test_429_waits_as_long_as_retry_after_says(h: Harness) -> None:
    h.router.add(
        "GET",
        COMPANY,
        reply(429, {"error": "slow down"}, headers={"Retry-After": "3"}),
        reply(json=hal("recordings", [recording(1)])),
    )
    page = await h.vbc.list_company_recordings(RecordingFilter())
    assert [r.id for r in page.items] == [1]
    assert h.sleeps.delays == [3.0]


async def test_retry_after_as_an_http_date(h: Harness) -> None:
    headers = {
        "Retry-After": "Tue, 01 Jan 2019 00:00:05 GMT",
        "Date": "Tue, 01 Jan 2019 00:00:00 GMT",
    }
    h.router.add("GET", COMPANY, reply(503, headers=headers), reply(json=hal("recordings", [])))
    await h.vbc.list_company_recordings(RecordingFilter())
    assert h.sleeps.delays == [5.0]


async def test_5xx_backs_off_exponentially_then_succeeds(h: Harness) -> None:
    h.router.add(
        "GET",
        f"{COMPANY}/1",
        reply(503),
        reply(502, content=b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}),
        reply(504),
        reply(json=recording(1)),
    )
    assert (await h.vbc.get_company_recording(1)).id == 1
    first, second, third = h.sleeps.delays
    assert 0.125 <= first <= 0.25
    assert 0.25 <= second <= 0.5
    assert 0.5 <= third <= 1.0


async def test_attempts_are_bounded(h: Harness) -> None:
    h.router.add("GET", COMPANY, reply(500, {"error": "boom"}))
    with pytest.raises(VbcUnavailableError, match="HTTP 500") as caught:
        await h.vbc.list_company_recordings(RecordingFilter())
    assert caught.value.status == 500
    assert h.router.count("GET", COMPANY) == 4
    assert len(h.sleeps.delays) == 3


async def test_rate_limit_that_persists_reports_retry_after(h: Harness) -> None:
    h.router.add("GET", COMPANY, reply(429, headers={"Retry-After": "2"}))
    with pytest.raises(VbcRateLimitedError) as caught:
        await h.vbc.list_company_recordings(RecordingFilter())
    assert caught.value.retry_after == 2.0
    assert h.sleeps.delays == [2.0, 2.0, 2.0]


async def test_a_retry_after_too_long_to_wait_is_reported_not_slept(h: Harness) -> None:
    h.router.add("GET", COMPANY, reply(429, headers={"Retry-After": "120"}))
    with pytest.raises(VbcRateLimitedError) as caught:
        await h.vbc.list_company_recordings(RecordingFilter())
    assert caught.value.retry_after == 120.0
    assert h.sleeps.delays == []
    assert len(h.router.requests) == 1


async def test_timeouts_are_retried_then_unavailable(h: Harness) -> None:
    h.router.add("GET", COMPANY, fail(httpx.ReadTimeout))
    with pytest.raises(VbcUnavailableError, match="did not answer in time") as caught:
        await h.vbc.list_company_recordings(RecordingFilter())
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert len(h.router.requests) == 4


async def test_a_timeout_then_success(h: Harness) -> None:
    h.router.add("GET", f"{COMPANY}/1", fail(httpx.ConnectTimeout), reply(json=recording(1)))
    assert (await h.vbc.get_company_recording(1)).id == 1
    assert len(h.sleeps.delays) == 1


async def test_connection_failures_are_unavailable(h: Harness) -> None:
    h.router.add("GET", COMPANY, fail(httpx.ConnectError))
    with pytest.raises(VbcUnavailableError, match=r"Could not reach VBC \(ConnectError\)"):
        await h.vbc.list_company_recordings(RecordingFilter())


async def test_delete_is_idempotent_and_retried(h: Harness) -> None:
    h.router.add("DELETE", f"{COMPANY}/1", reply(503), reply(204, content=b""))
    await h.vbc.delete_company_recording(1)
    assert h.router.count("DELETE", f"{COMPANY}/1") == 2


@pytest.mark.parametrize(
    "answer",
    [reply(503), reply(429, headers={"Retry-After": "1"}), fail(httpx.ReadTimeout)],
    ids=["503", "429", "timeout"],
)
async def test_the_export_post_is_never_retried(h: Harness, answer: Handler) -> None:
    h.router.add("POST", f"{COMPANY}/export", answer)
    h.router.add("POST", f"{ODC}/export", answer)
    with pytest.raises((VbcUnavailableError, VbcRateLimitedError)):
        await h.vbc.export_company_recordings(RecordingFilter())
    with pytest.raises((VbcUnavailableError, VbcRateLimitedError)):
        await h.vbc.export_user_recordings(745249, RecordingFilter())
    assert len(h.router.requests) == 2
    assert h.sleeps.delays == []


# Errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (404, VbcNotFoundError, "could not find that recording"),
        (403, VbcForbiddenError, "does not allow the bot to read that recording"),
        (400, VbcBadResponseError, "refused the request for that recording (HTTP 400)"),
        (410, VbcBadResponseError, "HTTP 410"),
    ],
)
async def test_client_errors_map_to_the_family_without_retry(
    h: Harness, status: int, error: type[VbcError], words: str
) -> None:
    h.router.add("GET", f"{COMPANY}/9", reply(status, {"error": "x"}))
    with pytest.raises(error) as caught:
        await h.vbc.get_company_recording(9)
    assert words in str(caught.value)
    assert caught.value.status == status
    assert len(h.router.requests) == 1
    assert h.sleeps.delays == []


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (reply(content=b'{"_embedded": {"recordings": [{"id": 1'), "malformed or truncated JSON"),
        (reply(content=b"not json at all"), "malformed or truncated JSON"),
        (reply(content=b""), "malformed or truncated JSON"),
        (reply(content=b"\xff\xfe\x00garbage"), "malformed or truncated JSON"),
        (
            reply(
                content=b"<html><body>Login</body></html>", headers={"Content-Type": "text/html"}
            ),
            "HTML page instead of data (HTTP 200)",
        ),
        (reply(json=[1, 2, 3]), "not an object"),
        (reply(json={"_embedded": {"recordings": [{"no_id": 1}]}}), "could not read"),
        (reply(json={"_embedded": {"recordings": [{"id": 1, "start": "soon"}]}}), "could not read"),
        (reply(json={"page": "first"}), "could not read"),
    ],
    ids=["truncated", "text", "empty", "binary", "html", "array", "no-id", "bad-time", "bad-page"],
)
async def test_unreadable_answers_are_bad_responses(
    h: Harness, answer: Handler, words: str
) -> None:
    h.router.add("GET", COMPANY, answer)
    with pytest.raises(VbcBadResponseError) as caught:
        await h.vbc.list_company_recordings(RecordingFilter())
    message = str(caught.value)
    assert words in message
    assert message.startswith("VBC ")
    assert "\n" not in message
    assert len(message) < 160


async def test_export_without_job_ids_is_a_bad_response(h: Harness) -> None:
    h.router.add("POST", f"{COMPANY}/export", reply(202, {"job_ids": []}))
    with pytest.raises(VbcBadResponseError, match="no job id"):
        await h.vbc.export_company_recordings(RecordingFilter())


async def test_no_secret_in_logs_errors_or_reprs(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h.router.add("GET", COMPANY, reply(503), fail(httpx.ReadTimeout), reply(500))
    h.router.add("GET", f"{COMPANY}/1", reply(403))
    h.router.add(
        "POST", f"{COMPANY}/export", reply(content=b"<html>", headers={"Content-Type": "text/html"})
    )
    caught: list[VbcError] = []
    for call in (
        h.vbc.list_company_recordings(RecordingFilter()),
        h.vbc.get_company_recording(1),
        h.vbc.export_company_recordings(RecordingFilter()),
    ):
        with pytest.raises(VbcError) as info:
            await call
        caught.append(info.value)
    assert "retry" in caplog.text  # the retries were logged...
    texts = [caplog.text, repr(h.http.auth), repr(CREDS)]
    texts += [f"{e!s} {e!r} {e.__cause__!r}" for e in caught]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text  # ...but never a secret

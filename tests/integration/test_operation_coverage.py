"""Every Call Recording operation (and the Provisioning user/extension ones) is exercised.

The tour runs inside the test, through the spec recorder, so the verdict does not depend on
which other tests ran or in what order.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.vbc.auth import TokenEndpoint, VbcAuth, VbcCredentials
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcNotFoundError
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import ExportJob
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    RunningSimulator,
    start_simulator,
)
from tests.fakes import wait_until
from tests.openapi_check import OpenApiCheck, SpecRecorder

PROVISIONING_USED = {
    "UserCtrl.getUsers",
    "UserCtrl.getUserByID",
    "ExtensionCtrl.getAccountExtensions",
}
COMPANY = "/t/vbc.prod/call_recording/api/accounts/self/company_call_recordings"


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    running = await start_simulator(job_seconds=0.2)
    yield running
    await running.close()


@pytest.fixture
async def toured() -> AsyncIterator[tuple[SpecRecorder, httpx.AsyncClient]]:
    recorder = SpecRecorder()
    async with httpx.AsyncClient(event_hooks={"response": [recorder]}) as http:
        yield recorder, http


def connect(http: httpx.AsyncClient, url: str) -> VbcClient:
    http.base_url = httpx.URL(url)
    creds = VbcCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERNAME, DEMO_PASSWORD)
    http.auth = VbcAuth(TokenEndpoint(http, f"{url}/token", creds, time.monotonic))
    return VbcClient(http)


async def finished(vbc: VbcClient, job_id: str, user_id: int | str) -> ExportJob:
    async def done() -> ExportJob | None:
        job = await vbc.get_export_job(job_id, user_id)
        return job if job.is_finished else None

    return await wait_until(done, timeout=10)


async def tour(vbc: VbcClient, sim: RunningSimulator) -> None:
    """One call of each operation, the smallest that proves it works."""
    company = await vbc.list_company_recordings(RecordingFilter(page_size=2))
    rec = await vbc.get_company_recording(company.items[0].id)
    (company_job,) = await vbc.export_company_recordings(RecordingFilter(call_id=rec.call_id))
    await vbc.delete_company_recording(company.items[1].id)
    member = sim.state.users[0]
    theirs = await vbc.list_user_recordings(member.id, RecordingFilter(page_size=2))
    one = await vbc.get_user_recording(member.id, theirs.items[0].id)
    (odc_job,) = await vbc.export_user_recordings(member.id, RecordingFilter(call_id=one.call_id))
    await vbc.delete_user_recording(member.id, theirs.items[1].id)
    jobs = await vbc.list_export_jobs()
    assert {j.id for j in jobs.items} == {company_job, odc_job}
    job = await finished(vbc, company_job, "self")
    async with vbc.open_export(job) as zipped:
        assert [c async for c in zipped.chunks()]
    async with vbc.open_audio(rec) as audio:
        assert [c async for c in audio.chunks()]
    users = await vbc.list_users(page_size=2)
    await vbc.get_user(users.items[0].id)
    await vbc.list_extensions(page_size=2)


async def test_every_operation_is_exercised_and_on_spec(
    sim: RunningSimulator, toured: tuple[SpecRecorder, httpx.AsyncClient]
) -> None:
    recorder, http = toured
    await tour(connect(http, sim.url), sim)
    recorder.assert_clean()
    documented = OpenApiCheck.load().operation_ids("call-recording")
    assert len(documented) == 10
    missing = documented - recorder.operations("call-recording")
    assert not missing, f"call-recording operations never exercised: {sorted(missing)}"
    assert OpenApiCheck.load().operation_ids("provisioning") >= PROVISIONING_USED
    assert recorder.operations("provisioning") >= PROVISIONING_USED
    assert {"download:audio", "download:export"} <= recorder.operations("download")
    assert recorder.operations("oauth") == {"oauth:token"}
    assert recorder.operations("unknown") == set()


# The checker itself can fail ----------------------------------------------------------------
def _check(request: httpx.Request, response: httpx.Response) -> tuple[str, ...]:
    return OpenApiCheck.load().check(request, response, response.content).problems


BEARER = {"Authorization": "Bearer t"}
GOOD_PAGE = {"_embedded": {"recordings": [{"id": 1, "start": "2019-01-01T00:00:00+0000"}]}}


def test_a_good_exchange_has_no_problems() -> None:
    request = httpx.Request("GET", f"http://127.0.0.1:9{COMPANY}?page=1", headers=BEARER)
    assert _check(request, httpx.Response(200, json=GOOD_PAGE)) == ()


@pytest.mark.parametrize(
    ("url", "headers", "body", "words"),
    [
        (f"{COMPANY}?duration_gte=5", BEARER, GOOD_PAGE, "'duration_gte' is not declared"),
        (f"{COMPANY}?start%3Agte=2019-01-01T00:00:00%2B00:00", BEARER, GOOD_PAGE, "+0000"),
        (f"{COMPANY}?start%3Agte=2019-01-01T00:00:00+0000", BEARER, GOOD_PAGE, "+0000"),
        (f"{COMPANY}?page=first", BEARER, GOOD_PAGE, "ParameterValidationError"),
        (COMPANY, {}, GOOD_PAGE, "SecurityValidationError"),
        (COMPANY, BEARER, {"_embedded": {"recordings": [{"id": "x"}]}}, "is not of type"),
        (
            COMPANY,
            BEARER,
            {"page": 1, "_embedded": {"recordings": [{"start": "2019-01-01"}]}},
            "date-time",
        ),
        ("/t/vbc.prod/call_recording/api/nothing", BEARER, {}, "no operation"),
        ("/elsewhere", BEARER, {}, "no VBC API"),
    ],
)
def test_off_spec_exchanges_are_caught(
    url: str, headers: dict[str, str], body: object, words: str
) -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9" + url, headers=headers)
    problems = _check(request, httpx.Response(200, json=body))
    assert any(words in p for p in problems), problems


def test_undocumented_statuses_are_caught_but_gateway_ones_are_not() -> None:
    request = httpx.Request("GET", f"http://127.0.0.1:9{COMPANY}", headers=BEARER)
    assert _check(request, httpx.Response(400, json={})) != ()
    for status in (401, 429, 503):
        assert _check(request, httpx.Response(status, json={})) == ()


def test_downloads_are_checked_by_path_auth_and_type_only() -> None:
    audio = "http://127.0.0.1:9/t/vbc.prod/call_recording/api/audio/recording/5"
    ok = httpx.Response(200, headers={"Content-Type": "audio/mpeg"}, content=b"ID3")
    assert _check(httpx.Request("GET", audio, headers=BEARER), ok) == ()
    assert "bearer" in _check(httpx.Request("GET", audio), ok)[0]
    html = httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<html>")
    assert "text/html" in _check(httpx.Request("GET", audio, headers=BEARER), html)[0]
    export = "http://127.0.0.1:9/t/vbc.prod/call_recording/api/bulkDownload/retrieve"
    zipped = httpx.Response(200, headers={"Content-Type": "application/zip"}, content=b"PK")
    assert "jobId" in _check(httpx.Request("GET", export, headers=BEARER), zipped)[0]


async def test_the_recorder_never_reads_a_download(sim: RunningSimulator) -> None:
    recorder = SpecRecorder()
    async with httpx.AsyncClient(event_hooks={"response": [recorder]}) as http:
        vbc = connect(http, sim.url)
        rec = await vbc.get_company_recording(sim.state.dataset.company[0].id)
        async with vbc.open_audio(rec) as audio:
            assert not audio.response.is_stream_consumed
        with pytest.raises(VbcNotFoundError):
            await vbc.get_company_recording(1)
    assert recorder.operations() == {"oauth:token", "getCCRecording", "download:audio"}
    recorder.assert_clean()

"""The real VbcClient against the VBC simulator over HTTP, every exchange checked by the spec."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import time
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.app import build_vbc
from bot.settings import Settings
from bot.vbc.auth import TokenEndpoint, TokenSet, VbcAuth, VbcCredentials
from bot.vbc.client import VbcClient
from bot.vbc.errors import (
    VbcAuthError,
    VbcBadResponseError,
    VbcForbiddenError,
    VbcNotFoundError,
    VbcRateLimitedError,
    VbcUnavailableError,
)
from bot.vbc.filter import Direction, RecordingFilter
from bot.vbc.models import ExportJob, Recording
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    JOHN_SMITH_NUMBER,
    RunningSimulator,
    start_simulator,
)
from tests.fakes import wait_until
from tests.openapi_check import SpecRecorder

USER_AGENT = "vbc-recordings-bot/0.1 (+https://github.com/vbc-recordings-bot)"
CR = "/t/vbc.prod/call_recording/api/accounts/self"
COMPANY = CR + "/company_call_recordings"
Clock = Callable[[], float]


class Sleeps:
    """The client's injected sleep: records the delays, yields once, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


@dataclass
class Bot:
    vbc: VbcClient
    http: httpx.AsyncClient
    auth: VbcAuth
    sleeps: Sleeps
    saved: list[TokenSet] = field(default_factory=list)


def build_bot(
    url: str,
    recorder: SpecRecorder,
    *,
    username: str = DEMO_USERNAME,
    timeout: float = 10.0,
    clock: Clock = time.monotonic,
    tokens: TokenSet | None = None,
) -> Bot:
    """Assembled as ``bot.app.build_vbc`` does, plus the spec recorder and an injected sleep."""
    http = httpx.AsyncClient(
        base_url=url,
        timeout=httpx.Timeout(timeout, connect=5.0),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        event_hooks={"response": [recorder]},
    )
    credentials = VbcCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, username, DEMO_PASSWORD)
    endpoint = TokenEndpoint(http, f"{url}/token", credentials, clock)
    saved: list[TokenSet] = []

    async def save(new: TokenSet) -> None:
        saved.append(new)

    http.auth = auth = VbcAuth(endpoint, clock=clock, tokens=tokens, on_tokens=save)
    sleeps = Sleeps()
    return Bot(VbcClient(http, sleep=sleeps), http, auth, sleeps, saved)


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    running = await start_simulator(job_seconds=0.3)
    yield running
    await running.close()


@pytest.fixture
async def control(sim: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.url, timeout=10) as client:
        yield client


@pytest.fixture
def recorder() -> Iterator[SpecRecorder]:
    """Checks every exchange of the test's clients; unclaimed violations fail the test."""
    checked = SpecRecorder()
    yield checked
    checked.assert_clean()


@pytest.fixture
async def bot(sim: RunningSimulator, recorder: SpecRecorder) -> AsyncIterator[Bot]:
    built = build_bot(sim.url, recorder)
    yield built
    await built.http.aclose()


async def inject(control: httpx.AsyncClient, **faults: Any) -> None:
    response = await control.post("/_sim/faults", json=faults)
    assert response.status_code == 200, response.text


async def wire_log(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await control.get("/_sim/requests")
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


def grants(log: list[dict[str, Any]]) -> list[str]:
    return [e["form"]["grant_type"] for e in log if e["path"] == "/token"]


async def finished_job(bot: Bot, job_id: str) -> ExportJob:
    async def finished() -> ExportJob | None:
        job = await bot.vbc.get_export_job(job_id)
        return job if job.is_finished else None

    return await wait_until(finished, timeout=10)


async def audio_of(bot: Bot, rec: Recording) -> tuple[str, int, int]:
    digest, size, chunks = hashlib.sha256(), 0, 0
    async with bot.vbc.open_audio(rec) as download:
        assert download.content_type == "audio/mpeg"
        assert download.length == rec.file_size_in_bytes
        async for chunk in download.chunks():
            digest.update(chunk)
            size += len(chunk)
            chunks += 1
    return digest.hexdigest(), size, chunks


async def test_the_composition_root_builds_a_working_client(
    sim: RunningSimulator, recorder: SpecRecorder
) -> None:
    settings = Settings(
        vbc_api_url=sim.url,
        vbc_client_id=DEMO_CLIENT_ID,
        vbc_client_secret=DEMO_CLIENT_SECRET,
        vbc_username=DEMO_USERNAME,
        vbc_password=DEMO_PASSWORD,
    )
    vbc, _endpoint, http = build_vbc(settings)
    recorder.install(http)
    try:
        users = await vbc.list_users(page_size=1)
        rec = await vbc.get_company_recording(sim.state.dataset.company[0].id)
        assert users.items
        assert rec.download_url is not None
        assert http.headers["User-Agent"] == USER_AGENT  # the builder above mirrors it
    finally:
        await http.aclose()
    assert recorder.operations() == {"oauth:token", "UserCtrl.getUsers", "getCCRecording"}
    recorder.assert_clean()


# Call Recording API ----------------------------------------------------------------------------
async def test_company_filters_by_wire_name(
    bot: Bot, sim: RunningSimulator, control: httpx.AsyncClient
) -> None:
    anchor = sim.state.dataset.company[0]  # John Smith called a member yesterday
    filters = RecordingFilter(
        call_direction=Direction.INBOUND,
        call_id=anchor.call_id,
        caller_id=JOHN_SMITH_NUMBER,
        cnam="john smith",
        dnis=anchor.dnis,
        extension=anchor.extensions[0],
        duration_gte=anchor.duration,
        duration_lte=anchor.duration,
        start_gte=anchor.start - timedelta(seconds=1),
        start_lte=anchor.start,
        order="start:ASC",
        page=1,
        page_size=5,
    )
    page = await bot.vbc.list_company_recordings(filters)
    assert [r.id for r in page.items] == [anchor.id]
    assert page.items[0].start == anchor.start
    (entry,) = [e for e in await wire_log(control) if e["path"] == COMPANY]
    assert entry["query"] == filters.to_query()
    assert entry["headers"]["User-Agent"] == USER_AGENT
    assert bot.sleeps.delays == []


async def test_paging_follows_links_to_the_last_page(
    bot: Bot, sim: RunningSimulator, control: httpx.AsyncClient
) -> None:
    member = sim.state.users[0]
    filters = RecordingFilter(extension=member.extension, order="start:DESC", page_size=100)
    seen = [r async for r in bot.vbc.iter_company_recordings(filters)]
    expected = [r for r in sim.state.dataset.company if member.extension in r.extensions]
    assert len(seen) == len(expected) > 200
    assert len({r.id for r in seen}) == len(seen)
    starts = [r.start for r in seen if r.start is not None]
    assert starts == sorted(starts, reverse=True)
    pages = [e["query"].get("page") for e in await wire_log(control) if e["path"] == COMPANY]
    assert pages == [None, *[str(n) for n in range(2, len(pages) + 1)]]


async def test_single_recordings_get_and_delete(
    bot: Bot, sim: RunningSimulator, recorder: SpecRecorder
) -> None:
    company = sim.state.dataset.company[5]
    rec = await bot.vbc.get_company_recording(company.id)
    assert (rec.id, rec.caller_id, rec.file_size_in_bytes) == (
        company.id,
        company.caller_id,
        company.file_size_in_bytes,
    )
    await bot.vbc.delete_company_recording(company.id)
    with pytest.raises(VbcNotFoundError, match="could not find that recording"):
        await bot.vbc.get_company_recording(company.id)

    page = await bot.vbc.list_user_recordings("self", RecordingFilter(page_size=3))
    assert len(page.items) == 3
    assert page.total_items == 50
    member = sim.state.users[1]
    theirs = await bot.vbc.list_user_recordings(member.id, RecordingFilter(page_size=2))
    one = await bot.vbc.get_user_recording(member.id, theirs.items[0].id)
    assert one.owner_user_id == str(member.id)
    assert one.id == theirs.items[0].id
    await bot.vbc.delete_user_recording(member.id, one.id)
    with pytest.raises(VbcNotFoundError):
        await bot.vbc.get_user_recording(member.id, one.id)
    assert recorder.statuses("deleteCCRecording") == [204]
    assert recorder.statuses("getODCRecording") == [200, 404]


async def test_exports_progress_and_stream_a_zip(
    bot: Bot, sim: RunningSimulator, recorder: SpecRecorder
) -> None:
    company = sim.state.dataset.company[0]
    (company_job,) = await bot.vbc.export_company_recordings(
        RecordingFilter(call_id=company.call_id)
    )
    member = sim.state.users[2]
    theirs = (await bot.vbc.list_user_recordings(member.id, RecordingFilter(page_size=1))).items
    assert theirs[0].call_id is not None
    (odc_job,) = await bot.vbc.export_user_recordings(
        member.id, RecordingFilter(call_id=theirs[0].call_id)
    )
    queued = await bot.vbc.list_export_jobs(status="queued")
    assert {j.id for j in queued.items} <= {company_job, odc_job}
    job = await finished_job(bot, company_job)
    assert job.is_complete
    assert job.download_url
    assert job.valid_until is not None
    assert {j.id for j in (await bot.vbc.list_export_jobs()).items} == {company_job, odc_job}
    buffer = io.BytesIO()
    async with bot.vbc.open_export(job) as download:
        assert download.content_type == "application/zip"
        async for chunk in download.chunks(64 * 1024):
            buffer.write(chunk)
    assert download.length in (None, buffer.tell())
    with zipfile.ZipFile(buffer) as archive:
        (info,) = archive.infolist()
        assert (info.filename, info.file_size) == (company.file_name, company.file_size_in_bytes)
        assert archive.testzip() is None
    assert recorder.statuses("download:export") == [200]


async def test_audio_streams_with_a_stable_hash_and_the_stated_length(
    bot: Bot, control: httpx.AsyncClient
) -> None:
    short = await bot.vbc.list_company_recordings(RecordingFilter(duration_lte=20_000, page_size=1))
    added = await control.post("/_sim/recordings", json={"size_bytes": 2_500_123})
    assert added.status_code == 201
    big = await bot.vbc.get_company_recording(added.json()["id"])
    for rec in (short.items[0], big):
        first, second = await audio_of(bot, rec), await audio_of(bot, rec)
        assert first == second
        assert first[1] == rec.file_size_in_bytes
    assert (await audio_of(bot, big))[2] >= 9  # 256 KiB pieces, never the whole file at once


# Provisioning ----------------------------------------------------------------------------------
async def test_provisioning_users_and_extensions(
    bot: Bot, sim: RunningSimulator, control: httpx.AsyncClient
) -> None:
    everyone = [u async for u in bot.vbc.iter_users(page_size=2)]
    assert [u.id for u in everyone] == [u.id for u in sim.state.users]
    member = sim.state.users[3]
    got = await bot.vbc.get_user(member.id)
    assert (got.email, got.extension_numbers) == (member.email, [member.extension])
    found = await bot.vbc.find_user_by_email(member.email.upper())
    assert found is not None
    assert found.id == member.id
    assert await bot.vbc.find_user_by_email("nobody@example.com") is None
    by_login = await bot.vbc.list_users(login_name=member.login_name, page=1, page_size=5)
    assert [u.id for u in by_login.items] == [member.id]
    ext = await bot.vbc.list_extensions(email=member.email, page=1, page_size=5)
    assert ext.items[0].extension_number == member.extension
    assert ext.items[0].user is not None
    assert ext.items[0].user.id == member.id
    assert (await bot.vbc.list_extensions(phone_number=member.did)).items[0].user is not None
    with pytest.raises(VbcNotFoundError):
        await bot.vbc.get_user(999)
    log_before = len(await wire_log(control))
    with pytest.raises(VbcNotFoundError):
        await bot.vbc.get_user("self")  # Provisioning documents no "self": nothing is sent
    assert len(await wire_log(control)) == log_before


# Faults: retries -------------------------------------------------------------------------------
async def test_5xx_and_429_are_retried_honouring_retry_after(
    bot: Bot, control: httpx.AsyncClient, recorder: SpecRecorder
) -> None:
    await inject(
        control,
        fail_next=[
            {"status": 503, "count": 1, "path_prefix": COMPANY},
            {"status": 429, "count": 1, "retry_after": 2, "path_prefix": COMPANY},
            {"status": 502, "count": 1, "retry_after": 0, "path_prefix": COMPANY},
        ],
    )
    page = await bot.vbc.list_company_recordings(RecordingFilter(page_size=1))
    assert len(page.items) == 1
    assert recorder.statuses("getCCRecordings") == [503, 429, 502, 200]
    backoff, retry_after, zero = bot.sleeps.delays
    assert 0.125 <= backoff <= 0.25
    assert (retry_after, zero) == (2.0, 0.0)


async def test_retries_are_bounded(bot: Bot, control: httpx.AsyncClient) -> None:
    rule = {"count": 9, "path_prefix": COMPANY}
    await inject(control, fail_next=[{**rule, "status": 500, "retry_after": 0}])
    with pytest.raises(VbcUnavailableError, match="HTTP 500"):
        await bot.vbc.list_company_recordings(RecordingFilter())
    assert len([e for e in await wire_log(control) if e["path"] == COMPANY]) == 4
    await inject(control, clear=True, fail_next=[{**rule, "status": 429, "retry_after": 60}])
    with pytest.raises(VbcRateLimitedError) as caught:
        await bot.vbc.list_company_recordings(RecordingFilter())
    assert caught.value.retry_after == 60.0  # too long to sleep through: reported instead


async def test_the_export_post_is_sent_once_whatever_happens(
    bot: Bot, control: httpx.AsyncClient
) -> None:
    export = {"status": 503, "retry_after": 0, "path_prefix": COMPANY + "/export"}
    await inject(control, fail_next=[export])
    with pytest.raises(VbcUnavailableError):
        await bot.vbc.export_company_recordings(RecordingFilter(extension="101"))
    posts = [e for e in await wire_log(control) if e["method"] == "POST" and e["path"] != "/token"]
    assert len(posts) == 1
    assert posts[0]["json"] == {"extension": "101"}
    assert bot.sleeps.delays == []


async def test_timeouts_become_unavailable(
    sim: RunningSimulator, control: httpx.AsyncClient, recorder: SpecRecorder
) -> None:
    bot = build_bot(sim.url, recorder, timeout=0.2)
    try:
        await bot.vbc.list_users()  # tokens first, without latency
        await inject(control, latency=0.5)
        started = time.monotonic()
        with pytest.raises(VbcUnavailableError, match="did not answer in time"):
            await bot.vbc.list_company_recordings(RecordingFilter())
        assert time.monotonic() - started < 3
        assert len(bot.sleeps.delays) == 3
    finally:
        await inject(control, clear=True)
        await bot.http.aclose()


# Faults: tokens --------------------------------------------------------------------------------
async def test_expired_tokens_refresh_once_and_rotate(
    bot: Bot, control: httpx.AsyncClient, recorder: SpecRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await bot.vbc.list_users()
    for _ in range(2):
        await inject(control, expire_tokens=True)
        await bot.vbc.list_users()
    log = await wire_log(control)
    assert grants(log) == ["password", "refresh_token", "refresh_token"]
    spent = [e["form"].get("refresh_token") for e in log if e["path"] == "/token"][1:]
    # Each refresh spent the token of the grant before it, never one already spent.
    assert spent == [bot.saved[0].refresh_token, bot.saved[1].refresh_token]
    assert len({t.access_token for t in bot.saved}) == 3
    assert recorder.statuses("UserCtrl.getUsers") == [200, 401, 200, 401, 200]
    issued = [secret for t in bot.saved for secret in (t.access_token, t.refresh_token)]
    for secret in [DEMO_PASSWORD, DEMO_CLIENT_SECRET, *issued]:
        assert secret
        assert secret not in caplog.text


async def test_a_proactive_refresh_sends_no_401(
    sim: RunningSimulator, control: httpx.AsyncClient, recorder: SpecRecorder
) -> None:
    now = [1000.0]
    bot = build_bot(sim.url, recorder, clock=lambda: now[0])
    try:
        await bot.vbc.list_users()
        now[0] += 86400 - 299  # within the renewal margin on the bot's clock
        await bot.vbc.list_users()
        assert grants(await wire_log(control)) == ["password", "refresh_token"]
        assert 401 not in recorder.statuses("UserCtrl.getUsers")
    finally:
        await bot.http.aclose()


async def test_twenty_concurrent_calls_after_expiry_make_one_token_request(
    bot: Bot, control: httpx.AsyncClient
) -> None:
    await bot.vbc.list_users()
    await inject(control, expire_tokens=True)
    pages = await asyncio.gather(*(bot.vbc.list_users(page=n % 3 + 1) for n in range(20)))
    assert len(pages) == 20
    assert grants(await wire_log(control)) == ["password", "refresh_token"]


async def test_a_refresh_spent_by_another_process_falls_back_to_password(
    sim: RunningSimulator, bot: Bot, control: httpx.AsyncClient, recorder: SpecRecorder
) -> None:
    await bot.vbc.list_users()
    other = build_bot(sim.url, recorder, tokens=bot.saved[-1])  # a second bot process
    try:
        await inject(control, expire_tokens=True)
        await bot.vbc.list_users()  # spends the shared refresh token
        await other.vbc.list_users()  # its refresh is rejected: password, not a lock-out
        assert grants(await wire_log(control)) == [
            "password",
            "refresh_token",
            "refresh_token",
            "password",
        ]
    finally:
        await other.http.aclose()


async def test_wrong_credentials_are_an_auth_error(
    sim: RunningSimulator, recorder: SpecRecorder
) -> None:
    bot = build_bot(sim.url, recorder, username="nobody@example.com")
    try:
        with pytest.raises(VbcAuthError, match="refused the password grant"):
            await bot.vbc.list_users()
    finally:
        await bot.http.aclose()


async def test_a_member_is_forbidden_company_recordings(
    sim: RunningSimulator, recorder: SpecRecorder
) -> None:
    member, other = sim.state.users[0], sim.state.users[1]
    bot = build_bot(sim.url, recorder, username=member.email)
    try:
        with pytest.raises(VbcForbiddenError, match="does not allow the bot to read"):
            await bot.vbc.list_company_recordings(RecordingFilter())
        with pytest.raises(VbcForbiddenError):
            await bot.vbc.list_user_recordings(other.id, RecordingFilter())
        mine = await bot.vbc.list_user_recordings("self", RecordingFilter(page_size=1))
        assert mine.items[0].owner_user_id == "self"
    finally:
        await bot.http.aclose()


# Faults: bodies --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "words"),
    [("html", "HTML page instead of data"), ("truncated_json", "malformed or truncated JSON")],
)
async def test_malformed_bodies_are_bad_responses_and_off_spec(
    bot: Bot, control: httpx.AsyncClient, recorder: SpecRecorder, kind: str, words: str
) -> None:
    await inject(control, fail_next=[{"malformed": kind, "path_prefix": COMPANY}])
    with pytest.raises(VbcBadResponseError, match=words):
        await bot.vbc.list_company_recordings(RecordingFilter(page_size=2))
    (violation,) = recorder.take_violations()  # the checker saw it too
    assert violation.operation_id == "getCCRecordings"
    assert violation.problems
    assert len((await bot.vbc.list_company_recordings(RecordingFilter(page_size=2))).items) == 2

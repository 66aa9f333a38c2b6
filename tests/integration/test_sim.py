"""The VBC simulator over real HTTP: OAuth, filters, paging, audio, exports, faults, the spec."""

from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData

from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    JOHN_SMITH_NUMBER,
    RunningSimulator,
    SimRecording,
    demo_password_form,
    start_simulator,
)
from bot.vbcsim.tokens import bearer_digest
from tests.fakes import wait_until
from tests.paths import vbc_contract

CR = "/t/vbc.prod/call_recording/api/accounts/self"
COMPANY = CR + "/company_call_recordings"
MY = CR + "/users/self/call_recordings"
PROV = "/t/vbc.prod/provisioning/api/accounts/self"
VBC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    running = await start_simulator(job_seconds=1.0)
    yield running
    await running.close()


@pytest.fixture
async def client(sim: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.url, timeout=10) as http:
        yield http


async def password_grant(client: httpx.AsyncClient, **overrides: str) -> httpx.Response:
    return await client.post("/token", data={**demo_password_form(), **overrides})


@pytest.fixture
async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    response = await password_grant(client)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def vbc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


async def wait_for_job(
    client: httpx.AsyncClient, auth: dict[str, str], job_id: str, final: set[str]
) -> list[dict[str, Any]]:
    """Poll a job until it reaches one of ``final``; every observed body, in order."""
    seen: list[dict[str, Any]] = []

    async def reached() -> bool:
        seen.append((await client.get(f"{MY}/jobs/{job_id}", headers=auth)).json())
        return seen[-1]["status"] in final

    await wait_until(reached, timeout=6)
    return seen


# OAuth ------------------------------------------------------------------------------------
async def test_password_grant_issues_bearer_tokens(client: httpx.AsyncClient) -> None:
    response = await password_grant(client)
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert body["access_token"]
    assert body["refresh_token"]
    assert body["scope"]


async def test_refresh_tokens_rotate_and_are_single_use(client: httpx.AsyncClient) -> None:
    first = (await password_grant(client)).json()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
    }
    second = await client.post("/token", data=form)
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = await client.post("/token", data=form)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    headers = {"Authorization": f"Bearer {second.json()['access_token']}"}
    assert (await client.get(COMPANY, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"password": "wrong"}, 400, "invalid_grant"),
        ({"username": "nobody@example.com"}, 400, "invalid_grant"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
    ],
)
async def test_bad_grants_are_refused(
    client: httpx.AsyncClient, overrides: dict[str, str], status: int, error: str
) -> None:
    response = await password_grant(client, **overrides)
    assert response.status_code == status
    assert response.json()["error"] == error


async def test_client_may_authenticate_with_basic_auth(client: httpx.AsyncClient) -> None:
    form = {"grant_type": "password", "username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    ok = await client.post("/token", data=form, auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET))
    bad = await client.post("/token", data=form, auth=(DEMO_CLIENT_ID, "nope"))
    assert (ok.status_code, bad.status_code) == (200, 401)


async def test_authorization_code_flow(sim: RunningSimulator, client: httpx.AsyncClient) -> None:
    member = sim.state.users[2]
    redirect = "http://127.0.0.1:9/callback"
    params = {
        "response_type": "code",
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": redirect,
        "state": "xyz",
        "login_hint": member.email,
    }
    answer = await client.get("/authorize", params=params)
    assert answer.status_code == 302
    location = httpx.URL(answer.headers["Location"])
    assert str(location).startswith(redirect)
    assert location.params["state"] == "xyz"
    form = {
        "grant_type": "authorization_code",
        "code": location.params["code"],
        "redirect_uri": redirect,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
    }
    token = await client.post("/token", data=form)
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    mine = (await client.get(MY, headers=headers)).json()
    first = mine["_embedded"]["recordings"][0]["_links"]["self"]["href"]
    assert f"/users/{member.id}/call_recordings/" in first
    # A member may not read company recordings or another user's.
    assert (await client.get(COMPANY, headers=headers)).status_code == 403
    other = f"{CR}/users/{sim.state.users[0].id}/call_recordings"
    assert (await client.get(other, headers=headers)).status_code == 403
    assert (await client.post("/token", data=form)).status_code == 400  # codes are single-use


async def test_authorize_defaults_to_the_first_user(
    sim: RunningSimulator, client: httpx.AsyncClient
) -> None:
    params = {"response_type": "code", "client_id": DEMO_CLIENT_ID, "redirect_uri": "http://x/cb"}
    answer = await client.get("/authorize", params=params)
    code = httpx.URL(answer.headers["Location"]).params["code"]
    user_id = sim.state.tokens.redeem_code(code, DEMO_CLIENT_ID, "http://x/cb")
    assert user_id == sim.state.users[0].id


async def test_tokens_expire_by_ttl_and_on_demand(client: httpx.AsyncClient) -> None:
    grant = (await password_grant(client)).json()
    headers = {"Authorization": f"Bearer {grant['access_token']}"}
    assert (await client.get(COMPANY, headers=headers)).status_code == 200
    await client.post("/_sim/clock", json={"advance": 86401})
    expired = await client.get(COMPANY, headers=headers)
    assert expired.status_code == 401
    assert expired.json()["error"] == "invalid_token"
    fresh = (await password_grant(client)).json()
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    faults = await client.post("/_sim/faults", json={"expire_tokens": True})
    assert faults.json()["expired_tokens"] >= 1
    assert (await client.get(COMPANY, headers=headers)).status_code == 401
    refreshed = await client.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": fresh["refresh_token"],
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    assert refreshed.status_code == 200


@pytest.mark.parametrize(
    "path",
    [COMPANY, MY, CR + "/users/self/call_recordings/jobs", PROV + "/users", "/t/vbc.prod/x"],
)
@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
async def test_api_needs_a_valid_bearer_token(
    client: httpx.AsyncClient, path: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# Filters, order, paging -------------------------------------------------------------------
def _company(sim: RunningSimulator) -> list[SimRecording]:
    return list(sim.state.dataset.company)


FILTERS: list[tuple[str, Callable[[SimRecording], dict[str, str]], Callable[..., bool]]] = [
    (
        "call_direction",
        lambda r: {"call_direction": "OUTBOUND"},
        lambda r, q: r["call_direction"] == "OUTBOUND",
    ),
    ("call_id", lambda r: {"call_id": r.call_id}, lambda r, q: r["call_id"] == q["call_id"]),
    (
        "caller_id",
        lambda r: {"caller_id": JOHN_SMITH_NUMBER},
        lambda r, q: r["caller_id"] == JOHN_SMITH_NUMBER,
    ),
    ("cnam", lambda r: {"cnam": "john sm"}, lambda r, q: "john sm" in r["cnam"].lower()),
    ("dnis", lambda r: {"dnis": r.dnis}, lambda r, q: r["dnis"] == q["dnis"]),
    ("extension", lambda r: {"extension": "103"}, lambda r, q: "103" in r["extensions"]),
    ("duration:gte", lambda r: {"duration:gte": "600000"}, lambda r, q: r["duration"] >= 600000),
    ("duration:lte", lambda r: {"duration:lte": "10000"}, lambda r, q: r["duration"] <= 10000),
]


@pytest.mark.parametrize(("name", "make", "check"), FILTERS, ids=[f[0] for f in FILTERS])
async def test_each_filter_selects_exactly_the_matching_recordings(
    sim: RunningSimulator,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    name: str,
    make: Callable[[SimRecording], dict[str, str]],
    check: Callable[..., bool],
) -> None:
    sample = next(r for r in _company(sim) if r.call_direction == "INBOUND")
    query = make(sample)
    page = (await client.get(COMPANY, params={**query, "page_size": 100}, headers=auth)).json()
    expected = [r for r in _company(sim) if check(_as_wire(r), query)]
    assert 0 < page["total_items"] == len(expected) < len(_company(sim))
    assert all(check(row, query) for row in page["_embedded"]["recordings"])


def _as_wire(rec: SimRecording) -> dict[str, Any]:
    return {
        "call_direction": rec.call_direction,
        "call_id": rec.call_id,
        "caller_id": rec.caller_id,
        "cnam": rec.cnam,
        "dnis": rec.dnis,
        "extensions": list(rec.extensions),
        "duration": rec.duration,
    }


async def test_start_window_and_combined_filters(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    now = sim.state.dataset.now
    since, until = now - timedelta(days=2), now - timedelta(hours=12)
    params = {"start:gte": vbc(since), "start:lte": vbc(until), "call_direction": "INBOUND"}
    page = (await client.get(COMPANY, params={**params, "page_size": 100}, headers=auth)).json()
    expected = [
        r for r in _company(sim) if since <= r.start <= until and r.call_direction == "INBOUND"
    ]
    assert page["total_items"] == len(expected) > 0
    for row in page["_embedded"]["recordings"]:
        assert vbc(since) <= row["start"] <= vbc(until)
        assert VBC_TIME.match(row["start"])
        assert VBC_TIME.match(row["end"])


async def test_john_smith_called_yesterday(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    now = sim.state.dataset.now
    params = {
        "caller_id": JOHN_SMITH_NUMBER,
        "call_direction": "INBOUND",
        "start:gte": vbc(now - timedelta(days=1, hours=1)),
        "start:lte": vbc(now - timedelta(hours=23)),
    }
    rows = (await client.get(COMPANY, params=params, headers=auth)).json()["_embedded"]
    assert [r["cnam"] for r in rows["recordings"]] == ["JOHN SMITH"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("start:gte", "2024-01-01"),
        ("start:gte", "2024-01-01T00:00:00 0000"),
        ("start:lte", "yesterday"),
        ("start:lte", "2024-13-01T00:00:00+0000"),
        ("duration:gte", "1.5"),
        ("page", "abc"),
        ("page", "0"),
        ("page_size", "ten"),
        ("call_direction", "inbound"),
        ("order", "color:ASC"),
    ],
)
async def test_malformed_parameters_get_400_json(
    client: httpx.AsyncClient, auth: dict[str, str], name: str, value: str
) -> None:
    response = await client.get(COMPANY, params={name: value}, headers=auth)
    assert response.status_code == 400
    assert response.json()["invalid_parameters"][0]["name"] == name


@pytest.mark.parametrize(
    ("order", "key", "reverse"),
    [
        (None, "start", True),
        ("start:DESC", "start", True),
        ("start:ASC", "start", False),
        ("duration:ASC", "duration", False),
        ("duration:DESC", "duration", True),
    ],
)
async def test_order(
    client: httpx.AsyncClient, auth: dict[str, str], order: str | None, key: str, reverse: bool
) -> None:
    params = {"page_size": "100", **({"order": order} if order else {})}
    rows = (await client.get(COMPANY, params=params, headers=auth)).json()["_embedded"]
    values = [row[key] for row in rows["recordings"]]
    assert values == sorted(values, reverse=reverse)
    assert len(set(values)) > 1


async def test_paging_links_are_absolute_and_followable(
    client: httpx.AsyncClient, auth: dict[str, str], sim: RunningSimulator
) -> None:
    params = {"extension": "102", "call_direction": "INBOUND", "page_size": "7", "page": "2"}
    page = (await client.get(COMPANY, params=params, headers=auth)).json()
    links = {name: link["href"] for name, link in page["_links"].items()}
    assert set(links) == {"self", "first", "last", "prev", "next"}
    assert all(href.startswith(sim.url + COMPANY) for href in links.values())
    assert (page["page"], page["page_size"]) == (2, 7)
    assert page["total_pages"] == -(-page["total_items"] // 7)
    seen: list[int] = []
    url: str | None = links["first"]
    for _ in range(page["total_pages"] + 1):
        if url is None:
            break
        body = (await client.get(url, headers=auth)).json()
        seen.extend(row["id"] for row in body["_embedded"]["recordings"])
        assert ("prev" in body["_links"]) == (body["page"] > 1)
        url = body["_links"].get("next", {}).get("href")
    assert url is None
    assert len(seen) == len(set(seen)) == page["total_items"]
    assert all(row["extensions"] for row in page["_embedded"]["recordings"])


async def test_page_size_defaults_and_is_capped(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    default = (await client.get(COMPANY, headers=auth)).json()
    capped = (await client.get(COMPANY, params={"page_size": 500}, headers=auth)).json()
    beyond = (await client.get(COMPANY, params={"page": 99999}, headers=auth)).json()
    assert (default["page"], default["page_size"], len(default["_embedded"]["recordings"])) == (
        1,
        10,
        10,
    )
    assert capped["page_size"] == len(capped["_embedded"]["recordings"]) == 100
    assert beyond["_embedded"]["recordings"] == []
    assert "next" not in beyond["_links"]


async def test_get_and_delete_one_recording(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    row = (await client.get(COMPANY, headers=auth)).json()["_embedded"]["recordings"][0]
    fetched = await client.get(row["_links"]["self"]["href"], headers=auth)
    assert fetched.json() == row
    missing = await client.get(f"{COMPANY}/1", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    assert (await client.delete(f"{COMPANY}/{row['id']}", headers=auth)).status_code == 204
    assert (await client.get(f"{COMPANY}/{row['id']}", headers=auth)).status_code == 404
    assert (await client.get(row["download_url"], headers=auth)).status_code == 404


async def test_on_demand_recordings_are_a_separate_set(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    member = sim.state.users[1]
    path = f"{CR}/users/{member.id}/call_recordings"
    page = (await client.get(path, params={"page_size": 100}, headers=auth)).json()
    ids = {row["id"] for row in page["_embedded"]["recordings"]}
    company_ids = {r.id for r in _company(sim)}
    assert page["total_items"] == 200
    assert not ids & company_ids
    one = page["_embedded"]["recordings"][0]
    assert (await client.get(f"{path}/{one['id']}", headers=auth)).json() == one
    assert (await client.get(f"{COMPANY}/{one['id']}", headers=auth)).status_code == 404
    assert (await client.get(f"{CR}/users/999/call_recordings", headers=auth)).status_code == 404
    assert (
        await client.get(
            "/t/vbc.prod/call_recording/api/accounts/1/users/self/call_recordings", headers=auth
        )
    ).status_code == 404


# Audio ------------------------------------------------------------------------------------
async def test_audio_is_an_exactly_sized_deterministic_mp3(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    rows = (await client.get(COMPANY, params={"page_size": 2}, headers=auth)).json()
    first, second = rows["_embedded"]["recordings"]
    audio = await client.get(first["download_url"], headers=auth)
    body = audio.content
    assert audio.headers["Content-Type"] == "audio/mpeg"
    assert int(audio.headers["Content-Length"]) == len(body) == first["file_size_in_bytes"]
    assert body[:3] == b"ID3"
    tag_size = 10 + sum(b << (7 * (3 - i)) for i, b in enumerate(body[6:10]))
    assert body[tag_size : tag_size + 2] == b"\xff\xfb"  # MPEG-1 Layer III frame sync
    assert body[tag_size + 144 : tag_size + 146] == b"\xff\xfb"
    again = (await client.get(first["download_url"], headers=auth)).content
    other = (await client.get(second["download_url"], headers=auth)).content
    assert hashlib.sha256(again).digest() == hashlib.sha256(body).digest()
    assert hashlib.sha256(other).digest() != hashlib.sha256(body).digest()
    assert (await client.get(first["download_url"])).status_code == 401


async def test_added_large_recording_streams_its_exact_size(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    added = await client.post(
        "/_sim/recordings", json={"size_bytes": 20_000_001, "caller_id": "15555550123"}
    )
    assert added.status_code == 201
    listed = (await client.get(COMPANY, params={"caller_id": "15555550123"}, headers=auth)).json()
    assert listed["_embedded"]["recordings"] == [added.json()]
    total = 0
    async with client.stream("GET", added.json()["download_url"], headers=auth) as stream:
        async for chunk in stream.aiter_raw():
            total += len(chunk)
    assert total == 20_000_001
    bad = await client.post("/_sim/recordings", json={"size_bytes": 10})
    assert bad.status_code == 400


# Exports ----------------------------------------------------------------------------------
async def test_export_job_progresses_to_a_downloadable_zip(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    filters = {"caller_id": JOHN_SMITH_NUMBER, "duration:lte": 120000}
    created = await client.post(f"{COMPANY}/export", json=filters, headers=auth)
    assert created.status_code == 202
    (job_id,) = created.json()["job_ids"]
    early = await client.get(
        f"/t/vbc.prod/call_recording/api/bulkDownload/retrieve?jobId={job_id}", headers=auth
    )
    assert early.status_code == 409
    seen = await wait_for_job(client, auth, job_id, {"complete"})
    statuses = [body["status"] for body in seen]
    assert statuses[0] == "queued"
    assert "in_progress" in statuses
    done = seen[-1]
    expected = [
        r for r in _company(sim) if r.caller_id == JOHN_SMITH_NUMBER and r.duration <= 120000
    ]
    assert done["files_completed"] == done["files_total"] == len(expected) > 1
    assert VBC_TIME.match(done["valid_until"])
    download = await client.get(done["download_url"], headers=auth)
    assert download.headers["Content-Type"] == "application/zip"
    assert int(download.headers["Content-Length"]) == len(download.content)
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted(r.file_name for r in expected)
    sizes = {r.file_name: r.file_size_in_bytes for r in expected}
    assert all(info.file_size == sizes[info.filename] for info in archive.infolist())
    jobs = (await client.get(f"{MY}/jobs", headers=auth)).json()
    assert [job["id"] for job in jobs["_embedded"]["jobs"]] == [job_id]
    queued = (await client.get(f"{MY}/jobs", params={"status": "queued"}, headers=auth)).json()
    assert queued["_embedded"]["jobs"] == []


async def test_on_demand_export_and_bad_bodies(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = await client.post(f"{MY}/export", json={"call_direction": "OUTBOUND"}, headers=auth)
    (job_id,) = created.json()["job_ids"]
    job = sim.state.jobs[job_id]
    admin_outbound = [
        r
        for r in sim.state.dataset.on_demand
        if r.owner_user_id == sim.state.admin.id and r.call_direction == "OUTBOUND"
    ]
    assert len(job.recording_ids) == len(admin_outbound) > 0
    for body in ("not json", "[1, 2]", '{"call_direction": "SIDEWAYS"}', '{"start:gte": "x"}'):
        answer = await client.post(
            f"{MY}/export", content=body, headers={**auth, "Content-Type": "application/json"}
        )
        assert answer.status_code == 400, body


async def test_the_job_listing_is_one_document_and_can_leave_jobs_out(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ids = [
        (await client.post(f"{COMPANY}/export", json={}, headers=auth)).json()["job_ids"][0]
        for _ in range(3)
    ]
    listed = (await client.get(f"{MY}/jobs", params={"page_size": "1"}, headers=auth)).json()
    assert sorted(job["id"] for job in listed["_embedded"]["jobs"]) == sorted(ids)
    assert (listed["page"], listed["total_pages"], listed["total_items"]) == (1, 1, 3)
    assert "next" not in listed["_links"], "VBC documents no paging for the job listing"
    await client.post("/_sim/faults", json={"unlisted_jobs": [ids[0]]})
    listed = (await client.get(f"{MY}/jobs", headers=auth)).json()
    assert ids[0] not in [job["id"] for job in listed["_embedded"]["jobs"]]
    alone = await client.get(f"{MY}/jobs/{ids[0]}", headers=auth)
    assert alone.status_code == 200, "left out of the listing, still read on its own"
    queued = (await client.get(f"{MY}/jobs", params={"status": "queued"}, headers=auth)).json()
    assert {job["status"] for job in queued["_embedded"]["jobs"]} == {"queued"}
    await client.post("/_sim/faults", json={"ignore_status_filter": True})
    sim.state.force_job(ids[1], "complete")
    ignored = (await client.get(f"{MY}/jobs", params={"status": "queued"}, headers=auth)).json()
    assert "complete" in {job["status"] for job in ignored["_embedded"]["jobs"]}
    await client.post("/_sim/faults", json={"clear": True})
    faults = (await client.get("/_sim/faults")).json()
    assert (faults["unlisted_jobs"], faults["ignore_status_filter"]) == ([], False)
    assert (await client.post("/_sim/faults", json={"unlisted_jobs": "x"})).status_code == 400


@pytest.mark.parametrize("outcome", ["failed", "expired"])
async def test_jobs_can_be_made_to_fail_or_expire(
    client: httpx.AsyncClient, auth: dict[str, str], outcome: str
) -> None:
    await client.post("/_sim/faults", json={"next_jobs": [outcome]})
    created = await client.post(f"{COMPANY}/export", json={"extension": "101"}, headers=auth)
    (job_id,) = created.json()["job_ids"]
    seen = await wait_for_job(client, auth, job_id, {outcome})
    assert "download_url" not in seen[-1]
    retrieve = f"/t/vbc.prod/call_recording/api/bulkDownload/retrieve?jobId={job_id}"
    assert (await client.get(retrieve, headers=auth)).status_code in {409, 410}


async def test_job_state_can_be_forced(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await client.post(f"{COMPANY}/export", json={"cnam": "globex"}, headers=auth)
    (job_id,) = created.json()["job_ids"]
    forced = await client.post(f"/_sim/jobs/{job_id}", json={"status": "complete"})
    assert forced.json()["status"] == "complete"
    assert forced.json()["download_url"]
    assert (await client.post(f"/_sim/jobs/{job_id}", json={"status": "odd"})).status_code == 400
    assert (await client.post("/_sim/jobs/nope", json={"status": "failed"})).status_code == 404
    other = f"{CR}/users/{745249}/call_recordings/jobs/{job_id}"
    assert (await client.get(other, headers=auth)).status_code == 404


# Faults and the request log ---------------------------------------------------------------
async def test_fail_next_answers_scripted_errors(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    rule = {"status": 429, "retry_after": 1, "count": 2, "path_prefix": COMPANY}
    await client.post("/_sim/faults", json={"fail_next": [rule, {"status": 503}]})
    assert (await client.get(PROV + "/users", headers=auth)).status_code == 503
    for _ in range(2):
        limited = await client.get(COMPANY, headers=auth)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"
    assert (await client.get(COMPANY, headers=auth)).status_code == 200
    assert (await client.get("/_sim/faults")).json()["fail_next"] == []


async def test_malformed_bodies_and_latency(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    rules = [{"malformed": "html", "path_prefix": COMPANY}, {"malformed": "truncated_json"}]
    await client.post("/_sim/faults", json={"fail_next": rules})
    html = await client.get(COMPANY, headers=auth)
    assert html.status_code == 200
    assert html.headers["Content-Type"].startswith("text/html")
    truncated = await client.get(MY, headers=auth)
    assert truncated.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError, match=r"\w"):
        truncated.json()
    await client.post("/_sim/faults", json={"latency": 0.2})
    started = time.monotonic()
    assert (await client.get(COMPANY, headers=auth)).status_code == 200
    assert time.monotonic() - started >= 0.2
    assert (await client.post("/_sim/faults", json={"latency": -1})).status_code == 400
    assert (
        await client.post("/_sim/faults", json={"fail_next": [{"malformed": "x"}]})
    ).status_code == 400


async def test_request_log_shows_wire_names(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await client.delete("/_sim/requests")
    params = {"start:gte": "2024-05-01T00:00:00+0000", "cnam": "JOHN SMITH"}
    await client.get(COMPANY, params=params, headers=auth)
    await client.post(f"{COMPANY}/export", json={"duration:gte": 60000}, headers=auth)
    log = (await client.get("/_sim/requests")).json()["requests"]
    listing, export = log
    assert listing["query"] == params
    assert listing["status"] == 200
    assert listing["authorized"]
    assert "%2B0000" in listing["raw_path"]
    assert export["json"] == {"duration:gte": 60000}
    assert export["status"] == 202
    assert (await client.delete("/_sim/requests")).status_code == 204
    assert (await client.get("/_sim/requests")).json()["requests"] == []


async def test_request_log_names_whose_token_and_revoked_users_lose_theirs(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    user = sim.state.users[0]
    own = sim.state.issue_token(user.id)
    mine = {"Authorization": f"Bearer {own.access_token}"}
    on_demand = f"/t/vbc.prod/call_recording/api/accounts/self/users/{user.id}/call_recordings"
    await client.delete("/_sim/requests")
    assert (await client.get(on_demand, headers=mine)).status_code == 200
    assert (await client.get(COMPANY, headers=auth)).status_code == 200
    assert sim.state.tokens.revoke_user(user.id) == 2
    assert (await client.get(on_demand, headers=mine)).status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": own.refresh_token}
    refused = await client.post("/token", data={**demo_password_form(), **refresh})
    assert refused.status_code == 400
    listed, company, revoked, grant = (await client.get("/_sim/requests")).json()["requests"]
    assert (listed["caller"], listed["bearer"]) == (user.id, bearer_digest(own.access_token))
    assert company["caller"] == sim.state.admin.id
    assert (revoked["caller"], revoked["bearer"]) == (None, bearer_digest(own.access_token))
    assert grant["caller"] is None  # the token endpoint takes no bearer
    assert own.access_token not in str(listed)


async def test_reset_restores_the_seeded_data(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = (await client.get(COMPANY, headers=auth)).json()
    await client.delete(f"{COMPANY}/{before['_embedded']['recordings'][0]['id']}", headers=auth)
    await client.post("/_sim/faults", json={"latency": 5})
    assert (await client.post("/_sim/reset")).status_code == 200
    assert (await client.get(COMPANY, headers=auth)).json() == before
    info = (await client.get("/_sim/info")).json()
    assert info["username"] == DEMO_USERNAME
    assert len(info["users"]) == len(sim.state.users)


# Provisioning -----------------------------------------------------------------------------
async def test_provisioning_users_and_extensions(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    member = sim.state.users[3]
    users = (await client.get(PROV + "/users", params={"page_size": 3}, headers=auth)).json()
    assert len(users["_embedded"]["data"]) == 3
    assert users["total_items"] == len(sim.state.users)
    found = await client.get(PROV + "/users", params={"email": member.email.upper()}, headers=auth)
    (row,) = found.json()["_embedded"]["data"]
    assert row["id"] == member.id
    assert row["extensions"] == [
        {
            "extension_number": member.extension,
            "dids": [{"phone_number": member.did, "custom_tag": "Direct"}],
        }
    ]
    one = (await client.get(f"{PROV}/users/{member.id}", headers=auth)).json()
    assert one["_embedded"]["data"] == row
    assert (await client.get(f"{PROV}/users/self", headers=auth)).status_code == 404
    assert (
        await client.get(PROV + "/users", params={"page": "x"}, headers=auth)
    ).status_code == 400
    by_login = {"login_name": member.login_name}
    ext = (await client.get(PROV + "/extensions", params=by_login, headers=auth)).json()
    (route,) = ext["_embedded"]["data"]
    assert route["extension_number"] == member.extension
    assert route["user"]["id"] == member.id
    single = await client.get(f"{PROV}/extensions/{route['external_id']}", headers=auth)
    assert single.json()["_embedded"]["extension"]["extension_number"] == member.extension
    account = (await client.get(PROV, headers=auth)).json()
    assert account["_embedded"]["data"]["id"] == 549825


# The OpenAPI definitions ------------------------------------------------------------------
def _spec(api: str) -> OpenAPI:
    # VBC's own examples use "+0000", which strict RFC 3339 ("+00:00") rejects.
    vbc_date_time = {"date-time": lambda value: bool(VBC_TIME.match(value))}
    return OpenAPI.from_file_path(
        str(vbc_contract(api)), config=Config(extra_format_validators=vbc_date_time)
    )


def _validate(spec: OpenAPI, method: str, url: str, response: httpx.Response) -> None:
    parsed = httpx.URL(url)
    request = MockRequest(
        "https://api.vonage.com",
        method,
        parsed.path,
        args=dict(parsed.params),
    )
    spec.validate_response(request, MockResponse(response.content, response.status_code))


async def test_responses_match_the_openapi_definitions(
    sim: RunningSimulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    recordings, provisioning = _spec("call-recording"), _spec("provisioning")
    company = await client.get(COMPANY, params={"page_size": 5, "page": 2}, headers=auth)
    checks: list[tuple[OpenAPI, str, str, httpx.Response]] = [
        (recordings, "get", str(company.url), company),
    ]
    row = company.json()["_embedded"]["recordings"][0]
    for url in (row["_links"]["self"]["href"], sim.url + MY + "?page_size=3"):
        checks.append((recordings, "get", url, await client.get(url, headers=auth)))
    mine = checks[-1][3].json()["_embedded"]["recordings"][0]["_links"]["self"]["href"]
    checks.append((recordings, "get", mine, await client.get(mine, headers=auth)))
    export = await client.post(f"{COMPANY}/export", json={"extension": "101"}, headers=auth)
    checks.append((recordings, "post", str(export.url), export))
    await wait_for_job(client, auth, export.json()["job_ids"][0], {"complete"})
    for url in (sim.url + MY + "/jobs", sim.url + MY + "/jobs/" + export.json()["job_ids"][0]):
        checks.append((recordings, "get", url, await client.get(url, headers=auth)))
    for path in ("/users", "/users/745249", "/extensions", "/extensions/101", ""):
        url = sim.url + PROV + path
        checks.append((provisioning, "get", url, await client.get(url, headers=auth)))
    for spec, method, url, response in checks:
        assert response.status_code in {200, 202}, url
        _validate(spec, method, url, response)
    broken = httpx.Response(200, json={**row, "id": "not-an-integer"})
    with pytest.raises(InvalidData):
        _validate(recordings, "get", row["_links"]["self"]["href"], broken)

"""The simulator after a delete: gone from lists, gets, audio and exports; delete faults."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.vbcsim import RunningSimulator, demo_password_form, start_simulator

CR = "/t/vbc.prod/call_recording/api/accounts/self"
COMPANY = CR + "/company_call_recordings"


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    running = await start_simulator(job_seconds=0.2)
    yield running
    await running.close()


@pytest.fixture
async def client(sim: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.url, timeout=10) as http:
        token = (await http.post("/token", data=demo_password_form())).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        yield http


async def _ids(client: httpx.AsyncClient, path: str, **params: str) -> set[int]:
    found: set[int] = set()
    page = 1
    while True:
        body = (await client.get(path, params={**params, "page": page, "page_size": 100})).json()
        found |= {row["id"] for row in body["_embedded"]["recordings"]}
        if page >= body["total_pages"]:
            return found
        page += 1


async def test_a_deleted_recording_is_gone_everywhere(
    sim: RunningSimulator, client: httpx.AsyncClient
) -> None:
    ext = sim.state.users[0].extension
    before = await _ids(client, COMPANY, extension=ext)
    doomed = min(before)
    row = (await client.get(f"{COMPANY}/{doomed}")).json()
    total = (await client.get(COMPANY, params={"extension": ext})).json()["total_items"]
    # An export made before the delete, downloaded after it.
    early = (await client.post(f"{COMPANY}/export", json={"extension": ext})).json()["job_ids"][0]
    assert (await client.delete(f"{COMPANY}/{doomed}")).status_code == 204
    assert doomed not in await _ids(client, COMPANY, extension=ext)
    after = (await client.get(COMPANY, params={"extension": ext})).json()["total_items"]
    assert after == total - 1
    assert (await client.get(f"{COMPANY}/{doomed}")).status_code == 404
    assert (await client.get(row["download_url"])).status_code == 404
    assert (await client.delete(f"{COMPANY}/{doomed}")).status_code == 404, "twice is a 404"
    late = (await client.post(f"{COMPANY}/export", json={"extension": ext})).json()["job_ids"][0]
    assert doomed not in sim.state.jobs[late].recording_ids
    for job_id in (early, late):
        await client.post(f"/_sim/jobs/{job_id}", json={"status": "complete"})
        zipped = await client.get(
            "/t/vbc.prod/call_recording/api/bulkDownload/retrieve", params={"jobId": job_id}
        )
        names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
        assert row["file_name"] not in names
        assert len(names) == total - 1


async def test_on_demand_deletes_are_per_owner(
    sim: RunningSimulator, client: httpx.AsyncClient
) -> None:
    owner = sim.state.users[1]
    path = f"{CR}/users/{owner.id}/call_recordings"
    doomed = min(await _ids(client, path))
    elsewhere = f"{CR}/users/{sim.state.users[2].id}/call_recordings/{doomed}"
    assert (await client.delete(elsewhere)).status_code == 404, "not that user's recording"
    assert (await client.delete(f"{path}/{doomed}")).status_code == 204
    assert doomed not in await _ids(client, path)
    assert (await client.get(f"{path}/{doomed}")).status_code == 404


async def test_delete_faults_before_and_after_the_delete_took_effect(
    sim: RunningSimulator, client: httpx.AsyncClient
) -> None:
    first, second = sorted(await _ids(client, COMPANY))[:2]
    rules = [
        {"status": 429, "method": "DELETE", "path_prefix": f"{COMPANY}/{first}", "retry_after": 1},
        {"status": 502, "method": "DELETE", "path_prefix": f"{COMPANY}/{second}", "after": True},
    ]
    shown = (await client.post("/_sim/faults", json={"fail_next": rules})).json()
    assert [r["after"] for r in shown["fail_next"]] == [False, True]
    refused = await client.delete(f"{COMPANY}/{first}")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert (await client.get(f"{COMPANY}/{first}")).status_code == 200, "a 429 deletes nothing"
    lost = await client.delete(f"{COMPANY}/{second}")
    assert lost.status_code == 502
    assert (await client.get(f"{COMPANY}/{second}")).status_code == 404, "done, answer lost"
    assert (await client.delete(f"{COMPANY}/{second}")).status_code == 404
    assert (await client.delete(f"{COMPANY}/{first}")).status_code == 204
    deletes = [e for e in sim.state.requests if e["method"] == "DELETE"]
    assert [e["status"] for e in deletes] == [429, 502, 404, 204]

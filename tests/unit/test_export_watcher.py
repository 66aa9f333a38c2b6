"""The export watcher on a real store and a VbcClient over MockTransport, with a hand clock.

No sockets and no sleeps: each test calls ``tick()`` and moves the clock itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.db import create_engine, migrate
from bot.export_state import Outcome, WatchTuning, final_state
from bot.export_watcher import ExportWatcher
from bot.store import Store
from bot.tables import ExportJobRow, ExportRequest
from bot.vbc.client import VbcClient
from bot.vbc.retry import RetryPolicy

API = "https://vbc.test"
JOBS = "/t/vbc.prod/call_recording/api/accounts/self/users/self/call_recordings/jobs/"
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Vbc:
    """Job states by id; every GET is logged; unknown paths fail the test."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    gets: list[str] = field(default_factory=list)
    status_code: dict[str, int] = field(default_factory=dict)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        assert request.method == "GET", f"unexpected {request.method} {request.url}"
        assert path.startswith(JOBS), f"unexpected {request.url}"
        job_id = path.removeprefix(JOBS)
        self.gets.append(job_id)
        if job_id in self.status_code:
            return httpx.Response(self.status_code[job_id], headers={"Retry-After": "20"})
        return httpx.Response(200, json={"id": job_id, **self.states[job_id]})


@dataclass
class Notices:
    """The watcher's notifier: records what it would have told people."""

    finished: list[tuple[str, str]] = field(default_factory=list)
    progressed: list[tuple[str, int]] = field(default_factory=list)

    async def progress(self, request: ExportRequest, jobs: Sequence[ExportJobRow]) -> None:
        self.progressed.append((request.id, sum(j.files_completed for j in jobs)))

    async def finish(
        self, request: ExportRequest, jobs: Sequence[ExportJobRow], state: str
    ) -> Outcome:
        self.finished.append((request.id, state))
        return Outcome(state, link=f"https://bot.test/{request.id}")


@dataclass
class World:
    store: Store
    vbc: Vbc
    client: VbcClient
    clock: Clock
    notices: Notices

    def watcher(self, owner: str, **tuning: Any) -> ExportWatcher:
        return ExportWatcher(
            store=self.store,
            vbc=self.client,
            notifier=self.notices,
            clock=self.clock,
            tuning=WatchTuning(factor=2.0, cap=8.0, **tuning),
            owner=owner,
        )

    async def add(self, request_id: str, *job_ids: str) -> None:
        async with self.store.session() as s:
            s.add(
                ExportRequest(
                    id=request_id,
                    team_id="T1",
                    slack_user_id="U1",
                    request_text="last 7d",
                    created_at=self.clock(),
                    next_poll_at=self.clock() + timedelta(seconds=1),
                    poll_interval=1.0,
                )
            )
            await s.flush()
            s.add_all(
                ExportJobRow(vbc_job_id=j, request_id=request_id, vbc_user_id="self", kind="c")
                for j in job_ids
            )
            await s.commit()
        for j in job_ids:
            self.vbc.states.setdefault(j, {"status": "queued", "files_total": 4})

    async def request(self, request_id: str) -> ExportRequest:
        async with self.store.session() as s:
            found = await s.get(ExportRequest, request_id, populate_existing=True)
        assert found is not None
        return found


async def drained(watcher: ExportWatcher) -> int:
    claimed = await watcher.tick()
    await watcher.drain()
    return claimed


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    engine = create_engine(f"sqlite:///{tmp_path}/w.db")
    await migrate(engine)
    vbc = Vbc()
    http = httpx.AsyncClient(base_url=API, transport=httpx.MockTransport(vbc.handle))

    async def no_sleep(_: float) -> None:
        return None

    client = VbcClient(http, retry=RetryPolicy(attempts=1), sleep=no_sleep)
    yield World(Store(engine), vbc, client, Clock(), Notices())
    await http.aclose()
    await engine.dispose()


def test_final_state_needs_every_job_to_end() -> None:
    def rows(*states: str) -> list[ExportJobRow]:
        return [ExportJobRow(vbc_job_id=str(i), request_id="r", vbc_user_id="self", kind="c",
                             status=s) for i, s in enumerate(states)]  # fmt: skip

    assert final_state(rows("complete", "in_progress")) is None
    assert final_state(rows()) is None
    assert final_state(rows("complete", "complete")) == "complete"
    assert final_state(rows("complete", "expired")) == "expired"
    assert final_state(rows("expired", "failed")) == "failed"


async def test_polls_only_when_due_and_backs_off_to_the_cap(world: World) -> None:
    await world.add("r1", "j1")
    watcher = world.watcher("a")
    assert await drained(watcher) == 0, "not due before its first interval"
    intervals = []
    for _ in range(6):
        world.clock.advance((await world.request("r1")).poll_interval)
        assert await drained(watcher) == 1
        assert await drained(watcher) == 0, "one poll per job per interval"
        intervals.append((await world.request("r1")).poll_interval)
    assert intervals == [2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert world.vbc.gets == ["j1"] * 6
    assert world.notices.finished == []


async def test_notifies_once_when_every_job_has_ended(world: World) -> None:
    await world.add("r1", "j1", "j2")
    watcher = world.watcher("a")
    world.vbc.states["j1"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    world.clock.advance(1)
    await drained(watcher)
    assert world.notices.finished == []
    assert world.notices.progressed == [("r1", 4)], "progress edited when it moved"
    world.vbc.states["j2"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    for _ in range(3):
        world.clock.advance(10)
        await drained(watcher)
    assert world.notices.finished == [("r1", "complete")]
    assert world.vbc.gets == ["j1", "j2", "j2"], "a finished job is not polled again"
    done = await world.request("r1")
    assert (done.state, done.result_permalink) == ("complete", "https://bot.test/r1")
    assert done.notified_at is not None
    assert done.lease_owner is None


async def test_a_lease_keeps_a_second_process_away_until_it_runs_out(world: World) -> None:
    await world.add("r1", "j1")
    first, second = world.watcher("a", lease_seconds=30), world.watcher("b", lease_seconds=30)
    world.clock.advance(1)
    ids = await first._claim()  # a process that claimed, then died before writing back
    assert ids == ["r1"]
    assert await drained(second) == 0, "leased by another process"
    world.clock.advance(31)
    world.vbc.states["j1"] = {"status": "failed", "files_total": 4}
    assert await drained(second) == 1
    assert world.notices.finished == [("r1", "failed")]


async def test_the_gate_lets_only_one_of_two_processes_notify(world: World) -> None:
    """A slow process whose lease ran out and a new one both see the end: one notice."""
    await world.add("r1", "j1")
    slow, fast = world.watcher("slow", lease_seconds=5), world.watcher("fast", lease_seconds=5)
    world.clock.advance(1)
    slow_polled = await slow._load(await slow._claim())
    world.clock.advance(6)
    world.vbc.states["j1"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    assert await drained(fast) == 1
    gate = asyncio.Semaphore(1)
    for polled in slow_polled:
        await slow._poll(polled, gate)
    assert await slow._write_back(slow_polled) == set(), "the gate refused the second notice"
    assert world.notices.finished == [("r1", "complete")]


async def test_rate_limits_are_honoured_and_a_vanished_job_fails(world: World) -> None:
    await world.add("r1", "j1")
    await world.add("r2", "gone")
    world.vbc.status_code = {"j1": 429, "gone": 404}
    watcher = world.watcher("a")
    world.clock.advance(1)
    assert await drained(watcher) == 2
    assert (await world.request("r1")).poll_interval == 20.0, "Retry-After beats the backoff"
    assert world.notices.finished == [("r2", "failed")]

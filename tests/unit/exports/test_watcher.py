"""The export watcher on a real store and a VbcClient over the VBC router, with a hand clock.

No sockets and no sleeps: each test calls ``tick()`` and moves the clock itself. Most tests
read each job on its own (``by_list=False``, the leases and notices are the same either way);
the ``listed`` ones read jobs from VBC's job listing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.exports import ExportWatcher, Outcome, RecordNotice, WatchTuning, final_state
from bot.store import Store
from bot.store.exports import ENDED_JOB_STATES, ExportRows
from bot.store.tables import ExportJobRow, ExportRequest
from bot.vbc.client import VbcClient
from bot.vbc.models import TERMINAL_JOB_STATES
from bot.vbc.retry import RetryPolicy
from tests.fakes.vbc_router import EXPORT_JOB, EXPORT_JOBS, PathParams, VbcRouter, hal_page

API = "https://vbc.test"
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
    """Job states by id behind the shared router; every GET is logged; others fail the test."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    gets: list[str] = field(default_factory=list)
    status_code: dict[str, int] = field(default_factory=dict)
    listings: list[str | None] = field(default_factory=list)  # the status asked, per listing
    unlisted: set[str] = field(default_factory=set)  # jobs the listing leaves out
    listing_status: int = 200
    honour_status: bool = True
    finished_elsewhere: int = 0  # old finished jobs the listing shows as well
    pages_of: int | None = None  # should VBC page the listing after all: jobs a page

    def route(self, router: VbcRouter) -> None:
        router.add("GET", EXPORT_JOB, self._job)
        router.add("GET", EXPORT_JOBS, self._jobs)

    def _jobs(self, request: httpx.Request, path: PathParams) -> httpx.Response:
        assert (path["account"], path["user_id"]) == ("self", "self")
        params = dict(request.url.params)
        number = int(params.pop("page", "1"))  # only ever from a next link VBC gave
        assert number == 1 or self.pages_of, "the listing documents no paging"
        assert set(params) <= {"status"}
        status = request.url.params.get("status")
        self.listings.append(status)
        if self.listing_status != 200:
            return httpx.Response(self.listing_status, headers={"Retry-After": "20"})
        old = [{"id": f"old{n}", "status": "complete"} for n in range(self.finished_elsewhere)]
        jobs = [{"id": j, **state} for j, state in self.states.items() if j not in self.unlisted]
        if status and self.honour_status:
            jobs = [j for j in jobs if j["status"] == status]
            old = []
        if self.pages_of is None:
            return httpx.Response(200, json=hal_page("jobs", [*jobs, *old]))
        every, size = [*jobs, *old], self.pages_of
        body = hal_page(
            "jobs", every[(number - 1) * size : number * size], page=number, total_items=len(every)
        )
        if number * size < len(every):
            body["_links"] = {
                "next": {"href": f"{request.url.copy_merge_params({'page': number + 1})}"}
            }
        return httpx.Response(200, json=body)

    def _job(self, _request: httpx.Request, path: PathParams) -> httpx.Response:
        assert (path["account"], path["user_id"]) == ("self", "self")
        job_id = path["job_id"]
        self.gets.append(job_id)
        if job_id in self.status_code:
            return httpx.Response(self.status_code[job_id], headers={"Retry-After": "20"})
        return httpx.Response(200, json={"id": job_id, **self.states[job_id]})


@dataclass
class Notices:
    """The watcher's notifier: records what it would have told people, like Slack would.

    ``posted`` holds each notice message (a new one only when the request had none recorded);
    ``fail`` makes the next deliveries raise before (``"post"``) or after (``"after"``) the post.
    """

    finished: list[tuple[str, str]] = field(default_factory=list)
    progressed: list[tuple[str, int]] = field(default_factory=list)
    posted: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    fail: list[str] = field(default_factory=list)

    async def progress(self, request: ExportRequest, jobs: Sequence[ExportJobRow]) -> None:
        self.progressed.append((request.id, sum(j.files_completed for j in jobs)))

    async def finish(
        self,
        request: ExportRequest,
        jobs: Sequence[ExportJobRow],
        state: str,
        record: RecordNotice,
    ) -> Outcome:
        failing = self.fail.pop(0) if self.fail else None
        if failing == "post":
            raise RuntimeError("Slack said ratelimited")
        if request.notice_ts is None:
            self.posted.append(request.id)
            await record("D1", f"ts-{len(self.posted)}")
        else:
            self.edited.append(request.id)
        if failing == "after":
            raise RuntimeError("the upload broke off")
        self.finished.append((request.id, state))
        return Outcome(state, link=f"https://bot.test/{request.id}")


@dataclass
class World:
    store: Store
    vbc: Vbc
    client: VbcClient
    clock: Clock
    notices: Notices
    http: httpx.AsyncClient

    def watcher(self, owner: str, **tuning: Any) -> ExportWatcher:
        return ExportWatcher(
            store=self.store,
            vbc=self.client,
            notifier=self.notices,
            clock=self.clock,
            tuning=WatchTuning(factor=2.0, cap=8.0, **{"by_list": False, **tuning}),
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
async def world(store: Store, vbc_router: VbcRouter) -> AsyncIterator[World]:
    vbc = Vbc()
    vbc.route(vbc_router)
    http = httpx.AsyncClient(base_url=API, transport=vbc_router.transport())

    async def no_sleep(_: float) -> None:
        return None

    client = VbcClient(http, retry=RetryPolicy(attempts=1), sleep=no_sleep)
    yield World(store, vbc, client, Clock(), Notices(), http)
    await http.aclose()


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
    budget = asyncio.get_running_loop().time() + 60
    for polled in slow_polled:
        await slow._poll(polled, {}, gate, budget)
    assert await slow._write_back(slow_polled) == set(), "the gate refused the second notice"
    assert world.notices.finished == [("r1", "complete")]
    assert world.notices.posted == ["r1"]


async def test_rate_limits_are_honoured_and_a_vanished_job_fails(world: World) -> None:
    await world.add("r1", "j1")
    await world.add("r2", "gone")
    world.vbc.status_code = {"j1": 429, "gone": 404}
    watcher = world.watcher("a")
    world.clock.advance(1)
    assert await drained(watcher) == 2
    assert (await world.request("r1")).poll_interval == 20.0, "Retry-After beats the backoff"
    assert world.notices.finished == [("r2", "failed")]


async def test_a_notice_slack_refused_is_tried_again_later_and_sent_once(world: World) -> None:
    await world.add("r1", "j1")
    watcher = world.watcher("a")
    world.vbc.states["j1"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    world.notices.fail = ["post"]
    world.clock.advance(1)
    assert await drained(watcher) == 1
    assert world.notices.posted == []
    waiting = await world.request("r1")
    assert (waiting.state, waiting.notice_attempts, waiting.lease_owner) == ("notifying", 1, None)
    assert waiting.notified_at is None, "nothing was sent, so nothing is marked sent"
    assert await drained(watcher) == 0, "not before the retry is due"
    world.clock.advance(world.watcher("x").tuning.notice_retry)
    assert await drained(watcher) == 1
    assert world.notices.posted == ["r1"]
    assert world.notices.finished == [("r1", "complete")]
    done = await world.request("r1")
    assert done.state == "complete"
    assert done.notified_at is not None
    world.clock.advance(60)
    assert await drained(watcher) == 0
    assert world.vbc.gets == ["j1"], "a job is not polled again once its notice is due"


async def test_a_notice_cut_short_after_its_post_is_finished_in_place(world: World) -> None:
    await world.add("r1", "j1")
    watcher = world.watcher("a")
    world.vbc.states["j1"] = {"status": "failed", "files_total": 4}
    world.notices.fail = ["after"]  # posted and recorded, then the zip upload broke off
    world.clock.advance(1)
    await drained(watcher)
    cut = await world.request("r1")
    assert (cut.state, cut.notice_channel, cut.notice_ts) == ("notifying", "D1", "ts-1")
    world.clock.advance(60)
    await drained(watcher)
    assert world.notices.posted == ["r1"], "one notice message"
    assert world.notices.edited == ["r1"], "the re-claim edited the recorded notice"
    assert (await world.request("r1")).state == "failed"


async def test_a_process_that_died_holding_a_notice_is_taken_over_once(world: World) -> None:
    await world.add("r2", "j2")
    await world.add("r1", "j1")
    dead, alive = world.watcher("dead", lease_seconds=30), world.watcher("alive", lease_seconds=30)
    world.vbc.states["j1"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    world.clock.advance(1)
    polled = await dead._load(await dead._claim())
    assert [p.request.id for p in polled] == ["r1", "r2"], "write-back goes in id order"
    budget = asyncio.get_running_loop().time() + 60
    for p in polled:
        await dead._poll(p, {}, asyncio.Semaphore(1), budget)
    assert await dead._write_back(polled) == {"r1"}
    # ... and the process was killed here, before its notice task ran.
    claimed = await world.request("r1")
    assert (claimed.state, claimed.lease_owner, claimed.notified_at) == ("notifying", "dead", None)
    assert await drained(alive) == 0, "the dead process's notice lease still holds"
    world.clock.advance(31)
    assert await drained(alive) == 2
    assert world.notices.finished == [("r1", "complete")]
    assert world.notices.posted == ["r1"]


async def test_after_its_last_try_a_notice_is_given_up_and_the_error_kept(world: World) -> None:
    await world.add("r1", "j1")
    watcher = world.watcher("a", notice_attempts=2)
    world.vbc.states["j1"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    world.notices.fail = ["post", "post"]
    for _ in range(3):
        world.clock.advance(30)
        await drained(watcher)
    ended = await world.request("r1")
    assert (ended.state, ended.notified_at, ended.notice_attempts) == ("complete", None, 2)
    assert ended.error is not None
    assert "could not be delivered" in ended.error
    assert world.notices.posted == []


async def test_client_retries_cannot_outlast_the_polls_share_of_the_lease(world: World) -> None:
    await world.add("r1", "j1")
    world.vbc.status_code = {"j1": 503}
    patient = VbcClient(world.http, retry=RetryPolicy(attempts=4, base_delay=30.0, max_delay=30.0))
    watcher = ExportWatcher(
        store=world.store,
        vbc=patient,
        notifier=world.notices,
        clock=world.clock,
        tuning=WatchTuning(lease_seconds=0.2, by_list=False),
        owner="a",
    )
    world.clock.advance(1)
    started = asyncio.get_running_loop().time()
    assert await drained(watcher) == 1
    assert asyncio.get_running_loop().time() - started < 5, "a 30 s retry sleep was cut off"
    polled = await world.request("r1")
    assert (polled.lease_owner, polled.attempts) == (None, 1), "written back within the lease"


async def test_a_row_leased_elsewhere_is_waited_for_not_spun_on(world: World) -> None:
    await world.add("r1", "j1")
    holder, waiter = world.watcher("a", lease_seconds=30), world.watcher("b", idle_wait=60)
    assert await waiter._until_due() == 1.0
    world.clock.advance(1)
    await holder._claim()
    assert await waiter._until_due() == 30.0, "due again when the lease runs out"


# -- listed: one VBC listing serves every job in flight ----------------------------------------


def listed(world: World, owner: str = "a", **tuning: Any) -> ExportWatcher:
    return world.watcher(owner, by_list=True, list_reuse=0.0, **tuning)


async def test_listed_one_listing_serves_every_request_in_flight(world: World) -> None:
    for n in range(5):
        await world.add(f"r{n}", f"j{n}")
    watcher = listed(world)
    world.clock.advance(1)
    assert await drained(watcher) == 5
    assert world.vbc.listings == [None], "one listing for five requests"
    assert world.vbc.gets == [], "no job read on its own"
    for n in range(5):
        world.vbc.states[f"j{n}"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    world.clock.advance(10)
    assert await drained(watcher) == 5
    assert world.vbc.listings == [None, None]
    assert world.vbc.gets == []
    assert sorted(world.notices.finished) == [(f"r{n}", "complete") for n in range(5)]
    assert (watcher.listing.calls, watcher.polls, watcher.looks) == (2, 0, 10)


async def test_listed_a_listing_vbc_pages_after_all_is_followed(world: World) -> None:
    for n in range(25):
        await world.add(f"r{n}", f"j{n}")
    world.vbc.pages_of = 10
    watcher = listed(world)
    world.clock.advance(1)
    assert await drained(watcher) == 25
    assert world.vbc.listings == [None, None, None], "three pages of one listing"
    assert world.vbc.gets == [], "no job read on its own"


async def test_listed_a_job_the_listing_does_not_show_is_read_on_its_own(world: World) -> None:
    await world.add("r1", "j1", "j2")
    world.vbc.unlisted = {"j2"}
    world.vbc.states["j2"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    watcher = listed(world)
    world.clock.advance(1)
    await drained(watcher)
    assert (world.vbc.listings, world.vbc.gets) == ([None], ["j2"])
    world.vbc.states["j1"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    world.clock.advance(10)
    await drained(watcher)
    assert world.vbc.gets == ["j2"], "an ended job is not read again"
    assert world.notices.finished == [("r1", "complete")]


async def test_listed_a_listing_grown_far_beyond_is_filtered_by_status(world: World) -> None:
    await world.add("r1", "j1")
    await world.add("r2", "j2")
    world.vbc.states["j2"] = {"status": "in_progress", "files_completed": 1, "files_total": 4}
    world.vbc.finished_elsewhere = 50  # finished jobs VBC still keeps, far more than 2 in flight
    watcher = listed(world, list_growth=4.0, list_slack=10)
    world.clock.advance(1)
    await drained(watcher)
    assert world.vbc.listings == [None], "the big listing still served this pass"
    world.vbc.states["j1"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    world.clock.advance(10)
    await drained(watcher)
    assert world.vbc.listings == [None, "queued", "in_progress"]
    assert world.vbc.gets == ["j1"], "missing from the unfinished jobs: ended, read once"
    assert world.notices.finished == [("r1", "complete")]
    assert (await world.request("r2")).state == "running"


async def test_listed_a_status_filter_vbc_ignores_falls_back_to_single_reads(
    world: World,
) -> None:
    await world.add("r1", "j1")
    world.vbc.finished_elsewhere = 50
    world.vbc.honour_status = False
    watcher = listed(world, list_growth=4.0, list_slack=10)
    for _ in range(3):
        world.clock.advance(10)
        await drained(watcher)
    assert world.vbc.listings == [None, "queued"], "the filter was not honoured: stop listing"
    assert world.vbc.gets == ["j1", "j1"], "from then on the job is read on its own"


async def test_listed_a_rate_limited_listing_pauses_every_read(world: World) -> None:
    await world.add("r1", "j1")
    await world.add("r2", "j2")
    world.vbc.listing_status = 429
    watcher = listed(world)
    world.clock.advance(1)
    assert await drained(watcher) == 2
    assert world.vbc.gets == [], "no burst of single reads after a 429"
    assert (await world.request("r1")).poll_interval == 20.0, "Retry-After beats the backoff"


async def test_listed_a_listing_vbc_refuses_falls_back_to_single_reads(world: World) -> None:
    await world.add("r1", "j1")
    world.vbc.listing_status = 403
    watcher = listed(world)
    for _ in range(2):
        world.clock.advance(10)
        await drained(watcher)
    assert world.vbc.listings == [None]
    assert world.vbc.gets == ["j1", "j1"]


async def test_listed_two_processes_still_notify_once(world: World) -> None:
    await world.add("r1", "j1")
    world.vbc.states["j1"] = {"status": "complete", "files_completed": 4, "files_total": 4}
    first, second = listed(world, "a"), listed(world, "b")
    world.clock.advance(1)
    await asyncio.gather(drained(first), drained(second))
    world.clock.advance(60)
    await asyncio.gather(drained(first), drained(second))
    assert world.notices.posted == ["r1"]
    assert world.notices.finished == [("r1", "complete")]


async def test_the_store_counts_the_jobs_in_flight_per_user(world: World) -> None:
    await world.add("r1", "j1", "j2")
    await world.add("r2", "j3")
    world.vbc.states["j2"] = {"status": "complete", "files_total": 4}
    watcher = listed(world)
    world.clock.advance(1)
    await drained(watcher)
    assert await ExportRows(world.store).jobs_in_flight() == {"self": 2}
    assert set(ENDED_JOB_STATES) == TERMINAL_JOB_STATES, "the store spells them as VBC does"

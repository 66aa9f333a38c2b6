"""Benchmark: the export watcher with 1,000 VBC export jobs in flight.

Measures VBC requests per minute and the watcher's CPU while the jobs run, the delay from a
job's completion to its notification (p50 / p95 / max), the gap between two polls of one job,
and the watcher's CPU once everything has finished (idle).

Targets: p95 delay <= poll cap + 2 s; idle CPU < 5 % of one core; no more than one poll per
job per interval (the shortest gap between two polls of a job >= 90 % of the first interval).

Set-up: the VBC simulator runs in its own process (its CPU is not counted; every job takes
``JOB_SECONDS``). This process runs the real ``ExportWatcher`` over a SQLite database, with the
poll cap shortened to ``POLL_CAP`` seconds (production default: 15 s) so the run stays under
two minutes; its notifier records the moment of each notice instead of calling Slack, so only
the watcher is measured. Run: ``.venv/bin/python bench/export_watch.py``; exits 1 on a miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import httpx
import psutil

from bot.clock import system_clock
from bot.exports import FIRST_POLL_SECONDS, ExportWatcher, Outcome, RecordNotice, WatchTuning
from bot.store import Store
from bot.store.engine import create_engine, migrate
from bot.store.tables import ExportJobRow, ExportRequest
from bot.vbc.auth import TokenEndpoint, VbcAuth, VbcCredentials
from bot.vbc.client import VbcClient
from bot.vbc.filter import RecordingFilter
from bot.vbcsim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME

JOBS = 1000
JOB_SECONDS = 25.0
POLL_CAP = 5.0
IDLE_SECONDS = 10.0
DEADLINE = 100.0  # seconds for every job to be noticed


def build_client(url: str) -> tuple[VbcClient, httpx.AsyncClient]:
    """As the bot builds it (``bot.app.build_vbc``): one pool, password grant, auth flow."""
    http = httpx.AsyncClient(
        base_url=url,
        timeout=10.0,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )
    creds = VbcCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERNAME, DEMO_PASSWORD)
    http.auth = VbcAuth(TokenEndpoint(http, f"{url}/token", creds, time.monotonic))
    return VbcClient(http), http


class Recorder:
    """The watcher's notifier: when each request's notice would have gone out."""

    def __init__(self) -> None:
        self.notified: dict[str, float] = {}

    async def progress(self, request: ExportRequest, jobs: Sequence[ExportJobRow]) -> None:
        del request, jobs  # progress edits go to Slack; not measured here

    async def finish(
        self,
        request: ExportRequest,
        jobs: Sequence[ExportJobRow],
        state: str,
        record: RecordNotice,
    ) -> Outcome:
        del jobs
        if request.id in self.notified:
            raise AssertionError(f"second notice for {request.id}")
        self.notified[request.id] = time.monotonic()
        await record("D1", request.id)  # the notice's ts, stored as the real notifier does
        return Outcome(state)


@contextlib.contextmanager
def simulator() -> Iterator[tuple[str, psutil.Process]]:
    code = (
        "from bot.vbcsim import main_sim; "
        f"main_sim(['--port', '0', '--job-seconds', '{JOB_SECONDS}'])"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        if "listening on" not in first:
            raise RuntimeError(f"simulator did not start: {first!r}")
        yield first.rsplit(" ", 1)[-1].strip(), psutil.Process(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def start_jobs(store: Store, url: str) -> dict[str, float]:
    """1,000 company exports at VBC, each stored as one request; returns completion times."""
    vbc, http = build_client(url)
    done_at: dict[str, float] = {}
    rows: list[tuple[ExportRequest, ExportJobRow]] = []
    one_hour = RecordingFilter(extension="101")
    gate = asyncio.Semaphore(20)

    async def one(n: int) -> None:
        async with gate:
            [job_id] = await vbc.export_company_recordings(one_hour)
        request_id = uuid.uuid4().hex[:12]
        done_at[request_id] = time.monotonic() + JOB_SECONDS
        now = system_clock()
        request = ExportRequest(
            id=request_id,
            team_id="T1",
            slack_user_id=f"U{n}",
            request_text="ext:101",
            next_poll_at=now + timedelta(seconds=FIRST_POLL_SECONDS),
            poll_interval=FIRST_POLL_SECONDS,
        )
        job = ExportJobRow(
            vbc_job_id=job_id, request_id=request_id, vbc_user_id="self", kind="company"
        )
        rows.append((request, job))

    await asyncio.gather(*(one(n) for n in range(JOBS)))
    await http.aclose()
    async with store.session() as s:
        s.add_all(r for r, _ in rows)
        await s.flush()
        s.add_all(j for _, j in rows)
        await s.commit()
    return done_at


async def run(database: Path, url: str) -> bool:
    engine = create_engine(f"sqlite:///{database}")
    await migrate(engine)
    store = Store(engine, clock=system_clock)
    vbc, http = build_client(url)
    polls: dict[str, list[float]] = defaultdict(list)

    async def log_poll(request: httpx.Request) -> None:
        if "/jobs/" in request.url.path:
            polls[request.url.path.rsplit("/", 1)[1]].append(time.monotonic())

    http.event_hooks["request"].append(log_poll)
    recorder = Recorder()
    tuning = WatchTuning(cap=POLL_CAP)
    watcher = ExportWatcher(
        store=store, vbc=vbc, notifier=recorder, clock=system_clock, tuning=tuning
    )
    done_at = await start_jobs(store, url)
    me = psutil.Process()
    cpu_start, wall_start = me.cpu_times(), time.monotonic()
    task = asyncio.create_task(watcher.run())
    deadline = time.monotonic() + DEADLINE
    while len(recorder.notified) < JOBS and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    busy_wall = time.monotonic() - wall_start
    busy_cpu = _cpu(me) - _sum(cpu_start)
    idle_cpu_start, idle_start = _cpu(me), time.monotonic()
    await asyncio.sleep(IDLE_SECONDS)
    idle_share = (_cpu(me) - idle_cpu_start) / (time.monotonic() - idle_start)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await http.aclose()
    await engine.dispose()
    return report(recorder, done_at, polls, busy_wall, busy_cpu, idle_share)


def report(
    recorder: Recorder,
    done_at: dict[str, float],
    polls: dict[str, list[float]],
    busy_wall: float,
    busy_cpu: float,
    idle_share: float,
) -> bool:
    delays = sorted(recorder.notified[r] - done_at[r] for r in recorder.notified)
    total_polls = sum(len(p) for p in polls.values())
    gaps = [b - a for times in polls.values() for a, b in itertools.pairwise(times)]
    p95 = delays[int(0.95 * (len(delays) - 1))] if delays else float("inf")
    checks = {
        f"all {JOBS} jobs notified once": len(recorder.notified) == JOBS,
        f"p95 delay <= poll cap + 2 s ({POLL_CAP + 2:.0f} s)": p95 <= POLL_CAP + 2,
        "idle CPU < 5 % of one core": idle_share < 0.05,
        "one poll per job per interval": min(gaps, default=1.0) >= 0.9 * FIRST_POLL_SECONDS,
    }
    print(f"jobs in flight:            {JOBS} (each {JOB_SECONDS:.0f} s at the simulator)")
    print(f"poll cap (bench setting):  {POLL_CAP:.0f} s (production default 15 s)")
    print(f"watch phase:               {busy_wall:.1f} s")
    print(
        f"VBC job reads:             {total_polls} ({total_polls / busy_wall * 60:.0f} per minute)"
    )
    print(f"polls per job:             {total_polls / max(len(polls), 1):.1f}")
    print(f"shortest gap between polls of one job: {min(gaps, default=0):.2f} s")
    print(f"watcher CPU while busy:    {busy_cpu / busy_wall * 100:.1f} % of one core")
    print(f"watcher CPU when idle:     {idle_share * 100:.2f} % of one core")
    if delays:
        print(
            "completion -> notice:      "
            f"p50 {statistics.median(delays):.2f} s, p95 {p95:.2f} s, max {delays[-1]:.2f} s"
        )
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return all(checks.values())


def _sum(times: psutil._common.pcputimes) -> float:
    return float(times.user + times.system)


def _cpu(process: psutil.Process) -> float:
    return _sum(process.cpu_times())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, simulator() as (url, _sim):
        ok = asyncio.run(run(Path(tmp) / "bench.db", url))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""Benchmark: the export watcher with 1,000 VBC export jobs in flight, listed vs read one by one.

Runs the watcher twice in one go, each time against a fresh simulator: first the baseline
(``by_list=False``: each job read on its own, the watcher before issue 12), then the default
(one ``getCCRExportJobs`` listing per pass serves every job). For each it measures VBC job
reads (listings and single reads) per minute and per job per interval, the watcher's CPU while
the jobs run, the delay from a job's completion to its notification (p50 / p95 / max), the gap
between two single reads of one job, and the watcher's CPU once everything has finished.

"Per job per interval" divides the VBC reads by the watcher's looks: one per unfinished job
each time its request came due (its backoff interval), so the baseline is 1.0 by design.

Targets (listed run): VBC reads per job per interval <= 0.1; CPU while busy <= 0.3x the
baseline's; p95 delay <= poll cap + 2 s; idle CPU < 5 % of one core. Both runs: every job
notified exactly once; no job read on its own twice within 90 % of the first interval.

Set-up: the VBC simulator runs in its own process (its CPU is not counted; every job takes
``JOB_SECONDS``). This process runs the real ``ExportWatcher`` over a SQLite database, with the
poll cap shortened to ``POLL_CAP`` seconds (production default: 15 s) so the run stays under
two minutes; its notifier records the moment of each notice instead of calling Slack, so only
the watcher is measured.
Run: ``.venv/bin/python bench/export_watch.py [--mode both|list|per-job]``; exits 1 on a miss.
"""

from __future__ import annotations

import argparse
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
from dataclasses import dataclass
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


@dataclass
class Figures:
    """One run's measurements."""

    mode: str
    notified: int
    delays: list[float]
    single_reads: int
    listings: int
    looks: int
    passes: int
    min_gap: float | None  # None: no job was read on its own twice
    busy_wall: float
    busy_cpu: float
    idle_share: float

    @property
    def reads(self) -> int:
        return self.single_reads + self.listings

    @property
    def per_look(self) -> float:
        return self.reads / max(self.looks, 1)

    @property
    def busy_share(self) -> float:
        return self.busy_cpu / max(self.busy_wall, 1e-9)

    @property
    def p95(self) -> float:
        d = self.delays
        return d[int(0.95 * (len(d) - 1))] if d else float("inf")


async def run(database: Path, url: str, *, by_list: bool) -> Figures:
    engine = create_engine(f"sqlite:///{database}")
    await migrate(engine)
    store = Store(engine, clock=system_clock)
    vbc, http = build_client(url)
    polls: dict[str, list[float]] = defaultdict(list)
    listings = 0

    async def log_poll(request: httpx.Request) -> None:
        nonlocal listings
        if "/jobs/" in request.url.path:
            polls[request.url.path.rsplit("/", 1)[1]].append(time.monotonic())
        elif request.url.path.endswith("/jobs"):
            listings += 1

    http.event_hooks["request"].append(log_poll)
    recorder = Recorder()
    tuning = WatchTuning(cap=POLL_CAP, by_list=by_list)
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
    while watcher.notices.tasks and time.monotonic() < deadline:  # the notices' last writes
        await asyncio.sleep(0.05)
    busy_wall = time.monotonic() - wall_start
    busy_cpu = _cpu(me) - _sum(cpu_start)
    idle_cpu_start, idle_start = _cpu(me), time.monotonic()
    await asyncio.sleep(IDLE_SECONDS)
    idle_share = (_cpu(me) - idle_cpu_start) / (time.monotonic() - idle_start)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await http.aclose()
    await engine.dispose()
    gaps = [b - a for times in polls.values() for a, b in itertools.pairwise(times)]
    return Figures(
        mode="listed" if by_list else "per-job",
        notified=len(recorder.notified),
        delays=sorted(recorder.notified[r] - done_at[r] for r in recorder.notified),
        single_reads=sum(len(p) for p in polls.values()),
        listings=listings,
        looks=watcher.looks,
        passes=watcher.passes,
        min_gap=min(gaps, default=None),
        busy_wall=busy_wall,
        busy_cpu=busy_cpu,
        idle_share=idle_share,
    )


def show(f: Figures) -> None:
    print(f"-- {f.mode}: jobs read {'from one listing' if f.mode == 'listed' else 'one by one'}")
    print(f"watch phase:               {f.busy_wall:.1f} s")
    print(
        f"VBC job reads:             {f.reads} ({f.listings} listings, {f.single_reads} single;"
        f" {f.reads / f.busy_wall * 60:.0f} per minute)"
    )
    print(
        f"reads per job per interval: {f.per_look:.3f}"
        f" ({f.looks} looks at unfinished jobs in {f.passes} passes)"
    )
    gap = "none read twice" if f.min_gap is None else f"{f.min_gap:.2f} s"
    print(f"shortest gap between single reads of one job: {gap}")
    print(f"watcher CPU while busy:    {f.busy_share * 100:.1f} % of one core")
    print(f"watcher CPU when idle:     {f.idle_share * 100:.2f} % of one core")
    if f.delays:
        print(
            "completion -> notice:      "
            f"p50 {statistics.median(f.delays):.2f} s, p95 {f.p95:.2f} s, max {f.delays[-1]:.2f} s"
        )


def checks(f: Figures, baseline: Figures | None) -> dict[str, bool]:
    found = {
        f"{f.mode}: all {JOBS} jobs notified once": f.notified == JOBS,
        f"{f.mode}: no job read twice within one interval": f.min_gap is None
        or f.min_gap >= 0.9 * FIRST_POLL_SECONDS,
        f"{f.mode}: idle CPU < 5 % of one core": f.idle_share < 0.05,
    }
    if f.mode == "listed":
        found["listed: p95 delay <= poll cap + 2 s"] = f.p95 <= POLL_CAP + 2
        found["listed: VBC reads per job per interval <= 0.1"] = f.per_look <= 0.1
        if baseline is not None:
            ratio = f.busy_share / max(baseline.busy_share, 1e-9)
            print(f"listed CPU while busy / per-job CPU while busy: {ratio:.2f}x")
            found["listed: CPU while busy <= 0.3x the per-job watcher's"] = ratio <= 0.3
    return found


def _sum(times: psutil._common.pcputimes) -> float:
    return float(times.user + times.system)


def _cpu(process: psutil.Process) -> float:
    return _sum(process.cpu_times())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--mode",
        choices=("both", "list", "per-job"),
        default="both",
        help="both (default: the per-job baseline, then the listed watcher), or one of them",
    )
    modes = {"both": (False, True), "list": (True,), "per-job": (False,)}[parser.parse_args().mode]
    print(f"jobs in flight:            {JOBS} (each {JOB_SECONDS:.0f} s at the simulator)")
    print(f"poll cap (bench setting):  {POLL_CAP:.0f} s (production default 15 s)")
    results: list[Figures] = []
    for by_list in modes:
        with tempfile.TemporaryDirectory() as tmp, simulator() as (url, _sim):
            results.append(asyncio.run(run(Path(tmp) / "bench.db", url, by_list=by_list)))
        show(results[-1])
    baseline = next((r for r in results if r.mode == "per-job"), None)
    verdict: dict[str, bool] = {}
    for figures in results:
        verdict.update(checks(figures, baseline))
    for name, ok in verdict.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    sys.exit(0 if all(verdict.values()) else 1)


if __name__ == "__main__":
    main()

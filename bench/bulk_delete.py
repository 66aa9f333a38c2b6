"""Benchmark: a bulk delete of 5,000 recordings against VBC answering in 50 ms.

Targets (issue 11): deletes per second >= 0.8x the simulator's own ceiling, measured in the same
run with the same concurrency (bare httpx DELETEs); VBC requests per deletion <= 1.01 (plus the
listing's pages, shown apart); peak RSS growth of the bot's process <= 32 MB; and after a
SIGKILL half-way and a restart, 0 recordings skipped and at most the in-flight ones sent again
(VBC answers 404 to those): DELETEs sent, or answered and not yet written, at most twice the
worker's concurrency.

The simulator and the fake Slack run in a child process (so only the bot is measured), each set
of recordings told apart by its caller number. The bot is the real one (``build_runtime``): the
offer and the typed confirmation go through its deletion service, the worker deletes. The kill
phase runs the worker in a bot subprocess (``tests.integration.bot_process``) on the same SQLite
file, kills it with SIGKILL half-way and starts another.

Run: ``.venv/bin/python bench/bulk_delete.py [--count 5000] [--strict]``. Every phase is bounded
by ``--deadline`` seconds; a missed target prints FAIL and exits 0 unless ``--strict``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psutil

from bot.app import Runtime, build_runtime
from bot.demo.fake_slack import FakeSlack
from bot.demo.stack import DEMO_BOT_TOKEN, DEMO_SIGNING_SECRET, loopback_settings
from bot.people.asker import Asker
from bot.store.deletions import DeletionRows
from bot.vbcsim import demo_password_form, start_simulator

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "U_BENCH_ADMIN"
TEAM = "T0001"
LATENCY = 0.05
CONCURRENCY = 10
SETS = {"baseline": "17325559001", "bot": "17325559002", "kill": "17325559003"}
COMPANY = "/t/vbc.prod/call_recording/api/accounts/self/company_call_recordings"


# -- the child process: simulator and fake Slack ---------------------------------------------


def serve_world(conn: Connection, count: int) -> None:
    asyncio.run(_world(conn, count))


async def _world(conn: Connection, count: int) -> None:
    sim = await start_simulator(now=datetime.now(UTC))
    sim.state.requests = collections.deque(maxlen=200_000)  # every request of the run
    slack = FakeSlack(trigger_ttl=None)
    await slack.start()
    slack.add_user(ADMIN, "Bench Admin", tz="UTC", email=sim.state.admin.email)
    ids: dict[str, list[int]] = {}
    start = sim.state.dataset.now - timedelta(hours=1)
    for name, caller in SETS.items():
        ids[name] = [
            sim.state.add_recording(caller_id=caller, start=start - timedelta(seconds=n)).id
            for n in range(count)
        ]
    sim.state.faults.update({"latency": LATENCY})
    conn.send({"sim": sim.url, "slack": slack.url, "ids": ids})
    loop = asyncio.get_running_loop()
    try:
        while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
            deletes: dict[int, list[int]] = collections.defaultdict(list)
            lists = 0
            for entry in sim.state.requests:
                if entry["method"] == "DELETE":
                    deletes[int(entry["path"].rsplit("/", 1)[1])].append(entry["status"])
                elif entry["method"] == "GET" and entry["path"] == COMPANY:
                    lists += 1
            conn.send({"deletes": dict(deletes), "lists": lists, "command": command})
    finally:
        await slack.close()
        await sim.close()


def ask(conn: Connection) -> dict[str, Any]:
    conn.send("stats")
    answer: dict[str, Any] = conn.recv()
    return answer


# -- measuring -------------------------------------------------------------------------------


class PeakRss:
    """The highest RSS seen while inside the block, sampled by a thread (the loop is busy)."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.start = self.peak = 0
        self._done = threading.Event()

    @contextlib.contextmanager
    def watch(self) -> Iterator[PeakRss]:
        self.start = self.peak = self._process.memory_info().rss
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._done.set()
            thread.join()

    def _sample(self) -> None:
        while not self._done.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / 1024 / 1024


async def ceiling(sim_url: str, ids: list[int]) -> float:
    """Deletes per second of bare httpx DELETEs, ``CONCURRENCY`` at a time."""
    async with httpx.AsyncClient(base_url=sim_url, timeout=30) as http:
        token = (await http.post("/token", data=demo_password_form())).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        queue = collections.deque(ids)

        async def worker() -> None:
            while queue:
                answer = await http.delete(f"{COMPANY}/{queue.popleft()}")
                assert answer.status_code == 204, answer.status_code

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return len(ids) / (time.monotonic() - began)


async def confirmed_job(runtime: Runtime, caller: str, count: int) -> int:
    """Offer and confirm a bulk delete through the service, as the slash command and modal do."""
    jobs = runtime.services.lifecycle.jobs
    asker = Asker(team_id=TEAM, user_id=ADMIN, channel_id=None)
    prompt = await jobs.offer(asker, f"scope:company from:{caller} last 7d")
    buttons = [
        e["value"]
        for b in prompt["blocks"]
        for e in b.get("elements", [])
        if e.get("action_id") == "bulk_delete_open"
    ]
    if not buttons:
        raise RuntimeError(f"no bulk delete offered: {prompt['text']}")
    value = buttons[0]
    assert prompt["text"].startswith((f"{count} ", f"{count:,} ")), prompt["text"]
    reply = await jobs.begin(asker, value, str(count), "benchmark")
    assert "Deleting" in reply["text"], reply["text"]
    return int(value)


async def wait_done(rows: DeletionRows, job_id: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        job = await rows.get(job_id)
        if job is not None and job.state == "done":
            return True
        await asyncio.sleep(0.05)
    return False


def bot_env(world: dict[str, Any], database_url: str, settings: Any) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")},
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": DEMO_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": DEMO_SIGNING_SECRET,
        "SLACK_API_URL": world["slack"],
        "VBC_API_URL": world["sim"],
        "VBC_CLIENT_ID": settings.vbc_client_id,
        "VBC_CLIENT_SECRET": settings.vbc_client_secret,
        "VBC_USERNAME": settings.vbc_username,
        "VBC_PASSWORD": settings.vbc_password,
        "BOT_ADMINS": ADMIN,
        "DATABASE_URL": database_url,
        "BOT_SECRET_KEY": settings.bot_secret_key,
        "DELETE_LEASE_SECONDS": "3",
        "DELETE_CONCURRENCY": str(CONCURRENCY),
    }


async def spawn_bot(env: dict[str, str]) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.bot_process",
        cwd=str(ROOT),
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.startswith(b"READY "), line
    return proc


async def run(conn: Connection, world: dict[str, Any], count: int, deadline: float) -> list[Any]:
    rows_out: list[tuple[str, str, str, bool]] = []
    base_rate = await ceiling(world["sim"], world["ids"]["baseline"])
    with tempfile.TemporaryDirectory() as workdir:
        database_url = f"sqlite:///{Path(workdir) / 'bench.db'}"
        settings = dataclasses.replace(
            loopback_settings(world["sim"], world["slack"], database_url),
            bot_admins=frozenset({ADMIN}),
        )
        runtime = await build_runtime(settings)
        worker = runtime.services.lifecycle.worker
        worker.tuning.concurrency = CONCURRENCY
        rows = DeletionRows(runtime.services.store)
        try:
            before = ask(conn)["lists"]
            job_id = await confirmed_job(runtime, SETS["bot"], count)
            pages = ask(conn)["lists"] - before
            rss = PeakRss()
            with rss.watch():
                began = time.monotonic()
                task = asyncio.create_task(worker.run())
                finished = await wait_done(rows, job_id, time.monotonic() + deadline)
                took = time.monotonic() - began
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            stats = ask(conn)["deletes"]
            bot_ids = world["ids"]["bot"]
            sent = sum(len(stats.get(i, [])) for i in bot_ids)
            rate = count / took
            rows_out += [
                (
                    "deletes/s (bot worker)",
                    f"{rate:,.0f}/s vs ceiling {base_rate:,.0f}/s",
                    f"{rate / base_rate:.2f}x",
                    finished and rate / base_rate >= 0.8,
                ),
                (
                    "VBC requests per deletion",
                    f"{sent / count:.3f} DELETE (+ {pages} list pages for the count)",
                    "≤ 1.01",
                    finished and sent / count <= 1.01,
                ),
                ("peak RSS growth", f"{rss.growth_mb:.1f} MB", "≤ 32 MB", rss.growth_mb <= 32),
            ]
            # -- SIGKILL half-way, in a bot subprocess, then a restart --------------------------
            kill_job = await confirmed_job(runtime, SETS["kill"], count)
            env = bot_env(world, database_url, settings)
            first = await spawn_bot(env)
            kill_ids = world["ids"]["kill"]
            stop_at = time.monotonic() + deadline
            while time.monotonic() < stop_at:
                stats = ask(conn)["deletes"]
                if sum(1 for i in kill_ids if 204 in stats.get(i, [])) >= count // 2:
                    break
                await asyncio.sleep(0.1)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            second = await spawn_bot(env)
            try:
                finished = await wait_done(rows, kill_job, time.monotonic() + deadline)
            finally:
                second.send_signal(signal.SIGKILL)
                await second.wait()
            stats = ask(conn)["deletes"]
            skipped = [i for i in kill_ids if 204 not in stats.get(i, [])]
            resent = [i for i in kill_ids if len(stats.get(i, [])) > 1]
            rows_out += [
                (
                    "after SIGKILL + restart: skipped",
                    f"{len(skipped)} of {count:,}",
                    "0",
                    finished and not skipped,
                ),
                (
                    "after SIGKILL + restart: sent again (404)",
                    f"{len(resent)} (≤ {CONCURRENCY} sent + ≤ {CONCURRENCY} unwritten)",
                    f"≤ {2 * CONCURRENCY}",
                    len(resent) <= 2 * CONCURRENCY and all(stats[i][1:] == [404] for i in resent),
                ),
            ]
        finally:
            await runtime.close()
    return rows_out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--deadline", type=float, default=180.0, help="seconds per phase")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    parent, child = multiprocessing.Pipe()
    world_proc = multiprocessing.get_context("spawn").Process(
        target=serve_world, args=(child, args.count), daemon=True
    )
    world_proc.start()
    world = parent.recv()
    try:
        results = asyncio.run(run(parent, world, args.count, args.deadline))
    finally:
        parent.send("stop")
        world_proc.join(10)
    print(f"bulk delete of {args.count:,} recordings, VBC answering in {LATENCY * 1000:.0f} ms")
    print(f"{'figure':44} {'value':52} {'target / ratio':>14}  ok")
    failed = False
    for name, value, target, ok in results:
        failed |= not ok
        print(f"{name:44} {value:52} {target:>14}  {'ok' if ok else 'FAIL'}")
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())

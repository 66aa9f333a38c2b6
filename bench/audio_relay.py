"""Benchmark: Play relays a 200 MB recording from VBC into Slack in constant memory.

Targets (issue text): peak RSS growth of the relaying process <= 32 MB; throughput >= 0.5x a
bare httpx download-and-upload copy over the same loopback in the same run; a second Play of
the same recording moves 0 audio bytes (the Slack file is shared again).

The VBC simulator and the fake Slack run in a child process, so only the relay's memory is
measured here: this process holds the real bot (``build_runtime``) and calls its Play service
(``AudioService.play``) as the click handler does. Peak RSS is sampled every 2 ms by a thread.

Run: ``.venv/bin/python bench/audio_relay.py [--mb 200] [--strict]``. Prints a table; a missed
target prints FAIL and exits 0 unless ``--strict``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import hashlib
import multiprocessing
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psutil

from bot.app import build_runtime
from bot.audio.service import Outcome
from bot.demo.fake_slack import FakeSlack
from bot.demo.stack import DEMO_BOT_TOKEN, loopback_settings
from bot.people.asker import Asker
from bot.settings import Settings
from bot.vbcsim import (
    demo_password_form,
    start_simulator,
)
from bot.vbcsim.mp3 import iter_mp3

TOKEN = DEMO_BOT_TOKEN
USER = "U_BENCH"
TEAM = "T0001"
MB = 1024 * 1024
CHUNK = 256 * 1024  # what the bot's VBC download yields, for a like-for-like baseline


# -- the child process: simulator and fake Slack ---------------------------------------------


def serve_world(conn: Connection, size: int) -> None:
    asyncio.run(_world(conn, size))


async def _world(conn: Connection, size: int) -> None:
    sim = await start_simulator(now=datetime.now(UTC))
    slack = FakeSlack(trigger_ttl=None)
    await slack.start()
    member = sim.state.users[0]
    slack.add_user(USER, "Bench Member", tz="UTC", email=member.email)
    rec = sim.state.add_recording(size_bytes=size, user_id=member.id)
    conn.send({"sim": sim.url, "slack": slack.url, "recording": rec.id})
    loop = asyncio.get_running_loop()
    try:
        while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
            if command == "stats":
                audio = [r for r in sim.state.requests if "/audio/recording/" in r["path"]]
                uploads = [
                    {"size": u.size, "sha256": u.sha256, "chunks": u.chunks, "done": u.completed}
                    for u in slack.uploads.values()
                ]
                conn.send({"audio_requests": len(audio), "uploads": uploads})
    finally:
        await slack.close()
        await sim.close()


# -- measuring -------------------------------------------------------------------------------


class PeakRss:
    """The highest RSS seen while inside the block, sampled by a thread (the loop is busy)."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self.start = self.peak = 0
        self._done = threading.Event()

    @contextlib.contextmanager
    def watch(self) -> Iterator[PeakRss]:
        gc.collect()
        self.start = self.peak = self._process.memory_info().rss
        self._done.clear()
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._done.set()
            thread.join()

    def _sample(self) -> None:
        while not self._done.wait(0.002):
            self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / MB


def expected_sha256(recording_id: int, size: int) -> str:
    digest = hashlib.sha256()
    for chunk in iter_mp3(recording_id, size):
        digest.update(chunk)
    return digest.hexdigest()


async def bare_copy(sim_url: str, slack_url: str, recording_id: int) -> float:
    """The baseline: download with httpx, upload with httpx, nothing else; seconds taken."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0)) as http:
        token = await http.post(
            f"{sim_url}/token",
            data=demo_password_form(),
        )
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        path = f"/t/vbc.prod/call_recording/api/audio/recording/{recording_id}"
        started = time.perf_counter()
        async with http.stream("GET", f"{sim_url}{path}", headers=auth) as download:
            length = int(download.headers["Content-Length"])
            prepared = await http.post(
                f"{slack_url}files.getUploadURLExternal",
                data={"filename": "bare.mp3", "length": str(length)},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )

            async def body() -> AsyncIterator[bytes]:
                async for chunk in download.aiter_bytes(CHUNK):
                    yield chunk

            sent = await http.post(
                prepared.json()["upload_url"],
                content=body(),
                headers={"Content-Length": str(length)},
            )
            sent.raise_for_status()
        return time.perf_counter() - started


def settings_for(sim_url: str, slack_url: str, workdir: Path) -> Settings:
    return dataclasses.replace(
        loopback_settings(sim_url, slack_url, f"sqlite:///{workdir / 'bench.db'}"),
        bot_secret_key="bench-secret-key-bench-secret-key-0123456789",
    )


def ask(conn: Connection, command: str) -> dict[str, Any]:
    conn.send(command)
    answer: dict[str, Any] = conn.recv()
    return answer


async def run(conn: Connection, world: dict[str, Any], size: int) -> list[tuple[str, str, bool]]:
    rec_id = int(world["recording"])
    bare_before = await bare_copy(world["sim"], world["slack"], rec_id)
    with tempfile.TemporaryDirectory() as tmp:
        runtime = await build_runtime(settings_for(world["sim"], world["slack"], Path(tmp)))
        try:
            audio = runtime.services.audio
            assert audio is not None
            asker = Asker(team_id=TEAM, user_id=USER, channel_id=None)
            await runtime.services.directory.person(TEAM, USER)  # link by email before timing
            rss = PeakRss()
            with rss.watch():
                started = time.perf_counter()
                first: Outcome = await audio.play(asker, f"c:{rec_id}")
                relay_s = time.perf_counter() - started
            stats = ask(conn, "stats")
            second = await audio.play(asker, f"c:{rec_id}")
            after = ask(conn, "stats")
        finally:
            await runtime.close()
    # The faster of two bare copies (before and after the relay) is the bar to meet.
    bare_s = min(bare_before, await bare_copy(world["sim"], world["slack"], rec_id))
    assert first.delivery is not None, first.message
    upload = stats["uploads"][-1]
    exact = upload["sha256"] == expected_sha256(rec_id, size) and upload["done"]
    moved = second.delivery.bytes_moved if second.delivery else -1
    extra_audio = after["audio_requests"] - stats["audio_requests"]
    extra_uploads = len(after["uploads"]) - len(stats["uploads"])
    ratio = bare_s / relay_s
    mb = size / MB
    print(f"recording: {mb:.0f} MB; relay {relay_s:.2f} s ({mb / relay_s:.0f} MB/s), ", end="")
    print(f"bare httpx copy {bare_s:.2f} s ({mb / bare_s:.0f} MB/s)")
    print(f"upload chunks received by Slack: {upload['chunks']}; sha256 exact: {exact}")
    return [
        ("peak RSS growth (MB) <= 32", f"{rss.growth_mb:.1f}", rss.growth_mb <= 32),
        ("throughput vs bare copy >= 0.5x", f"{ratio:.2f}x", ratio >= 0.5),
        ("bytes arrived == recording's sha256", str(exact), exact),
        (
            "second Play: audio bytes moved == 0",
            f"{moved} (VBC GETs +{extra_audio}, uploads +{extra_uploads})",
            moved == 0 and extra_audio == 0 and extra_uploads == 0,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--mb", type=int, default=200, help="recording size in MB")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    size = args.mb * MB
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    world_process = ctx.Process(target=serve_world, args=(child, size), daemon=True)
    world_process.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the simulator and fake Slack did not start")
        world: dict[str, Any] = parent.recv()
        results = asyncio.run(run(parent, world, size))
    finally:
        with contextlib.suppress(BrokenPipeError, OSError):
            parent.send("stop")
        world_process.join(10)
        if world_process.is_alive():
            world_process.terminate()
    width = max(len(name) for name, _, _ in results)
    for name, value, ok in results:
        print(f"{name:<{width}}  {value:<40}  {'PASS' if ok else 'FAIL'}")
    return 1 if args.strict and not all(ok for _, _, ok in results) else 0


if __name__ == "__main__":
    sys.exit(main())

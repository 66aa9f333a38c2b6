"""Benchmark: 50 MB unsigned bodies cost the bot no memory (they get 413 at the cap).

Target (issue text): with 4 concurrent 50 MB unsigned bodies (2 declaring Content-Length,
2 chunked) on ``POST /slack/events``, all are refused with 413 and the bot's peak RSS grows by
at most 32 MB over the same run's idle baseline. Before the cap, each body was read whole
(and decoded, parsed) before the 401: one 200 MB body grew the bot by 600 MB.

The bot is the real process (``recordings-bot run``, HTTP mode) against the VBC simulator and
the fake Slack, which run in this process. Its RSS is sampled every 5 ms by a thread (psutil).
The clients are raw sockets that keep writing until the bot hangs up, as a hostile client
would, not stopping at the 413.

Run: ``.venv/bin/python bench/body_cap.py [--mb 50] [--clients 4] [--strict]``. Prints a
table; a missed target prints FAIL and exits 0 unless ``--strict``. About 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

from bot.demo.fake_slack import FakeSlack
from bot.demo.stack import DEMO_BOT_TOKEN, DEMO_SIGNING_SECRET
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    start_simulator,
)

MB = 1024 * 1024
CHUNK = 64 * 1024
GROWTH_MAX_MB = 32.0
DEADLINE = 60.0  # seconds for the whole bench, start-up included


class PeakRss:
    """Samples a process's RSS on a thread until stopped; keeps the peak."""

    def __init__(self, pid: int, period: float = 0.005) -> None:
        self._process = psutil.Process(pid)
        self._period = period
        self._stop = threading.Event()
        self.peak = 0

    def now(self) -> int:
        rss: int = self._process.memory_info().rss
        return rss

    @contextlib.contextmanager
    def watch(self) -> Iterator[PeakRss]:
        self.peak = self.now()
        self._stop.clear()
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self.now())
            time.sleep(self._period)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def send_body(port: int, size: int, *, chunked: bool) -> tuple[str, int]:
    """POST ``size`` unsigned bytes, writing until done or hung up on; (status, bytes written)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n"
    )
    writer.write(head.encode())
    answer = asyncio.create_task(reader.readline())
    written, block = 0, b"a" * CHUNK
    with contextlib.suppress(ConnectionError):
        while written < size:
            writer.write(f"{CHUNK:x}\r\n".encode() + block + b"\r\n" if chunked else block)
            await writer.drain()
            written += CHUNK
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    try:
        line = await asyncio.wait_for(answer, timeout=30)
    except (ConnectionError, TimeoutError):
        line = b""
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    parts = line.split()
    return (parts[1].decode() if len(parts) > 1 else "hung up"), written


async def wait_healthy(base: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as http:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the bot exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError("the bot did not start listening")


async def run(size: int, clients: int) -> list[tuple[str, str, bool]]:
    sim = await start_simulator()
    fake = FakeSlack()
    await fake.start()
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="body-cap-"))
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": DEMO_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": DEMO_SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": fake.url,
        "VBC_API_URL": sim.url,
        "VBC_CLIENT_ID": DEMO_CLIENT_ID,
        "VBC_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "VBC_USERNAME": DEMO_USERNAME,
        "VBC_PASSWORD": DEMO_PASSWORD,
        "DATABASE_URL": f"sqlite:///{workdir}/bot.db",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "BOT_SECRET_KEY": secrets.token_urlsafe(32),  # required outside the demo
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=str(workdir)
    )
    try:
        await wait_healthy(f"http://127.0.0.1:{port}", process)
        rss = PeakRss(process.pid or 0)
        with rss.watch():  # the idle baseline: the same process, before any body
            await asyncio.sleep(1.0)
        baseline = rss.peak
        began = time.perf_counter()
        with rss.watch():
            answers = await asyncio.gather(
                *(send_body(port, size, chunked=i % 2 == 1) for i in range(clients))
            )
        seconds = time.perf_counter() - began
        growth = (rss.peak - baseline) / MB
        statuses = [status for status, _ in answers]
        written = sum(n for _, n in answers) / MB
        refused = statuses.count("413")
        vbc_calls, slack_calls = len(sim.state.requests), len(fake.calls)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=15)
        except TimeoutError:
            process.kill()
        await fake.close()
        await sim.close()
    print(f"{clients} concurrent {size // MB} MB unsigned bodies on POST /slack/events ", end="")
    print(f"(half Content-Length, half chunked) in {seconds:.2f} s")
    print(f"bot RSS: idle {baseline / MB:.1f} MB, peak while refusing {rss.peak / MB:.1f} MB")
    print(f"client bytes written before the bot hung up: {written:.1f} MB in all")
    print(f"answers: {statuses}; VBC requests {vbc_calls}, Slack calls {slack_calls}\n")
    return [
        (f"refused with 413 ({clients} bodies)", f"{refused}/{clients}", refused == clients),
        (f"RSS growth <= {GROWTH_MAX_MB:g} MB", f"{growth:.1f} MB", growth <= GROWTH_MAX_MB),
        (
            "nothing sent to VBC or Slack",
            f"{vbc_calls + slack_calls}",
            vbc_calls + slack_calls == 0,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--mb", type=int, default=50, help="size of each body in MB")
    parser.add_argument("--clients", type=int, default=4, help="concurrent bodies")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    results = asyncio.run(asyncio.wait_for(run(args.mb * MB, args.clients), DEADLINE))
    width = max(len(name) for name, _, _ in results)
    print(f"{'target':<{width}}  {'figure':<10}  verdict")
    for name, value, ok in results:
        print(f"{name:<{width}}  {value:<10}  {'PASS' if ok else 'FAIL'}")
    return 1 if args.strict and not all(ok for _, _, ok in results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: what VbcClient costs over bare httpx, per page listed and per byte streamed.

Targets: (a) listing 100 pages through ``VbcClient`` (auth flow, retry wrapper, HAL and model
parsing) takes <= 1.2x the time per page of a bare ``httpx.AsyncClient`` doing the same GETs
with a static bearer token and ``response.json()``; (b) streaming a 100 MB recording through
``VbcClient.open_audio`` reaches >= 0.8x the throughput of a bare ``httpx`` stream, and grows
the process's peak RSS by <= 16 MB.

The simulator runs in its own process, so its memory and CPU are not counted. Paging variants
run in this process, alternated A/B/A/B; each streaming run gets a fresh child process (this
script with ``--stream``) that samples its own RSS with psutil while it streams. Medians are
reported. Run: ``.venv/bin/python bench/vbc_client.py``; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psutil

from bot.vbc.auth import TokenEndpoint, VbcAuth, VbcCredentials
from bot.vbc.client import DOWNLOAD_CHUNK, VbcClient
from bot.vbc.filter import RecordingFilter
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    demo_password_form,
)

PAGES = 100
PAGING_ROUNDS = 5  # per variant
STREAM_ROUNDS = 3  # per variant, one process each
STREAM_BYTES = 100_000_000
USER_AGENT = "vbc-recordings-bot/0.1 (+https://github.com/vbc-recordings-bot)"
COMPANY = "/t/vbc.prod/call_recording/api/accounts/self/company_call_recordings"
TOKEN_ENV = "BENCH_VBC_TOKEN"  # the bare child's static token, kept out of argv


def build_client(url: str) -> tuple[VbcClient, httpx.AsyncClient]:
    """Assembled as ``bot.app.build_vbc`` does."""
    http = httpx.AsyncClient(
        base_url=url,
        timeout=httpx.Timeout(30.0, connect=5.0),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )
    creds = VbcCredentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERNAME, DEMO_PASSWORD)
    http.auth = VbcAuth(TokenEndpoint(http, f"{url}/token", creds, time.monotonic))
    return VbcClient(http), http


def bare_client(url: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url,
        timeout=httpx.Timeout(30.0, connect=5.0),
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
        },
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )


async def password_token(url: str) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{url}/token", data=demo_password_form())
        response.raise_for_status()
        return str(response.json()["access_token"])


# (a) paging ---------------------------------------------------------------------------------
async def page_with_client(vbc: VbcClient, page_size: int) -> list[float]:
    """Seconds per page through the iterator the app uses: fetch, check, parse to models."""
    times: list[float] = []
    count = 0
    last = time.perf_counter()
    async for _rec in vbc.iter_company_recordings(RecordingFilter(page_size=page_size)):
        count += 1
        if count % page_size == 0:
            now = time.perf_counter()
            times.append(now - last)
            last = now
            if len(times) == PAGES:
                break
    assert len(times) == PAGES, count
    return times


async def page_bare(http: httpx.AsyncClient, page_size: int) -> list[float]:
    """Seconds per page of a GET with a static token, ``response.json()`` and the next link."""
    times: list[float] = []
    url: str | None = f"{COMPANY}?page_size={page_size}"
    while url and len(times) < PAGES:
        started = time.perf_counter()
        response = await http.get(url)
        response.raise_for_status()
        data = response.json()
        url = data["_links"].get("next", {}).get("href")
        times.append(time.perf_counter() - started)
    assert len(times) == PAGES, len(times)
    return times


async def bench_paging(url: str, token: str) -> dict[str, Any]:
    vbc, http = build_client(url)
    bare = bare_client(url, token)
    try:
        total = (await vbc.list_company_recordings(RecordingFilter(page_size=1))).total_items
        page_size = min(100, total // PAGES)
        await page_with_client(vbc, page_size)  # warm both paths (and the sim's query cache)
        await page_bare(bare, page_size)
        runs: dict[str, list[float]] = {"bare": [], "client": []}
        for round_no in range(PAGING_ROUNDS):
            order = ["bare", "client"] if round_no % 2 == 0 else ["client", "bare"]
            for variant in order:
                if variant == "bare":
                    runs["bare"] += await page_bare(bare, page_size)
                else:
                    runs["client"] += await page_with_client(vbc, page_size)
    finally:
        await http.aclose()
        await bare.aclose()
    return {"page_size": page_size, "runs": runs}


# (b) streaming, one child process per run ----------------------------------------------------
@contextmanager
def rss_sampler(interval: float = 0.002) -> Iterator[Callable[[], int]]:
    """Sample this process's RSS on a thread; yields a function returning the peak so far."""
    process = psutil.Process()
    peak = [process.memory_info().rss]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: peak[0]
    finally:
        stop.set()
        thread.join(timeout=5)
        peak[0] = max(peak[0], process.memory_info().rss)


async def stream_child(variant: str, url: str, rec_id: int) -> dict[str, Any]:
    """Runs in the child: warm up, then stream the recording once while sampling RSS."""
    count = 0
    if variant == "client":
        vbc, http = build_client(url)
        rec = await vbc.get_company_recording(rec_id)  # token and connection, before baseline

        async def stream() -> None:
            nonlocal count
            async with vbc.open_audio(rec) as download:
                async for chunk in download.chunks():
                    count += len(chunk)

    else:
        http = bare_client(url, os.environ[TOKEN_ENV])
        meta = (await http.get(f"{COMPANY}/{rec_id}")).json()

        async def stream() -> None:
            nonlocal count
            async with http.stream("GET", meta["download_url"]) as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes(DOWNLOAD_CHUNK):
                    count += len(chunk)

    baseline = psutil.Process().memory_info().rss
    with rss_sampler() as peak:
        started = time.perf_counter()
        await stream()
        elapsed = time.perf_counter() - started
    await http.aclose()
    assert count == STREAM_BYTES, count
    return {"mb_per_s": count / elapsed / 1e6, "rss_growth_mb": (peak() - baseline) / 2**20}


def run_stream(variant: str, url: str, rec_id: int, token: str) -> dict[str, Any]:
    env = {**os.environ, TOKEN_ENV: token}
    args = [sys.executable, __file__, "--stream", variant, "--url", url, "--rec", str(rec_id)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"stream child ({variant}) failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def add_big_recording(url: str) -> int:
    async with httpx.AsyncClient(base_url=url) as control:
        response = await control.post("/_sim/recordings", json={"size_bytes": STREAM_BYTES})
        response.raise_for_status()
        return int(response.json()["id"])


# The simulator in its own process -------------------------------------------------------------
@contextmanager
def simulator() -> Iterator[tuple[str, int]]:
    code = "from bot.vbcsim import main_sim; main_sim(['--port', '0', '--job-seconds', '1'])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # blocks until the sim has bound its port (or died)
        if "listening on" not in first:
            errors = proc.stderr.read()[-2000:] if proc.stderr else ""
            raise RuntimeError(f"simulator did not start: {first!r} {errors}")
        yield first.rsplit(" ", 1)[-1].strip(), proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# Report ----------------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(paging: dict[str, Any], streams: dict[str, list[dict[str, Any]]]) -> bool:
    bare_ms = statistics.median(paging["runs"]["bare"]) * 1000
    client_ms = statistics.median(paging["runs"]["client"]) * 1000
    page_ratio = client_ms / bare_ms
    speed = {v: statistics.median(r["mb_per_s"] for r in runs) for v, runs in streams.items()}
    growth = {v: max(r["rss_growth_mb"] for r in runs) for v, runs in streams.items()}
    speed_ratio = speed["client"] / speed["bare"]
    checks = [page_ratio <= 1.2, speed_ratio >= 0.8, growth["client"] <= 16]
    print(
        f"(a) listing {PAGES} pages x {paging['page_size']} recordings, {PAGING_ROUNDS} runs "
        "per variant, alternated; median ms per page over all pages"
    )
    print(f"    bare httpx + .json()    {bare_ms:8.2f}")
    print(f"    VbcClient (models)      {client_ms:8.2f}")
    print(f"    ratio                   {page_ratio:8.2f}x   target <= 1.20x  {verdict(checks[0])}")
    print(f"(b) streaming {STREAM_BYTES / 1e6:.0f} MB, {STREAM_ROUNDS} fresh processes per variant")
    print("                            MB/s (median)   peak RSS growth MB (max)")
    for variant, label in (("bare", "bare httpx stream"), ("client", "VbcClient.open_audio")):
        print(f"    {label:<22} {speed[variant]:10.0f}   {growth[variant]:14.1f}")
    print(
        f"    throughput ratio        {speed_ratio:8.2f}x   target >= 0.80x  {verdict(checks[1])}"
    )
    print(
        f"    VbcClient RSS growth    {growth['client']:8.1f} MB target <= 16 MB  "
        f"{verdict(checks[2])}"
    )
    return all(checks)


async def main() -> int:
    started = time.monotonic()
    with simulator() as (url, pid):
        print(
            f"VBC client benchmark: simulator pid {pid} at {url}, python {sys.version.split()[0]}"
        )
        token = await password_token(url)
        rec_id = await add_big_recording(url)
        paging = await bench_paging(url, token)
        streams: dict[str, list[dict[str, Any]]] = {"bare": [], "client": []}
        for round_no in range(STREAM_ROUNDS):
            order = ["bare", "client"] if round_no % 2 == 0 else ["client", "bare"]
            for variant in order:
                streams[variant].append(
                    await asyncio.to_thread(run_stream, variant, url, rec_id, token)
                )
    ok = report(paging, streams)
    print(f"whole bench: {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


def child_main(args: argparse.Namespace) -> int:
    result = asyncio.run(stream_child(args.stream, args.url, args.rec))
    print(json.dumps(result))
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stream", choices=["bare", "client"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--rec", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    parsed = parse_args(sys.argv[1:])
    sys.exit(child_main(parsed) if parsed.stream else asyncio.run(main()))

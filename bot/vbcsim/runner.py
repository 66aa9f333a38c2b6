"""Start the simulator on a loopback port, in-process or as ``recordings-bot sim``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.vbcsim.data import DEFAULT_SEED
from bot.vbcsim.server import build_app
from bot.vbcsim.state import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    SimConfig,
    SimState,
)

DEFAULT_PORT = 8090


@dataclass
class RunningSimulator:
    """A started simulator: ``url`` is its root (what ``VBC_API_URL`` should be)."""

    url: str
    state: SimState
    runner: web.AppRunner

    async def close(self) -> None:
        await self.runner.cleanup()


async def start_simulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    job_seconds: float = 8.0,
    token_ttl: int = 86400,
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
    username: str = DEMO_USERNAME,
    password: str = DEMO_PASSWORD,
    demo_user_email: str | None = None,
    clock: Callable[[], float] = time.time,
) -> RunningSimulator:
    """Serve a fresh simulator; ``port=0`` picks a free port (read it from ``.url``).

    ``clock`` (Unix seconds) drives its jobs and tokens; a recorded demo passes a still one.
    """
    config = SimConfig(
        seed=seed,
        now=now,
        job_seconds=job_seconds,
        token_ttl=token_ttl,
        client_id=client_id,
        client_secret=client_secret,
        username=username,
        password=password,
        demo_user_email=demo_user_email,
    )
    state = SimState(config, clock)
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = runner.addresses[0][1]
    shown_host = f"[{host}]" if ":" in host else host
    return RunningSimulator(f"http://{shown_host}:{bound_port}", state, runner)


def main_sim(argv: list[str] | None = None) -> None:
    """``recordings-bot sim``: serve until interrupted, printing the URL and demo credentials."""
    parser = argparse.ArgumentParser(prog="recordings-bot sim", description=main_sim.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--job-seconds", type=float, default=8.0)
    parser.add_argument("--token-ttl", type=int, default=86400)
    parser.add_argument(
        "--arrivals-per-hour",
        type=float,
        default=0.0,
        help="new recordings a simulated hour while it runs (also POST /_sim/arrivals)",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _serve_forever(
                args.host,
                args.port,
                args.seed,
                args.job_seconds,
                args.token_ttl,
                args.arrivals_per_hour,
            )
        )


async def _serve_forever(
    host: str, port: int, seed: int, job_seconds: float, token_ttl: int, per_hour: float
) -> None:
    sim = await start_simulator(
        host=host, port=port, seed=seed, job_seconds=job_seconds, token_ttl=token_ttl
    )
    sim.state.arrivals.configure({"per_hour": per_hour}, sim.state.clock())
    cfg = sim.state.config
    sys.stdout.write(
        f"VBC simulator listening on {sim.url}\n"
        f"  VBC_API_URL={sim.url}\n"
        f"  VBC_CLIENT_ID={cfg.client_id}\n"
        f"  VBC_CLIENT_SECRET={cfg.client_secret}\n"
        f"  VBC_USERNAME={cfg.username}\n"
        f"  VBC_PASSWORD={cfg.password}\n"
        f"  users and control API: {sim.url}/_sim/info\n"
    )
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await sim.close()

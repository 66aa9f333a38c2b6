"""One bot process for multi-process tests: ``python -m tests.integration.bot_process``.

Builds the runtime from the environment exactly like ``recordings-bot run`` (``Settings.from_env``),
serves on 127.0.0.1 and an OS-chosen port, runs the background work (the export watcher) and
prints ``READY <url>`` once it listens. Test-only knobs shorten the watcher's timings:
``EXPORT_POLL_CAP`` (seconds) and ``EXPORT_LEASE_SECONDS``, the deletion worker's
``DELETE_LEASE_SECONDS`` and ``DELETE_CONCURRENCY``, for notices ``NOTICE_LEASE_SECONDS`` and
``NOTICE_SPACING`` (seconds between posts to one target). It runs until it is killed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from bot.app import build_runtime
from bot.settings import Settings
from bot.web.serve import LocalServer


async def main() -> None:
    settings = Settings.from_env(os.environ)
    runtime = await build_runtime(settings)
    watcher = runtime.services.export_watcher
    if "EXPORT_POLL_CAP" in os.environ:
        watcher.tuning.cap = float(os.environ["EXPORT_POLL_CAP"])
    if "EXPORT_LEASE_SECONDS" in os.environ:
        watcher.tuning.lease_seconds = float(os.environ["EXPORT_LEASE_SECONDS"])
    deleter = runtime.services.lifecycle.worker
    if "DELETE_LEASE_SECONDS" in os.environ:
        deleter.tuning.lease_seconds = float(os.environ["DELETE_LEASE_SECONDS"])
    if "DELETE_CONCURRENCY" in os.environ:
        deleter.tuning.concurrency = int(os.environ["DELETE_CONCURRENCY"])
    notices = runtime.services.notice_watcher.tuning
    if "NOTICE_LEASE_SECONDS" in os.environ:
        notices.lease_seconds = float(os.environ["NOTICE_LEASE_SECONDS"])
    if "NOTICE_SPACING" in os.environ:
        notices.spacing = float(os.environ["NOTICE_SPACING"])
    server = await LocalServer(runtime).start()
    sys.stdout.write(f"READY {server.url} {watcher.owner} {deleter.owner}\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()  # until SIGKILL / SIGTERM
    finally:
        await server.close()


if __name__ == "__main__":
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"), stream=sys.stderr)
    asyncio.run(main())

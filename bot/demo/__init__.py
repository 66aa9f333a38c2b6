"""``recordings-bot demo``: the bot against a fake Slack and the VBC simulator, in a console.

Interactive at a terminal; with a script, ``DEMO_SCRIPT`` set, or stdin not a TTY it reads
one command per line and stops at the end of input, so tests and scripts can drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from bot.demo.console import Console
from bot.demo.lines import LineSource, ScriptLines, StreamLines, TerminalLines
from bot.demo.stack import running_demo

_CHATTY_LOGGERS = ("alembic", "httpx", "slack_bolt", "slack_sdk", "bot", "handlers")


async def run_demo(source: LineSource, out: TextIO, *, workdir: Path | None = None) -> None:
    """Start everything, run the console until ``quit`` or end of input, stop everything."""
    with contextlib.ExitStack() as cleanup:
        if workdir is None:
            workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="rb-demo-")))
        out.write("starting the VBC simulator, the fake Slack and the bot…\n")
        out.flush()
        async with running_demo(workdir) as stack:
            await Console(stack, source, out).run()


def main_demo(
    script: list[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> None:
    """Entry point: ``script`` lines, else stdin lines when scripted, else the terminal."""
    env = os.environ if env is None else env
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    source: LineSource
    if script is not None:
        source = ScriptLines(script, out)
    elif env.get("DEMO_SCRIPT", "") not in ("", "0") or not stdin.isatty():
        source = StreamLines(stdin, out)
    else:
        source = TerminalLines()
    with _quiet_loggers(), contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_demo(source, out))


@contextlib.contextmanager
def _quiet_loggers() -> Iterator[None]:
    """Per-request INFO logs would bury the console's output; warnings still show."""
    loggers = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


__all__ = ["main_demo", "run_demo"]

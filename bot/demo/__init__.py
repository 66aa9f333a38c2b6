"""``recordings-bot demo``: the bot against a fake Slack and the VBC simulator, in a console.

Interactive at a terminal (a line editor; messages arriving meanwhile print above the line
being typed); with a script, ``DEMO_SCRIPT`` set, or stdin not a TTY it reads one command per
line and stops at the end of input, so tests and scripts can drive it. Either way log lines
go to a file the banner names, never between the console's lines.
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
from bot.demo.lines import LineSource, ScriptLines, StreamLines
from bot.demo.stack import running_demo
from bot.demo.terminal import LogFile, PromptLines, printing_above_prompt

_CHATTY_LOGGERS = ("alembic", "httpx", "slack_bolt", "slack_sdk")
LOG_NAME = "recordings-bot-demo.log"


async def run_demo(
    source: LineSource,
    out: TextIO,
    *,
    workdir: Path | None = None,
    ansi: bool = False,
    log_file: LogFile | None = None,
) -> None:
    """Start everything, run the console until ``quit`` or end of input, stop everything."""
    with contextlib.ExitStack() as cleanup:
        if workdir is None:
            workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="rb-demo-")))
        out.write("starting the VBC simulator, the fake Slack and the bot…\n")
        out.flush()
        async with running_demo(workdir) as stack:
            log_path = None
            if log_file is not None:
                log_file.reroute_streams()  # uvicorn's own handlers, added as the bot started
                log_path = str(log_file.path)
            await Console(stack, source, out, ansi=ansi, log_path=log_path).run()


def main_demo(
    script: list[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    log_path: Path | None = None,
) -> None:
    """Entry point: ``script`` lines, else stdin lines when scripted, else the terminal.

    Log records go to ``log_path`` (default: ``recordings-bot-demo.log`` in the temp dir).
    """
    env = os.environ if env is None else env
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    log_path = log_path or Path(tempfile.gettempdir()) / LOG_NAME
    scripted = script is not None or env.get("DEMO_SCRIPT", "") not in ("", "0")
    with LogFile(log_path) as log_file, _quiet_loggers(), contextlib.suppress(KeyboardInterrupt):
        if not scripted and stdin.isatty() and out.isatty():
            with printing_above_prompt() as screen:
                asyncio.run(run_demo(PromptLines(), screen, ansi=True, log_file=log_file))
            return
        source: LineSource = (
            ScriptLines(script, out) if script is not None else StreamLines(stdin, out)
        )
        asyncio.run(run_demo(source, out, log_file=log_file))


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

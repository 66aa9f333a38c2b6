"""Where the console's lines come from: a pipe, or a list (tests and scripts).

The terminal's line editor is ``bot.demo.terminal.PromptLines``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable, Iterable
from typing import Protocol, TextIO, TypeVar

T = TypeVar("T")


class LineSource(Protocol):
    async def read(self, prompt: str) -> str | None:
        """The next line without its newline; None at the end of input."""
        ...


class StreamLines:
    """Lines from a pipe or file (stdin that is not a TTY), echoed so the transcript reads well."""

    def __init__(self, stream: TextIO, out: TextIO) -> None:
        self._stream = stream
        self._out = out

    async def read(self, prompt: str) -> str | None:
        # A daemon thread rather than ``asyncio.to_thread``: on Ctrl-C the process must not
        # wait for a line nobody sends. The event loop serves the bot meanwhile.
        line = await _on_daemon_thread(self._stream.readline)
        if not line:
            return None
        text = line.rstrip("\r\n")
        self._out.write(f"{prompt}{text}\n")
        self._out.flush()
        return text


class ScriptLines:
    """A fixed list of lines, echoed after the prompt as if typed."""

    def __init__(self, lines: Iterable[str], out: TextIO) -> None:
        self._lines = list(lines)
        self._out = out

    async def read(self, prompt: str) -> str | None:
        if not self._lines:
            return None
        text = self._lines.pop(0)
        self._out.write(f"{prompt}{text}\n")
        self._out.flush()
        return text


async def _on_daemon_thread(work: Callable[[], T]) -> T:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def run() -> None:
        outcome: Callable[[], None]
        try:
            outcome = functools.partial(future.set_result, work())
        except Exception as exc:  # handed to the awaiting coroutine, not lost in the thread
            outcome = functools.partial(future.set_exception, exc)
        with contextlib.suppress(RuntimeError):  # the loop already closed: nobody is waiting
            loop.call_soon_threadsafe(deliver, outcome)

    threading.Thread(target=run, name="demo-input", daemon=True).start()
    return await future

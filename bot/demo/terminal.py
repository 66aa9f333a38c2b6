"""The console at a real terminal: a line editor that keeps its line while messages arrive.

prompt_toolkit redraws the prompt and what is typed so far below anything printed meanwhile
(``patch_stdout``), so a notice the bot posts in the background never splits a half-typed
command. Log records go to a file, never onto the screen.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.patch_stdout import patch_stdout

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class PromptLines:
    """Lines typed at a terminal, with editing and history; Ctrl-D or Ctrl-C leaves."""

    def __init__(self) -> None:
        self._session: PromptSession[str] = PromptSession()

    async def read(self, prompt: str) -> str | None:
        try:
            return await self._session.prompt_async(prompt)
        except (EOFError, KeyboardInterrupt):
            return None


@contextlib.contextmanager
def printing_above_prompt() -> Iterator[TextIO]:
    """Standard output whose writes appear above the prompt (ANSI styles pass through)."""
    with patch_stdout(raw=True):
        yield sys.stdout


class LogFile:
    """While the demo runs, every log record (and Python warning) goes to ``path``.

    The root logger gets only the file; loggers with their own stream handlers (uvicorn adds
    some when the server starts) are rerouted by ``reroute_streams``. Everything is put back
    on exit, so a test that runs the demo in-process keeps its own logging.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.write_text("", encoding="utf-8")
        # Appending: uvicorn's dictConfig closes every handler as the bot starts, and a
        # closed handler reopens on its next record only in append mode.
        self._handler = logging.FileHandler(path, mode="a", encoding="utf-8")
        self._handler.setFormatter(logging.Formatter(LOG_FORMAT))
        self._saved: list[tuple[logging.Logger, list[logging.Handler], bool]] = []

    def __enter__(self) -> LogFile:
        root = logging.getLogger()
        self._saved.append((root, root.handlers[:], root.propagate))
        root.handlers = [self._handler]
        logging.captureWarnings(True)
        return self

    def __exit__(self, *_: object) -> None:
        for logger, handlers, propagate in reversed(self._saved):
            logger.handlers, logger.propagate = handlers, propagate
        self._saved.clear()
        logging.captureWarnings(False)
        self._handler.close()

    def reroute_streams(self) -> None:
        """Loggers that print to a stream themselves hand their records to the file instead."""
        for logger in list(logging.Logger.manager.loggerDict.values()):
            if not isinstance(logger, logging.Logger):
                continue
            streams = [h for h in logger.handlers if _prints(h)]
            if streams:
                self._saved.append((logger, logger.handlers[:], logger.propagate))
                logger.handlers = [h for h in logger.handlers if h not in streams]
                logger.propagate = True


def _prints(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler
    )

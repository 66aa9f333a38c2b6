"""Group commit: writes that come due in the same moment go to the database as one.

A caller awaits its own item's result as if it wrote alone, and returns only once the
transaction holding it has committed, so nothing about what is durable when changes; only
the number of transactions does. A batch starts as soon as the previous one has committed
(no timer), so no write waits longer than one batch ahead of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batched(Generic[T, R]):
    """Calls ``write`` with every item waiting; ``write`` answers one result per item."""

    def __init__(self, write: Callable[[Sequence[T]], Awaitable[Sequence[R]]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await asyncio.shield(done)  # a cancelled caller's write still completes

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # those coming due in this same turn of the loop join
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await self._write([item for item, _ in batch])
            except BaseException as exc:
                for _, done in batch:
                    _settle(done, exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)


def _settle(done: asyncio.Future[R], exc: BaseException) -> None:
    if done.done():
        return
    done.set_exception(exc if isinstance(exc, Exception) else RuntimeError("write cancelled"))
    done.exception()  # retrieved here: a caller that was cancelled meanwhile logs nothing

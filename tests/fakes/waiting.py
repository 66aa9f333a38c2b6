"""wait_until: a deadline poll on a condition, for tests that wait on something to happen."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast, overload

T = TypeVar("T")


@overload
async def wait_until(
    condition: Callable[[], Awaitable[T | None]], timeout: float = 10.0, *, interval: float = 0.05
) -> T: ...
@overload
async def wait_until(
    condition: Callable[[], T | None], timeout: float = 10.0, *, interval: float = 0.05
) -> T: ...
async def wait_until(
    condition: Callable[[], object], timeout: float = 10.0, *, interval: float = 0.05
) -> object:
    """Poll ``condition`` (plain or async) until it returns something truthy; return that.

    The first re-check only yields to the event loop, so a condition that other tasks satisfy
    at once costs no wall-clock time; later ones wait ``interval``. Raises TimeoutError.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.0
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await cast(Awaitable[object], value)
        if value:
            return value
        remaining = deadline - loop.time()
        if remaining <= 0:
            name = getattr(condition, "__qualname__", repr(condition))
            raise TimeoutError(f"waited {timeout}s for {name}; last value: {value!r}")
        await asyncio.sleep(min(delay, remaining))
        delay = interval

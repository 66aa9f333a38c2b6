"""wait_until: returns what the condition found, takes async conditions, times out clearly."""

from __future__ import annotations

import asyncio

import pytest

from tests.fakes.waiting import wait_until


async def test_returns_the_first_truthy_value() -> None:
    values = iter([None, [], ["row"]])
    assert await wait_until(lambda: next(values), timeout=5, interval=0) == ["row"]


async def test_async_conditions_are_awaited() -> None:
    calls = 0

    async def third_time() -> int | None:
        nonlocal calls
        calls += 1
        return calls if calls == 3 else None

    assert await wait_until(third_time, timeout=5, interval=0) == 3


async def test_a_condition_met_by_another_task_costs_one_yield() -> None:
    started = asyncio.Event()

    async def worker() -> None:
        started.set()

    task = asyncio.ensure_future(worker())
    loop = asyncio.get_running_loop()
    before = loop.time()
    # A long interval: only the first re-check (a bare yield) can have seen it.
    assert await wait_until(started.is_set, timeout=5, interval=60) is True
    assert loop.time() - before < 1
    await task


async def test_times_out_naming_the_condition() -> None:
    def never() -> bool:
        return False

    with pytest.raises(TimeoutError, match=r"waited 0.05s for .*never; last value: False"):
        await wait_until(never, timeout=0.05, interval=0.01)

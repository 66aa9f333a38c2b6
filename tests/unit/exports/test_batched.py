"""Group commit: concurrent writes become one, each caller gets its own answer or error."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.exports.batched import Batched
from bot.store import Store
from bot.store.exports import ExportRows, NoticePosted
from bot.store.tables import ExportRequest


async def test_writes_due_together_go_as_one_and_each_gets_its_answer() -> None:
    batches: list[list[int]] = []

    async def write(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        await asyncio.sleep(0.01)
        return [i * 10 for i in items]

    batched = Batched(write)
    first = await asyncio.gather(*(batched(i) for i in range(5)))
    assert first == [0, 10, 20, 30, 40]
    assert batches == [[0, 1, 2, 3, 4]]
    one = asyncio.create_task(batched(7))
    await asyncio.sleep(0.001)  # 7 is being written: 8 and 9 wait for the next batch
    rest = await asyncio.gather(batched(8), batched(9))
    assert (await one, list(rest)) == (70, [80, 90])
    assert batches[1:] == [[7], [8, 9]]


async def test_a_failed_write_fails_every_caller_in_it_and_the_next_batch_still_runs() -> None:
    calls = 0

    async def write(items: Sequence[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database gone")
        return list(items)

    batched = Batched(write)
    failed = await asyncio.gather(batched("a"), batched("b"), return_exceptions=True)
    assert [str(e) for e in failed] == ["database gone", "database gone"]
    assert await batched("c") == "c"


async def test_a_cancelled_caller_is_still_written() -> None:
    written: list[str] = []
    gate = asyncio.Event()

    async def write(items: Sequence[str]) -> list[None]:
        await gate.wait()
        written.extend(items)
        return [None] * len(items)

    batched = Batched(write)
    caller = asyncio.create_task(batched("x"))
    await asyncio.sleep(0.001)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    gate.set()
    await batched("y")
    assert written == ["x", "y"]


async def test_two_notices_of_one_request_in_a_batch_keep_the_first(store: Store) -> None:
    async with store.session() as s:
        s.add(ExportRequest(id="r1", team_id="T1", slack_user_id="U1", request_text="x"))
        s.add(ExportRequest(id="r2", team_id="T1", slack_user_id="U1", request_text="x"))
        await s.commit()
    rows = ExportRows(store)
    kept = await rows.record_notices(
        [
            NoticePosted("r1", "D1", "1.0"),
            NoticePosted("r1", "D1", "2.0"),
            NoticePosted("r2", "C", "3.0"),
        ]
    )
    assert kept == [("D1", "1.0"), ("D1", "1.0"), ("C", "3.0")]
    assert await rows.record_notices([NoticePosted("r2", "D9", "9.0")]) == [("C", "3.0")]

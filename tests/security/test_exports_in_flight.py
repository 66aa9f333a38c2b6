"""At most 3 export requests in flight per person, counted in the database.

The simulator's export jobs take an hour here, so the first three stay in progress; the fourth
is refused with the limit and the jobs command, and nothing of it reaches VBC. Once one of the
three ends (VBC finishes it and its notice is out), a new one starts again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.exports.state import NOTIFYING, RUNNING, STARTING
from bot.people.policy import MAX_IN_FLIGHT
from bot.store.tables import ExportJobRow, ExportRequest
from tests.fakes import render_text
from tests.integration.conftest import MEMBER, OTHER, Stack, start_stack, stop_stack

LIMIT_WORDS = "the most I run for one person at a time"


@pytest.fixture
async def slow_stack(sqlite_url: str) -> AsyncIterator[Stack]:
    running = await start_stack(sqlite_url, job_seconds=3600.0)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems


async def export(stack: Stack, user: str, text: str = "export type:company last 3d") -> str:
    before = len(stack.slack.responses)
    response = await stack.driver.command(user, text)
    assert response.status_code == 200
    await stack.slack.wait_for(
        lambda: [r for r in stack.slack.responses[before:] if r.args.get("blocks")] or None,
        timeout=20,
    )
    return render_text(stack.slack.responses[-1].args["blocks"])


def export_posts(stack: Stack) -> int:
    return sum(
        1
        for e in stack.sim.state.requests
        if e["method"] == "POST" and e["path"].endswith("/export")
    )


async def requests_in_state(stack: Stack, user: str) -> dict[str, list[ExportRequest]]:
    async with stack.bot.runtime.services.store.session() as session:
        rows = await session.exec(select(ExportRequest).where(ExportRequest.slack_user_id == user))
        found: dict[str, list[ExportRequest]] = {}
        for row in rows:
            found.setdefault(row.state, []).append(row)
        return found


async def in_flight(stack: Stack, user: str) -> int:
    states = await requests_in_state(stack, user)
    return sum(len(states.get(s, [])) for s in (STARTING, RUNNING, NOTIFYING))


async def test_the_fourth_export_is_refused_until_one_ends(slow_stack: Stack) -> None:
    stack = slow_stack
    for _ in range(MAX_IN_FLIGHT):
        assert "Started export" in await export(stack, MEMBER)
    posts = export_posts(stack)

    refused = await export(stack, MEMBER)
    assert f"You already have {MAX_IN_FLIGHT} exports or deletions in progress" in refused
    assert LIMIT_WORDS in refused
    assert "`/recordings jobs`" in refused
    assert export_posts(stack) == posts, "nothing of the fourth reached VBC"
    assert await in_flight(stack, MEMBER) == MAX_IN_FLIGHT
    assert "Started export" in await export(stack, OTHER), "the limit is per person"

    # VBC finishes one: once its notice is out it no longer counts.
    first = (await requests_in_state(stack, MEMBER))[RUNNING][0]
    async with stack.bot.runtime.services.store.session() as session:
        jobs = await session.exec(select(ExportJobRow).where(ExportJobRow.request_id == first.id))
        for job in jobs:
            stack.sim.state.force_job(job.vbc_job_id, "complete")
    deadline = asyncio.get_running_loop().time() + 20
    while await in_flight(stack, MEMBER) >= MAX_IN_FLIGHT:
        assert asyncio.get_running_loop().time() < deadline, "the export did not end"
        await asyncio.sleep(0.05)
    assert "Started export" in await export(stack, MEMBER)


async def test_clicks_racing_never_start_more_than_the_limit(slow_stack: Stack) -> None:
    stack = slow_stack
    assert "Started export" in await export(stack, MEMBER)
    before = len(stack.slack.responses)
    await asyncio.gather(
        *(stack.driver.command(MEMBER, f"export type:company last {d}d") for d in range(2, 8))
    )
    await stack.slack.wait_for(lambda: len(stack.slack.responses[before:]) >= 6 or None, timeout=30)
    replies = [render_text(r.args["blocks"]) for r in stack.slack.responses[before:]]
    started = [r for r in replies if "Started export" in r]
    assert len(started) <= MAX_IN_FLIGHT - 1, replies
    assert all("Started export" in r or LIMIT_WORDS in r for r in replies), replies
    assert await in_flight(stack, MEMBER) == 1 + len(started) <= MAX_IN_FLIGHT

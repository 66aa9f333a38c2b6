"""Bulk deletes over signed HTTP: the exact count, the typed confirmation, one job, one notice.

In one process here (SQLite); a SIGKILL mid-job with two processes on PostgreSQL is in
``test_delete_restarts.py``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import blocks
from bot.blocks.lifecycle import BLOCK_DELETE_COUNT, BLOCK_DELETE_REASON
from bot.people.policy import MAX_IN_FLIGHT
from bot.store.deletions import DeletionRows
from bot.store.tables import DeletionJob
from tests.fakes import Message, render_text, wait_until
from tests.integration.conftest import ADMIN, MEMBER, OTHER, TEAM, Stack
from tests.integration.test_delete import HoldsOn, audit, said

DEADLINE = 30.0
WINDOW = "last 3d"


def member_extension(stack: Stack) -> str:
    return stack.sim.state.users[0].extension


async def confirmed_ids(stack: Stack, job_id: int) -> set[int]:
    """The exact ids the job stores: what the count was confirmed for."""
    rows = DeletionRows(stack.bot.runtime.services.store)
    return {item.recording_id for item in await rows.first_items(job_id, 100_000)}


def of_member(stack: Stack, rec_id: int) -> bool:
    found = next(r for r in stack.sim.state.dataset.company if r.id == rec_id)
    return member_extension(stack) in found.extensions


def deletes(stack: Stack) -> dict[int, list[int]]:
    seen: dict[int, list[int]] = {}
    for e in stack.sim.state.requests:
        if e["method"] == "DELETE":
            seen.setdefault(int(e["path"].rsplit("/", 1)[1]), []).append(e["status"])
    return seen


def button_value(message_blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in message_blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} in {render_text(message_blocks)}")


async def offer(stack: Stack, text: str) -> tuple[int, str]:
    """The prompt's count and its button's value."""
    before = len(stack.slack.responses)
    await stack.driver.command(ADMIN, text)
    [reply] = await stack.slack.wait_for(
        lambda: stack.slack.responses[before:] or None, timeout=DEADLINE
    )
    shown = render_text(reply.args["blocks"])
    found = re.search(r"\*([\d,]+) recordings?\*", shown)
    assert found, shown
    return int(found.group(1).replace(",", "")), button_value(
        reply.args["blocks"], blocks.ACTION_BULK_DELETE_OPEN
    )


async def open_modal(stack: Stack, user: str, value: str) -> dict[str, Any]:
    opened = len(stack.slack.calls_to("views.open"))
    await stack.driver.click(user, blocks.ACTION_BULK_DELETE_OPEN, value)
    await stack.slack.wait_for("views.open", timeout=DEADLINE, count=opened + 1)
    view = stack.slack.current_view(user)
    assert view is not None
    return view


def notices(stack: Stack, job: DeletionJob) -> list[Message]:
    dm = stack.slack.dm_channel(job.requested_by)
    return [
        m
        for m in stack.slack.messages
        if m.channel == dm
        and not m.ephemeral
        and m.ts != job.message_ts
        and re.search(r"Deletion job \d+ (finished|was cancelled)", m.text)
    ]


async def ended(stack: Stack, job_id: int) -> DeletionJob:
    rows = DeletionRows(stack.bot.runtime.services.store)

    async def done() -> DeletionJob | None:
        job = await rows.get(job_id)
        return job if job is not None and job.state in ("done", "cancelled") else None

    return await wait_until(done, DEADLINE)


async def confirm(stack: Stack, view: dict[str, Any], typed: str, reason: str = "") -> int:
    before = len(stack.slack.messages_for(ADMIN))
    response = await stack.driver.submit_view(
        ADMIN, view, {BLOCK_DELETE_COUNT: {"value": typed}, BLOCK_DELETE_REASON: {"value": reason}}
    )
    assert response.status_code == 200
    assert not response.content, response.text
    reply = await said(stack, ADMIN, before)
    found = re.search(r"\(job (\d+)\)", reply)
    assert found, reply
    return int(found.group(1))


async def test_a_bulk_delete_deletes_exactly_the_confirmed_ids_once(stack: Stack) -> None:
    count, value = await offer(
        stack, f"delete scope:company ext:{member_extension(stack)} {WINDOW}"
    )
    assert count > 5
    assert deletes(stack) == {}, "nothing before the typed count"
    view = await open_modal(stack, ADMIN, value)
    assert f"Type {count} to confirm" in render_text(view["blocks"])
    wrong = await stack.driver.submit_view(ADMIN, view, {BLOCK_DELETE_COUNT: {"value": "12"}})
    answer = wrong.json()
    assert answer["response_action"] == "errors"
    assert f"type {count}" in answer["errors"][BLOCK_DELETE_COUNT]
    # A recording that matches from now on is not part of what was confirmed.
    late = stack.sim.state.add_recording(user_id=stack.sim.state.users[0].id)
    job_id = await confirm(stack, view, f"{count:,}", reason="retention clean-up")
    job = await ended(stack, job_id)
    expected = await confirmed_ids(stack, job_id)
    assert len(expected) == count
    assert all(of_member(stack, rec_id) for rec_id in expected)
    seen = deletes(stack)
    assert set(seen) == expected
    assert all(statuses == [204] for statuses in seen.values()), seen
    assert late.id not in seen
    assert stack.sim.state.recording(late.id) is not None
    [notice] = notices(stack, job)
    assert f"{count:,} of {count:,} deleted" in notice.text
    progress = next(m for m in stack.slack.messages if m.ts == job.message_ts)
    assert "finished" in progress.text, "the progress message shows the end too"
    events = await audit(stack, ADMIN, "delete")
    assert len(events) == count
    assert all(o == "allowed" and "retention clean-up" in d for o, _, d in events)
    confirmed, typed_wrong = await audit(stack, ADMIN, "delete-job")  # newest first
    assert confirmed[:2] == ("allowed", f"job {job_id}")
    assert f"{count} recordings" in confirmed[2]
    assert typed_wrong == ("refused", f"job {job_id}", "count typed wrong: '12'")
    await stack.bot.runtime.services.lifecycle.worker.tick()
    assert len(notices(stack, job)) == 1


async def test_held_recordings_are_counted_and_named(stack: Stack) -> None:
    count, value = await offer(
        stack, f"delete scope:company ext:{member_extension(stack)} {WINDOW}"
    )
    held = sorted(await confirmed_ids(stack, int(value)))[:2]
    stack.bot.runtime.services.lifecycle.deleter.holds = HoldsOn(*held)
    job_id = await confirm(stack, await open_modal(stack, ADMIN, value), str(count))
    job = await ended(stack, job_id)
    [notice] = notices(stack, job)
    assert f"{count - 2:,} of {count:,} deleted" in notice.text
    assert "Held, not deleted (2)" in notice.text
    for rec_id in held:
        assert f"company:{rec_id} (held by legal hold #7 (litigation 2024-17))" in notice.text
        assert stack.sim.state.recording(rec_id) is not None
    refused = [e for e in await audit(stack, ADMIN, "delete") if e[0] == "refused"]
    assert len(refused) == 2


async def test_vbc_refusing_with_429_pauses_the_job_then_it_finishes(stack: Stack) -> None:
    worker = stack.bot.runtime.services.lifecycle.worker
    worker.tuning.backoff = 0.2
    rule = {"status": 429, "method": "DELETE", "count": 5, "retry_after": 0}
    stack.sim.state.faults.update({"fail_next": [rule]})
    count, value = await offer(
        stack, f"delete scope:company ext:{member_extension(stack)} {WINDOW}"
    )
    job = await ended(
        stack, await confirm(stack, await open_modal(stack, ADMIN, value), str(count))
    )
    seen = deletes(stack)
    assert sum(s.count(429) for s in seen.values()) == 5
    assert all(s.count(204) == 1 for s in seen.values())
    assert f"{count:,} of {count:,} deleted" in notices(stack, job)[0].text


async def test_cancel_is_for_the_requester_or_an_admin_and_ends_in_one_notice(
    stack: Stack,
) -> None:
    stack.sim.state.faults.update({"latency": 0.3})
    worker = stack.bot.runtime.services.lifecycle.worker
    worker.tuning.concurrency = 1
    count, value = await offer(
        stack, f"delete scope:company ext:{member_extension(stack)} {WINDOW}"
    )
    job_id = await confirm(stack, await open_modal(stack, ADMIN, value), str(count))
    rows = DeletionRows(stack.bot.runtime.services.store)
    job = await wait_until(lambda: _with_message(rows, job_id), DEADLINE)
    progress = next(m for m in stack.slack.messages if m.ts == job.message_ts)
    cancel = button_value(progress.blocks, blocks.ACTION_DELETE_CANCEL)
    before = len(stack.slack.responses)
    await stack.driver.click(MEMBER, blocks.ACTION_DELETE_CANCEL, cancel)
    [refusal] = await stack.slack.wait_for(
        lambda: stack.slack.responses[before:] or None, timeout=DEADLINE
    )
    assert "Only the person who started this deletion" in render_text(refusal.args["blocks"])
    assert [o for o, _, _ in await audit(stack, MEMBER, "delete-cancel")] == ["refused"]
    await stack.driver.click(ADMIN, blocks.ACTION_DELETE_CANCEL, cancel, message=progress)
    job = await ended(stack, job_id)
    assert job.state == "cancelled"
    [notice] = notices(stack, job)
    assert "was cancelled" in notice.text
    assert "Not deleted (cancelled)" in notice.text
    assert len(deletes(stack)) < count
    assert [o for o, _, _ in await audit(stack, ADMIN, "delete-cancel")] == ["allowed"]


async def _with_message(rows: DeletionRows, job_id: int) -> DeletionJob | None:
    job = await rows.get(job_id)
    return job if job is not None and job.message_ts else None


async def test_only_admins_delete_by_filters_and_the_button_is_the_askers(stack: Stack) -> None:
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.command(MEMBER, f"delete {WINDOW}")
    assert "Only recordings admins can delete recordings by filters" in await said(
        stack, MEMBER, before
    )
    _, value = await offer(stack, f"delete scope:company ext:{member_extension(stack)} {WINDOW}")
    before = len(stack.slack.messages_for(OTHER))
    await stack.driver.click(OTHER, blocks.ACTION_BULK_DELETE_OPEN, value)
    assert "not yours to confirm" in await said(stack, OTHER, before)
    assert stack.slack.calls_to("views.open") == []


async def test_no_more_than_three_requests_in_flight(stack: Stack) -> None:
    rows = DeletionRows(stack.bot.runtime.services.store)
    later = datetime.now(UTC) + timedelta(hours=1)  # running, and not due: they stay in flight
    for _ in range(MAX_IN_FLIGHT):
        job = DeletionJob(
            team_id=TEAM, requested_by=ADMIN, origin="bulk", state="running", next_run_at=later
        )
        await rows.create(job, [])
    count, value = await offer(
        stack, f"delete scope:company ext:{member_extension(stack)} {WINDOW}"
    )
    view = await open_modal(stack, ADMIN, value)
    before = len(stack.slack.messages_for(ADMIN))
    await stack.driver.submit_view(ADMIN, view, {BLOCK_DELETE_COUNT: {"value": str(count)}})
    assert "exports or deletions in progress" in await said(stack, ADMIN, before)
    assert (await rows.get(int(value))).state == "pending"  # type: ignore[union-attr]
    assert deletes(stack) == {}

"""Deleting recordings from Slack over signed HTTP: one by id or Details, and bad input.

Bulk jobs are in ``test_delete_jobs.py``; who may delete what is in the access matrix.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import blocks
from bot.blocks.lifecycle import BLOCK_DELETE_REASON
from bot.lifecycle.ports import HoldRef
from bot.store import AuditQuery
from bot.store.tables import UploadedFile
from bot.vbc.models import Recording
from bot.vbcsim.data import SimRecording
from tests.fakes import render_text, wait_until
from tests.integration.access import member_on_demand, member_recording, ref_value
from tests.integration.conftest import ADMIN, MEMBER, TEAM, Stack, start_stack, stop_stack

DEADLINE = 20.0


@pytest.fixture
async def members_stack(sqlite_url: str) -> AsyncIterator[Stack]:
    running = await start_stack(sqlite_url, members_may_delete=True)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems


class HoldsOn:
    """A HoldCheck holding the given recording ids (the real one comes with legal holds)."""

    def __init__(self, *ids: int) -> None:
        self.ids = set(ids)

    async def hold_on(self, recording: Recording) -> HoldRef | None:
        return HoldRef(7, "litigation 2024-17") if recording.id in self.ids else None


def deletes_of(stack: Stack, rec_id: int) -> list[int]:
    return [
        e["status"]
        for e in stack.sim.state.requests
        if e["method"] == "DELETE" and e["path"].endswith(f"/{rec_id}")
    ]


async def said(stack: Stack, user: str, before: int) -> str:
    found = await stack.slack.wait_for(
        lambda: stack.slack.messages_for(user)[before:] or None, timeout=DEADLINE
    )
    return "\n".join(m.text + "\n" + render_text(m.blocks) for m in found)


async def confirmation(stack: Stack, user: str, text: str) -> dict[str, Any]:
    """The command's modal once ``views.update`` filled it in."""
    updates = len(stack.slack.calls_to("views.update"))
    await stack.driver.command(user, text)
    await stack.slack.wait_for("views.update", timeout=DEADLINE, count=updates + 1)
    view = stack.slack.current_view(user)
    assert view is not None
    return view


async def audit(stack: Stack, user: str, action: str) -> list[tuple[str, str, str]]:
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=user, action=action), offset=0, limit=50
    )
    return [(e.outcome, e.target or "", e.detail or "") for e in events]


async def uploads(stack: Stack, rec: SimRecording) -> list[UploadedFile]:
    key = f"company:{rec.id}" if rec.owner_user_id is None else f"on-demand:{rec.id}"
    return await stack.bot.runtime.services.store.uploads_of(TEAM, key)


async def test_admin_deletes_by_id_with_a_reason_and_the_slack_copy_goes_too(stack: Stack) -> None:
    rec = member_recording(stack)
    before = len(stack.slack.messages_for(ADMIN))
    await stack.driver.command(ADMIN, f"get {rec.id}")
    await stack.slack.wait_for("files.completeUploadExternal", timeout=DEADLINE)
    await said(stack, ADMIN, before)
    [kept] = await wait_until(lambda: uploads(stack, rec), DEADLINE)
    view = await confirmation(stack, ADMIN, f"delete {rec.id}")
    [opened] = stack.slack.calls_to("views.open")
    assert "Looking the recording up" in render_text(opened.args["view"]["blocks"])
    shown = render_text(view["blocks"])
    for word in ("Time:", "Direction:", "Caller:", "Dialed:", "Duration:", "Kind:* company"):
        assert word in shown, shown
    assert deletes_of(stack, rec.id) == [], "nothing is deleted before the confirmation"
    before = len(stack.slack.messages_for(ADMIN))
    response = await stack.driver.submit_view(
        ADMIN, view, {BLOCK_DELETE_REASON: {"value": "erasure request 4711"}}
    )
    assert response.status_code == 200
    reply = await said(stack, ADMIN, before)
    assert f"Recording {rec.id} is deleted at VBC" in reply
    assert "1 copy I had uploaded to Slack" in reply
    assert deletes_of(stack, rec.id) == [204]
    assert stack.sim.state.recording(rec.id) is None
    assert stack.slack.uploads[kept.file_id].deleted
    assert await uploads(stack, rec) == []
    [(outcome, target, detail)] = await audit(stack, ADMIN, "delete")
    assert (outcome, target) == ("allowed", f"company:{rec.id}")
    assert "reason: erasure request 4711" in detail
    [(copy_outcome, _, copy_detail)] = await audit(stack, ADMIN, "slack-copy-delete")
    assert copy_outcome == "allowed"
    assert kept.file_id in copy_detail


async def test_details_offers_delete_to_an_admin_and_an_already_gone_one_is_no_error(
    stack: Stack,
) -> None:
    rec = member_recording(stack)
    await stack.driver.click(ADMIN, blocks.ACTION_DETAILS, ref_value(rec))
    [details] = await stack.slack.wait_for(lambda: stack.slack.responses or None, timeout=DEADLINE)
    assert "Delete…" in render_text(details.args["blocks"])
    await stack.driver.click(ADMIN, blocks.ACTION_DELETE_OPEN, ref_value(rec))
    await stack.slack.wait_for("views.update", timeout=DEADLINE)
    view = stack.slack.current_view(ADMIN)
    assert view is not None
    assert view["callback_id"] == blocks.CALLBACK_DELETE_ONE
    stack.sim.state.delete_recording(rec.id, None)  # gone meanwhile (VBC's portal, say)
    before = len(stack.slack.messages_for(ADMIN))
    await stack.driver.submit_view(ADMIN, view, {})
    reply = await said(stack, ADMIN, before)
    assert "already gone at VBC" in reply
    assert ":warning:" not in reply
    [(outcome, _, detail)] = await audit(stack, ADMIN, "delete")
    assert (outcome, detail) == ("allowed", "already gone at VBC")


def answered_since(stack: Stack, before: int) -> list[Any] | None:
    return stack.slack.responses[before:] or None


async def test_get_offers_delete_only_to_whoever_may_delete_the_recording(stack: Stack) -> None:
    rec = member_recording(stack)
    for user, offered in ((ADMIN, True), (MEMBER, False)):  # members may not delete by default
        before = len(stack.slack.responses)
        await stack.driver.command(user, f"get {rec.id}")
        [details, *_] = await stack.slack.wait_for(
            functools.partial(answered_since, stack, before), timeout=DEADLINE
        )
        shown = render_text(details.args["blocks"])
        assert f"{rec.id}" in shown
        assert ("Delete…" in shown) is offered, (user, shown)
        await stack.slack.wait_for(
            "files.completeUploadExternal", count=1 + (user == MEMBER), timeout=DEADLINE
        )


async def test_a_held_recording_is_not_deleted_and_the_refusal_names_the_hold(
    stack: Stack,
) -> None:
    rec = member_recording(stack)
    stack.bot.runtime.services.lifecycle.deleter.holds = HoldsOn(rec.id)
    view = await confirmation(stack, ADMIN, f"delete company:{rec.id}")
    before = len(stack.slack.messages_for(ADMIN))
    await stack.driver.submit_view(ADMIN, view, {})
    reply = await said(stack, ADMIN, before)
    assert "legal hold #7 (litigation 2024-17)" in reply
    assert deletes_of(stack, rec.id) == []
    [(outcome, _, detail)] = await audit(stack, ADMIN, "delete")
    assert outcome == "refused"
    assert "hold #7" in detail


async def test_a_member_deletes_their_own_on_demand_recording_where_members_may(
    members_stack: Stack,
) -> None:
    stack = members_stack
    rec = member_on_demand(stack)
    await stack.driver.click(MEMBER, blocks.ACTION_DETAILS, ref_value(rec))
    [details] = await stack.slack.wait_for(lambda: stack.slack.responses or None, timeout=DEADLINE)
    assert "Delete…" in render_text(details.args["blocks"])
    view = await confirmation(stack, MEMBER, f"delete od:{rec.id}")
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.submit_view(MEMBER, view, {})
    assert f"Recording {rec.id} is deleted" in await said(stack, MEMBER, before)
    assert deletes_of(stack, rec.id) == [204]


async def test_an_admin_names_whose_on_demand_recording_it_is(stack: Stack) -> None:
    rec = member_on_demand(stack)
    view = await confirmation(stack, ADMIN, f"delete od:{rec.id} user:<@{MEMBER}|hannah>")
    assert f"of VBC user {rec.owner_user_id}" in render_text(view["blocks"])
    before = len(stack.slack.messages_for(ADMIN))
    await stack.driver.submit_view(ADMIN, view, {})
    assert "is deleted" in await said(stack, ADMIN, before)
    assert deletes_of(stack, rec.id) == [204]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("delete", "`delete` needs a recording id"),
        ("delete inbound 17325550100", "a number must be keyed: `from:17325550100`"),
        ("delete 193228 inbound", "only `type:` and `user:@person` may follow"),
        ("delete scope:company", "needs at least one filter or time window"),
        ("delete scope:company inbound frobnicate", "frobnicate"),
    ],
)
async def test_bad_delete_commands_say_what_is_wrong_and_delete_nothing(
    stack: Stack, text: str, words: str
) -> None:
    before = len(stack.slack.messages_for(ADMIN))
    await stack.driver.command(ADMIN, text)
    reply = await said(stack, ADMIN, before)
    assert words in reply, reply
    assert stack.slack.calls_to("views.open") == []
    assert [e for e in stack.sim.state.requests if e["method"] == "DELETE"] == []


async def test_an_unknown_id_is_named_in_the_modal_and_in_an_ephemeral_reply(stack: Stack) -> None:
    view = await confirmation(stack, ADMIN, "delete 999999999")
    assert "found no recording 999999999" in render_text(view["blocks"])
    [answer] = await stack.slack.wait_for(lambda: stack.slack.responses or None, timeout=DEADLINE)
    assert "found no recording 999999999" in render_text(answer.args["blocks"])
    assert [e for e in stack.sim.state.requests if e["method"] == "DELETE"] == []

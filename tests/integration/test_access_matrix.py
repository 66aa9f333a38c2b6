"""Who may see what, proven through the real endpoint: one row per actor x action x whose.

Every row asserts what the actor was shown (allowed, or a clear refusal) and the audit event
it left. Later actions add their rows in ``access_rows_*.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import blocks
from bot.vbcsim.data import SimRecording
from tests.integration.access import (
    ACTORS,
    Expect,
    Outcome,
    Perform,
    Row,
    Whose,
    audit_outcomes,
    latest_reply,
    member_recording,
    other_recording,
    ref_value,
    seen_count,
)
from tests.integration.access import REFUSAL_WORDS as CORE_REFUSAL_WORDS
from tests.integration.access_rows_audio import ROWS as AUDIO_ROWS
from tests.integration.access_rows_delete import MEMBERS_MAY as DELETE_ROWS_MEMBERS_MAY
from tests.integration.access_rows_delete import ROWS as DELETE_ROWS
from tests.integration.access_rows_export import ROWS as EXPORT_ROWS
from tests.integration.access_rows_lifecycle import ROWS as LIFECYCLE_ROWS
from tests.integration.access_rows_notices import REFUSAL_WORDS as NOTICE_REFUSAL_WORDS
from tests.integration.access_rows_notices import ROWS as NOTICE_ROWS
from tests.integration.conftest import MEMBER, OTHER, Stack, start_stack, stop_stack


@pytest.fixture
async def members_stack(sqlite_url: str) -> AsyncIterator[Stack]:
    running = await start_stack(sqlite_url, members_may_delete=True)
    try:
        yield running
    finally:
        await stop_stack(running)


def subject_of(actor: str) -> str:
    """Whose recordings "someone else's" means: the member's, or the other member's."""
    return OTHER if actor == MEMBER else MEMBER


def recording_for(stack: Stack, actor: str, whose: Whose) -> SimRecording:
    owner = actor if whose == "own" else subject_of(actor)
    return other_recording(stack) if owner == OTHER else member_recording(stack)


async def do_search(stack: Stack, actor: str, whose: Whose) -> Outcome:
    text = "last 30d" if whose == "own" else f"user:<@{subject_of(actor)}> last 30d"
    before = seen_count(stack, actor)
    await stack.driver.command(actor, text)
    return await latest_reply(stack, actor, before)


async def do_page(stack: Stack, actor: str, whose: Whose) -> Outcome:
    searcher = actor if whose == "own" else subject_of(actor)
    before = seen_count(stack, searcher)
    await stack.driver.command(searcher, "last 90d")
    await latest_reply(stack, searcher, before)
    [cursor_call] = [c for c in stack.slack.responses if c.args.get("blocks")][-1:]
    value = _button_value(cursor_call.args["blocks"], blocks.ACTION_PAGE_NEXT)
    before = seen_count(stack, actor)
    # A click on someone else's cursor: the button value is forged (the message was theirs).
    await stack.driver.click(actor, blocks.ACTION_PAGE_NEXT, value)
    return await latest_reply(stack, actor, before)


async def do_details(stack: Stack, actor: str, whose: Whose) -> Outcome:
    before = seen_count(stack, actor)
    value = ref_value(recording_for(stack, actor, whose))
    await stack.driver.click(actor, blocks.ACTION_DETAILS, value)
    return await latest_reply(stack, actor, before)


async def do_get(stack: Stack, actor: str, whose: Whose) -> Outcome:
    before = seen_count(stack, actor)
    await stack.driver.command(actor, f"get {recording_for(stack, actor, whose).id}")
    return await latest_reply(stack, actor, before)


def _button_value(blocks_json: list[dict], action_id: str) -> str:  # type: ignore[type-arg]
    for block in blocks_json:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in the results")


def rows_for(action: str, perform: Perform, *, admin_other: Expect = "allowed") -> list[Row]:
    return [
        Row("member", action, "own", "allowed", perform),
        Row("member", action, "other", "refused", perform),
        Row("other member", action, "own", "allowed", perform),
        Row("other member", action, "other", "refused", perform),
        Row("admin", action, "other", admin_other, perform),
        Row("unlinked", action, "other", "refused", perform),
    ]


CORE_ROWS: list[Row] = [
    *rows_for("search", do_search),
    Row("unlinked", "search", "own", "refused", do_search),
    # A cursor belongs to its asker: anyone else's click starts their own search instead.
    *rows_for("page", do_page, admin_other="refused")[:5],
    *rows_for("details", do_details),
    *rows_for("get", do_get),
]


ALL_ROWS = [
    *CORE_ROWS,
    *AUDIO_ROWS,
    *EXPORT_ROWS,
    *DELETE_ROWS,
    *LIFECYCLE_ROWS,
    *NOTICE_ROWS,
]
REFUSAL_WORDS = (*CORE_REFUSAL_WORDS, *NOTICE_REFUSAL_WORDS)
AUDIO_ACTIONS = {row.action for row in AUDIO_ROWS}


@pytest.mark.parametrize("row", ALL_ROWS, ids=lambda r: r.id)
async def test_access(stack: Stack, row: Row) -> None:
    await check_row(stack, row)


@pytest.mark.parametrize(
    "row", DELETE_ROWS_MEMBERS_MAY, ids=lambda r: f"{r.id}-{r.perform.__name__}"
)
async def test_access_where_members_may_delete(members_stack: Stack, row: Row) -> None:
    await check_row(members_stack, row)


async def check_row(stack: Stack, row: Row) -> None:
    actor = ACTORS[row.actor]
    outcome = await row.perform(stack, actor, row.whose)
    shown = outcome.text.lower()
    outcomes = await audit_outcomes(stack, actor, row.action)
    uploads = [u for u in stack.slack.uploads.values() if u.completed]
    if row.action == "delete":
        sent = [e["status"] for e in stack.sim.state.requests if e["method"] == "DELETE"]
        assert sent == ([204] if row.expect == "allowed" else []), sent
    if row.expect == "allowed":
        assert not any(word in shown for word in REFUSAL_WORDS), outcome.text
        assert "allowed" in outcomes, outcomes
        if row.action in AUDIO_ACTIONS:
            assert len(uploads) == 1, uploads
        return
    assert "refused" in outcomes, outcomes
    assert uploads == [], "a refused person got a file"
    if row.action == "page":
        # Someone else's Next button shows the clicker their own search, never the other's.
        assert "your recordings" in shown, outcome.text
        return
    assert any(word in shown for word in REFUSAL_WORDS), outcome.text
    other = recording_for(stack, actor, "other")
    assert other.cnam.lower() not in shown or other.cnam.lower() in "".join(REFUSAL_WORDS)

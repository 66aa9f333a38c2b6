"""Play and Share keep the results list: each click's row shows its state, errors under it.

Every response_url POST is recorded by the fake Slack (which also refuses a 6th use and holds
each body to Block Kit's limits); the list a person reads is the last body that replaced it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot import blocks
from bot.demo.fake_slack import Message
from bot.vbcsim.data import SimRecording
from tests.fakes import render_text
from tests.integration.conftest import MEMBER, OTHER, Stack

MB = 1024 * 1024


def add(stack: Stack, size: int, user: int = 0) -> SimRecording:
    member = stack.sim.state.users[user]
    return stack.sim.state.add_recording(size_bytes=size, user_id=member.id)


async def search(stack: Stack, user: str, refs: list[str]) -> Message:
    before = len(stack.slack.messages_for(user))
    await stack.driver.command(user, "last 7d")

    def listed() -> Message | None:
        new = stack.slack.messages_for(user)[before:]
        return next((m for m in new if all(r in str(m.blocks) for r in refs)), None)

    return await stack.slack.wait_for(listed, timeout=10)


def last_body(stack: Stack, message: Message) -> dict[str, Any]:
    """The last body posted to replace ``message`` (what the person reads now)."""
    bodies = [
        c.args for c in stack.slack.responses if c.args.get("replace_original") and c.status == 200
    ]
    assert bodies, "nothing replaced the list"
    assert bodies[-1]["blocks"] == [dict(b) for b in message.blocks]
    return bodies[-1]


def row_refs(body_blocks: list[dict[str, Any]]) -> list[str]:
    """The recording refs the list's Details buttons name, in order."""
    return [
        str(e["value"])
        for b in body_blocks
        for e in b.get("elements") or []
        if e.get("action_id") == blocks.ACTION_DETAILS
    ]


def row_of(body_blocks: list[dict[str, Any]], ref: str) -> list[dict[str, Any]]:
    """The blocks of ``ref``'s row: its section, its actions and what is under it."""
    start = next(
        i
        for i, b in enumerate(body_blocks)
        if any(e.get("value") == ref for e in b.get("elements") or [])
    )
    row = [body_blocks[start - 1], body_blocks[start]]
    after = body_blocks[start + 1] if start + 1 < len(body_blocks) else {}
    if str(after.get("block_id", "")).startswith("recnote"):
        row.append(after)
    return row


def settled(message: Message, *refs: str) -> bool:
    text = render_text(message.blocks)
    return "⏳" not in text and all(len(row_of(message.blocks, ref)) == 3 for ref in refs)


async def test_play_keeps_the_list_and_the_row_shows_where_the_file_is(stack: Stack) -> None:
    recs = [add(stack, MB) for _ in range(3)]
    refs = [f"c:{r.id}" for r in recs]
    results = await search(stack, MEMBER, refs)
    shown = row_refs(results.blocks)
    await stack.driver.click(MEMBER, blocks.ACTION_PLAY, refs[1], message=results)
    await stack.slack.wait_for(lambda: settled(results, refs[1]), timeout=20)
    body = last_body(stack, results)
    assert row_refs(body["blocks"]) == shown  # every row is still there, in its place
    _section, buttons, note = row_of(body["blocks"], refs[1])
    [upload] = [u for u in stack.slack.uploads.values() if u.completed]
    [state] = [e for e in buttons["elements"] if e["action_id"] == blocks.ACTION_ROW_STATE]
    assert state["text"]["text"] == "✓ In your DM"
    assert state["url"].startswith("https://fake.slack.test/files/")
    assert upload.file_id in state["url"]
    assert "is in your DM with me" in render_text([note])
    for other in (refs[0], refs[2]):
        assert "[▶ Play]" in render_text(row_of(body["blocks"], other))
    # Start, outcome: two posts to the click's response_url, none to the command's.
    posts = [c for c in stack.slack.responses if c.args.get("replace_original")]
    assert [render_text(c.args["blocks"]).count("⏳ Uploading") for c in posts] == [1, 0]


async def test_two_plays_on_one_list_both_show(stack: Stack) -> None:
    recs = [add(stack, 9 * MB), add(stack, 9 * MB)]
    refs = [f"c:{r.id}" for r in recs]
    results = await search(stack, MEMBER, refs)
    await asyncio.gather(
        *(stack.driver.click(MEMBER, blocks.ACTION_PLAY, ref, message=results) for ref in refs)
    )
    await stack.slack.wait_for(lambda: settled(results, *refs), timeout=30)
    body = last_body(stack, results)
    for ref in refs:
        assert "[✓ In your DM]" in render_text(row_of(body["blocks"], ref))
    assert len([u for u in stack.slack.uploads.values() if u.completed]) == 2
    # Each click's response_url stayed within its 5 uses (the fake records a 6th as a problem),
    # and while one Play ran, the other's redraws showed it too.
    keys = {c.key for c in stack.slack.responses if c.args.get("replace_original")}
    assert len(keys) == 2
    both = [
        c
        for c in stack.slack.responses
        if render_text(c.args.get("blocks") or []).count("⏳ Uploading") == 2
    ]
    assert both, "no redraw showed both uploads at once"


async def test_an_error_appears_under_its_row_and_play_tries_again(stack: Stack) -> None:
    recs = [add(stack, MB), add(stack, MB)]
    refs = [f"c:{r.id}" for r in recs]
    results = await search(stack, MEMBER, refs)
    shown = row_refs(results.blocks)
    stack.slack.fail_next("files.completeUploadExternal", "internal_error")
    await stack.driver.click(MEMBER, blocks.ACTION_PLAY, refs[0], message=results)
    await stack.slack.wait_for(lambda: settled(results, refs[0]), timeout=20)
    body = last_body(stack, results)
    assert row_refs(body["blocks"]) == shown
    _section, buttons, note = row_of(body["blocks"], refs[0])
    assert note["type"] == "context"
    assert render_text([note]).startswith(
        ":warning: Slack would not finish the upload (`internal_error`)"
    )
    assert "[▶ Play]" in render_text([buttons])
    assert len(row_of(body["blocks"], refs[1])) == 2  # the other row has nothing under it
    # Its Play button tries again; the error line gives way to the outcome.
    await stack.driver.click(MEMBER, blocks.ACTION_PLAY, refs[0], message=results)
    await stack.slack.wait_for(
        lambda: "is in your DM" in render_text(row_of(results.blocks, refs[0])), timeout=20
    )
    assert ":warning:" not in render_text(results.blocks)


async def test_a_large_play_shows_progress_within_five_posts(stack: Stack) -> None:
    rec = add(stack, 30 * MB)
    ref = f"c:{rec.id}"
    results = await search(stack, MEMBER, [ref])
    await stack.driver.click(MEMBER, blocks.ACTION_PLAY, ref, message=results)
    await stack.slack.wait_for(lambda: settled(results, ref), timeout=30)
    posts = [render_text(c.args["blocks"]) for c in stack.slack.responses if c.key]
    labels = [p.split("[⏳ ")[1].split("]")[0] for p in posts if "[⏳ " in p]
    assert labels[0] == "Uploading…"
    assert 2 <= len(labels) <= 3
    assert all(label.endswith(" %") for label in labels[1:])
    assert len(posts) <= 5


async def test_a_list_that_is_not_the_clickers_is_not_redrawn(stack: Stack) -> None:
    """A forged block id naming someone else's list: no state is kept on it, nothing redrawn."""
    theirs = add(stack, MB, user=1)
    their_list = await search(stack, OTHER, [f"c:{theirs.id}"])
    block_id = next(
        str(b["block_id"]) for b in their_list.blocks if str(b["block_id"]).startswith("recact:")
    )
    mine = add(stack, MB)
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.click(MEMBER, blocks.ACTION_PLAY, f"c:{mine.id}", block_id=block_id)
    [reply] = await stack.slack.wait_for(
        lambda: [m for m in stack.slack.messages_for(MEMBER)[before:] if m.ephemeral], timeout=20
    )
    assert "is in your DM with me" in render_text(reply.blocks)
    assert "Recordings" not in reply.text  # the outcome alone, not anybody's list
    cursor_key = block_id.split(":")[1]
    store = stack.bot.runtime.services.store
    assert await store.row_states(cursor_key) == []
    assert their_list.edits == 0

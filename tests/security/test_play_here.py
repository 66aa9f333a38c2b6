"""A Play that will post into a channel says so on the button before it is pressed.

In a direct-delivery channel result rows, compact rows and Details offer "▶ Play here", and only
that button posts into the channel; everywhere else "▶ Play" goes to the person's DM, even when
an admin turned direct delivery on after the button was drawn. The server decides again at the
click: a "Play here" in a channel that no longer delivers directly goes to the DM.
"""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.vbcsim.data import SimRecording
from tests.fakes import Message, assert_valid_message, render_text
from tests.integration.access import latest_reply, seen_count
from tests.integration.conftest import (
    ADMIN,
    CHANNEL,
    MEMBER,
    Stack,
)

MB = 1024 * 1024
DEADLINE = 20.0
PLAIN = "C0002"  # a channel with no settings: sharing not allowed, no direct delivery


async def admin_says(stack: Stack, words: str) -> str:
    before = seen_count(stack, ADMIN)
    await stack.driver.command(ADMIN, words, channel_id=CHANNEL)
    return (await latest_reply(stack, ADMIN, before)).text


async def make_direct(stack: Stack) -> None:
    await admin_says(stack, "channel allow")
    assert "is *on*" in await admin_says(stack, "channel direct")


def new_recording(stack: Stack) -> SimRecording:
    member = stack.sim.state.users[0]
    return stack.sim.state.add_recording(size_bytes=MB, user_id=member.id)


async def results_with(
    stack: Stack, rec: SimRecording, words: str = "last 7d", channel: str = CHANNEL
) -> Message:
    before = seen_count(stack, MEMBER)
    await stack.driver.command(MEMBER, words, channel_id=channel)

    def listed() -> Message | None:
        newer = stack.slack.messages_for(MEMBER)[before:]
        return next((m for m in newer if f"c:{rec.id}" in str(m.blocks)), None)

    message = await stack.slack.wait_for(listed, timeout=DEADLINE)
    assert_valid_message({"text": message.text, "blocks": message.blocks})
    return message


def play_controls(message: Message, rec: SimRecording) -> list[tuple[str, str, str]]:
    """(label, action_id, value) of every Play button or menu option for ``rec``."""
    found: list[tuple[str, str, str]] = []
    for block in message.blocks:
        elements: list[dict[str, Any]] = [*block.get("elements", [])]
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "overflow":
                for option in element["options"]:
                    if (
                        option["value"].endswith(f"|c:{rec.id}")
                        and "Play" in option["text"]["text"]
                    ):
                        found.append(
                            (option["text"]["text"], element["action_id"], option["value"])
                        )
            elif element.get("value") == f"c:{rec.id}" and "Play" in element["text"]["text"]:
                found.append((element["text"]["text"], element["action_id"], element["value"]))
    return found


async def press(stack: Stack, message: Message, action_id: str, value: str) -> str:
    edits = message.edits
    await stack.driver.click(MEMBER, action_id, value, message=message)

    def outcome() -> str | None:
        shown = render_text(message.blocks)
        return (
            shown
            if message.edits > edits and "⏳" not in shown and ":white_check_mark:" in shown
            else None
        )

    return await stack.slack.wait_for(outcome, timeout=DEADLINE)


def uploads_in(stack: Stack, conversation: str) -> int:
    return sum(
        1 for u in stack.slack.uploads.values() if u.completed and conversation in u.channels
    )


async def details_of(stack: Stack, results: Message, rec: SimRecording) -> Message:
    before = seen_count(stack, MEMBER)
    await stack.driver.click(MEMBER, blocks.ACTION_DETAILS, f"c:{rec.id}", message=results)
    [details] = await stack.slack.wait_for(lambda: stack.slack.messages_for(MEMBER)[before:])
    assert_valid_message({"text": details.text, "blocks": details.blocks})
    return details


async def test_play_says_here_only_in_a_direct_channel_and_posts_only_there(stack: Stack) -> None:
    stack.slack.add_channel(PLAIN, "plain")
    await make_direct(stack)
    rec = new_recording(stack)
    results = await results_with(stack, rec)
    [(label, action_id, value)] = play_controls(results, rec)
    assert label == "▶ Play here"
    details = await details_of(stack, results, rec)
    assert [c[0] for c in play_controls(details, rec)] == ["▶ Play here"]
    long_page = await results_with(stack, rec, "last 90d page-size:25")
    assert [c[0] for c in play_controls(long_page, rec)] == ["▶ Play here"], "compact rows too"
    assert "is in this channel" in await press(stack, results, action_id, value)
    assert uploads_in(stack, CHANNEL) == 1

    elsewhere = await results_with(stack, rec, channel=PLAIN)
    [(label, action_id, value)] = play_controls(elsewhere, rec)
    assert label == "▶ Play"
    details = await details_of(stack, elsewhere, rec)
    assert [c[0] for c in play_controls(details, rec)] == ["▶ Play"]
    long_page = await results_with(stack, rec, "last 90d page-size:25", channel=PLAIN)
    assert [c[0] for c in play_controls(long_page, rec)] == ["▶ Play"]
    assert "Play here" not in render_text(elsewhere.blocks) + render_text(details.blocks)
    assert "is in your DM with me" in await press(stack, elsewhere, action_id, value)
    assert uploads_in(stack, PLAIN) == 0
    assert uploads_in(stack, stack.slack.dm_channel(MEMBER)) == 1


async def test_a_play_button_drawn_before_direct_delivery_still_goes_to_the_dm(
    stack: Stack,
) -> None:
    rec = new_recording(stack)
    results = await results_with(stack, rec)
    [(label, action_id, value)] = play_controls(results, rec)
    assert label == "▶ Play"
    await make_direct(stack)  # after the button was drawn: it never said "here"
    assert "is in your DM with me" in await press(stack, results, action_id, value)
    assert stack.slack.messages_for(CHANNEL) == []
    assert uploads_in(stack, CHANNEL) == 0


async def test_a_play_here_button_after_channel_deny_goes_to_the_dm(stack: Stack) -> None:
    await make_direct(stack)
    rec = new_recording(stack)
    results = await results_with(stack, rec)
    [(label, action_id, value)] = play_controls(results, rec)
    assert label == "▶ Play here"
    await admin_says(stack, "channel deny")
    assert "is in your DM with me" in await press(stack, results, action_id, value)
    assert stack.slack.messages_for(CHANNEL) == []
    assert uploads_in(stack, CHANNEL) == 0

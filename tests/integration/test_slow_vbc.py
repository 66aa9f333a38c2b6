"""A slow VBC is never silence: after 2 s the person reads "Still waiting for VBC…".

The simulator's latency fault holds every VBC answer; a warm-up search first links the person
and fetches a token, so only the searches themselves are slow.
"""

from __future__ import annotations

from bot import blocks
from bot.demo.fake_slack import Message
from bot.demo.fake_slack_records import Call
from bot.vbc.client import RECORDING_API
from tests.fakes import render_text
from tests.integration.conftest import MEMBER, Stack

WAITING = "Still waiting for VBC"


def slow(stack: Stack, seconds: float, **more: object) -> None:
    stack.sim.state.faults.update({"latency": seconds, **more})


async def warm_up(stack: Stack, text: str = "last 7d") -> Message:
    """A first search at full speed: the person is linked, the bot holds a token."""
    member = stack.sim.state.users[0]
    for _ in range(2):
        stack.sim.state.add_recording(size_bytes=1000, user_id=member.id)
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.command(MEMBER, text)
    [results] = await stack.slack.wait_for(
        lambda: stack.slack.messages_for(MEMBER)[before:], timeout=10
    )
    assert "Recordings" in results.text
    return results


def replies_since(stack: Stack, before: int) -> list[str]:
    return [render_text(m.blocks) for m in stack.slack.messages_for(MEMBER)[before:]]


def button(message: Message, action_id: str) -> str:
    for block in message.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {render_text(message.blocks)!r}")


async def test_a_slow_search_command_says_so_then_shows_the_results(stack: Stack) -> None:
    await warm_up(stack)
    slow(stack, 2.6)
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.command(MEMBER, "last 7d")

    def two() -> list[str] | None:
        texts = replies_since(stack, before)
        return texts if len(texts) == 2 else None

    texts: list[str] = await stack.slack.wait_for(two, timeout=20)
    assert WAITING in texts[0]  # one extra line first...
    assert "[▶ Play]" in texts[1]  # ...then the results, as a new reply
    [waiting_post, results_post] = stack.slack.responses[-2:]
    assert not waiting_post.args.get("replace_original")
    assert results_post.key == waiting_post.key  # the command's own response_url, twice


async def test_a_fast_search_command_has_no_waiting_line(stack: Stack) -> None:
    await warm_up(stack)
    slow(stack, 0.3)
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.command(MEMBER, "last 7d")
    [results] = await stack.slack.wait_for(lambda: replies_since(stack, before), timeout=10)
    assert WAITING not in results


async def test_a_slow_failing_search_command_ends_in_a_specific_error_with_retry(
    stack: Stack,
) -> None:
    await warm_up(stack)
    fail = {"status": 503, "count": 50, "path_prefix": RECORDING_API, "method": "GET"}
    slow(stack, 0.8, fail_next=[fail])
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.command(MEMBER, "last 7d")

    def two() -> list[Message] | None:
        found = stack.slack.messages_for(MEMBER)[before:]
        return found if len(found) == 2 else None

    messages: list[Message] = await stack.slack.wait_for(two, timeout=30)
    waiting, error = messages
    assert WAITING in render_text(waiting.blocks)
    assert render_text(error.blocks).startswith(":warning:")
    assert "VBC" in render_text(error.blocks)
    # VBC is back: Retry replaces the error with the results, in place.
    stack.sim.state.faults.update({"clear": True})
    edits = error.edits
    await stack.driver.click(
        MEMBER, blocks.ACTION_RETRY, button(error, blocks.ACTION_RETRY), message=error
    )
    await stack.slack.wait_for(lambda: error.edits > edits, timeout=10)
    assert "[▶ Play]" in render_text(error.blocks)


async def test_a_slow_page_click_shows_waiting_in_place_then_the_page(stack: Stack) -> None:
    results = await warm_up(stack, "last 7d page-size:1")
    slow(stack, 2.6)
    edits = results.edits
    await stack.driver.click(
        MEMBER, blocks.ACTION_PAGE_NEXT, button(results, blocks.ACTION_PAGE_NEXT), message=results
    )

    def two() -> list[Call] | None:
        found = [c for c in stack.slack.responses if c.args.get("replace_original")]
        return found if len(found) == 2 else None

    posts: list[Call] = await stack.slack.wait_for(two, timeout=20)
    assert WAITING in render_text(posts[0].args["blocks"])
    assert "Page 2" in render_text(posts[1].args["blocks"])
    assert results.edits == edits + 2  # both replaced the clicked message itself
    assert "Page 2" in render_text(results.blocks)

"""The search form validates in place: errors on the fields, within Slack's 3 s, modal open.

Whose an extension is comes from the person's link in the database (no VBC call), so the
answer is fast even when VBC is slow; only a person not linked yet would wait on VBC, and
that wait is capped so the ack is never late.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot import blocks
from bot.blocks import modal
from tests.integration.conftest import CHANNEL, MEMBER, Stack

ACK_WINDOW = 3.0


async def open_form(stack: Stack) -> dict[str, Any]:
    await stack.driver.command(MEMBER, "")
    await stack.slack.wait_for("views.open")
    view = stack.slack.current_view(MEMBER)
    assert view is not None
    assert view["callback_id"] == blocks.CALLBACK_SEARCH_MODAL
    return view


async def submit(
    stack: Stack, view: dict[str, Any], fields: dict[str, Any]
) -> tuple[httpx.Response, float]:
    values = {block: {modal.ACTION_FIELD: value} for block, value in fields.items()}
    started = time.monotonic()
    response = await stack.driver.submit_view(MEMBER, view, values)
    return response, time.monotonic() - started


async def link_member(stack: Stack) -> None:
    """A first search links MEMBER by email (extension 101 is kept with the link)."""
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.command(MEMBER, "last 7d")
    await stack.slack.wait_for(lambda: stack.slack.messages_for(MEMBER)[before:], timeout=10)


async def test_an_extension_not_yours_is_a_field_error_and_the_modal_stays(stack: Stack) -> None:
    await link_member(stack)
    view = await open_form(stack)
    stack.sim.state.faults.update({"latency": 5.0})  # VBC is slow: the check does not ask it
    response, took = await submit(
        stack, view, {modal.BLOCK_EXTENSION: "999", modal.BLOCK_NAME: "John Smith"}
    )
    assert took < ACK_WINDOW
    assert response.status_code == 200
    answer = response.json()
    assert answer == {
        "response_action": "errors",
        "errors": {
            modal.BLOCK_EXTENSION: "Extension 999 is not one of yours (101). "
            "Use one of those, or leave it empty."
        },
    }  # no new view: Slack keeps the modal open with what was typed
    assert stack.slack.calls_to("chat.postEphemeral") == []
    assert stack.slack.current_view(MEMBER) == view


async def test_every_bad_field_is_reported_at_once(stack: Stack) -> None:
    await link_member(stack)
    view = await open_form(stack)
    future = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    fields = {
        modal.BLOCK_EXTENSION: "555",
        modal.BLOCK_CALLER: "call me maybe",
        modal.BLOCK_SINCE_DATE: {"type": "datepicker", "selected_date": future},
        modal.BLOCK_SINCE_TIME: {"type": "timepicker", "selected_time": "10:00"},
        modal.BLOCK_UNTIL_DATE: {"type": "datepicker", "selected_date": future},
        modal.BLOCK_UNTIL_TIME: {"type": "timepicker", "selected_time": "10:00"},
    }
    response, took = await submit(stack, view, fields)
    assert took < ACK_WINDOW
    errors = response.json()["errors"]
    assert set(errors) == {
        modal.BLOCK_EXTENSION,
        modal.BLOCK_CALLER,
        modal.BLOCK_SINCE_DATE,
        modal.BLOCK_UNTIL_DATE,
    }
    assert "in the future" in errors[modal.BLOCK_SINCE_DATE]
    assert "window is empty" in errors[modal.BLOCK_UNTIL_DATE]
    assert "not one of yours" in errors[modal.BLOCK_EXTENSION]


async def test_your_own_extension_searches(stack: Stack) -> None:
    stack.slack.add_channel(CHANNEL, "general", members={MEMBER})
    await link_member(stack)
    view = await open_form(stack)
    response, _ = await submit(stack, view, {modal.BLOCK_EXTENSION: "101"})
    assert response.status_code == 200
    assert not response.content or "errors" not in response.text
    [posted] = await stack.slack.wait_for("chat.postEphemeral", timeout=10)
    assert posted.args["user"] == MEMBER


async def test_a_person_not_linked_yet_is_not_kept_waiting_past_the_ack(stack: Stack) -> None:
    """Linking needs VBC; slow VBC: the check gives up in time, the search answers later."""
    stack.slack.add_channel(CHANNEL, "general", members={MEMBER})
    view = await open_form(stack)
    stack.sim.state.faults.update({"latency": 2.5})
    response, took = await submit(stack, view, {modal.BLOCK_EXTENSION: "999"})
    assert took < ACK_WINDOW
    assert response.status_code == 200
    assert not response.content or "errors" not in response.text
    # The search re-checks: the extension is refused there, in a reply.
    [posted] = await stack.slack.wait_for("chat.postEphemeral", timeout=30)
    assert "not one of yours" in str(posted.args)

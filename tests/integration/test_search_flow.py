"""Searching from Slack, end to end: signed requests in, VBC queries out, pages back."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from bot import blocks
from bot.blocks import modal
from tests.fakes import render_text
from tests.integration.access import latest_reply, seen_count
from tests.integration.conftest import (
    ADMIN,
    CHANNEL,
    MEMBER,
    SIGNING_SECRET,
    Stack,
    start_stack,
    stop_stack,
)

RECORDING_API = "/t/vbc.prod/call_recording/api"


def vbc_queries(stack: Stack) -> list[dict[str, str]]:
    """Query strings of the recording list requests VBC received."""
    return [
        entry["query"]
        for entry in stack.sim.state.requests
        if entry["path"].startswith(RECORDING_API) and entry["path"].endswith("recordings")
    ]


def button_value(message_blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in message_blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


async def search(stack: Stack, user: str, text: str) -> str:
    before = seen_count(stack, user)
    response = await stack.driver.command(user, text)
    assert response.status_code == 200
    return (await latest_reply(stack, user, before)).text


async def test_member_pages_forward_and_back_in_place(stack: Stack) -> None:
    first = await search(stack, MEMBER, "last 90d")
    assert "Page 1 of" in first
    assert "your recordings" in first
    page_one = stack.slack.responses[-1]
    next_value = button_value(page_one.args["blocks"], blocks.ACTION_PAGE_NEXT)

    before = len(stack.slack.responses)
    await stack.driver.click(MEMBER, blocks.ACTION_PAGE_NEXT, next_value)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
    page_two = stack.slack.responses[-1]
    assert page_two.args["replace_original"] is True
    assert "Page 2 of" in render_text(page_two.args["blocks"])
    assert page_two.args["blocks"] != page_one.args["blocks"]

    prev_value = button_value(page_two.args["blocks"], blocks.ACTION_PAGE_PREV)
    before = len(stack.slack.responses)
    await stack.driver.click(MEMBER, blocks.ACTION_PAGE_PREV, prev_value)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
    again = render_text(stack.slack.responses[-1].args["blocks"])
    assert again.split("\n")[1:] == render_text(page_one.args["blocks"]).split("\n")[1:]


async def test_member_results_merge_both_kinds_newest_first_without_duplicates(
    stack: Stack,
) -> None:
    await search(stack, MEMBER, "last 90d page-size:20")
    rows = stack.slack.responses[-1].args["blocks"]
    refs = [
        e["value"]
        for b in rows
        for e in b.get("elements", [])
        if e.get("action_id") == blocks.ACTION_DETAILS
    ]
    assert len(refs) == len(set(refs)) == 20
    assert {r[0] for r in refs} == {"c", "o"}, "on-demand and company recordings in one stream"
    member = stack.sim.state.users[0]
    starts = []
    for ref in refs:
        recording = stack.sim.state.recording(int(ref.rsplit(":", 1)[1]))
        assert recording is not None
        assert recording.owner_user_id == member.id or member.extension in recording.extensions
        starts.append(recording.start)
    assert starts == sorted(starts, reverse=True)


async def test_details_show_metadata_but_never_the_download_url(stack: Stack) -> None:
    await search(stack, MEMBER, "last 30d")
    value = button_value(stack.slack.responses[-1].args["blocks"], blocks.ACTION_DETAILS)
    before = seen_count(stack, MEMBER)
    await stack.driver.click(MEMBER, blocks.ACTION_DETAILS, value)
    shown = (await latest_reply(stack, MEMBER, before)).text
    recording_id = value.rsplit(":", 1)[1]
    assert recording_id in shown
    assert "audio/recording" not in json.dumps(stack.slack.responses[-1].args)


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("inbound", {"call_direction": "INBOUND"}),
        ("outbound", {"call_direction": "OUTBOUND"}),
        ("internal", {"call_direction": "INTRA_PBX"}),
        ("from:+1 (732) 555-0100", {"caller_id": "17325550100"}),
        ("to:732-555-0199", {"dnis": "17325550199"}),
        ('name:"john smith"', {"cnam": "john smith"}),
        ("ext:101", {"extension": "101"}),
        (
            "call:c91150a6-8cc4-4e73-9fef-17fd925c6448",
            {"call_id": "c91150a6-8cc4-4e73-9fef-17fd925c6448"},
        ),
        (">2m", {"duration:gte": "120000"}),
        ("<30s", {"duration:lte": "30000"}),
        ("1m..5m", {"duration:gte": "60000", "duration:lte": "300000"}),
        ("since:2024-05-01", {"start:gte": "2024-05-01T05:00:00+0000"}),
        ("until:2024-05-31 17:00", {"start:lte": "2024-05-31T22:00:00+0000"}),
        ("oldest", {"order": "start:ASC"}),
        ("page-size:25", {"page_size": "25"}),
    ],
)
async def test_each_grammar_element_reaches_vbc_with_its_wire_name(
    stack: Stack, text: str, wire: dict[str, str]
) -> None:
    # The admin's company scope runs exactly one VBC query, so the wire is easy to read.
    # ADMIN's Slack time zone is America/Chicago: May is CDT, UTC-5.
    stack.sim.state.requests.clear()
    await search(stack, ADMIN, f"scope:company {text}")
    [query] = vbc_queries(stack)
    for name, value in wire.items():
        assert query[name] == value, (name, query)


async def test_bare_number_searches_both_sides_of_the_call(stack: Stack) -> None:
    stack.sim.state.requests.clear()
    shown = await search(stack, ADMIN, "scope:company +1 732 555 0100")
    queries = vbc_queries(stack)
    assert {q.get("caller_id") for q in queries} == {"17325550100", None}
    assert {q.get("dnis") for q in queries} == {"17325550100", None}
    assert "JOHN SMITH" in shown


async def test_unreadable_command_names_the_token_and_calls_no_vbc(stack: Stack) -> None:
    stack.sim.state.requests.clear()
    shown = await search(stack, MEMBER, "inbund yesterday")
    assert "inbund" in shown
    assert "inbound" in shown
    assert list(stack.sim.state.requests) == []


async def test_overlong_command_and_message_are_answered_plainly(stack: Stack) -> None:
    stack.sim.state.requests.clear()
    shown = await search(stack, MEMBER, "link <@U0JANE|jane> a@" + "." * 40_000 + "@")
    assert "That command is 40,023 characters long; /recordings reads at most 4,000." in shown
    before = len(stack.slack.responses)
    await stack.driver.message_shortcut(
        MEMBER, blocks.CALLBACK_MESSAGE_SHORTCUT, "x" * 5000 + " (732) 555-0100", CHANNEL
    )
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, timeout=10)
    said = render_text(stack.slack.responses[-1].args["blocks"])
    assert "no phone number in the first 4,000 characters of that message" in said
    assert list(stack.sim.state.requests) == []


async def test_empty_results_say_what_was_searched(stack: Stack) -> None:
    shown = await search(stack, MEMBER, "from:+1 212 555 0000 last 7d")
    assert "212" in shown
    assert "No recordings" in shown or "no recordings" in shown.lower()


async def test_help_shows_grammar_and_scope(stack: Stack) -> None:
    shown = await search(stack, MEMBER, "help")
    assert "from:" in shown
    assert "yesterday" in shown
    assert "your own recordings" in shown


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"fail_next": [{"status": 503, "count": 10}]}, "try again"),
        ({"fail_next": [{"status": 429, "retry_after": 60, "count": 10}]}, "rate limit"),
        ({"fail_next": [{"status": 200, "malformed": "html", "count": 10}]}, "html"),
    ],
)
async def test_vbc_trouble_gets_a_clear_message_with_retry(
    stack: Stack, fault: dict[str, Any], words: str
) -> None:
    await search(stack, MEMBER, "whoami")  # link first, so the fault hits the search itself
    stack.sim.state.faults.update(fault)
    shown = await search(stack, MEMBER, "last 7d")
    assert ":warning:" in shown
    assert words in shown.lower()
    assert blocks.ACTION_RETRY in json.dumps(stack.slack.responses[-1].args["blocks"])


async def test_slow_vbc_never_delays_the_ack(stack: Stack) -> None:
    await search(stack, MEMBER, "whoami")
    stack.sim.state.faults.update({"latency": 1.5})
    started = time.perf_counter()
    response = await stack.driver.command(MEMBER, "last 7d")
    assert response.status_code == 200
    assert time.perf_counter() - started < 1.0
    await stack.slack.wait_for(lambda: stack.slack.responses[-1:] or None, timeout=15)


@pytest.mark.parametrize("problem", ["bad signature", "stale timestamp"])
async def test_unsigned_requests_get_401_and_touch_nothing(stack: Stack, problem: str) -> None:
    body = urlencode(
        {"command": "/recordings", "text": "last 7d", "user_id": MEMBER, "team_id": "T0001"}
    ).encode()
    timestamp = int(time.time()) - (600 if problem == "stale timestamp" else 0)
    headers = stack.driver.sign(body, timestamp)
    if problem == "bad signature":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    stack.sim.state.requests.clear()
    calls_before = len(stack.slack.calls)
    response = await stack.driver.raw(body, headers)
    assert response.status_code == 401
    assert list(stack.sim.state.requests) == []
    assert len(stack.slack.calls) == calls_before
    assert SIGNING_SECRET not in response.text


async def test_empty_command_opens_the_modal_and_field_errors_stay_in_it(stack: Stack) -> None:
    await stack.driver.command(MEMBER, "")
    [_call] = await stack.slack.wait_for("views.open")
    view = stack.slack.current_view(MEMBER)
    assert view is not None
    assert view["callback_id"] == blocks.CALLBACK_SEARCH_MODAL
    response = await stack.driver.submit_view(
        MEMBER, view, {modal.BLOCK_CALLER: {modal.ACTION_FIELD: "not a number"}}
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [modal.BLOCK_CALLER]


async def test_modal_search_posts_ephemeral_results(stack: Stack) -> None:
    stack.slack.add_channel(CHANNEL, "general", members={MEMBER})
    await stack.driver.command(MEMBER, "")
    await stack.slack.wait_for("views.open")
    view = stack.slack.current_view(MEMBER)
    assert view is not None
    response = await stack.driver.submit_view(MEMBER, view, {})
    assert response.status_code == 200
    [posted] = await stack.slack.wait_for("chat.postEphemeral", timeout=10)
    assert posted.args["user"] == MEMBER
    assert "Page 1 of" in render_text(
        json.loads(posted.args["blocks"])
        if isinstance(posted.args["blocks"], str)
        else posted.args["blocks"]
    )


async def test_message_shortcut_searches_the_numbers_in_the_message(stack: Stack) -> None:
    stack.sim.state.requests.clear()
    await stack.driver.message_shortcut(
        ADMIN, blocks.CALLBACK_MESSAGE_SHORTCUT, "Call back John on (732) 555-0100 please", CHANNEL
    )
    await stack.slack.wait_for(lambda: stack.slack.responses[-1:] or None, timeout=10)
    assert any(q.get("caller_id") == "17325550100" for q in vbc_queries(stack))


async def test_redelivered_event_is_handled_once(stack: Stack) -> None:
    event = {"type": "app_home_opened", "user": MEMBER, "channel": "D0001", "tab": "home"}
    await stack.driver.event(event, event_id="Ev0001")
    await stack.slack.wait_for("views.publish", timeout=10)
    response = await stack.driver.event(event, event_id="Ev0001", retry_num=1)
    assert response.status_code == 200
    await search(stack, MEMBER, "help")  # a later request, so a second publish would be seen
    assert len(stack.slack.calls_to("views.publish")) == 1


async def test_the_same_flow_runs_on_postgresql(postgres_url: str) -> None:
    stack = await start_stack(postgres_url)
    try:
        first = await search(stack, MEMBER, "last 90d")
        assert "Page 1 of" in first
        next_value = button_value(stack.slack.responses[-1].args["blocks"], blocks.ACTION_PAGE_NEXT)
        before = len(stack.slack.responses)
        await stack.driver.click(MEMBER, blocks.ACTION_PAGE_NEXT, next_value)
        await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
        assert "Page 2 of" in render_text(stack.slack.responses[-1].args["blocks"])
        assert stack.slack.problems == []
    finally:
        await stop_stack(stack)


async def test_an_unexpected_error_still_gets_an_apology(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        # Fail after real I/O would have happened; a listener that fails within Bolt's 10 ms
        # ack poll makes Bolt answer 404 even though it acknowledged (slack_bolt 1.30).
        await asyncio.sleep(0.05)
        raise RuntimeError("a bug")

    monkeypatch.setattr(stack.bot.runtime.services.recordings, "search", broken)
    shown = await search(stack, MEMBER, "last 7d")
    assert "Sorry, something went wrong" in shown
    assert "a bug" not in shown


async def test_someone_elses_next_button_never_replaces_their_message(stack: Stack) -> None:
    from tests.integration.conftest import OTHER

    await search(stack, OTHER, "last 90d")
    value = button_value(stack.slack.responses[-1].args["blocks"], blocks.ACTION_PAGE_NEXT)
    before = len(stack.slack.responses)
    await stack.driver.click(MEMBER, blocks.ACTION_PAGE_NEXT, value)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
    assert stack.slack.responses[-1].args["replace_original"] is False


async def test_retry_after_a_failed_first_page_shows_the_results(stack: Stack) -> None:
    await search(stack, MEMBER, "whoami")
    stack.sim.state.faults.update({"fail_next": [{"status": 503, "count": 10}]})
    shown = await search(stack, MEMBER, "last 30d")
    assert ":warning:" in shown
    retry_value = button_value(stack.slack.responses[-1].args["blocks"], blocks.ACTION_RETRY)
    stack.sim.state.faults.update({"clear": True})
    before = len(stack.slack.responses)
    await stack.driver.click(MEMBER, blocks.ACTION_RETRY, retry_value)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
    assert "Page 1 of" in render_text(stack.slack.responses[-1].args["blocks"])


async def test_counts_are_exact_when_they_can_be_and_headers_show_only_what_was_typed(
    stack: Stack,
) -> None:
    # One VBC query per kind cannot overlap, so the count is exact from page one.
    shown = await search(stack, MEMBER, "inbound last 30d")
    assert "about" not in shown
    assert "until" not in shown.split("\n")[1]  # the pinned end time is not the person's
    shown = await search(stack, MEMBER, "yesterday from:+1 732 555 0100")
    assert "Page 1 of" not in shown  # everything fits on one page: no page count to read


async def test_empty_results_advise_loosening_only_what_was_given(stack: Stack) -> None:
    shown = await search(stack, MEMBER, ">=1h30m from:+1 212 555 0000")
    assert "duration" in shown
    assert "number" in shown
    assert "time window" not in shown

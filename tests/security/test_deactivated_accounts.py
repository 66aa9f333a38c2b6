"""A deactivated Slack account loses access: its signed links at once, its buttons, forms and
commands once the profile cache (at most 5 minutes) has expired; every refusal is audited."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from bot import blocks
from bot.store import AuditQuery
from bot.vbcsim.data import SimRecording
from tests.fakes import Message, assert_valid_view, render_text
from tests.integration.conftest import CHANNEL, MEMBER, TEAM, Stack, start_stack, stop_stack

MB = 1024 * 1024
CACHE_LIFETIME = timedelta(minutes=5)  # the most the contract allows


class SteppedClock:
    """The bot's wall clock, moved on by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
async def clocked(sqlite_url: str) -> AsyncIterator[tuple[Stack, SteppedClock]]:
    clock = SteppedClock()
    stack = await start_stack(sqlite_url, clock=clock)
    try:
        yield stack, clock
    finally:
        await stop_stack(stack)


def member_recording(stack: Stack) -> SimRecording:
    member = stack.sim.state.users[0]
    return stack.sim.state.add_recording(size_bytes=MB, user_id=member.id)


def signed_link(stack: Stack, rec: SimRecording) -> str:
    """The link Play offers for audio too big for Slack, minted for MEMBER while active."""
    url, _ = stack.bot.runtime.services.links.url_for(
        "audio", team_id=TEAM, user_id=MEMBER, subject=f"c:{rec.id}", filename="call.mp3"
    )
    return stack.bot.url + urlsplit(url).path  # PUBLIC_URL is not where the test bot listens


async def audit(stack: Stack, action: str) -> list[str]:
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=MEMBER, action=action), offset=0, limit=50
    )
    return [e.outcome for e in events]


async def results_listing(stack: Stack, rec: SimRecording) -> Message:
    await stack.driver.command(MEMBER, "last 7d", channel_id=CHANNEL)
    return await stack.slack.wait_for(
        lambda: next(
            (m for m in stack.slack.messages_for(MEMBER) if f"c:{rec.id}" in str(m.blocks)), None
        ),
        timeout=10,
    )


async def details_reply(stack: Stack, rec: SimRecording, results: Message) -> str:
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.click(MEMBER, blocks.ACTION_DETAILS, f"c:{rec.id}", message=results)
    [reply] = await stack.slack.wait_for(
        lambda: stack.slack.messages_for(MEMBER)[before:], timeout=10
    )
    return reply.text + "\n" + render_text(reply.blocks)


async def test_a_signed_link_minted_while_active_answers_403_at_once_after_deactivation(
    clocked: tuple[Stack, SteppedClock],
) -> None:
    stack, _ = clocked
    rec = member_recording(stack)
    link = signed_link(stack, rec)
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.get(link)).status_code == 200
        stack.slack.deactivate_user(MEMBER)  # no time passes: the profile cache is still warm
        refused = await http.get(link)
    assert refused.status_code == 403
    assert "Your Slack account is deactivated" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert await audit(stack, "signed_link") == ["refused", "allowed"]
    fetched = [c for c in stack.slack.calls_to("users.info") if c.args.get("user") == MEMBER]
    assert len(fetched) >= 2  # each use of the link asked Slack


async def test_buttons_and_commands_of_a_deactivated_account_stop_within_the_cache_lifetime(
    clocked: tuple[Stack, SteppedClock], caplog: pytest.LogCaptureFixture
) -> None:
    stack, clock = clocked
    rec = member_recording(stack)
    results = await results_listing(stack, rec)
    await stack.driver.shortcut(MEMBER, blocks.CALLBACK_SHORTCUT_SEARCH)
    await stack.slack.wait_for("views.open")
    form = stack.slack.current_view(MEMBER)
    assert form is not None
    stack.slack.deactivate_user(MEMBER)

    clock.advance(CACHE_LIFETIME - timedelta(seconds=30))  # Slack's answer may still be cached
    assert str(rec.id) in await details_reply(stack, rec, results)

    clock.advance(timedelta(seconds=31))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        refused_click = await details_reply(stack, rec, results)
        command = await stack.driver.command(MEMBER, "last 7d", channel_id=CHANNEL)
        submitted = await stack.driver.submit_view(MEMBER, form, {})
        opened = len(stack.slack.calls_to("views.open"))
        shortcut = await stack.driver.shortcut(MEMBER, blocks.CALLBACK_SHORTCUT_SEARCH)
    assert "Your Slack account is deactivated" in refused_click
    assert str(rec.id) not in refused_click
    assert command.status_code == 200
    assert "Your Slack account is deactivated" in command.text
    answer = submitted.json()
    assert answer["response_action"] == "update"
    assert_valid_view(answer["view"])
    assert "Your Slack account is deactivated" in render_text(answer["view"]["blocks"])
    assert shortcut.status_code == 200
    assert len(stack.slack.calls_to("views.open")) == opened  # no form for them
    assert stack.slack.calls_to("chat.postEphemeral") == []  # the form searched nothing
    assert await audit(stack, "access") == ["refused"] * 4
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

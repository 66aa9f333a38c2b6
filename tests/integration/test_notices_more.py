"""More of new-recording notices over signed HTTP: Slack's 429 honoured, a deactivated person
left alone, Play on a channel notice checked and delivered by the channel's policy, every rule
change audited, and ``/metrics`` counting what was sent. Every payload seen is Block Kit Slack
accepts."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot import blocks
from bot.blocks.ids import ACTION_NOTICE_REMOVE, ACTION_NOTICE_TOGGLE
from bot.store.notices import NoticeRows
from bot.store.tables import NoticeDelivery
from tests.fakes import (
    Message,
    assert_valid_message,
    assert_valid_view,
    render_text,
    wait_until,
)
from tests.integration.conftest import (
    ADMIN,
    CHANNEL,
    MEMBER,
    OTHER,
)
from tests.integration.test_metrics import samples, total
from tests.integration.test_notices import (
    DEADLINE,
    NoticeStack,
    add_call,
    audit,
    notices_in,
    rules_of,
    say,
    start_notices,
    stop_notices,
)

MB = 1024 * 1024
METRICS_TOKEN = "metrics-token-notices-0123456789"
FIRST_POLL = 1.2  # a new rule's first poll: what exists already is not new


@pytest.fixture
async def notices(sqlite_url: str) -> AsyncIterator[NoticeStack]:
    stack = await start_notices(sqlite_url, metrics_token=METRICS_TOKEN)
    try:
        yield stack
    finally:
        await stop_notices(stack)


def valid(message: Message) -> Message:
    """``message`` after checking it is Block Kit Slack accepts."""
    assert_valid_message({"text": message.text, "blocks": message.blocks})
    return message


def replies_valid(stack: NoticeStack) -> None:
    """Every reply the bot sent through a response_url, and every App Home, is valid."""
    for call in stack.slack.responses:
        if call.args.get("blocks"):
            assert_valid_message(call.args)
    for home in stack.slack.homes.values():
        assert_valid_view(home)


async def deliveries(stack: NoticeStack) -> list[NoticeDelivery]:
    return await NoticeRows(stack.bot.runtime.services.store).deliveries()


def posts_to(stack: NoticeStack, channel: str) -> list[Any]:
    return [
        c
        for c in stack.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and "New recording" in str(c.args.get("text"))
    ]


# -- Slack's limits ---------------------------------------------------------------------------


async def test_a_429_for_one_target_waits_its_retry_after_then_posts_once(
    notices: NoticeStack,
) -> None:
    stack = notices
    await say(stack, ADMIN, "channel allow")
    assert "Rule 1 is on" in await say(stack, ADMIN, f"notify <#{CHANNEL}|general>")
    assert "Rule 2 is on" in await say(stack, ADMIN, "notify me scope:company")
    await asyncio.sleep(FIRST_POLL)
    # Three in a row: slack_sdk's own retry handler waits out the first two, the sender the
    # third (it releases the notice until Retry-After has passed).
    for _ in range(3):
        stack.slack.fail_next(
            "chat.postMessage",
            "ratelimited",
            status=429,
            retry_after=1,
            when=lambda args: args.get("channel") == CHANNEL,
        )
    rec = add_call(stack, user_id=stack.sim.state.users[3].id)
    await wait_until(lambda: notices_in(stack.slack, CHANNEL), DEADLINE)
    calls = posts_to(stack, CHANNEL)
    assert [c.status for c in calls] == [429, 429, 429, 200]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(calls)]
    assert min(gaps) >= 1.0, gaps  # Retry-After honoured each time, not the usual pace
    # The other target was not held back by this one's limit.
    [dm] = posts_to(stack, ADMIN)
    assert dm.at < calls[1].at
    await asyncio.sleep(1.5)  # more passes and polls: still one notice each
    [notice] = notices_in(stack.slack, CHANNEL)
    assert str(rec) in valid(notice).text
    assert len(notices_in(stack.slack, ADMIN)) == 1
    assert len(posts_to(stack, CHANNEL)) == 4
    assert {(d.target, d.state) for d in await deliveries(stack)} == {
        (CHANNEL, "posted"),
        (ADMIN, "posted"),
    }


async def test_a_deactivated_person_gets_no_more_notices(notices: NoticeStack) -> None:
    stack = notices
    member, other = stack.sim.state.users[0], stack.sim.state.users[1]
    await say(stack, MEMBER, "notify me")
    await say(stack, OTHER, "notify me")
    await asyncio.sleep(FIRST_POLL)
    first = add_call(stack, user_id=member.id)
    await wait_until(lambda: notices_in(stack.slack, MEMBER), DEADLINE)
    stack.slack.deactivate_user(MEMBER)
    # Slack's answer about a person is cached for at most five minutes: let them pass.
    stack.clock.shift = timedelta(minutes=5, seconds=1)
    later = add_call(stack, user_id=member.id)
    theirs = add_call(stack, user_id=other.id)  # the other person's notices go on
    await wait_until(lambda: notices_in(stack.slack, OTHER), DEADLINE)
    assert str(theirs) in valid(notices_in(stack.slack, OTHER)[0]).text
    rows = NoticeRows(stack.bot.runtime.services.store)

    async def skipped() -> bool:
        return any(
            d.id.endswith(f":{later}") and d.state == "skipped" for d in await deliveries(stack)
        )

    await wait_until(skipped, DEADLINE)
    await asyncio.sleep(1.5)
    [notice] = notices_in(stack.slack, MEMBER)
    assert str(first) in valid(notice).text
    assert [d.state for d in await rows.deliveries() if d.id.endswith(f":{first}")] == ["posted"]
    asked = [c for c in stack.slack.calls_to("users.info") if c.args.get("user") == MEMBER]
    assert asked
    assert asked[-1].answer["user"]["deleted"] is True


# -- Play on a channel notice -----------------------------------------------------------------


def uploads_in(stack: NoticeStack, conversation: str) -> int:
    return sum(
        1 for u in stack.slack.uploads.values() if u.completed and conversation in u.channels
    )


async def channel_notice(stack: NoticeStack, *, direct: bool) -> tuple[Message, int]:
    """A notice in CHANNEL of a company recording only an admin may see."""
    await say(stack, ADMIN, "channel allow")
    if direct:
        assert "is *on*" in await say(stack, ADMIN, "channel direct")
    assert "Rule 1 is on" in await say(stack, ADMIN, f"notify <#{CHANNEL}|general>")
    await asyncio.sleep(FIRST_POLL)
    rec = add_call(stack, user_id=stack.sim.state.users[3].id, size_bytes=MB)
    await wait_until(lambda: notices_in(stack.slack, CHANNEL), DEADLINE)
    [notice] = notices_in(stack.slack, CHANNEL)
    return valid(notice), rec


async def play(
    stack: NoticeStack, user: str, action: str, value: str, notice: Message | None
) -> str:
    """Click Play on the notice (None: a forged click); what the clicker was last told."""
    before = len(stack.slack.responses)
    await stack.driver.click(user, action, value, message=notice, channel_id=CHANNEL)

    def told() -> str | None:
        said = [render_text(c.args.get("blocks") or []) for c in stack.slack.responses[before:]]
        final = [s for s in said if "⏳" not in s and s.strip()]
        return final[-1] if final else None

    return await stack.slack.wait_for(told, DEADLINE)


def unchanged(stack: NoticeStack, notice: Message, text: str, shown: str) -> None:
    """The channel's notice is everyone's: a click never edits, replaces or deletes it."""
    assert notice.edits == 0
    assert not notice.deleted
    assert (notice.text, render_text(notice.blocks)) == (text, shown)
    assert [c.args for c in stack.slack.responses if c.args.get("replace_original")] == []
    assert stack.slack.calls_to("chat.update") == []


async def test_play_on_a_direct_channel_notice_checks_the_clicker_and_plays_in_the_channel(
    notices: NoticeStack,
) -> None:
    stack = notices
    notice, rec = await channel_notice(stack, direct=True)
    text, shown = notice.text, render_text(notice.blocks)
    assert blocks.ACTION_PLAY_HERE in str(notice.blocks)
    in_channel = len(stack.slack.messages_for(CHANNEL))

    refused = await play(stack, MEMBER, blocks.ACTION_PLAY_HERE, f"c:{rec}", notice)
    assert "not yours" in refused
    assert uploads_in(stack, CHANNEL) == 0
    assert "refused" in [e.outcome for e in await audit(stack, "audio") if e.actor == MEMBER]
    assert len(stack.slack.messages_for(CHANNEL)) == in_channel  # told only the clicker

    done = await play(stack, ADMIN, blocks.ACTION_PLAY_HERE, f"c:{rec}", notice)
    assert "is in this channel" in done
    await wait_until(lambda: uploads_in(stack, CHANNEL) == 1, DEADLINE)
    assert uploads_in(stack, stack.slack.dm_channel(ADMIN)) == 0
    assert "allowed" in [e.outcome for e in await audit(stack, "audio") if e.actor == ADMIN]
    unchanged(stack, notice, text, shown)
    replies_valid(stack)


async def test_play_on_an_indirect_channel_notice_goes_to_the_clickers_dm(
    notices: NoticeStack,
) -> None:
    stack = notices
    notice, rec = await channel_notice(stack, direct=False)
    text, shown = notice.text, render_text(notice.blocks)
    assert blocks.ACTION_PLAY_HERE not in str(notice.blocks)
    assert blocks.ACTION_PLAY in str(notice.blocks)

    refused = await play(stack, MEMBER, blocks.ACTION_PLAY, f"c:{rec}", notice)
    assert "not yours" in refused
    assert "refused" in [e.outcome for e in await audit(stack, "audio") if e.actor == MEMBER]

    assert "is in your DM" in await play(stack, ADMIN, blocks.ACTION_PLAY, f"c:{rec}", notice)
    await wait_until(lambda: uploads_in(stack, stack.slack.dm_channel(ADMIN)) == 1, DEADLINE)
    # A forged "Play here" on this notice: the server decides again, and the channel does not
    # deliver directly, so it goes to the DM as well.
    forged = await play(stack, ADMIN, blocks.ACTION_PLAY_HERE, f"c:{rec}", None)
    assert "is in your DM" in forged
    assert uploads_in(stack, CHANNEL) == 0
    unchanged(stack, notice, text, shown)
    replies_valid(stack)


# -- audit and metrics ------------------------------------------------------------------------


async def test_every_rule_change_is_audited(notices: NoticeStack) -> None:
    stack = notices
    await say(stack, ADMIN, "channel allow")
    assert "Rule 1 is on" in await say(stack, ADMIN, f"notify <#{CHANNEL}|general> inbound")
    assert "Rule 2 is on" in await say(stack, MEMBER, "notify me inbound")
    assert "Rule 3 is on" in await say(stack, MEMBER, "notify me outbound")
    assert "no time words" in await say(stack, MEMBER, "notify me today")
    listed = await say(stack, MEMBER, "notify")
    assert "Rule 2" in listed
    assert "Rule 3" in listed
    # Remove by a listed button, by command, by the App Home toggle, then everything at once.
    listing = valid(stack.slack.messages_for(MEMBER)[-1])
    assert "Your new-recording rules" in render_text(listing.blocks)
    before = len(stack.slack.responses)
    await stack.driver.click(MEMBER, ACTION_NOTICE_REMOVE, "3", message=listing)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, DEADLINE)
    assert "Removed rule 3" in render_text(stack.slack.responses[-1].args["blocks"])
    assert "Removed rule 2" in await say(stack, MEMBER, "notify off 2")
    await stack.driver.event(
        {"type": "app_home_opened", "user": MEMBER, "tab": "home"}, event_id="EvHome1"
    )
    await wait_until(lambda: stack.slack.homes.get(MEMBER))
    await stack.driver.click(MEMBER, ACTION_NOTICE_TOGGLE, "on", view=stack.slack.homes[MEMBER])
    await wait_until(lambda: len(stack.slack.calls_to("views.publish")) >= 2, DEADLINE)
    [toggled] = [r.id for r in await rules_of(stack) if r.slack_user_id == MEMBER]
    assert "Removed your 1 rule" in await say(stack, MEMBER, "notify off")
    # The channel's sharing is denied: the channel rule pauses, which is audited too.
    await say(stack, ADMIN, "channel deny")
    add_call(stack, user_id=stack.sim.state.users[3].id, call_direction="INBOUND")
    await wait_until(lambda: audit(stack, "notify_pause"), DEADLINE)

    added = await audit(stack, "notify_add")
    assert [(e.actor, e.outcome) for e in added] == [
        (ADMIN, "allowed"),
        (MEMBER, "allowed"),
        (MEMBER, "allowed"),
        (MEMBER, "refused"),
        (MEMBER, "allowed"),  # the App Home toggle
    ]
    assert f"channel {CHANNEL}" in str(added[0].detail)
    assert "today" in str(added[3].detail)
    removed = await audit(stack, "notify_remove")
    assert [(e.actor, e.outcome, e.target) for e in removed] == [
        (MEMBER, "allowed", "rule 3"),
        (MEMBER, "allowed", "rule 2"),
        (MEMBER, "allowed", f"rule {toggled}"),
    ]
    [paused] = await audit(stack, "notify_pause")
    assert (paused.actor, paused.target) == ("bot", "rule 1")
    assert CHANNEL in str(paused.detail)
    replies_valid(stack)


async def scrape(stack: NoticeStack) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with httpx.AsyncClient() as http:
        answer = await http.get(
            f"{stack.bot.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
    assert answer.status_code == 200
    return samples(answer.text)


async def test_metrics_count_the_notices_sent(notices: NoticeStack) -> None:
    stack = notices
    name = "recordings_bot_notices_total"
    assert total(await scrape(stack), name, outcome="sent") == 0
    await say(stack, MEMBER, "notify me")
    await asyncio.sleep(FIRST_POLL)
    member = stack.sim.state.users[0]
    add_call(stack, user_id=member.id)
    add_call(stack, owner_user_id=member.id)
    await wait_until(lambda: len(notices_in(stack.slack, MEMBER)) == 2, DEADLINE)
    for notice in notices_in(stack.slack, MEMBER):
        valid(notice)

    async def sent_twice() -> bool:
        return total(await scrape(stack), name, outcome="sent") == 2

    await wait_until(sent_twice, DEADLINE)
    after = await scrape(stack)
    assert total(after, name, outcome="failed") == 0
    assert total(after, name, outcome="refused") == 0

"""Attacks on new-recording rules over signed HTTP: someone else's rule removed by command, by a
forged Remove button or App Home toggle; channel rules by members or where sharing is not
allowed. Each is refused with a specific message, nothing changes, and the attempt is audited;
an admin's removal of anyone's rule works and is audited. Button values are forged on SQLite and
PostgreSQL alike (a rule id is a 32-bit integer on PostgreSQL)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.blocks.ids import ACTION_NOTICE_REMOVE, ACTION_NOTICE_TOGGLE, NOT_MY_BUTTON
from bot.store.tables import NoticeRule
from tests.fakes import assert_valid_message, assert_valid_view, render_text
from tests.fakes.blockkit import button
from tests.integration.conftest import ADMIN, CHANNEL, MEMBER, OTHER, UNLINKED
from tests.integration.test_notices import (
    DEADLINE,
    NoticeStack,
    audit,
    click,
    rules_of,
    say,
    start_notices,
    stop_notices,
)

NOT_YOURS = "not one of your rules"
# Values no Remove button of ours carries: words, signs, fractions, other scripts' digits,
# more digits than any id, and 5,000 of them.
NOT_A_RULE_ID = [
    "",
    "abc",
    "-1",
    "+1",
    "1.5",
    "0x1",
    " 1",
    "1 ",
    "\u0661",
    "\u00b2",
    "1;2",
    "9" * 19,
    "9" * 5000,
]
# Numbers no rule has: zero, past 32 bits, and the largest a button may carry.
NO_SUCH_RULE = ["0", "2147483648", "999999999999999999"]


@pytest.fixture
async def one_db(sqlite_url: str) -> AsyncIterator[NoticeStack]:
    stack = await start_notices(sqlite_url)
    try:
        yield stack
    finally:
        await stop_notices(stack)


async def rule_of(stack: NoticeStack, user: str) -> int:
    assert "is on" in await say(stack, user, "notify me")
    [rule] = [r.id for r in await rules_of(stack) if r.slack_user_id == user]
    assert rule is not None
    return rule


async def refusals(stack: NoticeStack, action: str, actor: str) -> list[str]:
    return [
        str(e.detail)
        for e in await audit(stack, action)
        if e.actor == actor and e.outcome == "refused"
    ]


def snapshot(rules: list[NoticeRule]) -> list[tuple[Any, ...]]:
    return [(r.id, r.slack_user_id, r.criteria, r.paused_reason) for r in rules]


async def open_home(stack: NoticeStack, user: str) -> dict[str, Any]:
    published = len(stack.slack.calls_to("views.publish"))
    await stack.driver.event(
        {"type": "app_home_opened", "user": user, "tab": "home"}, event_id=f"Ev{published}{user}"
    )
    await stack.slack.wait_for("views.publish", DEADLINE, count=published + 1)
    home = stack.slack.homes[user]
    assert_valid_view(home)
    return home


def forged(home: dict[str, Any], action_id: str, value: str) -> dict[str, Any]:
    """The App Home as an attacker posts it back: every ``action_id`` button carries ``value``."""
    view = copy.deepcopy(home)
    found = False
    for block in view["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == action_id:
            accessory["value"] = value
            found = True
    if not found:  # a button this person's Home never showed
        view["blocks"].append({"type": "actions", "elements": [button(action_id, value)]})
    return view


async def click_home(stack: NoticeStack, user: str, action: str, value: str) -> str:
    """A click on the App Home (no response_url): the tab again, and the outcome in the DM."""
    home = stack.slack.homes[user]
    published = len(stack.slack.calls_to("views.publish"))
    seen = len(stack.slack.messages_for(user))
    await stack.driver.click(user, action, value, view=forged(home, action, value))
    await stack.slack.wait_for("views.publish", DEADLINE, count=published + 1)
    [told] = await stack.slack.wait_for(lambda: stack.slack.messages_for(user)[seen:], DEADLINE)
    assert_valid_message({"text": told.text, "blocks": told.blocks})
    assert_valid_view(stack.slack.homes[user])
    return render_text(told.blocks)


# -- someone else's rule ----------------------------------------------------------------------


@pytest.mark.parametrize("words", ["notify off {id}", "notify remove {id}"])
@pytest.mark.parametrize("actor", [MEMBER, UNLINKED])
async def test_someone_elses_rule_cannot_be_removed_by_command(
    one_db: NoticeStack, words: str, actor: str
) -> None:
    stack = one_db
    theirs = await rule_of(stack, OTHER)
    before = snapshot(await rules_of(stack))
    shown = await say(stack, actor, words.format(id=theirs))
    assert f"Rule {theirs} is {NOT_YOURS}" in shown
    assert snapshot(await rules_of(stack)) == before
    assert [
        d.startswith(f"remove {theirs}:") for d in await refusals(stack, "notify_remove", actor)
    ] == [True]
    assert [e.outcome for e in await audit(stack, "notify_remove")] == ["refused"]


async def test_forged_remove_buttons_are_refused_and_change_nothing(one_db: NoticeStack) -> None:
    await forged_removes(one_db)


async def test_forged_remove_buttons_on_postgresql(postgres_url: str) -> None:
    stack = await start_notices(postgres_url)
    try:
        await forged_removes(stack)
    finally:
        await stop_notices(stack)


async def forged_removes(stack: NoticeStack) -> None:
    theirs = await rule_of(stack, OTHER)
    await rule_of(stack, MEMBER)
    before = snapshot(await rules_of(stack))
    # Another person's rule id in a Remove button under a list of the member's own rules.
    assert f"Rule {theirs} is {NOT_YOURS}" in await click(
        stack, MEMBER, ACTION_NOTICE_REMOVE, str(theirs)
    )
    for value in NOT_A_RULE_ID:
        shown = await click(stack, MEMBER, ACTION_NOTICE_REMOVE, value)
        assert NOT_MY_BUTTON in shown, (value, shown)
    for value in NO_SUCH_RULE:
        shown = await click(stack, MEMBER, ACTION_NOTICE_REMOVE, value)
        assert f"Rule {value} is {NOT_YOURS}" in shown, (value, shown)
    # The same from the App Home, which has no response_url.
    await open_home(stack, MEMBER)
    assert f"Rule {theirs} is {NOT_YOURS}" in await click_home(
        stack, MEMBER, ACTION_NOTICE_REMOVE, str(theirs)
    )
    assert NOT_MY_BUTTON in await click_home(stack, MEMBER, ACTION_NOTICE_REMOVE, "-1")
    assert f"Rule 2147483648 is {NOT_YOURS}" in await click_home(
        stack, MEMBER, ACTION_NOTICE_REMOVE, "2147483648"
    )
    assert snapshot(await rules_of(stack)) == before
    assert len(await refusals(stack, "notify_remove", MEMBER)) == 1 + len(NO_SUCH_RULE) + 2
    for call in stack.slack.responses:
        assert_valid_message(call.args)


async def test_forged_app_home_toggles_are_refused_and_change_nothing(
    one_db: NoticeStack,
) -> None:
    stack = one_db
    await rule_of(stack, OTHER)
    await open_home(stack, MEMBER)
    for value in ["", "ON", "on ", "true", "1", "off;on", f"on:{OTHER}", "x" * 3000]:
        assert NOT_MY_BUTTON in await click_home(stack, MEMBER, ACTION_NOTICE_TOGGLE, value)
        shown = await click(stack, MEMBER, ACTION_NOTICE_TOGGLE, value)  # with a response_url
        assert NOT_MY_BUTTON in shown
    # "off" turns off only the clicker's own "notify me": another person's stays.
    assert "Notify me is off" in await click_home(stack, MEMBER, ACTION_NOTICE_TOGGLE, "off")
    [rule] = await rules_of(stack)
    assert rule.slack_user_id == OTHER
    assert await audit(stack, "notify_remove") == []
    # An unlinked person's "on" is refused like their command.
    await open_home(stack, UNLINKED)
    assert "don't know who you are" in await click_home(stack, UNLINKED, ACTION_NOTICE_TOGGLE, "on")
    assert [r.slack_user_id for r in await rules_of(stack)] == [OTHER]


async def test_an_admin_removes_anyones_rule_and_it_is_audited(one_db: NoticeStack) -> None:
    stack = one_db
    theirs = await rule_of(stack, MEMBER)
    listed = await say(stack, ADMIN, "notify all")
    assert f"Rule {theirs}" in listed
    assert f"<@{MEMBER}>" in str(stack.slack.responses[-1].args["blocks"])
    assert_valid_message(stack.slack.responses[-1].args)
    assert f"Removed rule {theirs}" in await say(stack, ADMIN, f"notify remove {theirs}")
    assert await rules_of(stack) == []
    [event] = await audit(stack, "notify_remove")
    assert (event.actor, event.outcome, event.target) == (ADMIN, "allowed", f"rule {theirs}")
    assert "personal" in str(event.detail)
    assert "There is no rule 99" in await say(stack, ADMIN, "notify remove 99")


# -- channel rules ----------------------------------------------------------------------------


async def test_a_channel_rule_where_sharing_is_not_allowed_is_refused(
    one_db: NoticeStack,
) -> None:
    stack = one_db
    shown = await say(stack, ADMIN, f"notify <#{CHANNEL}|general> inbound")
    assert "Sharing recordings is not allowed" in shown
    assert "channel allow" in shown
    assert await rules_of(stack) == []
    assert stack.slack.messages_for(CHANNEL) == []  # not even the announcement
    [refused] = await refusals(stack, "notify_add", ADMIN)
    assert "not allowed" in refused
    # Allowed, then denied again: refused again.
    await say(stack, ADMIN, "channel allow")
    await say(stack, ADMIN, "channel deny")
    assert "not allowed" in await say(stack, ADMIN, f"notify <#{CHANNEL}|general>")
    assert await rules_of(stack) == []


@pytest.mark.parametrize("actor", [MEMBER, UNLINKED])
async def test_a_member_cannot_make_or_list_channel_rules(one_db: NoticeStack, actor: str) -> None:
    stack = one_db
    await say(stack, ADMIN, "channel allow")  # even where sharing is allowed
    assert "Only recordings admins" in await say(stack, actor, f"notify <#{CHANNEL}|general>")
    assert "Only recordings admins" in await say(stack, actor, "notify all")
    assert await rules_of(stack) == []
    assert stack.slack.messages_for(CHANNEL) == []
    assert len(await refusals(stack, "notify_add", actor)) == 1
    assert len(await refusals(stack, "notify_list", actor)) == 1

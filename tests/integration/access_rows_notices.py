"""The access matrix's new-recording rule rows (see ``tests/integration/access.py`` for ``Row``).

Making a rule: "own" is a rule for the actor's own recordings (``notify me``), "other" one for
recordings beyond them (``notify me scope:company``, or a channel rule, which posts company
recordings for everyone there). Removing a rule: "own" is the actor's rule, "other" the
member's (the other member's, when the actor is the member), by ``notify remove <id>`` or by a
Remove button carrying that id (forged, when the rule is not the actor's).
"""

from __future__ import annotations

from bot.blocks.ids import ACTION_NOTICE_REMOVE
from bot.store.notices import NoticeRows
from tests.integration.access import (
    Outcome,
    Row,
    Whose,
    latest_reply,
    own_or_others_rows,
    seen_count,
)
from tests.integration.conftest import ADMIN, CHANNEL, MEMBER, OTHER, Stack

# A rule that is not the actor's is refused in these words.
REFUSAL_WORDS = ("not one of your rules",)


async def _say(stack: Stack, actor: str, text: str) -> Outcome:
    before = seen_count(stack, actor)
    await stack.driver.command(actor, text, channel_id=CHANNEL)
    return await latest_reply(stack, actor, before)


async def do_notify_me(stack: Stack, actor: str, whose: Whose) -> Outcome:
    return await _say(stack, actor, "notify me" if whose == "own" else "notify me scope:company")


async def do_notify_channel(stack: Stack, actor: str, whose: Whose) -> Outcome:
    del whose  # a channel rule is always about company recordings
    await _say(stack, ADMIN, "channel allow")  # so only who asks decides
    return await _say(stack, actor, f"notify <#{CHANNEL}|general>")


async def _rule_of(stack: Stack, actor: str, whose: Whose) -> int:
    """A rule of the actor's (own) or of the member's / other member's (other), by id."""
    owner = actor if whose == "own" else (OTHER if actor == MEMBER else MEMBER)
    assert "is on" in (await _say(stack, owner, "notify me")).text
    rules = await NoticeRows(stack.bot.runtime.services.store).rules(user_id=owner)
    [rule] = [r.id for r in rules]
    assert rule is not None
    return rule


async def do_remove(stack: Stack, actor: str, whose: Whose) -> Outcome:
    rule = await _rule_of(stack, actor, whose)
    return await _say(stack, actor, f"notify remove {rule}")


async def do_remove_button(stack: Stack, actor: str, whose: Whose) -> Outcome:
    rule = await _rule_of(stack, actor, whose)
    before = seen_count(stack, actor)
    await stack.driver.click(actor, ACTION_NOTICE_REMOVE, str(rule), channel_id=CHANNEL)
    return await latest_reply(stack, actor, before)


ROWS: list[Row] = [
    Row("member", "notify_add", "own", "allowed", do_notify_me),
    Row("member", "notify_add", "other", "refused", do_notify_me),
    Row("other member", "notify_add", "own", "allowed", do_notify_me),
    Row("admin", "notify_add", "other", "allowed", do_notify_me),
    Row("unlinked", "notify_add", "own", "refused", do_notify_me),
    Row("member", "notify_add", "other", "refused", do_notify_channel),
    Row("admin", "notify_add", "other", "allowed", do_notify_channel),
    Row("unlinked", "notify_add", "other", "refused", do_notify_channel),
    *own_or_others_rows("notify_remove", do_remove),
    *own_or_others_rows("notify_remove", do_remove_button),
]

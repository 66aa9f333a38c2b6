"""Linking is explicit: ``link`` does not silently take a VBC user from someone else, and
``unlink`` sticks (no automatic re-link by email) and drops the person's Connect VBC tokens.

Everything goes through the real endpoint with signed requests; the move is confirmed by
clicking the button the refusal showed, and forged or stale clicks are checked on the server.
"""

from __future__ import annotations

import re
from typing import Any

from bot import blocks
from bot.store import AuditQuery
from tests.fakes import Message, assert_valid_message, render_text
from tests.integration.browser import connect_vbc as connect_in_browser
from tests.integration.conftest import (
    ADMIN,
    MEMBER,
    OTHER,
    TEAM,
    UNLINKED,
    Stack,
)
from tests.security.stored import every_stored_value

DEADLINE = 10.0


async def ask(stack: Stack, user: str, words: str) -> Message:
    """Run a command; the reply the user sees (the last of any that came)."""
    before = len(stack.slack.messages_for(user))
    await stack.driver.command(user, words)
    *_, reply = await stack.slack.wait_for(
        lambda: stack.slack.messages_for(user)[before:], timeout=DEADLINE
    )
    assert_valid_message({"text": reply.text, "blocks": reply.blocks})
    return reply


async def say(stack: Stack, user: str, words: str) -> str:
    return render_text((await ask(stack, user, words)).blocks)


def move_button(message: Message) -> dict[str, Any]:
    button: dict[str, Any]
    [button] = [
        e
        for b in message.blocks
        for e in b.get("elements") or []
        if e.get("action_id") == blocks.ACTION_LINK_MOVE
    ]
    return button


async def press(stack: Stack, user: str, message: Message, value: str | None = None) -> str:
    """Click "Move the link" on ``message`` (or a forged value); the text that came back."""
    before = len(stack.slack.messages_for(user))
    edits = message.edits
    if value is None:
        await stack.driver.click(
            user, blocks.ACTION_LINK_MOVE, move_button(message)["value"], message=message
        )
        await stack.slack.wait_for(lambda: message.edits > edits, timeout=DEADLINE)
        return render_text(message.blocks)
    await stack.driver.click(user, blocks.ACTION_LINK_MOVE, value)
    [reply] = await stack.slack.wait_for(
        lambda: stack.slack.messages_for(user)[before:], timeout=DEADLINE
    )
    return render_text(reply.blocks)


async def linked_to(stack: Stack, user: str) -> str | None:
    link = await stack.bot.runtime.services.store.get_link(TEAM, user)
    return link.vbc_user_id if link else None


async def audit(stack: Stack, action: str) -> list[tuple[str, str, str | None, str | None]]:
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(action=action), offset=0, limit=50
    )
    return [(e.actor, e.outcome, e.target, e.detail) for e in reversed(events)]


async def connect_vbc(stack: Stack, user: str) -> str:
    """The person's own Connect VBC, in a browser of their own; their stored ciphertext."""
    browser = await connect_in_browser(stack, user)
    await browser.aclose()
    link = await stack.bot.runtime.services.store.get_link(TEAM, user)
    assert link is not None
    assert link.token_ciphertext
    return link.token_ciphertext


# -- unlink sticks ---------------------------------------------------------------------------


async def test_unlink_sticks_until_an_admin_links_again(stack: Stack) -> None:
    member = stack.sim.state.users[0]
    assert str(member.id) in await say(stack, MEMBER, "whoami")  # linked by Slack email
    shown = await say(stack, ADMIN, f"unlink <@{MEMBER}>")
    assert "no longer linked" in shown
    assert "by email" in shown, "the admin is told it sticks"

    # The Slack email still matches a VBC user, yet the next commands say "not linked".
    refused = await say(stack, MEMBER, "last 7d")
    assert "unlinked you" in refused
    assert "/recordings link" in refused
    assert "unlinked you" in await say(stack, MEMBER, "whoami")
    assert await linked_to(stack, MEMBER) is None
    by_email = [e for e in await audit(stack, "link") if e[0] == MEMBER]
    assert len(by_email) == 1, "linked by email once, before the unlink, never again"

    shown = await say(stack, ADMIN, f"link <@{MEMBER}> {member.email}")
    assert str(member.id) in shown
    assert str(member.id) in await say(stack, MEMBER, "whoami")
    assert "unlinked you" not in await say(stack, MEMBER, "last 7d")
    assert await linked_to(stack, MEMBER) == str(member.id)


async def test_unlink_drops_the_persons_connect_vbc_tokens(stack: Stack) -> None:
    ciphertext = await connect_vbc(stack, MEMBER)
    await say(stack, ADMIN, f"unlink <@{MEMBER}>")
    assert "unlinked you" in await say(stack, MEMBER, "last 7d")
    assert ciphertext not in await every_stored_value(stack.settings.database_url)
    await say(stack, ADMIN, f"link <@{MEMBER}> {stack.sim.state.users[0].id}")
    link = await stack.bot.runtime.services.store.get_link(TEAM, MEMBER)
    assert link is not None
    assert link.token_ciphertext is None, "linking again does not bring the old login back"


# -- link refuses a VBC user held by someone else ---------------------------------------------


async def test_link_refuses_a_held_vbc_user_until_the_move_is_confirmed(stack: Stack) -> None:
    member = stack.sim.state.users[0]
    await say(stack, MEMBER, "whoami")  # MEMBER holds VBC user `member` (by email)
    refusal = await ask(stack, ADMIN, f"link <@{UNLINKED}> {member.id}")
    shown = render_text(refusal.blocks)
    assert f"already linked to <@{MEMBER}>" in shown
    assert "linked by email" in shown
    button = move_button(refusal)
    assert button["text"]["text"] == "Move the link"
    assert re.fullmatch(r"[A-Z0-9]+\|\d+\|[A-Z0-9,]+", button["value"]), "ids only"
    assert await linked_to(stack, UNLINKED) is None, "nothing changed before the confirmation"
    assert await linked_to(stack, MEMBER) == str(member.id)

    done = await press(stack, ADMIN, refusal)
    assert f"<@{UNLINKED}> is now linked to VBC user {member.id}" in done
    assert f"replaced <@{MEMBER}>'s link (linked by email)" in done
    assert await linked_to(stack, UNLINKED) == str(member.id)
    assert await linked_to(stack, MEMBER) is None
    assert "unlinked you" in await say(stack, MEMBER, "last 7d"), "the old holder stays unlinked"
    assert await linked_to(stack, MEMBER) is None
    links = await audit(stack, "link")
    assert (
        ADMIN,
        "allowed",
        UNLINKED,
        f"by admin: VBC user {member.id}, moved from {MEMBER}",
    ) in links
    assert (ADMIN, "allowed", MEMBER, f"VBC user {member.id} moved to {UNLINKED}") in await audit(
        stack, "unlink"
    )


async def test_moving_a_connect_vbc_login_says_so_and_drops_its_tokens(stack: Stack) -> None:
    member = stack.sim.state.users[0]
    ciphertext = await connect_vbc(stack, MEMBER)
    refusal = await ask(stack, ADMIN, f"link <@{UNLINKED}> {member.email}")
    assert "their Connect VBC login" in render_text(refusal.blocks)
    done = await press(stack, ADMIN, refusal)
    assert f"replaced <@{MEMBER}>'s link (their Connect VBC login)" in done
    assert ciphertext not in await every_stored_value(stack.settings.database_url)


async def test_link_says_what_it_replaced_for_the_person_being_linked(stack: Stack) -> None:
    first, second, third = stack.sim.state.users[:3]
    await say(stack, MEMBER, "whoami")
    shown = await say(stack, ADMIN, f"link <@{MEMBER}> {third.id}")
    assert f"replaced <@{MEMBER}>'s earlier link to VBC user {first.id} (linked by email)" in shown
    await say(stack, ADMIN, f"unlink <@{MEMBER}>")
    await say(stack, ADMIN, f"link <@{MEMBER}> {first.id}")
    await connect_vbc(stack, MEMBER)
    shown = await say(stack, ADMIN, f"link <@{MEMBER}> {third.id}")
    assert f"earlier link to VBC user {first.id} (their Connect VBC login)" in shown
    assert await linked_to(stack, MEMBER) == str(third.id)
    assert await linked_to(stack, OTHER) in (None, str(second.id)), "OTHER is left alone"


async def test_the_move_button_is_checked_on_the_server(stack: Stack) -> None:
    member = stack.sim.state.users[0]
    await say(stack, MEMBER, "whoami")
    refusal = await ask(stack, ADMIN, f"link <@{UNLINKED}> {member.id}")
    value = move_button(refusal)["value"]

    # A member who forges the click is refused, and it is audited.
    assert "only recordings admins" in (await press(stack, OTHER, refusal, value)).lower()
    assert (OTHER, "refused", UNLINKED, "not an admin") in await audit(stack, "link")
    # A value that is not one of ours is refused.
    assert "not one of mine" in await press(stack, ADMIN, refusal, "U1|x|U2")
    assert await linked_to(stack, UNLINKED) is None
    assert await linked_to(stack, MEMBER) == str(member.id)

    # Stale: meanwhile the VBC user moved to OTHER; the old confirmation names MEMBER only.
    second = await ask(stack, ADMIN, f"link <@{OTHER}> {member.id}")
    await press(stack, ADMIN, second)
    assert await linked_to(stack, OTHER) == str(member.id)
    stale = await press(stack, ADMIN, refusal)
    assert f"already linked to <@{OTHER}>" in stale, "asked again, naming the new holder"
    assert await linked_to(stack, OTHER) == str(member.id)
    assert await linked_to(stack, UNLINKED) is None


async def test_linking_by_email_never_takes_a_vbc_user_an_admin_gave_someone_else(
    stack: Stack,
) -> None:
    member = stack.sim.state.users[0]
    await say(stack, ADMIN, f"link <@{UNLINKED}> {member.id}")  # MEMBER has not used the bot
    assert await linked_to(stack, UNLINKED) == str(member.id)
    refused = await say(stack, MEMBER, "last 7d")  # MEMBER's Slack email is that VBC user's
    assert "don't know who you are" in refused
    assert await linked_to(stack, MEMBER) is None
    assert await linked_to(stack, UNLINKED) == str(member.id)

"""Linking Slack people to VBC users, whoami, and the admins' audit log, through Slack."""

from __future__ import annotations

import httpx

from bot import blocks
from bot.store import AuditQuery
from tests.integration.access import latest_reply, seen_count
from tests.integration.browser import connect_vbc
from tests.integration.conftest import ADMIN, MEMBER, TEAM, UNLINKED, Stack


async def say(stack: Stack, user: str, text: str) -> str:
    before = seen_count(stack, user)
    await stack.driver.command(user, text)
    return (await latest_reply(stack, user, before)).text


async def test_member_is_linked_by_email_on_first_use(stack: Stack) -> None:
    shown = await say(stack, MEMBER, "whoami")
    member = stack.sim.state.users[0]
    assert str(member.id) in shown
    assert member.extension in shown
    link = await stack.bot.runtime.services.store.get_link(TEAM, MEMBER)
    assert link is not None
    assert link.linked_how == "email"


async def test_unlinked_person_is_told_how_to_get_linked(stack: Stack) -> None:
    shown = await say(stack, UNLINKED, "whoami")
    assert "/recordings link" in shown
    assert "admin" in shown


async def test_admin_links_and_unlinks_a_person(stack: Stack) -> None:
    target = stack.sim.state.users[2]
    shown = await say(stack, ADMIN, f"link <@{UNLINKED}> {target.email}")
    assert str(target.id) in shown
    assert target.extension in await say(stack, UNLINKED, "whoami")
    assert "no longer linked" in await say(stack, ADMIN, f"unlink <@{UNLINKED}>")
    assert "/recordings link" in await say(stack, UNLINKED, "whoami")
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=ADMIN), offset=0, limit=10
    )
    assert {e.action for e in events} >= {"link", "unlink"}


async def test_members_cannot_link_people(stack: Stack) -> None:
    shown = await say(stack, MEMBER, f"link <@{UNLINKED}> 745266")
    assert "admin" in shown.lower()
    assert await stack.bot.runtime.services.store.get_link(TEAM, UNLINKED) is None


async def test_admin_reads_the_audit_log_page_by_page(stack: Stack) -> None:
    for _ in range(4):
        await say(stack, MEMBER, "last 7d")
        await say(stack, MEMBER, "get 1")
    shown = await say(stack, ADMIN, f"audit user:<@{MEMBER}>")
    assert "search" in shown
    assert MEMBER in shown
    page_one = stack.slack.responses[-1].args["blocks"]
    values = [
        e["value"]
        for b in page_one
        for e in b.get("elements", [])
        if e.get("action_id") == blocks.ACTION_AUDIT_NEXT
    ]
    if values:  # more than one page of events
        before = len(stack.slack.responses)
        await stack.driver.click(ADMIN, blocks.ACTION_AUDIT_NEXT, values[0])
        await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
        assert stack.slack.responses[-1].args["replace_original"] is True


async def test_members_cannot_read_the_audit_log(stack: Stack) -> None:
    shown = await say(stack, MEMBER, "audit")
    assert "only recordings admins" in shown.lower()
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=MEMBER, action="audit"), offset=0, limit=5
    )
    assert [e.outcome for e in events] == ["refused"]


async def test_unreadable_audit_filter_is_named(stack: Stack) -> None:
    shown = await say(stack, ADMIN, "audit colour:blue")
    assert "colour:blue" in shown


async def test_connect_vbc_stores_the_persons_tokens_encrypted(stack: Stack) -> None:
    browser = await connect_vbc(stack, MEMBER)
    await browser.aclose()
    link = await stack.bot.runtime.services.store.get_link(TEAM, MEMBER)
    assert link is not None
    assert link.linked_how == "oauth"
    assert link.token_ciphertext
    tokens = stack.sim.state.tokens
    issued = [*tokens._access, *tokens._refresh]  # the simulator's own record of what it issued
    assert issued
    assert not any(token in link.token_ciphertext for token in issued)


async def test_connect_callback_with_a_forged_state_is_refused(stack: Stack) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{stack.bot.url}/vbc/oauth/callback?code=x&state=forged")
    assert response.status_code == 400
    assert "not connected" in response.text

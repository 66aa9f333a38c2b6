"""Issue 14 over signed HTTP: every bad word in one reply, help per person, audit words."""

from __future__ import annotations

from tests.integration.access import latest_reply, seen_count
from tests.integration.conftest import ADMIN, MEMBER, Stack


async def reply_to(stack: Stack, user: str, text: str) -> str:
    before = seen_count(stack, user)
    response = await stack.driver.command(user, text)
    assert response.status_code == 200
    return (await latest_reply(stack, user, before)).text


async def test_every_bad_word_is_in_one_reply_and_nothing_reaches_vbc(stack: Stack) -> None:
    stack.sim.state.requests.clear()
    shown = await reply_to(stack, MEMBER, "inbund last 3m yesterday " + "q" * 3000)
    assert "3 things to fix in that command" in shown
    assert "did you mean `inbound`" in shown
    assert "`last 3min` or `last 3mo`" in shown
    assert "q" * 39 + "…" in shown
    assert "q" * 41 not in shown
    assert list(stack.sim.state.requests) == []


async def test_clashing_words_say_which_to_keep(stack: Stack) -> None:
    shown = await reply_to(stack, MEMBER, "inbound outbound")
    assert "`inbound` and `outbound` together: pick one, or leave both out" in shown


async def test_a_verb_gets_the_command_it_meant_and_runs_nothing(stack: Stack) -> None:
    stack.sim.state.requests.clear()
    shown = await reply_to(stack, MEMBER, "play 193228")
    assert "`/recordings get 193228`" in shown
    assert "name:play" not in shown
    assert list(stack.sim.state.requests) == []


async def test_new_time_words_search(stack: Stack) -> None:
    shown = await reply_to(stack, MEMBER, "last 3 months")
    assert "I can't read" not in shown
    assert "recordings since" in shown.lower()
    assert "I can't read" not in await reply_to(stack, MEMBER, "since:yesterday >2 min")


async def test_member_help_lists_member_commands_only(stack: Stack) -> None:
    shown = await reply_to(stack, MEMBER, "help")
    for command in ("export [filters]", "/recordings jobs", "get &lt;recording id&gt;", "whoami"):
        assert command in shown, command
    for admin_only in ("/recordings audit", "/recordings link", "/recordings channel"):
        assert admin_only not in shown
    assert "outcome:" not in shown
    assert "this month" in shown


async def test_admin_help_adds_admin_commands_and_audit_values(stack: Stack) -> None:
    shown = await reply_to(stack, ADMIN, "help")
    for command in ("/recordings audit", "/recordings link", "/recordings unlink", "channel allow"):
        assert command in shown, command
    assert "`outcome:` allowed, refused, failed" in shown
    assert "scope:company" in shown


async def test_help_for_one_command(stack: Stack) -> None:
    shown = await reply_to(stack, MEMBER, "help get")
    assert "od:193228" in shown
    assert "/recordings help` lists every command" in shown


async def test_audit_reads_the_search_words(stack: Stack) -> None:
    for text in ("audit last 7d", "audit outcome:denied", "audit action:play"):
        assert "Audit log" in await reply_to(stack, ADMIN, text), text
    shown = await reply_to(stack, ADMIN, "audit action:frobnicate")
    assert "`play` means audio" in shown

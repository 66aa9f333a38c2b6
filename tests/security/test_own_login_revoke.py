"""Disconnect (the person, on whoami) and unlink (an admin) forget the person's own VBC login.

VBC documents no token revocation endpoint, so forgetting is the revocation: afterwards no
token ciphertext is left in the database and no request carries the person's token again.
"""

from __future__ import annotations

from sqlalchemy import text

from bot import blocks
from bot.store import AuditQuery
from tests.integration.browser import button_url, connect_vbc, own_bearer, whoami_blocks
from tests.integration.conftest import ADMIN, MEMBER, TEAM, Stack
from tests.security.vbc_log import callers, own_list_path, say, vbc_requests


async def ciphertexts(stack: Stack) -> list[str]:
    async with stack.bot.runtime.services.store.engine.connect() as conn:
        rows = await conn.execute(text("SELECT token_ciphertext FROM links"))
        return [row[0] for row in rows if row[0]]


async def connected_and_used(stack: Stack) -> str:
    """Connect VBC for MEMBER and search once with it; the log's name for their token."""
    browser = await connect_vbc(stack, MEMBER)
    await browser.aclose()
    bearer = await own_bearer(stack, MEMBER)
    await say(stack, MEMBER, "type:on-demand last 30d")
    assert {e["bearer"] for e in vbc_requests(stack, own_list_path(stack))} == {bearer}
    stack.sim.state.requests.clear()
    return bearer


async def test_disconnect_on_whoami_forgets_the_tokens(stack: Stack) -> None:
    bearer = await connected_and_used(stack)
    shown = await whoami_blocks(stack, MEMBER)
    assert button_url(shown, blocks.ACTION_CONNECT_VBC) is None
    whoami = stack.slack.messages_for(MEMBER)[-1]
    before = len(stack.slack.responses)
    await stack.driver.click(MEMBER, blocks.ACTION_DISCONNECT_VBC, "disconnect", message=whoami)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, timeout=10)
    assert "forgotten your VBC login" in str(stack.slack.responses[-1].args)
    assert await ciphertexts(stack) == []
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=MEMBER, action="disconnect"), offset=0, limit=5
    )
    assert [(e.outcome, e.detail) for e in events] == [("allowed", "by the person (Disconnect)")]

    await say(stack, MEMBER, "type:on-demand last 30d")
    seen = vbc_requests(stack, own_list_path(stack))
    assert seen
    assert callers(seen) == {stack.sim.state.admin.id}  # the integration user again
    assert bearer not in {e["bearer"] for e in stack.sim.state.requests}
    assert button_url(await whoami_blocks(stack, MEMBER), blocks.ACTION_CONNECT_VBC)


async def test_unlink_forgets_the_tokens(stack: Stack) -> None:
    bearer = await connected_and_used(stack)
    assert "no longer linked" in await say(stack, ADMIN, f"unlink <@{MEMBER}>")
    assert await ciphertexts(stack) == []
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=ADMIN, action="unlink"), offset=0, limit=5
    )
    assert [e.detail for e in events] == [
        f"removed VBC user {stack.sim.state.users[0].id} (oauth, Connect VBC tokens dropped);"
        " kept unlinked"
    ]

    await say(stack, MEMBER, "type:on-demand last 30d")
    # This process still held the person's auth: it is not used for them again.
    assert bearer not in {e["bearer"] for e in stack.sim.state.requests}
    assert stack.sim.state.users[0].id not in callers(list(stack.sim.state.requests))

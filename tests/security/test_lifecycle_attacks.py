"""Attacks on holds and retention: forged Skip buttons, another workspace's run, and mrkdwn
smuggled into a hold's reason. Each is refused (and audited) or rendered harmless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import blocks
from bot.store import AuditQuery
from bot.store.retention import RetentionRows
from bot.store.tables import RetentionRun
from tests.fakes import render_text
from tests.integration.conftest import ADMIN, TEAM, Stack
from tests.integration.test_holds import say


async def click_skip(stack: Stack, user: str, value: str) -> str:
    before = len(stack.slack.messages_for(user))
    await stack.driver.click(user, blocks.ACTION_RETENTION_SKIP, value)
    [reply] = await stack.slack.wait_for(lambda: stack.slack.messages_for(user)[before:])
    return render_text(reply.blocks)


async def test_forged_and_foreign_skip_clicks_are_refused(stack: Stack) -> None:
    rows = RetentionRows(stack.bot.runtime.services.store)
    now = datetime.now(UTC)  # due tomorrow: the running retention loop must not start it
    async with stack.bot.runtime.services.store.session() as session:
        run = RetentionRun(
            team_id="T0OTHER", days=30, refs="[]", count=5, requested_by="U0X",
            state="announced", due_at=now + timedelta(days=1), updated_at=now, found_at=now,
        )  # fmt: skip
        session.add(run)
        await session.commit()
        await session.refresh(run)
    for value, named in (
        ("run:abc", "not one of mine"),
        ("evil", "not one of mine"),
        ("run:99999", "no retention run 99999"),
        (f"run:{run.id}", f"no retention run {run.id}"),
    ):
        shown = await click_skip(stack, ADMIN, value)
        assert named in shown, (value, shown)
    kept = await rows.get_run(run.id or 0)
    assert kept is not None
    assert kept.state == "announced"
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(action="retention_skip"), offset=0, limit=10
    )
    assert [e.outcome for e in events] == ["refused"] * 4


async def test_a_reason_cannot_ping_the_channel_or_break_the_listing(stack: Stack) -> None:
    shown = await say(stack, ADMIN, 'hold 17325550100 inbound reason:"<!channel> *bold* `x"')
    assert "Hold 1" in shown
    await say(stack, ADMIN, "holds")
    listing = stack.slack.responses[-1].args
    raw = str(listing.get("blocks"))
    assert "<!channel>" not in raw

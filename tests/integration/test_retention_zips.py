"""Export zips the bot uploaded expire like audio: deleted from Slack, the notice edited.

The export runs on the real clock (its watcher polls); the sweep is then run by a second
``SlackCopies`` on the same database and Slack, whose clock is 8 days later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.lifecycle.copies import SlackCopies
from bot.store import AuditQuery
from bot.store.retention import RetentionRows
from tests.fakes import render_text
from tests.integration.conftest import ADMIN, MEMBER, TEAM, Stack
from tests.integration.test_exports import command_reply, in_thread, notices, settled
from tests.integration.test_holds import say


async def test_an_expired_zip_is_deleted_and_its_notice_says_so(stack: Stack) -> None:
    services = stack.bot.runtime.services
    await say(stack, ADMIN, "retention slack 7")
    reply = await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    assert "Started export" in reply
    await settled(stack, MEMBER)
    [notice] = await notices(stack, MEMBER)
    [attached] = in_thread(stack.slack, notice)
    upload = stack.slack.uploads[attached.files[0]]

    def later() -> datetime:
        return datetime.now(UTC) + timedelta(days=8)

    sweep = SlackCopies(
        store=services.store,
        rows=RetentionRows(services.store),
        slack=services.slack,
        holds=services.holds,
        clock=later,
    )
    assert await services.slack_copies.sweep() == 0  # today: not yet
    assert await sweep.sweep() == 1
    assert upload.deleted
    assert "zip of this export was deleted from Slack" in render_text(notice.blocks)
    events, _ = await services.store.audit_events(
        TEAM, AuditQuery(action="slack-copy-delete"), offset=0, limit=5
    )
    [event] = events
    assert event.outcome == "allowed"
    assert (event.target or "").startswith("export:")
    assert await sweep.sweep() == 0

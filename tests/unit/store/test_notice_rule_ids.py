"""A removed rule's id is never handed to a new rule: ids name rules in buttons and the audit."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import Store
from bot.store.notices import NoticeRows
from bot.store.tables import AuditEvent, NoticeRule

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def rule() -> NoticeRule:
    return NoticeRule(
        team_id="T1", kind="personal", slack_user_id="U1", criteria="{}", summary="every"
    )


def event() -> AuditEvent:
    return AuditEvent(at=NOW, team_id="T1", actor="U1", action="notify_add", outcome="allowed")


async def test_ids_of_removed_rules_are_not_reused(store: Store) -> None:
    rows = NoticeRows(store)
    first = await rows.add_rule(rule(), event())
    second = await rows.add_rule(rule(), event())
    assert second.id is not None
    await rows.remove_rules([second.id], [event()])
    third = await rows.add_rule(rule(), event())
    assert (first.id, second.id, third.id) == (1, 2, 3)

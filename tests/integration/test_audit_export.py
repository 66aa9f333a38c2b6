"""``/recordings audit export [filters]`` over signed requests: admins get the matching rows as
a CSV in their DM, byte for byte; members are refused (and audited); bad filters are named."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from bot.ops.audit_csv import COLUMNS, audit_csv
from bot.store import AuditQuery
from tests.fakes import FakeSlack, Upload, render_text
from tests.integration.conftest import ADMIN, MEMBER, TEAM, Stack


async def reply_to(stack: Stack, user: str, text: str) -> str:
    before = len(stack.slack.responses)
    await stack.driver.command(user, text)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, timeout=15)
    return render_text(stack.slack.responses[-1].args.get("blocks") or [])


def csv_uploads(slack: FakeSlack) -> list[Upload]:
    return [u for u in slack.uploads.values() if u.completed and u.filename.endswith(".csv")]


async def test_an_admin_gets_the_matching_rows_as_csv_in_their_dm(stack: Stack) -> None:
    store = stack.bot.runtime.services.store
    for _ in range(2):
        await reply_to(stack, MEMBER, "last 7d")
    await reply_to(stack, MEMBER, "audit")  # refused: one row of another action
    searches, count = await store.audit_events(
        TEAM, AuditQuery(action="search"), offset=0, limit=100
    )
    assert count >= 2

    answer = await reply_to(stack, ADMIN, "audit export action:search")

    assert f"The CSV of {count} audit rows is in your DM with me" in answer
    [upload] = csv_uploads(stack.slack)
    assert upload.channels == [stack.slack.dm_channel(ADMIN)]
    expected = audit_csv(reversed(searches))  # oldest first
    assert upload.sha256 == hashlib.sha256(expected).hexdigest()
    assert upload.head.startswith(",".join(COLUMNS).encode())
    assert b"refused" not in expected, "only the rows the filters match"
    exported, _ = await store.audit_events(
        TEAM, AuditQuery(actor=ADMIN, action="audit"), offset=0, limit=5
    )
    assert [(e.outcome, e.detail) for e in exported] == [
        ("allowed", f"export of {count} audit rows: action:search")
    ]


async def test_a_member_cannot_export_the_audit_log(stack: Stack) -> None:
    answer = await reply_to(stack, MEMBER, "audit export")
    assert "Only recordings admins can export the audit log" in answer
    assert csv_uploads(stack.slack) == []
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=MEMBER, action="audit"), offset=0, limit=5
    )
    assert [(e.outcome, e.detail) for e in events] == [("refused", "export")]


async def test_bad_filters_are_named_and_nothing_matching_uploads_nothing(stack: Stack) -> None:
    answer = await reply_to(stack, ADMIN, "audit export action:dance")
    assert "`action:dance`" in answer
    answer = await reply_to(stack, ADMIN, "audit export user:<@U0NOBODY9>")
    assert "No audit rows match those filters" in answer
    assert csv_uploads(stack.slack) == []


async def test_rows_written_after_the_export_started_are_not_in_it(stack: Stack) -> None:
    store = stack.bot.runtime.services.store
    await store.audit(TEAM, MEMBER, "audio", outcome="allowed", target="company:1")
    # A row stamped in the future stands for one written while the export reads its pages.
    later = stack.bot.runtime.services.clock() + timedelta(minutes=5)
    await store.audit(TEAM, MEMBER, "audio", outcome="allowed", target="company:2")
    [newest, _] = (await store.audit_events(TEAM, AuditQuery(action="audio"), offset=0, limit=5))[0]
    assert newest.target == "company:2"
    async with store.session() as session:
        newest.at = later
        session.add(newest)
        await session.commit()
    answer = await reply_to(stack, ADMIN, "audit export action:audio")
    assert "The CSV of 1 audit row is in your DM" in answer

"""A connected person's own on-demand recordings are read with their own VBC login.

After Connect VBC, the simulator's request log must show the person's own token on
``users/{their id}/call_recordings`` (lists, one recording, its audio, exports) and the
integration user's on company recordings and on an admin's view of them. Tokens VBC refuses
are forgotten and the person is told to connect again; that request never falls back to the
integration user.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.store import AuditQuery
from bot.store.tables import ExportJobRow
from tests.integration.access import member_on_demand
from tests.integration.browser import connect_vbc, own_bearer
from tests.integration.conftest import ADMIN, MEMBER, TEAM, Stack, start_stack, stop_stack
from tests.integration.test_notices import quicken
from tests.security.vbc_log import callers, own_list_path, say, vbc_requests


async def connected(stack: Stack) -> str:
    """Connect VBC for MEMBER; the request log's name for their stored access token."""
    browser = await connect_vbc(stack, MEMBER)
    await browser.aclose()
    stack.sim.state.requests.clear()
    return await own_bearer(stack, MEMBER)


async def test_own_recordings_use_the_own_token_company_ones_the_integration_user(
    stack: Stack,
) -> None:
    bearer = await connected(stack)
    member, integration = stack.sim.state.users[0], stack.sim.state.admin
    shown = await say(stack, MEMBER, "last 30d")
    assert "Page 1" in shown or "recordings" in shown.lower()
    own = vbc_requests(stack, own_list_path(stack))
    company = vbc_requests(stack, "/company_call_recordings")
    assert own
    assert company
    assert {e["bearer"] for e in own} == {bearer}
    assert callers(own) == {member.id}
    assert callers(company) == {integration.id}
    assert bearer not in {e["bearer"] for e in company}


async def test_details_audio_and_export_of_an_own_recording_use_the_own_token(
    stack: Stack,
) -> None:
    bearer = await connected(stack)
    rec = member_on_demand(stack)
    await say(stack, MEMBER, f"get {rec.id}")
    audio = f"/audio/recording/{rec.id}"
    await stack.slack.wait_for(
        lambda: [e for e in vbc_requests(stack, audio) if e["status"] == 200], timeout=20
    )
    [details] = vbc_requests(stack, f"{own_list_path(stack)}/{rec.id}")
    assert details["bearer"] == bearer
    assert {e["bearer"] for e in vbc_requests(stack, audio)} == {bearer}

    await stack.driver.command(MEMBER, f"export type:on-demand call:{rec.call_id}")
    [post] = await stack.slack.wait_for(
        lambda: [e for e in vbc_requests(stack, "/export") if e["method"] == "POST"], timeout=20
    )
    assert post["path"].endswith(f"{own_list_path(stack)}/export")
    assert post["bearer"] == bearer
    # The job is the person's; the watcher follows it under their user and tells them once.
    await stack.slack.wait_for(
        lambda: [m for m in stack.slack.messages if "is ready" in m.text], timeout=30
    )
    async with stack.bot.runtime.services.store.session() as s:
        [job] = (await s.exec(select(ExportJobRow))).all()
    assert job.vbc_user_id == str(stack.sim.state.users[0].id)


async def test_an_admins_view_of_a_connected_member_stays_on_the_integration_user(
    stack: Stack,
) -> None:
    bearer = await connected(stack)
    await say(stack, ADMIN, f"user:<@{MEMBER}> type:on-demand last 30d")
    seen = vbc_requests(stack, own_list_path(stack))
    assert seen
    assert callers(seen) == {stack.sim.state.admin.id}
    assert bearer not in {e["bearer"] for e in seen}


async def test_app_home_reads_own_recordings_with_the_own_token(stack: Stack) -> None:
    bearer = await connected(stack)
    event = {"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D0001"}
    await stack.driver.event(event, event_id="Ev0HOME01")
    await stack.slack.wait_for("views.publish", timeout=20)
    own = vbc_requests(stack, own_list_path(stack))
    assert own
    assert {e["bearer"] for e in own} == {bearer}


async def test_tokens_vbc_refuses_are_forgotten_and_the_person_told_without_fallback(
    stack: Stack,
) -> None:
    await connected(stack)
    member = stack.sim.state.users[0]
    stack.sim.state.tokens.revoke_user(member.id)  # e.g. VBC reset the person's password
    shown = await say(stack, MEMBER, "type:on-demand last 30d")
    assert "Connect again" in shown
    own = vbc_requests(stack, own_list_path(stack))
    assert own
    assert {e["status"] for e in own} == {401}  # never retried as the integration user
    assert stack.sim.state.admin.id not in callers(own)
    link = await stack.bot.runtime.services.store.get_link(TEAM, MEMBER)
    assert link is not None
    assert link.token_ciphertext is None
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=MEMBER, action="disconnect"), offset=0, limit=5
    )
    assert [e.outcome for e in events] == ["allowed"]
    # Told and forgotten, the person is served like anyone not connected.
    stack.sim.state.requests.clear()
    await say(stack, MEMBER, "type:on-demand last 30d")
    assert callers(vbc_requests(stack, own_list_path(stack))) == {stack.sim.state.admin.id}


@pytest.fixture
async def polling(sqlite_url: str) -> AsyncIterator[Stack]:
    """The same world with new-recording notices looked for every second."""
    running = await start_stack(sqlite_url, notify_poll_seconds=1)
    quicken(running.bot.runtime)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems


async def test_notices_read_a_connected_persons_own_recordings_with_their_token(
    polling: Stack,
) -> None:
    stack = polling
    bearer = await connected(stack)
    assert "Rule 1 is on" in await say(stack, MEMBER, "notify me type:on-demand")
    member = stack.sim.state.users[0]
    start = datetime.now(UTC) - timedelta(seconds=20)
    await stack.slack.wait_for(lambda: vbc_requests(stack, own_list_path(stack)), timeout=20)
    rec = stack.sim.state.add_recording(start=start, duration=20_000, owner_user_id=member.id)
    await stack.slack.wait_for(
        lambda: [m for m in stack.slack.messages_for(MEMBER) if str(rec.id) in m.text],
        timeout=20,
    )
    own = vbc_requests(stack, own_list_path(stack))
    assert {e["bearer"] for e in own} == {bearer}
    assert callers(own) == {member.id}

"""Posting checks again who may see a notice: the poll's view of links and admins can be old.

A real store and the fake Slack; the directory is a stub that finds every account active.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from bot.grammar.criteria import Criteria, Owner
from bot.notices.pause import RulePauser
from bot.notices.poller import NoticeTuning, delivery_id
from bot.notices.sender import NoticeSender
from bot.people.directory import Directory
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.notices import NoticeRows
from bot.store.tables import Link, NoticeDelivery, NoticeRule
from bot.vbc.models import Recording, RecordingKind
from tests.fakes import FakeSlack

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ADMIN, MEMBER = "U0ADMIN", "U0MEMBER"


class ActiveEveryone:
    async def require_active(self, team_id: str, user_id: str, *, fresh: bool = False) -> None:
        return None


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    fake.add_user(ADMIN, "Ada Admin")
    fake.add_user(MEMBER, "Hannah Kowalski")
    yield fake
    await fake.close()


def sender(store: Store, slack: FakeSlack) -> NoticeSender:
    clients = SlackClients(base_url=slack.url, token="xoxb-test")
    clock = lambda: NOW  # noqa: E731
    return NoticeSender(
        store=store,
        slack=clients,
        directory=cast(Directory, ActiveEveryone()),
        pauser=RulePauser(rows=NoticeRows(store), slack=clients, admins=frozenset(), clock=clock),
        clock=clock,
        tuning=NoticeTuning(spacing=0.0),
        owner="s1",
        admins=frozenset({ADMIN}),
    )


def on_demand(owner: str) -> Recording:
    return Recording(
        id=4242,
        kind=RecordingKind.ON_DEMAND,
        owner_user_id=owner,
        call_direction="INBOUND",
        start=NOW - timedelta(minutes=2),
        duration=60_000,
    )


async def pending(store: Store, who: str, criteria: Criteria, rec: Recording) -> str:
    """A rule of ``who`` and the notice the poll stored for it."""
    async with store.session() as s:
        rule = NoticeRule(
            team_id="T1",
            kind="personal",
            slack_user_id=who,
            criteria=json.dumps(criteria.to_json()),
            summary="every new recording",
            created_at=NOW - timedelta(hours=1),
        )
        s.add(rule)
        await s.flush()
        assert rule.id is not None
        key = delivery_id("T1", who, rec)
        s.add(
            NoticeDelivery(
                id=key,
                rule_id=rule.id,
                team_id="T1",
                target=who,
                recording=rec.model_dump_json(),
                due_at=NOW - timedelta(seconds=1),
            )
        )
        await s.commit()
    return key


async def link(store: Store, who: str, vbc_user: str) -> None:
    async with store.session() as s:
        s.add(Link(team_id="T1", slack_user_id=who, vbc_user_id=vbc_user, linked_how="admin"))
        await s.commit()


async def state_of(store: Store, key: str) -> str:
    async with store.session() as s:
        row = await s.get(NoticeDelivery, key)
    assert row is not None
    return row.state


async def test_a_person_relinked_to_another_vbc_user_gets_no_notice_of_the_old_ones(
    store: Store, slack: FakeSlack
) -> None:
    rec = on_demand("745249")
    key = await pending(store, MEMBER, Criteria(owner=Owner("745249", ("101",))), rec)
    await link(store, MEMBER, "999001")  # since the poll: now someone else in VBC
    await sender(store, slack).tick()
    assert await state_of(store, key) == "skipped"
    assert slack.messages_for(MEMBER) == []


async def test_an_unlinked_person_gets_no_notice(store: Store, slack: FakeSlack) -> None:
    key = await pending(store, MEMBER, Criteria(owner=Owner("745249", ())), on_demand("745249"))
    await sender(store, slack).tick()
    assert await state_of(store, key) == "skipped"
    assert slack.messages_for(MEMBER) == []


async def test_a_company_rule_of_someone_no_longer_an_admin_posts_nothing(
    store: Store, slack: FakeSlack
) -> None:
    key = await pending(store, MEMBER, Criteria(), on_demand("745249"))
    await sender(store, slack).tick()
    assert await state_of(store, key) == "skipped"
    assert slack.messages_for(MEMBER) == []


async def test_the_same_notices_go_out_when_they_are_still_theirs(
    store: Store, slack: FakeSlack
) -> None:
    mine = await pending(store, MEMBER, Criteria(owner=Owner("745249", ())), on_demand("745249"))
    await link(store, MEMBER, "745249")
    company = await pending(store, ADMIN, Criteria(), on_demand("745249"))
    await sender(store, slack).tick()
    assert (await state_of(store, mine), await state_of(store, company)) == ("posted", "posted")
    assert len(slack.messages_for(MEMBER)) == 1
    assert len(slack.messages_for(ADMIN)) == 1

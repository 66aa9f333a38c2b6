"""The poll stores a listing's new recordings page by page, newest first."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import cast

from bot.grammar.criteria import Criteria
from bot.notices.match import COMPANY_SOURCE
from bot.notices.pause import RulePauser
from bot.notices.poller import PAGE_SIZE, NoticePoller, NoticeTuning
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.notices import NoticeRows
from bot.store.tables import NoticeRule, NoticeSource
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcUnavailableError
from bot.vbc.filter import ORDER_NEWEST, RecordingFilter
from bot.vbc.models import Recording, RecordingKind

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Listing:
    """A company listing of ``recs``; VBC refuses the second page while ``broken``."""

    def __init__(self, recs: list[Recording]) -> None:
        self.recs = recs
        self.broken = True
        self.asked: list[RecordingFilter] = []

    async def iter_company_recordings(self, query: RecordingFilter) -> AsyncIterator[Recording]:
        self.asked.append(query)
        for n, rec in enumerate(self.recs):
            if n == PAGE_SIZE and self.broken:
                raise VbcUnavailableError("503 on page 2")
            yield rec


def company_call(n: int) -> Recording:
    start = NOW - timedelta(minutes=5, seconds=n)  # newest first, as asked
    return Recording(
        id=1000 + n,
        kind=RecordingKind.COMPANY,
        call_direction="INBOUND",
        start=start,
        end=start + timedelta(seconds=30),
        duration=30_000,
        extensions=["101"],
    )


async def test_a_page_is_stored_as_read_so_a_listing_failing_later_still_notices_it(
    store: Store,
) -> None:
    async with store.session() as s:
        s.add(
            NoticeRule(
                team_id="T1",
                kind="personal",
                slack_user_id="U1",
                criteria=json.dumps(Criteria().to_json()),  # an admin's ``scope:company``
                summary="all",
                search_text="",
                created_at=NOW - timedelta(hours=1),
            )
        )
        await s.commit()
    rows, clock = NoticeRows(store), Clock()
    listing = Listing([company_call(n) for n in range(PAGE_SIZE + 50)])
    found: list[int] = []
    poller = NoticePoller(
        store=store,
        vbc=cast(VbcClient, listing),
        clock=clock,
        pauser=RulePauser(
            rows=rows,
            slack=SlackClients(base_url="http://127.0.0.1:9/"),
            admins=frozenset(),
            clock=clock,
        ),
        tuning=NoticeTuning(),
        admins=frozenset({"U1"}),
        owner="p1",
        found=lambda: found.append(1),
    )
    assert await poller.tick() == 1
    assert listing.asked[0].order == ORDER_NEWEST
    first_page = {f"T1:U1:company:{1000 + n}" for n in range(PAGE_SIZE)}
    assert {d.id for d in await rows.deliveries()} == first_page  # kept, though page 2 failed
    assert found  # and the sender woken for them
    async with store.session() as s:
        source = await s.get(NoticeSource, COMPANY_SOURCE)
    assert source is not None
    assert source.watermark is None  # the listing did not end: it is read again, all of it
    # Read again: the rest are found, the first page is not stored twice.
    listing.broken = False
    clock.now += timedelta(minutes=1)
    assert await poller.tick() == 1
    assert len(listing.asked) == 2
    stored = [d.id for d in await rows.deliveries()]
    assert len(stored) == len(set(stored)) == PAGE_SIZE + 50

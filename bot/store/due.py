"""Leased background work that is due at a moment, across every job table the bot works.

A recorded demo session (``bot.demo.settle``) lets a still clock move and waits until none
is due: an export to look at, a VBC listing to read, a notice to post, a deletion to run. A
row being worked counts as due until its work is written back, whoever holds its lease.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from bot.store import Store
from bot.store.deletions import JOB_LEASE
from bot.store.exports import REQUEST_LEASE
from bot.store.notices import DELIVERY_LEASE, SOURCE_LEASE
from bot.store.tables import NoticeSource

LEASED_WORK = (REQUEST_LEASE, SOURCE_LEASE, DELIVERY_LEASE, JOB_LEASE)


async def work_due(store: Store, now: datetime) -> int:
    """How many rows of ``LEASED_WORK`` are due at ``now``, leased or not."""
    total = 0
    async with store.session() as s:
        for lease in LEASED_WORK:
            leased = lease.leased
            query = (
                select(func.count())
                .select_from(leased.table)
                .where(*leased.watchable, leased.column(leased.due) <= now)
            )
            total += (await s.exec(query)).one()
    return total


async def notice_source_ids(store: Store) -> set[str]:
    """The VBC listings the notice poll has rows for (it makes them as it reads the rules)."""
    async with store.session() as s:
        return set(await s.exec(select(NoticeSource.id)))

"""Deletion jobs and their items as rows: every statement the lifecycle package runs.

``bot.lifecycle`` decides what happens to a deletion; this module only stores it. Jobs are
worked under ``JOB_LEASE``, the generic row lease (``bot.store.lease``) on ``deletion_jobs``;
an item is settled only while its job is held by the process settling it, in the same
transaction as the audit event of that deletion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, insert, update
from sqlmodel import col, select

from bot.store import Store
from bot.store.lease import Lease, LeasedTable, table_of
from bot.store.tables import AuditEvent, DeletionItem, DeletionJob

PENDING = "pending"  # waiting for the typed count (jobs) / not deleted yet (items)
RUNNING = "running"
NOTIFYING = "notifying"  # every item settled; a process holds the notice lease
DONE = "done"
CANCELLED = "cancelled"
EXPIRED = "expired"  # offered, never confirmed
IN_FLIGHT = (RUNNING, NOTIFYING)

JOB_LEASE = Lease(
    LeasedTable(
        table=table_of(DeletionJob),
        id="id",
        owner="lease_owner",
        until="lease_until",
        due="next_run_at",
        watchable=(col(DeletionJob.state).in_(IN_FLIGHT),),
    )
)
NAMED = 20  # held and failed recordings named in progress and the notice


@dataclass(frozen=True)
class Tally:
    """Where a job stands: items per state, and the first held and failed ones by name."""

    counts: dict[str, int]
    held: list[DeletionItem]
    failed: list[DeletionItem]

    def of(self, state: str) -> int:
        return self.counts.get(state, 0)

    @property
    def settled(self) -> int:
        return sum(n for state, n in self.counts.items() if state != PENDING)


@dataclass(frozen=True)
class Settled:
    """What became of one item, with the audit event recorded with it."""

    item: DeletionItem
    state: str
    detail: str | None
    event: AuditEvent | None


class DeletionRows:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- making and confirming ---------------------------------------------------------------

    async def create(self, job: DeletionJob, items: Sequence[DeletionItem]) -> int:
        """Store the job with its items in one transaction; its new id."""
        async with self._store.session() as s:
            s.add(job)
            await s.flush()  # the job's id, before its items (PostgreSQL checks the key at once)
            assert job.id is not None
            for item in items:
                item.job_id = job.id
            s.add_all(items)
            await s.commit()
            return job.id

    async def get(self, job_id: int) -> DeletionJob | None:
        async with self._store.session() as s:
            return await s.get(DeletionJob, job_id)

    async def first_items(self, job_id: int, limit: int) -> list[DeletionItem]:
        async with self._store.session() as s:
            rows = await s.exec(
                select(DeletionItem)
                .where(DeletionItem.job_id == job_id)
                .order_by(col(DeletionItem.seq))
                .limit(limit)
            )
            return list(rows)

    async def move(
        self, job_id: int, *, from_state: str, to_state: str, now: datetime, **values: object
    ) -> bool:
        """Change the job's state if it is still ``from_state``; False when it was not."""
        async with self._store.session() as s:
            result = await s.exec(
                update(DeletionJob)
                .where(col(DeletionJob.id) == job_id, col(DeletionJob.state) == from_state)
                .values(state=to_state, updated_at=now, **values)
            )
            await s.commit()
            return bool(result.rowcount)

    async def save_message(self, job_id: int, channel: str, ts: str) -> None:
        async with self._store.session() as s:
            await s.exec(
                update(DeletionJob)
                .where(col(DeletionJob.id) == job_id)
                .values(message_channel=channel, message_ts=ts)
            )
            await s.commit()

    async def request_cancel(self, job_id: int, by: str, *, now: datetime) -> bool:
        """Ask the worker to stop; False when the job is no longer running or was asked already."""
        async with self._store.session() as s:
            result = await s.exec(
                update(DeletionJob)
                .where(
                    col(DeletionJob.id) == job_id,
                    col(DeletionJob.state) == RUNNING,
                    col(DeletionJob.cancel_requested_by).is_(None),
                )
                .values(cancel_requested_by=by, next_run_at=now, updated_at=now)
            )
            await s.commit()
            return bool(result.rowcount)

    async def prune_offers(self, older_than: timedelta) -> int:
        """Offers nobody confirmed in time: their items go, the job stays ``expired``."""
        cutoff = self._store.now() - older_than
        stale = select(DeletionJob.id).where(
            col(DeletionJob.state) == PENDING, col(DeletionJob.created_at) < cutoff
        )
        async with self._store.session() as s:
            await s.exec(delete(DeletionItem).where(col(DeletionItem.job_id).in_(stale)))
            result = await s.exec(
                update(DeletionJob)
                .where(col(DeletionJob.state) == PENDING, col(DeletionJob.created_at) < cutoff)
                .values(state=EXPIRED)
            )
            await s.commit()
            return int(result.rowcount or 0)

    # -- working -----------------------------------------------------------------------------

    async def claim_due(
        self, owner: str, *, now: datetime, until: datetime, limit: int
    ) -> list[int]:
        async with self._store.session() as s:
            ids = await JOB_LEASE.claim(s, owner, now=now, until=until, limit=limit)
            await s.commit()
        return sorted(int(i) for i in ids)

    async def renew(self, job_id: int, owner: str, *, until: datetime) -> DeletionJob | None:
        """Keep the lease; the job as it is now, or None when another owner took it over."""
        async with self._store.session() as s:
            held = await JOB_LEASE.renew(s, [job_id], owner, until=until)
            await s.commit()
            if not held:
                return None
            return await s.get(DeletionJob, job_id, populate_existing=True)

    async def pending_items(self, job_id: int, *, after: int, limit: int) -> list[DeletionItem]:
        async with self._store.session() as s:
            rows = await s.exec(
                select(DeletionItem)
                .where(
                    DeletionItem.job_id == job_id,
                    DeletionItem.state == PENDING,
                    col(DeletionItem.seq) > after,
                )
                .order_by(col(DeletionItem.seq))
                .limit(limit)
            )
            return list(rows)

    async def settle(
        self,
        item: DeletionItem,
        owner: str,
        *,
        state: str,
        detail: str | None,
        event: AuditEvent | None,
    ) -> bool:
        """Record what became of one item (and its audit event) while ``owner`` holds the job."""
        held = _held(item.job_id, owner)
        async with self._store.session() as s:
            result = await s.exec(
                update(DeletionItem)
                .where(
                    col(DeletionItem.job_id) == item.job_id,
                    col(DeletionItem.seq) == item.seq,
                    col(DeletionItem.state) == PENDING,
                    held,
                )
                .values(state=state, detail=detail, attempts=item.attempts)
            )
            if result.rowcount and event is not None:
                s.add(event)
            await s.commit()
            return bool(result.rowcount)

    async def settle_many(self, settled: Sequence[Settled], owner: str) -> set[int]:
        """Several items of one job in one transaction (a group commit); the seqs recorded.

        Items alike (same state, detail, attempts: the usual "deleted") share one UPDATE, and
        the audit events of those recorded go in with one INSERT.
        """
        if not settled:
            return set()
        job_id = settled[0].item.job_id
        held = _held(job_id, owner)
        alike: dict[tuple[str, str | None, int], list[int]] = {}
        for one in settled:
            alike.setdefault((one.state, one.detail, one.item.attempts), []).append(one.item.seq)
        done: set[int] = set()
        # A Core connection, not a session: this runs once per batch of a job's deletions.
        async with self._store.engine.begin() as conn:
            for (state, detail, attempts), seqs in alike.items():
                result = await conn.execute(
                    update(DeletionItem)
                    .where(
                        col(DeletionItem.job_id) == job_id,
                        col(DeletionItem.seq).in_(seqs),
                        col(DeletionItem.state) == PENDING,
                        held,
                    )
                    .values(state=state, detail=detail, attempts=attempts)
                    .returning(col(DeletionItem.seq))
                )
                done.update(int(row[0]) for row in result.all())
            events = [
                one.event.model_dump(exclude={"id"})
                for one in settled
                if one.item.seq in done and one.event is not None
            ]
            if events:  # executemany: one compiled statement, whatever the batch size
                await conn.execute(insert(AuditEvent), events)
        return done

    async def cancel_pending(self, job_id: int, owner: str) -> int:
        held = _held(job_id, owner)
        async with self._store.session() as s:
            result = await s.exec(
                update(DeletionItem)
                .where(col(DeletionItem.job_id) == job_id, col(DeletionItem.state) == PENDING, held)
                .values(state=CANCELLED)
            )
            await s.commit()
            return int(result.rowcount or 0)

    async def tally(self, job_id: int) -> Tally:
        async with self._store.session() as s:
            rows = await s.exec(
                select(DeletionItem.state, func.count())
                .where(DeletionItem.job_id == job_id)
                .group_by(col(DeletionItem.state))
            )
            counts = {str(state): int(n) for state, n in rows}
            named: dict[str, list[DeletionItem]] = {}
            for state in ("held", "failed"):
                found = await s.exec(
                    select(DeletionItem)
                    .where(DeletionItem.job_id == job_id, DeletionItem.state == state)
                    .order_by(col(DeletionItem.seq))
                    .limit(NAMED)
                )
                named[state] = list(found)
        return Tally(counts, named["held"], named["failed"])

    async def hold_lease(
        self, job_id: int, owner: str, *, until: datetime, now: datetime, **values: Any
    ) -> bool:
        """Renew the lease writing ``values`` (a state change) with it."""
        async with self._store.session() as s:
            held = await JOB_LEASE.renew(s, [job_id], owner, until=until, updated_at=now, **values)
            await s.commit()
        return bool(held)

    async def release(self, job_id: int, owner: str, *, now: datetime, **values: Any) -> bool:
        """Let the job go (to be claimed again at ``next_run_at``), writing ``values``."""
        async with self._store.session() as s:
            released = await JOB_LEASE.release(s, [job_id], owner, updated_at=now, **values)
            await s.commit()
        return bool(released)

    async def record_notice(self, job_id: int, ts: str) -> None:
        async with self._store.session() as s:
            await s.exec(
                update(DeletionJob)
                .where(col(DeletionJob.id) == job_id, col(DeletionJob.notice_ts).is_(None))
                .values(notice_ts=ts)
            )
            await s.commit()

    async def next_free_at(self) -> datetime | None:
        async with self._store.session() as s:
            return await JOB_LEASE.next_free(s)


def _held(job_id: int, owner: str) -> ColumnElement[bool]:
    """The item's job is held by ``owner``: the condition every item write carries."""
    return exists().where(col(DeletionJob.id) == job_id, JOB_LEASE.held_by(owner))

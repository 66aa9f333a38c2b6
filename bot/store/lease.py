"""Row leases: durable job rows worked by one process at a time, taken over when one dies.

A table takes part by naming its id, lease owner, lease-until and due columns, and the
conditions that make a row watchable at all (``LeasedTable``). Claiming is one conditional
UPDATE over the oldest due rows that nobody holds; on PostgreSQL the candidates are picked
``FOR UPDATE SKIP LOCKED``, so concurrent claimers pass each other's rows by instead of
queueing behind them, and the UPDATE checks the conditions again, so a row is never won twice.

A row is held by the owner written in it, even after its lease ran out, until another owner
claims it: renewing and releasing touch only rows still held, so a process that lost a row
learns so instead of overwriting the new owner's work. Every operation runs in the caller's
session and leaves the commit to it, so a renewal and the work it guards land together.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, case, func, inspect, or_, update
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel table class."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


@dataclass(frozen=True)
class LeasedTable:
    """Which table, which of its columns carry the lease, and which rows take part."""

    table: Table
    id: str
    owner: str
    until: str
    due: str  # rows are claimed once this time has come, the longest due first
    watchable: Sequence[ColumnElement[bool]] = ()  # e.g. "state is running or notifying"

    def column(self, name: str) -> Column[Any]:
        return self.table.c[name]


class Lease:
    """Claim, renew, release and check leases on the rows of one ``LeasedTable``."""

    def __init__(self, leased: LeasedTable) -> None:
        self.leased = leased
        self._id = leased.column(leased.id)
        self._owner = leased.column(leased.owner)
        self._until = leased.column(leased.until)
        self._due = leased.column(leased.due)

    def _claimable(self, now: datetime) -> list[ColumnElement[bool]]:
        return [
            *self.leased.watchable,
            self._due <= now,
            or_(self._until.is_(None), self._until < now),
        ]

    def held_by(self, owner: str) -> ColumnElement[bool]:
        """The condition "``owner`` holds this row", for the caller's own queries."""
        return self._owner == owner

    async def claim(
        self, session: AsyncSession, owner: str, *, now: datetime, until: datetime, limit: int
    ) -> list[str]:
        """Lease up to ``limit`` due, free rows to ``owner`` until ``until``; their ids."""
        candidates = select(self._id).where(*self._claimable(now)).order_by(self._due).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        result = await session.exec(
            update(self.leased.table)
            .where(self._id.in_(candidates.scalar_subquery()), *self._claimable(now))
            .values({self._owner: owner, self._until: until})
            .returning(self._id)
        )
        return [str(row[0]) for row in result.all()]

    async def renew(
        self,
        session: AsyncSession,
        ids: Collection[str | int],
        owner: str,
        *,
        until: datetime,
        where: Sequence[ColumnElement[bool]] = (),
        **values: object,
    ) -> set[str]:
        """Extend the lease of those ``ids`` ``owner`` still holds, writing ``values`` with it.

        Returns the ids renewed: a row taken over by another owner is left alone.
        """
        return await self._change_held(
            session, ids, owner, where, {self.leased.until: until, **values}
        )

    async def release(
        self,
        session: AsyncSession,
        ids: Collection[str | int],
        owner: str,
        *,
        where: Sequence[ColumnElement[bool]] = (),
        **values: object,
    ) -> set[str]:
        """Give up the rows ``owner`` still holds, writing ``values`` with it; their ids."""
        released = {self.leased.owner: None, self.leased.until: None, **values}
        return await self._change_held(session, ids, owner, where, released)

    async def holds(
        self,
        session: AsyncSession,
        ids: Collection[str | int],
        owner: str,
        *,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> set[str]:
        """Those of ``ids`` that ``owner`` holds now."""
        rows = await session.exec(
            select(self._id).where(self._id.in_(ids), self.held_by(owner), *where)
        )
        return {str(found) for found in rows}

    async def next_free(self, session: AsyncSession) -> datetime | None:
        """When the next watchable row is both due and out of its lease; None if none is."""
        free_at = case((self._until > self._due, self._until), else_=self._due)
        found: datetime | None = (
            await session.exec(select(func.min(free_at)).where(*self.leased.watchable))
        ).one()
        return found

    async def _change_held(
        self,
        session: AsyncSession,
        ids: Collection[str | int],
        owner: str,
        where: Sequence[ColumnElement[bool]],
        values: dict[str, object],
    ) -> set[str]:
        if not ids:
            return set()
        result = await session.exec(
            update(self.leased.table)
            .where(self._id.in_(ids), self.held_by(owner), *where)
            .values(**values)
            .returning(self._id)
        )
        return {str(row[0]) for row in result.all()}

"""Legal hold rows: added, listed, released once (by whichever admin's click lands first)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from bot.store import Store
from bot.store.tables import LegalHold


class HoldRows:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, hold: LegalHold) -> LegalHold:
        async with self._store.session() as s:
            s.add(hold)
            await s.commit()
            await s.refresh(hold)
            return hold

    async def get(self, hold_id: int) -> LegalHold | None:
        async with self._store.session() as s:
            return await s.get(LegalHold, hold_id)

    async def active(self, team_id: str | None = None) -> list[LegalHold]:
        """Holds not released, oldest first; every workspace's when ``team_id`` is None."""
        query = select(LegalHold).where(col(LegalHold.released_at).is_(None))
        if team_id is not None:
            query = query.where(col(LegalHold.team_id) == team_id)
        async with self._store.session() as s:
            return list(await s.exec(query.order_by(col(LegalHold.id))))

    async def release(self, hold_id: int, team_id: str, *, by: str, at: datetime) -> bool:
        """True for the one caller that released it; False when gone, elsewhere or released."""
        async with self._store.session() as s:
            result = await s.exec(
                update(LegalHold)
                .where(
                    col(LegalHold.id) == hold_id,
                    col(LegalHold.team_id) == team_id,
                    col(LegalHold.released_at).is_(None),
                )
                .values(released_by=by, released_at=at)
            )
            await s.commit()
            return bool(result.rowcount)

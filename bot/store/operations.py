"""What operating the bot asks of the database: a ping, export counts, audit log pruning.

Audit rows of deletions, legal holds, their releases and retention runs are never pruned:
they are the record that something personal was removed, or kept, and why.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, not_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.tables import AuditEvent, ExportRequest

# Audit actions kept whatever AUDIT_RETENTION_DAYS says: any action starting with one of these
# (``delete``, ``delete_job``, ``hold``, ``release``, ``retention``, ``retention_run`` ...).
AUDIT_KEPT_ACTION_PREFIXES = ("delete", "hold", "release", "retention", "slack-copy-delete")
# The audit row each pruning writes (itself kept: its action is a retention kind).
AUDIT_PRUNE_ACTION = "retention"
AUDIT_PRUNE_TARGET = "audit_log"
AUDIT_PRUNE_ACTOR = "bot"


def kept_action() -> ColumnElement[bool]:
    """The SQL condition "this audit row's action is one of the kept kinds"."""
    action = col(AuditEvent.action)
    return or_(*(action.startswith(prefix) for prefix in AUDIT_KEPT_ACTION_PREFIXES))


class OperationRows:
    """``Store``'s queries for readiness, metrics and audit retention."""

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        raise NotImplementedError

    async def ping(self) -> None:
        """Raises unless the database answers a query over the bot's own tables."""
        async with self.session() as s:
            await s.exec(select(col(AuditEvent.id)).limit(1))

    async def export_states(self) -> dict[str, int]:
        """How many export requests are in each state."""
        async with self.session() as s:
            rows = await s.exec(
                select(ExportRequest.state, func.count()).group_by(col(ExportRequest.state))
            )
            return {str(state): int(count) for state, count in rows}

    async def prune_audit(self, before: datetime) -> dict[str, int]:
        """Delete audit rows older than ``before``, except the kept kinds; how many per team."""
        old = and_(col(AuditEvent.at) < before, not_(kept_action()))
        async with self.session() as s:
            counted = await s.exec(
                select(AuditEvent.team_id, func.count()).where(old).group_by(AuditEvent.team_id)
            )
            counts = {str(team): int(n) for team, n in counted}
            if counts:
                await s.exec(delete(AuditEvent).where(old))
                await s.commit()
            return counts

    async def last_audit_prune(self) -> datetime | None:
        """When the audit log was last pruned (by any process), from the row it wrote."""
        async with self.session() as s:
            found = await s.exec(
                select(func.max(col(AuditEvent.at))).where(
                    col(AuditEvent.action) == AUDIT_PRUNE_ACTION,
                    col(AuditEvent.target) == AUDIT_PRUNE_TARGET,
                )
            )
            return found.one()

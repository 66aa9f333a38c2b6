"""Retention rows: policies, the announced VBC runs, and the leased sweep of Slack copies.

Every piece of timed work is a row claimed through ``bot.store.lease``, so several bot
processes on one PostgreSQL database share it without doing anything twice: a due VBC
policy (find and record a run), a run (send its notices, then start it), an expired file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, update
from sqlmodel import col, select

from bot.store import Store
from bot.store.lease import Lease, LeasedTable, table_of
from bot.store.tables import Link, RetentionPolicy, RetentionRun, UploadedFile

OPEN_RUN = ("announcing", "announced")


def _lease(model: type, due: str, watchable: Sequence[ColumnElement[bool]]) -> Lease:
    return Lease(LeasedTable(table_of(model), "id", "lease_owner", "lease_until", due, watchable))


_OPEN = col(RetentionRun.state).in_(OPEN_RUN)
_RUNS = _lease(RetentionRun, "due_at", (_OPEN,))
_VBC = col(RetentionPolicy.target) == "vbc"
_RUN_OPEN = (
    select(RetentionRun.id)
    .where(col(RetentionRun.team_id) == RetentionPolicy.team_id, _OPEN)
    .exists()
)
# VBC policies by team (a team has one), claimable while none of its runs is open.
_POLICIES = Lease(
    LeasedTable(
        table_of(RetentionPolicy),
        "team_id",
        "lease_owner",
        "lease_until",
        "next_run_at",
        (_VBC, ~_RUN_OPEN),
    )
)


class RetentionRows:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- policies ----------------------------------------------------------------------------

    async def policies(self, team_id: str) -> list[RetentionPolicy]:
        async with self._store.session() as s:
            rows = await s.exec(
                select(RetentionPolicy)
                .where(col(RetentionPolicy.team_id) == team_id)
                .order_by(col(RetentionPolicy.target))
            )
            return list(rows)

    async def slack_policies(self) -> list[RetentionPolicy]:
        async with self._store.session() as s:
            rows = await s.exec(
                select(RetentionPolicy).where(col(RetentionPolicy.target) == "slack")
            )
            return list(rows)

    async def set_policy(self, policy: RetentionPolicy, *, at: datetime) -> RetentionPolicy | None:
        """Save ``policy`` (None: turn ``policy.target`` off); the one it replaced, if any.

        A VBC policy that changes cancels its announced run: that run's ids were found under
        the old rule.
        """
        async with self._store.session() as s:
            before = await s.get(RetentionPolicy, (policy.team_id, policy.target))
            if before is not None:
                s.expunge(before)
            if policy.days > 0:
                await s.merge(policy)
            elif before is not None:
                await s.exec(
                    delete(RetentionPolicy).where(
                        col(RetentionPolicy.team_id) == policy.team_id,
                        col(RetentionPolicy.target) == policy.target,
                    )
                )
            if policy.target == "vbc":
                await s.exec(
                    update(RetentionRun)
                    .where(
                        col(RetentionRun.team_id) == policy.team_id,
                        col(RetentionRun.state).in_(OPEN_RUN),
                    )
                    .values(
                        state="cancelled",
                        ended_by=policy.updated_by,
                        result="cancelled: the policy changed",
                        updated_at=at,
                        lease_owner=None,
                        lease_until=None,
                    )
                )
            await s.commit()
            return before

    async def claim_due_policies(
        self, owner: str, *, now: datetime, until: datetime
    ) -> list[RetentionPolicy]:
        """VBC policies whose next run is due and that have no run open, leased to ``owner``."""
        async with self._store.session() as s:
            teams = await _POLICIES.claim(s, owner, now=now, until=until, limit=10)
            await s.commit()
            if not teams:
                return []
            rows = await s.exec(
                select(RetentionPolicy).where(
                    col(RetentionPolicy.team_id).in_(teams),
                    _VBC,
                    col(RetentionPolicy.lease_owner) == owner,
                )
            )
            return list(rows)

    async def record_run(
        self, policy: RetentionPolicy, run: RetentionRun, owner: str, *, next_run_at: datetime
    ) -> RetentionRun | None:
        """Store the run found for ``policy`` and free the policy until ``next_run_at``, in one
        transaction; None when the policy changed or was taken over meanwhile."""
        async with self._store.session() as s:
            freed = await _POLICIES.release(
                s,
                [policy.team_id],
                owner,
                where=[
                    _VBC,
                    col(RetentionPolicy.days) == policy.days,
                    col(RetentionPolicy.description) == policy.description,
                ],
                next_run_at=next_run_at,
            )
            if not freed:
                await s.rollback()
                return None
            s.add(run)
            await s.commit()
            await s.refresh(run)
            return run

    async def free_policy(self, team_id: str, owner: str, *, retry_at: datetime) -> None:
        """The run could not be found now (VBC failed): try again at ``retry_at``."""
        async with self._store.session() as s:
            await _POLICIES.release(s, [team_id], owner, where=[_VBC], next_run_at=retry_at)
            await s.commit()

    async def linked_vbc_users(self, team_id: str) -> list[str]:
        """Every VBC user linked in the workspace: on-demand recordings are listed per user."""
        async with self._store.session() as s:
            rows = await s.exec(
                select(Link.vbc_user_id)
                .where(col(Link.team_id) == team_id)
                .distinct()
                .order_by(col(Link.vbc_user_id))
            )
            return [str(r) for r in rows]

    # -- runs --------------------------------------------------------------------------------

    async def claim_runs(self, owner: str, *, now: datetime, until: datetime) -> list[RetentionRun]:
        async with self._store.session() as s:
            ids = await _RUNS.claim(s, owner, now=now, until=until, limit=10)
            await s.commit()
            if not ids:
                return []
            rows = await s.exec(
                select(RetentionRun).where(col(RetentionRun.id).in_([int(i) for i in ids]))
            )
            return list(rows)

    async def save_run(self, run: RetentionRun, owner: str) -> bool:
        """Write the run's progress and free it, while ``owner`` still holds it and it is open
        (a skip or a policy change meanwhile wins)."""
        values = {
            "state": run.state,
            "notices": run.notices,
            "announced_at": run.announced_at,
            "starts_at": run.starts_at,
            "due_at": run.due_at,
            "held": run.held,
            "job_id": run.job_id,
            "result": run.result,
            "updated_at": run.updated_at,
        }
        async with self._store.session() as s:
            released = await _RUNS.release(s, [run.id or 0], owner, where=[_OPEN], **values)
            await s.commit()
            return bool(released)

    async def skip_run(
        self, run_id: int, team_id: str, *, by: str, at: datetime
    ) -> RetentionRun | None:
        """Skip an announced run, once: the run as skipped, or None (not open, not this team)."""
        async with self._store.session() as s:
            result = await s.exec(
                update(RetentionRun)
                .where(
                    col(RetentionRun.id) == run_id,
                    col(RetentionRun.team_id) == team_id,
                    col(RetentionRun.state).in_(OPEN_RUN),
                )
                .values(
                    state="skipped",
                    ended_by=by,
                    result=f"skipped by {by}",
                    updated_at=at,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            await s.commit()
            if not result.rowcount:
                return None
            return await s.get(RetentionRun, run_id, populate_existing=True)

    async def get_run(self, run_id: int) -> RetentionRun | None:
        async with self._store.session() as s:
            return await s.get(RetentionRun, run_id)

    async def latest_runs(self, team_id: str, limit: int = 2) -> list[RetentionRun]:
        async with self._store.session() as s:
            rows = await s.exec(
                select(RetentionRun)
                .where(col(RetentionRun.team_id) == team_id)
                .order_by(col(RetentionRun.id).desc())
                .limit(limit)
            )
            return list(rows)

    # -- Slack copies ------------------------------------------------------------------------

    async def claim_expired_files(
        self,
        team_id: str,
        owner: str,
        *,
        uploaded_before: datetime,
        now: datetime,
        until: datetime,
        limit: int,
    ) -> list[UploadedFile]:
        """Files of ``team_id`` uploaded before ``uploaded_before``, leased to ``owner``."""
        expired = _lease(
            UploadedFile,
            "created_at",
            (
                col(UploadedFile.team_id) == team_id,
                col(UploadedFile.created_at) < uploaded_before,
            ),
        )
        async with self._store.session() as s:
            ids = await expired.claim(s, owner, now=now, until=until, limit=limit)
            await s.commit()
            if not ids:
                return []
            rows = await s.exec(
                select(UploadedFile)
                .where(col(UploadedFile.id).in_([int(i) for i in ids]))
                .order_by(col(UploadedFile.created_at))
            )
            return list(rows)

    async def keep_file(self, file_row_id: int, owner: str, *, until: datetime) -> None:
        """Leave a held file alone until ``until`` (its lease kept, so no one re-checks sooner)."""
        async with self._store.session() as s:
            await s.exec(
                update(UploadedFile)
                .where(col(UploadedFile.id) == file_row_id, col(UploadedFile.lease_owner) == owner)
                .values(lease_until=until)
            )
            await s.commit()

    async def forget_file(self, file_row_id: int, owner: str) -> bool:
        """Drop the row of a file deleted from Slack; False when another owner took it over."""
        async with self._store.session() as s:
            result = await s.exec(
                delete(UploadedFile).where(
                    col(UploadedFile.id) == file_row_id, col(UploadedFile.lease_owner) == owner
                )
            )
            await s.commit()
            return bool(result.rowcount)

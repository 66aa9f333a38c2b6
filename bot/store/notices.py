"""New-recording notice rows: rules, the leased VBC listings, and one delivery per pair.

``bot.notices`` decides; this module only stores. The poll leases ``notice_sources`` rows
(one process reads a listing per interval) and writes delivery rows keyed by
"<team>:<target>:<recording key>", so a recording found twice (an overlapping window, a second
process, a restart, two rules of one person) is one row; posting leases ``notice_deliveries``
rows the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import aware
from bot.store import Store
from bot.store.lease import Lease, LeasedTable, table_of
from bot.store.tables import (
    AuditEvent,
    ChannelSetting,
    Link,
    NoticeDelivery,
    NoticeRule,
    NoticeSource,
)

PENDING = "pending"  # to be posted as found
DIGEST = "digest"  # collected into the target's digest, posted at ``due_at``
POSTED = "posted"
SKIPPED = "skipped"  # the rule paused or went, the person left: never posted
FAILED = "failed"  # Slack refused it past every retry
MAX_RULE_ID = 2**31 - 1  # rule ids are INTEGER (32 bits) on PostgreSQL

SOURCE_LEASE = Lease(
    LeasedTable(
        table=table_of(NoticeSource),
        id="id",
        owner="lease_owner",
        until="lease_until",
        due="next_poll_at",
    )
)
DELIVERY_LEASE = Lease(
    LeasedTable(
        table=table_of(NoticeDelivery),
        id="id",
        owner="lease_owner",
        until="lease_until",
        due="due_at",
        watchable=(col(NoticeDelivery.state).in_((PENDING, DIGEST)),),
    )
)
_INSERT_BATCH = 500  # PostgreSQL takes at most 32,767 parameters in one statement
_OPEN = (col(NoticeDelivery.state).in_((PENDING, DIGEST)),)


class NoticeRows:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- rules -------------------------------------------------------------------------------

    async def add_rule(self, rule: NoticeRule, event: AuditEvent) -> NoticeRule:
        """Store the rule and its audit event together; the rule with its id."""
        async with self._store.session() as s:
            s.add(rule)
            await s.flush()
            event.target = f"rule {rule.id}"
            s.add(event)
            await s.commit()
            await s.refresh(rule)
        return rule

    async def rule(self, rule_id: int) -> NoticeRule | None:
        if not 0 < rule_id <= MAX_RULE_ID:  # a forged button's number: PostgreSQL would raise
            return None
        async with self._store.session() as s:
            return await s.get(NoticeRule, rule_id)

    async def rules(
        self,
        team_id: str | None = None,
        *,
        user_id: str | None = None,
        kind: str | None = None,
        active: bool = False,
    ) -> list[NoticeRule]:
        """Rules in id order; ``active`` leaves paused ones out."""
        query = select(NoticeRule).order_by(col(NoticeRule.id))
        if team_id is not None:
            query = query.where(NoticeRule.team_id == team_id)
        if user_id is not None:
            query = query.where(NoticeRule.slack_user_id == user_id)
        if kind is not None:
            query = query.where(NoticeRule.kind == kind)
        if active:
            query = query.where(col(NoticeRule.paused_reason).is_(None))
        async with self._store.session() as s:
            return list(await s.exec(query))

    async def remove_rules(self, ids: Sequence[int], events: Sequence[AuditEvent]) -> int:
        """Delete rules and audit it; how many went. Their unposted notices are deleted, not
        kept as skipped: a row is one per (target, recording), so another rule of the same
        target that takes the recording makes it again at the next poll."""
        if not ids:
            return 0
        async with self._store.session() as s:
            result = await s.exec(delete(NoticeRule).where(col(NoticeRule.id).in_(ids)))
            await s.exec(delete(NoticeDelivery).where(col(NoticeDelivery.rule_id).in_(ids), *_OPEN))
            s.add_all(events)
            await s.commit()
            return int(result.rowcount)

    async def pause_rule(self, rule_id: int, reason: str, event: AuditEvent) -> bool:
        """Pause a running rule (False when it was paused or removed already)."""
        async with self._store.session() as s:
            result = await s.exec(
                update(NoticeRule)
                .where(col(NoticeRule.id) == rule_id, col(NoticeRule.paused_reason).is_(None))
                .values(paused_reason=reason)
            )
            if result.rowcount:
                await s.exec(
                    update(NoticeDelivery)
                    .where(col(NoticeDelivery.rule_id) == rule_id, *_OPEN)
                    .values(state=SKIPPED, lease_owner=None, lease_until=None)
                )
                s.add(event)
            await s.commit()
            return bool(result.rowcount)

    async def rules_by_id(self, ids: Iterable[int]) -> dict[int, NoticeRule]:
        async with self._store.session() as s:
            found = await s.exec(select(NoticeRule).where(col(NoticeRule.id).in_(list(ids))))
            return {rule.id: rule for rule in found if rule.id is not None}

    async def owners(self, people: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Link]:
        """The current link of each (team, Slack user); the unlinked are missing."""
        wanted = set(people)
        users = {user for _, user in wanted}
        if not users:
            return {}
        async with self._store.session() as s:
            found = await s.exec(select(Link).where(col(Link.slack_user_id).in_(users)))
            links = {(link.team_id, link.slack_user_id): link for link in found}
        return {key: link for key, link in links.items() if key in wanted}

    async def shared_channels(self) -> set[tuple[str, str]]:
        """(team, channel) of every channel where sharing is allowed, in one query."""
        async with self._store.session() as s:
            found = await s.exec(
                select(ChannelSetting.team_id, ChannelSetting.channel_id).where(
                    col(ChannelSetting.allow_share).is_(True)
                )
            )
            return {(team, channel) for team, channel in found}

    # -- sources -----------------------------------------------------------------------------

    async def sync_sources(self, wanted: Mapping[str, tuple[str | None, datetime]]) -> None:
        """Make the source rows exactly ``wanted``: id -> (on-demand VBC user, first due)."""
        async with self._store.session() as s:
            have = set(await s.exec(select(NoticeSource.id)))
            gone = have - wanted.keys()
            if gone:
                await s.exec(delete(NoticeSource).where(col(NoticeSource.id).in_(gone)))
            await self._insert_ignore(
                s,
                NoticeSource,
                [
                    {"id": sid, "vbc_user_id": user, "next_poll_at": due}
                    for sid, (user, due) in wanted.items()
                    if sid not in have
                ],
            )
            await s.commit()

    async def claim_sources(
        self, owner: str, *, now: datetime, until: datetime, limit: int
    ) -> list[NoticeSource]:
        async with self._store.session() as s:
            ids = await SOURCE_LEASE.claim(s, owner, now=now, until=until, limit=limit)
            await s.commit()
            if not ids:
                return []
            found = await s.exec(
                select(NoticeSource).where(
                    col(NoticeSource.id).in_(ids), SOURCE_LEASE.held_by(owner)
                )
            )
            return sorted(found, key=lambda src: src.id)

    async def finish_source(
        self,
        source_id: str,
        owner: str,
        *,
        watermark: datetime | None,
        next_poll_at: datetime,
        deliveries: Sequence[NoticeDelivery],
    ) -> bool:
        """Store what one listing found, then let the source go, in one transaction.

        A delivery already on record (another process, an earlier pass) stays as it is.
        """
        async with self._store.session() as s:
            held = await SOURCE_LEASE.release(
                s, [source_id], owner, watermark=watermark, next_poll_at=next_poll_at
            )
            if held:
                await self._insert_ignore(s, NoticeDelivery, [d.model_dump() for d in deliveries])
            await s.commit()
        return bool(held)

    async def store_found(
        self,
        source_id: str,
        owner: str,
        *,
        until: datetime,
        deliveries: Sequence[NoticeDelivery],
    ) -> bool:
        """Store what a listing found so far and renew its lease, in one transaction; False
        (nothing stored) when ``owner`` no longer holds the source."""
        async with self._store.session() as s:
            held = await SOURCE_LEASE.renew(s, [source_id], owner, until=until)
            if held:
                await self._insert_ignore(s, NoticeDelivery, [d.model_dump() for d in deliveries])
            await s.commit()
        return bool(held)

    async def next_source_due(self) -> datetime | None:
        async with self._store.session() as s:
            return await SOURCE_LEASE.next_free(s)

    # -- deliveries --------------------------------------------------------------------------

    async def claim_deliveries(
        self, owner: str, *, now: datetime, until: datetime, limit: int
    ) -> list[NoticeDelivery]:
        """Lease due notices; oldest due first, in a stable order for the caller."""
        async with self._store.session() as s:
            ids = await DELIVERY_LEASE.claim(s, owner, now=now, until=until, limit=limit)
            await s.commit()
            if not ids:
                return []
            found = await s.exec(
                select(NoticeDelivery).where(
                    col(NoticeDelivery.id).in_(ids), DELIVERY_LEASE.held_by(owner)
                )
            )
            return sorted(found, key=lambda d: (d.due_at, d.created_at, d.id))

    async def next_delivery_due(self) -> datetime | None:
        async with self._store.session() as s:
            return await DELIVERY_LEASE.next_free(s)

    async def posts_since_by_target(
        self, targets: Collection[str], since: datetime
    ) -> dict[str, list[datetime]]:
        """When each message to each target since ``since`` was posted (a digest counts once),
        oldest first, in one query; a target without posts has []."""
        found: dict[str, list[datetime]] = {target: [] for target in targets}
        if not targets:
            return found
        async with self._store.session() as s:
            rows = await s.exec(
                select(NoticeDelivery.target, func.min(NoticeDelivery.posted_at))
                .where(
                    col(NoticeDelivery.target).in_(list(targets)),
                    NoticeDelivery.state == POSTED,
                    col(NoticeDelivery.posted_at) >= since,
                )
                .group_by(col(NoticeDelivery.target), col(NoticeDelivery.posted_ts))
            )
            for target, when in rows:
                if when is not None:
                    found[target].append(when)
        for times in found.values():
            times.sort()
        return found

    async def channel_settings(
        self, channels: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], ChannelSetting]:
        """The settings of (team, channel) pairs in one query; one never set is the default."""
        found = {(t, c): ChannelSetting(team_id=t, channel_id=c) for t, c in channels}
        if not channels:
            return found
        async with self._store.session() as s:
            rows = await s.exec(
                select(ChannelSetting).where(
                    col(ChannelSetting.channel_id).in_({c for _, c in channels})
                )
            )
            for setting in rows:
                key = (setting.team_id, setting.channel_id)
                if key in found:
                    found[key] = setting
        return found

    async def digest_due(self, target: str, *, after: datetime) -> datetime | None:
        """When the digest being collected for ``target`` goes out, if one is due after
        ``after`` (one due already is being posted: what is collected now waits for the next)."""
        async with self._store.session() as s:
            found: datetime | None = (
                await s.exec(
                    select(func.min(NoticeDelivery.due_at)).where(
                        NoticeDelivery.target == target,
                        NoticeDelivery.state == DIGEST,
                        col(NoticeDelivery.due_at) > after,
                    )
                )
            ).one()
            return aware(found) if found is not None else None

    async def record_posted(
        self, ids: Sequence[str], owner: str, *, channel: str, ts: str, now: datetime
    ) -> set[str]:
        """Slack answered: the message is on record at once. Returns the ids this owner still
        held; one it lost was taken over, and the caller deletes its own copy."""
        async with self._store.session() as s:
            done = await DELIVERY_LEASE.release(
                s,
                ids,
                owner,
                where=[*_OPEN, col(NoticeDelivery.posted_ts).is_(None)],
                state=POSTED,
                posted_channel=channel,
                posted_ts=ts,
                posted_at=now,
            )
            await s.commit()
        return done

    async def release(
        self,
        ids: Iterable[str],
        owner: str,
        *,
        state: str | None = None,
        due_at: datetime | None = None,
    ) -> set[str]:
        """Let rows go (in ``state``; claimed again from ``due_at``)."""
        values: dict[str, object] = {}
        if state is not None:
            values["state"] = state
        if due_at is not None:
            values["due_at"] = due_at
        async with self._store.session() as s:
            done = await DELIVERY_LEASE.release(s, list(ids), owner, where=_OPEN, **values)
            await s.commit()
        return done

    async def retry_later(
        self, row_id: str, owner: str, *, attempts: int, due_at: datetime
    ) -> None:
        async with self._store.session() as s:
            await DELIVERY_LEASE.release(
                s, [row_id], owner, where=_OPEN, attempts=attempts, due_at=due_at
            )
            await s.commit()

    async def prune_settled(self, overlap: timedelta, *, now: datetime) -> int:
        """Forget posted, skipped and failed rows no listing can reach again; how many went.

        A listing reaches back ``overlap`` before its source's watermark (a new source: before
        now), and a row is made after its recording started, so a row made before the lowest
        watermark minus the overlap is for a recording never listed again. An hour's margin
        covers clocks of several processes.
        """
        async with self._store.session() as s:
            lowest = (await s.exec(select(func.min(NoticeSource.watermark)))).one()
            reach = min(aware(lowest), now) if lowest is not None else now
            cutoff = reach - overlap - timedelta(hours=1)
            result = await s.exec(
                delete(NoticeDelivery).where(
                    col(NoticeDelivery.state).in_((POSTED, SKIPPED, FAILED)),
                    col(NoticeDelivery.created_at) < cutoff,
                )
            )
            await s.commit()
            return int(result.rowcount)

    async def deliveries(self, *, rule_id: int | None = None) -> list[NoticeDelivery]:
        """Every delivery row (of one rule), for tests, the benchmark and support."""
        query = select(NoticeDelivery).order_by(col(NoticeDelivery.created_at))
        if rule_id is not None:
            query = query.where(NoticeDelivery.rule_id == rule_id)
        async with self._store.session() as s:
            return list(await s.exec(query))

    @staticmethod
    async def _insert_ignore(
        s: AsyncSession, model: type[SQLModel], rows: list[dict[str, object]]
    ) -> None:
        """INSERT ... ON CONFLICT DO NOTHING on both dialects (the key decides "once")."""
        table = table_of(model)
        insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
        for start in range(0, len(rows), _INSERT_BATCH):
            batch = rows[start : start + _INSERT_BATCH]
            await s.exec(insert(table).values(batch).on_conflict_do_nothing())

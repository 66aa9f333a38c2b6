"""Store: the bot's persistence over one async engine; one short session per method.

Every time the store writes or compares comes from the injected clock (the table defaults are
only a fallback for rows made elsewhere). Past 300 lines because it is a list of short,
independent one-session methods, one section per table; anything with rules of its own has
its own module (``exports``, ``links``, ``lease``, ``installations``).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.store.links import LinkRows
from bot.store.operations import OperationRows
from bot.store.tables import (
    AppSecret,
    AuditEvent,
    ChannelSetting,
    ConnectNonce,
    DeletionJob,
    ExportRequest,
    Link,
    RowState,
    SearchCursor,
    SeenEvent,
    UploadedFile,
)


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class Store(LinkRows, OperationRows):
    def __init__(self, engine: AsyncEngine, *, clock: Clock) -> None:
        self.engine = engine
        self._clock = clock

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session

    async def close(self) -> None:
        await self.engine.dispose()

    def now(self) -> datetime:
        """The injected clock's time, for the store's own modules."""
        return self._clock()

    # -- links -------------------------------------------------------------------------------

    async def get_link(self, team_id: str, slack_user_id: str) -> Link | None:
        async with self.session() as s:
            return await s.get(Link, (team_id, slack_user_id))

    async def save_link(self, link: Link) -> Link:
        """Insert or update; a concurrent insert of the same person by another process wins."""
        for attempt in range(2):
            async with self.session() as s:
                merged = await s.merge(link)
                try:
                    await s.commit()
                except IntegrityError:
                    if attempt:
                        raise
                    continue
                return merged
        raise AssertionError("unreachable")

    async def delete_link(self, team_id: str, slack_user_id: str) -> bool:
        async with self.session() as s:
            result = await s.exec(
                delete(Link).where(
                    col(Link.team_id) == team_id, col(Link.slack_user_id) == slack_user_id
                )
            )
            await s.commit()
            return bool(result.rowcount)

    async def links_for_vbc_user(self, team_id: str, vbc_user_id: str) -> list[Link]:
        async with self.session() as s:
            rows = await s.exec(
                select(Link).where(Link.team_id == team_id, Link.vbc_user_id == vbc_user_id)
            )
            return list(rows)

    async def set_link_tokens(
        self, team_id: str, slack_user_id: str, tokens: str | None, *, replacing: str | None
    ) -> bool:
        """Replace a link's stored Connect VBC tokens (``None`` forgets them); False when the
        link has none, or, with ``replacing``, when they are no longer those (another process
        rotated or forgot them first)."""
        conditions = [
            col(Link.team_id) == team_id,
            col(Link.slack_user_id) == slack_user_id,
            col(Link.token_ciphertext).is_not(None),
        ]
        if replacing is not None:
            conditions.append(col(Link.token_ciphertext) == replacing)
        async with self.session() as s:
            result = await s.exec(update(Link).where(*conditions).values(token_ciphertext=tokens))
            await s.commit()
            return bool(result.rowcount)

    # -- Connect VBC sign-ins ----------------------------------------------------------------

    async def add_connect_nonce(self, nonce: ConnectNonce, *, now: datetime) -> None:
        """Remember a started sign-in; those that expired unused are dropped meanwhile."""
        async with self.session() as s:
            await s.exec(delete(ConnectNonce).where(col(ConnectNonce.expires_at) <= now))
            s.add(nonce)
            await s.commit()

    async def take_connect_nonce(
        self, digest: str, team_id: str, slack_user_id: str, *, now: datetime
    ) -> bool:
        """Use a sign-in's nonce up: True for the one caller, in any process, that deletes it
        unexpired and for this person."""
        async with self.session() as s:
            result = await s.exec(
                delete(ConnectNonce).where(
                    col(ConnectNonce.digest) == digest,
                    col(ConnectNonce.team_id) == team_id,
                    col(ConnectNonce.slack_user_id) == slack_user_id,
                    col(ConnectNonce.expires_at) > now,
                )
            )
            await s.commit()
            return bool(result.rowcount)

    # -- audit -------------------------------------------------------------------------------

    async def audit(
        self,
        team_id: str,
        actor: str,
        action: str,
        *,
        outcome: str,
        target: str | None = None,
        detail: str | None = None,
    ) -> None:
        event = AuditEvent(
            at=self._clock(),
            team_id=team_id,
            actor=actor,
            action=action,
            outcome=outcome,
            target=target[:255] if target else None,
            detail=detail[:2000] if detail else None,
        )
        async with self.session() as s:
            s.add(event)
            await s.commit()

    async def audit_events(
        self, team_id: str, query: AuditQuery, *, offset: int, limit: int
    ) -> tuple[list[AuditEvent], int]:
        """Newest first, with the total count for paging."""
        conditions = [col(AuditEvent.team_id) == team_id]
        if query.actor:
            conditions.append(col(AuditEvent.actor) == query.actor)
        if query.action:
            conditions.append(col(AuditEvent.action) == query.action)
        if query.target:
            conditions.append(col(AuditEvent.target) == query.target)
        if query.outcome:
            conditions.append(col(AuditEvent.outcome) == query.outcome)
        if query.since:
            conditions.append(col(AuditEvent.at) >= query.since)
        if query.until:
            conditions.append(col(AuditEvent.at) <= query.until)
        async with self.session() as s:
            total = (
                await s.exec(select(func.count()).select_from(AuditEvent).where(*conditions))
            ).one()
            rows = await s.exec(
                select(AuditEvent)
                .where(*conditions)
                .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                .offset(offset)
                .limit(limit)
            )
            return list(rows), int(total)

    # -- long-running requests -------------------------------------------------------------

    async def requests_in_flight(
        self, team_id: str, slack_user_id: str, *, started_after: datetime
    ) -> int:
        """A person's requests not yet ended, exports and deletions alike (one limit covers
        both): exports starting (since ``started_after``; an older one died before VBC was
        asked), running, or holding their notice; deletion jobs confirmed and not yet ended."""
        starting = and_(
            col(ExportRequest.state) == "starting", col(ExportRequest.created_at) > started_after
        )
        async with self.session() as s:
            exports = await s.exec(
                select(func.count())
                .select_from(ExportRequest)
                .where(
                    col(ExportRequest.team_id) == team_id,
                    col(ExportRequest.slack_user_id) == slack_user_id,
                    or_(col(ExportRequest.state).in_(("running", "notifying")), starting),
                )
            )
            deletions = await s.exec(
                select(func.count())
                .select_from(DeletionJob)
                .where(
                    col(DeletionJob.team_id) == team_id,
                    col(DeletionJob.requested_by) == slack_user_id,
                    col(DeletionJob.state).in_(("running", "notifying")),
                )
            )
            return int(exports.one()) + int(deletions.one())

    # -- search cursors ----------------------------------------------------------------------

    async def save_cursor(
        self, cursor: SearchCursor, event: AuditEvent | None = None
    ) -> SearchCursor:
        """Save paging state, with the page view's audit event in the same transaction."""
        now = self._clock()
        async with self.session() as s:
            if await s.get(SearchCursor, cursor.key) is None:
                cursor.created_at = now  # its age, for pruning, counts from the first save
            merged = await s.merge(cursor)
            if event is not None:
                event.at = now
                s.add(event)
            await s.commit()
            return merged

    async def get_cursor(self, key: str) -> SearchCursor | None:
        async with self.session() as s:
            return await s.get(SearchCursor, key)

    async def prune_cursors(self, older_than: timedelta) -> int:
        """Cursors past their lifetime, and row states no newer (a list's rows die with it)."""
        cutoff = self._clock() - older_than
        async with self.session() as s:
            result = await s.exec(delete(SearchCursor).where(col(SearchCursor.created_at) < cutoff))
            await s.exec(delete(RowState).where(col(RowState.updated_at) < cutoff))
            await s.commit()
            return int(result.rowcount or 0)

    async def save_row_state(self, state: RowState) -> None:
        """One action's newest step on one results row (each action owns its own row)."""
        state.updated_at = self._clock()
        async with self.session() as s:
            await s.merge(state)
            await s.commit()

    async def row_states(self, cursor_key: str) -> list[RowState]:
        async with self.session() as s:
            found = await s.exec(select(RowState).where(col(RowState.cursor_key) == cursor_key))
            return list(found.all())

    # -- channels ----------------------------------------------------------------------------

    async def get_channel(self, team_id: str, channel_id: str) -> ChannelSetting:
        async with self.session() as s:
            found = await s.get(ChannelSetting, (team_id, channel_id))
            return found or ChannelSetting(team_id=team_id, channel_id=channel_id)

    async def save_channel(self, setting: ChannelSetting) -> None:
        setting.updated_at = self._clock()
        async with self.session() as s:
            await s.merge(setting)
            await s.commit()

    # -- uploaded files ----------------------------------------------------------------------

    async def find_upload(
        self, team_id: str, conversation_id: str, recording_key: str
    ) -> UploadedFile | None:
        async with self.session() as s:
            rows = await s.exec(
                select(UploadedFile)
                .where(
                    UploadedFile.team_id == team_id,
                    UploadedFile.conversation_id == conversation_id,
                    UploadedFile.recording_key == recording_key,
                )
                .order_by(col(UploadedFile.id).desc())
            )
            return rows.first()

    async def save_upload(self, upload: UploadedFile) -> None:
        upload.created_at = self._clock()
        async with self.session() as s:
            s.add(upload)
            await s.commit()

    async def uploads_of(self, team_id: str, recording_key: str) -> list[UploadedFile]:
        """Every Slack copy of one recording the bot uploaded, in every conversation."""
        async with self.session() as s:
            rows = await s.exec(
                select(UploadedFile).where(
                    UploadedFile.team_id == team_id, UploadedFile.recording_key == recording_key
                )
            )
            return list(rows)

    async def recordings_with_uploads(self, team_id: str, keys: Collection[str]) -> set[str]:
        """Which of these recording keys have Slack copies (one query for a whole chunk)."""
        if not keys:
            return set()
        async with self.session() as s:
            rows = await s.exec(
                select(UploadedFile.recording_key)
                .where(UploadedFile.team_id == team_id, col(UploadedFile.recording_key).in_(keys))
                .distinct()
            )
            return set(rows)

    async def forget_upload(self, file_id: str) -> None:
        async with self.session() as s:
            await s.exec(delete(UploadedFile).where(col(UploadedFile.file_id) == file_id))
            await s.commit()

    async def prune_seen_events(self, older_than: timedelta) -> int:
        async with self.session() as s:
            result = await s.exec(
                delete(SeenEvent).where(col(SeenEvent.received_at) < self._clock() - older_than)
            )
            await s.commit()
            return int(result.rowcount or 0)

    # -- events and secrets ------------------------------------------------------------------

    async def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen; Slack retries get False."""
        async with self.session() as s:
            s.add(SeenEvent(event_id=event_id, received_at=self._clock()))
            try:
                await s.commit()
            except IntegrityError:
                return False
            return True

    async def secret(self, name: str, make: Callable[[], str] | None = None) -> str:
        """The named secret, created once for all processes sharing this database."""
        async with self.session() as s:
            found = await s.get(AppSecret, name)
            if found is not None:
                return found.value
            s.add(AppSecret(name=name, value=(make or _new_secret)()))
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
            stored = await s.get(AppSecret, name, populate_existing=True)
            assert stored is not None
            return stored.value


def _new_secret() -> str:
    return secrets.token_urlsafe(32)

"""Slack OAuth installations in slack_sdk's SQLAlchemy store, their tokens encrypted at rest.

slack_sdk writes bot and user tokens in plain text; ``EncryptedInstallationStore`` encrypts
them with BOT_SECRET_KEY before they reach its tables and decrypts them on the way out, so
Bolt, our Slack clients and slack_sdk's own queries work unchanged.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import TypeVar

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import (
    Connection,
    MetaData,
    RowMapping,
    Table,
    Text,
    and_,
    inspect,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.people.crypto import CryptoError, Secrets
from bot.store.engine import create_tables

log = logging.getLogger(__name__)

# Everything in an installation that lets its holder act as the app.
SECRET_FIELDS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
# What earlier versions stored in the clear: Slack tokens, webhook URLs.
_PLAINTEXT_PREFIXES = ("xox", "https://")

Entity = TypeVar("Entity", Installation, Bot)


class _TokenTables(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's tables with room for ciphertext: a Fernet token outgrows VARCHAR(200)."""

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _widened(super().build_installations_table(metadata, table_name))

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _widened(super().build_bots_table(metadata, table_name))


def _widened(table: Table) -> Table:
    for name in SECRET_FIELDS:
        if name in table.c:
            table.c[name].type = Text()
    return table


class EncryptedInstallationStore(AsyncInstallationStore):
    """Delegates to slack_sdk's store, sealing secrets on save and opening them on find."""

    def __init__(self, *, client_id: str, engine: AsyncEngine, secrets: Secrets) -> None:
        self._inner = _TokenTables(client_id=client_id, engine=engine, logger=log)
        self._secrets = secrets

    @property
    def logger(self) -> logging.Logger:
        return self._inner.logger

    @property
    def tables(self) -> tuple[Table, Table]:
        return self._inner.installations, self._inner.bots

    async def prepare(self) -> None:
        """Create the tables, widen old ones, and encrypt (or move to the newest key) what is
        stored, in one transaction that several starting processes take in turn."""
        await create_tables(self._inner.engine, self._inner.metadata)
        async with self._inner.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(724115)")
                await conn.run_sync(_widen_columns, self.tables)
            for table in self.tables:
                rows = (await conn.execute(select(table))).mappings().all()
                for row in rows:
                    changes = self._resealed(row)
                    if changes:
                        await conn.execute(
                            update(table).where(table.c.id == row["id"]).values(**changes)
                        )

    def _resealed(self, row: RowMapping) -> dict[str, str]:
        changes: dict[str, str] = {}
        unreadable: CryptoError | None = None
        for name in SECRET_FIELDS:
            value = row.get(name)
            if not isinstance(value, str) or not value:
                continue
            if value.startswith(_PLAINTEXT_PREFIXES):
                changes[name] = self._secrets.encrypt(value)
                continue
            try:
                resealed = self._secrets.reseal(value)
            except CryptoError as exc:
                unreadable = exc
                continue
            if resealed != value:
                changes[name] = resealed
        if unreadable is not None:
            log.error("Slack installation of team %s: %s", row["team_id"], unreadable)
        return changes

    async def installed_teams(self) -> list[str]:
        """The workspaces with a bot token stored, for readiness to check each one."""
        bots = self._inner.bots
        async with self._inner.engine.connect() as conn:
            rows = await conn.execute(
                select(bots.c.team_id)
                .where(bots.c.bot_token.is_not(None), bots.c.team_id.is_not(None))
                .distinct()
            )
            return sorted(str(row[0]) for row in rows)

    async def async_save(self, installation: Installation) -> None:
        await self._inner.async_save(self._sealed(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        await self._inner.async_save_bot(self._sealed(bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        bot = await self._inner.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(bot)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        installation = await self._inner.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        if installation is not None and not installation.bot_token:
            return None  # the app acts only as its bot: without its token there is no install
        return self._opened(installation)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._inner.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        await self._inner.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    async def async_forget_bot_token(
        self, *, enterprise_id: str | None, team_id: str | None
    ) -> None:
        """Slack revoked the bot token: drop it everywhere, keeping the rest of the install."""
        await self._inner.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self._clear(
            enterprise_id,
            team_id,
            None,
            bot_token=None,
            bot_refresh_token=None,
            bot_token_expires_at=None,
        )

    async def async_forget_user_tokens(
        self, *, enterprise_id: str | None, team_id: str | None, user_ids: Sequence[str]
    ) -> None:
        """Slack revoked these people's user tokens: drop them, keeping the bot's."""
        if user_ids:
            await self._clear(
                enterprise_id,
                team_id,
                user_ids,
                user_token=None,
                user_refresh_token=None,
                user_token_expires_at=None,
                user_scopes=None,
            )

    async def _clear(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        user_ids: Sequence[str] | None,
        **nulls: None,
    ) -> None:
        table = self._inner.installations
        where = and_(
            table.c.client_id == self._inner.client_id,
            table.c.enterprise_id == enterprise_id,
            table.c.team_id == team_id,
        )
        if user_ids is not None:
            where = and_(where, table.c.user_id.in_(user_ids))
        async with self._inner.engine.begin() as conn:
            await conn.execute(update(table).where(where).values(**nulls))

    def _sealed(self, entity: Entity) -> Entity:
        sealed = copy.copy(entity)  # the caller's object keeps its plaintext
        for name in SECRET_FIELDS:
            value = getattr(entity, name, None)
            if value:
                setattr(sealed, name, self._secrets.encrypt(value))
        return sealed

    def _opened(self, entity: Entity | None) -> Entity | None:
        if entity is None:
            return None
        try:
            for name in SECRET_FIELDS:
                value = getattr(entity, name, None)
                if value:
                    setattr(entity, name, self._secrets.decrypt(value))
        except CryptoError as exc:
            # Treated as not installed (Bolt answers so); the message says what to fix.
            log.error("Slack installation of team %s: %s", entity.team_id, exc)  # noqa: TRY400
            return None
        return entity


def _widen_columns(conn: Connection, tables: tuple[Table, ...]) -> None:
    """Tables created by earlier versions hold VARCHAR(200): too short for ciphertext."""
    for table in tables:
        for column in inspect(conn).get_columns(table.name):
            if column["name"] in SECRET_FIELDS and getattr(column["type"], "length", None):
                conn.exec_driver_sql(
                    f'ALTER TABLE "{table.name}" ALTER COLUMN "{column["name"]}" TYPE text'
                )

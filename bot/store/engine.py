"""Database engine from DATABASE_URL (async driver picked per scheme) and Alembic upgrades."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData, event, make_url
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).with_name("migrations")
DatabaseError = SQLAlchemyError  # what the driver's failures surface as, for the entrypoint


def shown_url(url: str) -> str:
    """DATABASE_URL fit for a message or a log line: the password masked."""
    return make_url(url).render_as_string(hide_password=True)


log = logging.getLogger(__name__)


def async_url(url: str) -> str:
    """Map URLs as hosting platforms give them to our async drivers."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"DATABASE_URL has no scheme: {url!r}")
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in {"postgres", "postgresql"}:
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"DATABASE_URL must be sqlite:// or postgresql://, not {scheme}://")


def _postgres_ssl(target: str) -> tuple[str, dict[str, object]]:
    """asyncpg takes ``ssl=`` rather than libpq's ``sslmode=`` that hosting platforms add."""
    parts = urlsplit(target)
    query = parse_qsl(parts.query, keep_blank_values=True)
    mode = next((v for k, v in query if k == "sslmode"), None)
    if mode is None:
        return target, {}
    kept = urlencode([(k, v) for k, v in query if k != "sslmode"])
    args: dict[str, object] = {} if mode == "disable" else {"ssl": mode}
    return urlunsplit(parts._replace(query=kept)), args


def create_engine(url: str) -> AsyncEngine:
    target = async_url(url)
    if target.startswith("sqlite"):
        memory = ":memory:" in target or target.endswith("://")
        database = make_url(target).database or ""
        if not memory and not database.startswith("file:"):  # file: URIs are SQLite's to open
            _create_owner_only(Path(database))
        engine = create_async_engine(
            target,
            connect_args={"timeout": 30},
            poolclass=StaticPool if memory else None,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    target, connect_args = _postgres_ssl(target)
    return create_async_engine(
        target, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=connect_args
    )


def _create_owner_only(path: Path) -> None:
    """Create the SQLite file as mode 0600 before SQLite would (with the umask's, often 0644);
    its -wal and -shm files take the database file's mode."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning("the database %s is readable by others (mode %o): chmod 600 it", path, mode)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets readers and the export watcher's writer work side by side.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def create_tables(engine: AsyncEngine, *metadata: MetaData) -> None:
    """Tables owned by libraries (slack_sdk's OAuth stores), made once even if many start."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(724115)")
        for each in metadata:
            await conn.run_sync(each.create_all)


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (safe to call from every process at start)."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several processes start at once: one migrates, the others wait for it.
            await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(724115)")
        await conn.run_sync(upgrade)


async def schema_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at; None when it was never migrated. Raises when the
    database cannot be reached."""
    async with engine.connect() as conn:
        has_table = await conn.run_sync(lambda sync: sa_inspect(sync).has_table("alembic_version"))
        if not has_table:
            return None
        found = await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
        row = found.first()
        return str(row[0]) if row else None

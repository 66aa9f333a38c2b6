"""Alembic migrations from an empty database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.store.engine import alembic_config, create_engine, migrate

TABLES = {
    "links",
    "audit_events",
    "search_cursors",
    "channel_settings",
    "uploaded_files",
    "export_requests",
    "export_jobs",
    "seen_events",
    "app_secrets",
    "unlinked_people",
    "row_states",
    "notice_rules",
    "notice_sources",
    "notice_deliveries",
}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


async def test_migrations_build_the_schema_from_empty_and_are_idempotent(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        await migrate(engine)  # every process runs it on start
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        assert tables >= TABLES
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert version == head
    finally:
        await engine.dispose()

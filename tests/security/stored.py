"""What a database holds, as text: every row of every table, for scans of secrets at rest."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.store.engine import create_engine


async def every_stored_value(database_url: str) -> str:
    """One line per row, tables named, so a found secret says where it was."""
    engine = create_engine(database_url)
    lines: list[str] = []
    try:
        async with engine.connect() as conn:

            def table_names(sync: Connection) -> list[str]:
                return inspect(sync).get_table_names()

            for name in await conn.run_sync(table_names):
                rows = await conn.execute(text(f'SELECT * FROM "{name}"'))
                lines.extend(f"{name}: {tuple(row)!r}" for row in rows)
    finally:
        await engine.dispose()
    return "\n".join(lines)


def found_in(haystack: str, needles: list[str]) -> list[str]:
    """Where any needle occurs, as ``<line start> holds needle #<i>``, for assertion messages."""
    return [
        f"{line[:40]} holds needle #{i}"
        for line in haystack.splitlines()
        for i, needle in enumerate(needles)
        if needle and needle in line
    ]

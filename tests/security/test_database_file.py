"""The SQLite file, which holds the bot's encrypted tokens, is readable by its owner only."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import system_clock
from bot.store import Store
from bot.store.engine import create_engine, migrate


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask: what a container or a careless service unit may run with."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
async def test_a_fresh_database_and_its_wal_files_are_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    store = Store(create_engine(f"sqlite:///{path}"), clock=system_clock)
    try:
        await migrate(store.engine)
        assert await store.first_delivery("Ev01")  # a write, with the WAL open
        wal, shm = path.with_name("fresh.db-wal"), path.with_name("fresh.db-shm")
        assert wal.exists()
        assert shm.exists()
        assert {p.name: mode(p) for p in (path, wal, shm)} == {
            "fresh.db": 0o600,
            "fresh.db-wal": 0o600,
            "fresh.db-shm": 0o600,
        }
    finally:
        await store.close()


async def test_an_existing_database_readable_by_others_is_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.db"
    path.touch()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="bot.store.engine"):
        engine = create_engine(f"sqlite:///{path}")
        await engine.dispose()
    assert mode(path) == 0o644  # not changed behind the operator's back
    [warning] = caplog.records
    assert str(path) in warning.getMessage()
    assert "chmod 600" in warning.getMessage()

    path.chmod(0o600)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.store.engine"):
        await create_engine(f"sqlite:///{path}").dispose()
    assert caplog.records == []

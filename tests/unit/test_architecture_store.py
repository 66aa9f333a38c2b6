"""All SQL lives in bot/store/: no other module imports SQLAlchemy or SQLModel or opens a session.

Read from the source (``ast``), so a lazy import inside a function counts as much as one at the
top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import REPO

STORE = REPO / "bot" / "store"
# Each entry: why this module may use SQLAlchemy outside the store. Keep it short.
ALLOWED = {
    "bot/app.py": (
        "the composition root builds slack_sdk's SQLAlchemy installation and OAuth state "
        "stores on the store's engine (the house style reuses them rather than our own)"
    ),
}
DATABASE_PACKAGES = {"sqlalchemy", "sqlmodel"}


def imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module]
    return []


def uses_of_the_database(source: str) -> list[str]:
    """What in ``source`` reaches the database directly, one line per use."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        for name in imported(node):
            parts = name.split(".")
            # A root package, or a library's SQLAlchemy adapter (slack_sdk's ``.sqlalchemy``).
            if parts[0] in DATABASE_PACKAGES or DATABASE_PACKAGES & set(parts[1:]):
                found.append(f"line {line}: imports {name}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "session"
        ):
            found.append(f"line {line}: calls .session()")
    return found


def modules_outside_the_store() -> list[Path]:
    paths = [*(REPO / "bot").rglob("*.py"), *(REPO / "handlers").rglob("*.py")]
    return sorted(p for p in paths if not p.is_relative_to(STORE))


def test_the_scanner_sees_every_way_in() -> None:
    source = """
import sqlalchemy as sa
from sqlmodel import select
from sqlalchemy.exc import IntegrityError
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from bot.store import Store
from .sqlalchemy_named_sibling import thing

def lazy():
    from sqlalchemy import update
    async with store.session() as s:
        pass
"""
    assert [use.split(": ", 1)[1] for use in uses_of_the_database(source)] == [
        "imports sqlalchemy",
        "imports sqlmodel",
        "imports sqlalchemy.exc",
        "imports slack_sdk.oauth.state_store.sqlalchemy",
        "imports sqlalchemy",
        "calls .session()",
    ]


def test_no_module_outside_the_store_reaches_the_database() -> None:
    modules = modules_outside_the_store()
    assert len(modules) > 100, "the scan found the source tree"
    offenders = {}
    for path in modules:
        uses = uses_of_the_database(path.read_text())
        name = path.relative_to(REPO).as_posix()
        if uses and name not in ALLOWED:
            offenders[name] = uses
    assert offenders == {}, "SQL belongs in bot/store/ (a method named for what it does)"


def test_every_allowance_is_still_needed_and_session_free() -> None:
    for name, reason in ALLOWED.items():
        uses = uses_of_the_database((REPO / name).read_text())
        assert uses, f"{name} no longer needs its allowance ({reason}); remove it"
        assert not [u for u in uses if "session" in u], f"{name} may import, not open sessions"

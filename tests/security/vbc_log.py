"""What the VBC simulator saw, by path and by whose token; and a command's reply."""

from __future__ import annotations

from typing import Any

from tests.integration.access import latest_reply, seen_count
from tests.integration.conftest import Stack


def vbc_requests(stack: Stack, path_part: str) -> list[dict[str, Any]]:
    """Logged API requests whose path contains ``path_part`` (with ``caller``, ``bearer``)."""
    return [e for e in stack.sim.state.requests if path_part in e["path"]]


def own_list_path(stack: Stack, index: int = 0) -> str:
    """The on-demand path of the simulator's ``index``-th user (0: MEMBER)."""
    return f"/users/{stack.sim.state.users[index].id}/call_recordings"


def callers(entries: list[dict[str, Any]]) -> set[int | None]:
    return {e["caller"] for e in entries}


async def say(stack: Stack, user: str, text: str) -> str:
    before = seen_count(stack, user)
    await stack.driver.command(user, text)
    return (await latest_reply(stack, user, before, timeout=20)).text

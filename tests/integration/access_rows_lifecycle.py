"""The access matrix's legal hold and retention rows: admins only, members refused (audited).

Each row runs the command as typed; "whose" is always "other": holds and retention are about
everyone's recordings.
"""

from __future__ import annotations

from tests.integration.access import (
    Outcome,
    Row,
    Whose,
    latest_reply,
    member_recording,
    seen_count,
)
from tests.integration.conftest import ADMIN, Stack


async def _run(stack: Stack, actor: str, words: str) -> Outcome:
    before = seen_count(stack, actor)
    await stack.driver.command(actor, words)
    return await latest_reply(stack, actor, before)


async def do_hold(stack: Stack, actor: str, whose: Whose) -> Outcome:
    return await _run(stack, actor, f'hold {member_recording(stack).id} reason:"matrix"')


async def do_holds(stack: Stack, actor: str, whose: Whose) -> Outcome:
    return await _run(stack, actor, "holds")


async def do_release(stack: Stack, actor: str, whose: Whose) -> Outcome:
    await _run(stack, ADMIN, f'hold {member_recording(stack).id} reason:"to release"')
    return await _run(stack, actor, "release 1")


async def do_retention(stack: Stack, actor: str, whose: Whose) -> Outcome:
    return await _run(stack, actor, "retention slack 30")


ROWS: list[Row] = [
    Row(actor, action, "other", "allowed" if actor == "admin" else "refused", perform)
    for action, perform in (
        ("hold", do_hold),
        ("holds", do_holds),
        ("release", do_release),
        ("retention", do_retention),
    )
    for actor in ("member", "other member", "unlinked", "admin")
]

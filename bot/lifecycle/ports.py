"""What every delete path asks before it deletes: is this recording under a legal hold?

Deletion (single, bulk, retention) depends on this question, not on how holds are kept, so
each can be built and tested on its own; ``NoHolds`` is the answer where holds do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.vbc.models import Recording


@dataclass(frozen=True)
class HoldRef:
    """The hold that stops a deletion, as a refusal names it."""

    hold_id: int
    reason: str


class HoldCheck(Protocol):
    async def hold_on(self, recording: Recording) -> HoldRef | None:
        """The hold covering this recording now, if any (by id, or by its stored filter)."""
        ...


class NoHolds:
    async def hold_on(self, recording: Recording) -> HoldRef | None:  # noqa: ARG002
        return None

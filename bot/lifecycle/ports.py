"""The seams between deletion, legal holds and retention.

Every delete path (single, bulk, retention) asks ``HoldCheck`` before it deletes, without
knowing how holds are kept; retention hands the exact recordings it announced to
``DeletionJobs``, the same durable job a bulk delete runs. Each side is built and tested on
its own; ``NoHolds`` is the answer where holds do not apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.vbc.models import Recording, RecordingKind


@dataclass(frozen=True)
class RecordingRef:
    """Enough to delete one recording at VBC: its kind, id and (on-demand) owner."""

    kind: RecordingKind
    id: int
    owner_user_id: str | None = None  # the VBC user of an on-demand recording

    @property
    def key(self) -> str:
        """As ``uploaded_files.recording_key`` and the search cursor spell it."""
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def of(cls, recording: Recording) -> RecordingRef:
        return cls(recording.kind, recording.id, recording.owner_user_id)


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


class DeletionJobs(Protocol):
    async def start(
        self,
        team_id: str,
        refs: Sequence[RecordingRef],
        *,
        origin: str,  # "bulk" or "retention"
        requested_by: str,  # Slack user id: the job's progress message and notice go to them
        reason: str = "",
    ) -> int:
        """Create a durable job deleting exactly ``refs`` (holds checked per recording)."""
        ...

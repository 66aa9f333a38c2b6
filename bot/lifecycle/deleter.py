"""Deleting one recording at VBC: the hold asked first, VBC's answer read, Slack copies after.

Single deletes and deletion jobs both come here, so every path asks ``HoldCheck`` and treats
VBC's answers alike: 404 means the recording is already gone (a DELETE repeated after a crash
is one), 429/5xx after the client's own retries mean "try again later".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.lifecycle.ports import HoldCheck, HoldRef, RecordingRef
from bot.lifecycle.slack_copies import SlackCopies
from bot.vbc.client import VbcClient
from bot.vbc.errors import (
    VbcError,
    VbcNotFoundError,
    VbcRateLimitedError,
    VbcUnavailableError,
)
from bot.vbc.models import Recording, RecordingKind

AUDIT_ACTION = "delete"


class Outcome(StrEnum):
    DELETED = "deleted"
    GONE = "gone"  # VBC answered 404: deleted before (by us after a crash, or elsewhere)
    HELD = "held"
    FAILED = "failed"
    RETRY = "retry"  # rate limited or unavailable after the retries: later, not never


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str = ""
    hold: HoldRef | None = None
    retry_after: float | None = None
    copies: int = 0  # Slack copies deleted with it

    @property
    def audit_outcome(self) -> str:
        if self.outcome in (Outcome.DELETED, Outcome.GONE):
            return "allowed"
        return "refused" if self.outcome is Outcome.HELD else "failed"


def held_words(hold: HoldRef) -> str:
    return f"held by legal hold #{hold.hold_id} ({hold.reason})"


class Deleter:
    def __init__(self, *, holds: HoldCheck, copies: SlackCopies) -> None:
        self.holds = holds
        self.copies = copies

    async def delete(
        self,
        vbc: VbcClient,
        recording: Recording,
        *,
        team_id: str,
        actor: str,
        has_copies: bool = True,
    ) -> Result:
        """Ask the hold, then VBC; a recording gone from VBC loses its Slack copies too.

        ``has_copies=False``: the caller knows there are none (a bulk job asks once a chunk).
        """
        hold = await self.holds.hold_on(recording)
        if hold is not None:
            return Result(Outcome.HELD, held_words(hold), hold=hold)
        ref = RecordingRef.of(recording)
        result = await self.delete_at_vbc(vbc, ref)
        if has_copies and result.outcome in (Outcome.DELETED, Outcome.GONE):
            copies = await self.copies.delete_for(team_id, ref.key, actor=actor)
            return Result(result.outcome, result.detail, copies=copies)
        return result

    async def delete_at_vbc(self, vbc: VbcClient, ref: RecordingRef) -> Result:
        try:
            if ref.kind is RecordingKind.ON_DEMAND:
                if not ref.owner_user_id:
                    return Result(Outcome.FAILED, "an on-demand recording without its owner")
                await vbc.delete_user_recording(ref.owner_user_id, ref.id)
            else:
                await vbc.delete_company_recording(ref.id)
        except VbcNotFoundError:
            return Result(Outcome.GONE, "already gone at VBC")
        except VbcRateLimitedError as exc:
            return Result(Outcome.RETRY, str(exc), retry_after=exc.retry_after)
        except VbcUnavailableError as exc:
            return Result(Outcome.RETRY, str(exc))
        except VbcError as exc:
            return Result(Outcome.FAILED, str(exc))
        return Result(Outcome.DELETED)

"""Legal holds: admins place and release them; every delete path asks ``hold_on`` first.

A hold by id names one recording (a kind, or either kind when none was given); a hold by
filters keeps the search as ``Criteria`` made when the hold is made (time words are instants
then, ``user:@person`` that person's VBC user), so it covers recordings matching now and
later, as ``bot.grammar.criteria.matches`` reads them. Without ``user:`` it covers everyone's.
The VBC account is one for every workspace the bot serves, so a hold binds every workspace.
Holds bind this bot only: VBC's portal and VBC's own retention do not know them.
"""

from __future__ import annotations

import json
import logging

from bot import blocks
from bot.blocks.lifecycle_views import render_holds
from bot.clock import Clock
from bot.grammar import FilterError
from bot.grammar.criteria import Criteria, Owner, matches
from bot.grammar.holds import HoldWords, LifecycleWordsError, parse_hold, parse_release
from bot.lifecycle.ports import HoldRef
from bot.people.asker import Asker
from bot.people.directory import Directory
from bot.people.policy import AccessRefusedError
from bot.search.service import RecordingsService
from bot.store import Store
from bot.store.holds import HoldRows
from bot.store.tables import LegalHold
from bot.vbc.errors import VbcError, VbcNotFoundError
from bot.vbc.models import Recording, RecordingKind

log = logging.getLogger(__name__)
Message = blocks.Message
ADMINS_ONLY = "Only recordings admins can {what}."


class HoldService:
    def __init__(
        self,
        *,
        store: Store,
        rows: HoldRows,
        recordings: RecordingsService,
        directory: Directory,
        clock: Clock,
        admins: frozenset[str],
    ) -> None:
        self._store = store
        self._rows = rows
        self._recordings = recordings
        self._directory = directory
        self._clock = clock
        self._admins = admins

    # -- the seam every delete path uses -----------------------------------------------------

    async def hold_on(self, recording: Recording) -> HoldRef | None:
        """The oldest standing hold covering ``recording``, if any."""
        for hold in await self._rows.active():
            if covers(hold, recording):
                return HoldRef(hold_id=hold.id or 0, reason=hold.reason)
        return None

    async def active(self, team_id: str) -> list[LegalHold]:
        return await self._rows.active(team_id)

    # -- admin commands ----------------------------------------------------------------------

    async def hold(self, asker: Asker, text: str) -> Message:
        if refusal := await self._refuse(asker, "hold", "place legal holds", text):
            return refusal
        try:
            words = parse_hold(text)
            hold = await self._make(asker, words)
        except (LifecycleWordsError, FilterError, AccessRefusedError) as exc:
            return blocks.render_error(str(exc))
        except VbcError as exc:
            await self._audit(asker, "hold", "failed", None, f"{text[:200]}: {exc}")
            return blocks.render_error(str(exc))
        hold = await self._rows.add(hold)
        await self._audit(
            asker, "hold", "allowed", f"hold:{hold.id}", f"{hold.description}; {hold.reason}"
        )
        return blocks.render_notice(
            f":lock: *Hold {hold.id}* placed on {hold.description}. No delete of this bot "
            "(single, bulk or retention, and of its Slack copies) touches what it covers until "
            f"`/recordings release {hold.id}`. It binds this bot only, not VBC's portal or "
            "VBC's own retention."
        )

    async def listing(self, asker: Asker) -> Message:
        if refusal := await self._refuse(asker, "holds", "list legal holds", "holds"):
            return refusal
        standing = await self._rows.active(asker.team_id)
        await self._audit(asker, "holds", "allowed", None, f"{len(standing)} standing")
        return render_holds(standing)

    async def release(self, asker: Asker, text: str) -> Message:
        if refusal := await self._refuse(asker, "release", "release legal holds", text):
            return refusal
        try:
            hold_id = parse_release(text.split())
        except LifecycleWordsError as exc:
            return blocks.render_error(str(exc))
        hold = await self._rows.get(hold_id)
        if hold is None or hold.team_id != asker.team_id:
            await self._audit(asker, "release", "refused", f"hold:{hold_id}", "no such hold")
            return blocks.render_error(
                f"There is no hold {hold_id}. `/recordings holds` lists the holds that stand."
            )
        if not await self._rows.release(hold_id, asker.team_id, by=asker.user_id, at=self._clock()):
            fresh = await self._rows.get(hold_id) or hold
            await self._audit(asker, "release", "refused", f"hold:{hold_id}", "already released")
            return blocks.render_error(
                f"Hold {hold_id} was already released by <@{fresh.released_by}>."
            )
        await self._audit(
            asker, "release", "allowed", f"hold:{hold_id}", f"{hold.description}; {hold.reason}"
        )
        return blocks.render_notice(
            f":unlock: Hold {hold_id} ({hold.description}) is released. Recordings it covered "
            "can be deleted again, unless another hold covers them."
        )

    # -- helpers -----------------------------------------------------------------------------

    async def _make(self, asker: Asker, words: HoldWords) -> LegalHold:
        base = LegalHold(
            team_id=asker.team_id,
            description="",
            reason=words.reason,
            created_by=asker.user_id,
            created_at=self._clock(),
        )
        if words.recording_id is not None:
            kind = await self._kind_of(asker, words)
            base.recording_kind = kind.value if kind else None
            base.recording_id = int(words.recording_id)
            named = f"{kind.value} " if kind else ""
            base.description = f"{named}recording {words.recording_id}"
            return base
        request = await self._recordings.parse(asker, words.filters)
        if request.is_empty():
            raise LifecycleWordsError("say what to hold: an id or filters", "/recordings hold")
        owner: Owner | None = None
        if request.user:
            identity = await self._directory.identity_of(asker.team_id, request.user)
            if identity is None:
                raise AccessRefusedError(
                    f"<@{request.user}> is not linked to a VBC user; link them first with "
                    f"`/recordings link <@{request.user}> <VBC user id or email>`."
                )
            owner = Owner(identity.vbc_user_id, identity.extensions)
        criteria = Criteria.of(request, owner=owner)
        base.criteria = json.dumps(criteria.to_json())
        base.description = f"recordings matching `{words.filters[:400].replace('`', chr(39))}`"
        return base

    async def _kind_of(self, asker: Asker, words: HoldWords) -> RecordingKind | None:
        """The recording's kind, found at VBC as ``get`` finds it; an explicit on-demand id
        (someone else's, which the bot cannot look up without its owner) is held as typed."""
        if words.kind is RecordingKind.ON_DEMAND:
            return words.kind
        kinds = [words.kind] if words.kind else [RecordingKind.ON_DEMAND, RecordingKind.COMPANY]
        person = await self._directory.person(asker.team_id, asker.user_id)
        own = person.identity.vbc_user_id if person.identity else None
        number = int(words.recording_id or 0)
        for kind in kinds:
            if kind is RecordingKind.ON_DEMAND and own is None:
                continue
            ref = blocks.RecordingRef(
                kind, number, own if kind is RecordingKind.ON_DEMAND else None
            )
            try:
                return (await self._recordings.load(asker, ref, "hold")).kind
            except VbcNotFoundError:
                continue
        raise AccessRefusedError(
            f"VBC has no recording {number} I can find (company, or your own on-demand). "
            f"Check the id; someone else's on-demand recording is held as `od:{number}`."
        )

    async def _refuse(self, asker: Asker, action: str, what: str, text: str) -> Message | None:
        if asker.user_id in self._admins:
            return None
        await self._audit(asker, action, "refused", None, f"not an admin: {text[:200]}")
        return blocks.render_error(ADMINS_ONLY.format(what=what))

    async def _audit(
        self, asker: Asker, action: str, outcome: str, target: str | None, detail: str
    ) -> None:
        await self._store.audit(
            asker.team_id, asker.user_id, action, outcome=outcome, target=target, detail=detail
        )


def covers(hold: LegalHold, recording: Recording) -> bool:
    """Does this hold cover this recording? By id (and kind, if it named one) or by filter."""
    if hold.recording_id is not None:
        return hold.recording_id == recording.id and (
            hold.recording_kind is None or hold.recording_kind == recording.kind.value
        )
    if hold.criteria is None:
        return False
    return matches(Criteria.from_json(json.loads(hold.criteria)), recording)

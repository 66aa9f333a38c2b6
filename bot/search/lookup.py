"""One recording for one person: access re-checked, fetched from VBC, audited, rendered."""

from __future__ import annotations

from bot import blocks
from bot.lifecycle.rules import may_delete
from bot.people.asker import Asker
from bot.people.directory import Directory
from bot.people.policy import NOT_FOUND_OR_NOT_YOURS, NOT_LINKED, AccessRefusedError, may_see
from bot.people.vbc_access import AccessFor, VbcAccess, integration_only
from bot.store import Store
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcNotFoundError
from bot.vbc.models import Recording, RecordingKind

Message = blocks.Message


class RecordingLookup:
    """Each call re-checks the person who asked (never a button's value alone) and leaves an
    audit event. ``RecordingsService`` adds the searches whose results lead here."""

    def __init__(
        self,
        *,
        vbc: VbcClient,
        store: Store,
        directory: Directory,
        access_for: AccessFor | None = None,
        members_may_delete: bool = False,
    ) -> None:
        self._members_may_delete = members_may_delete
        self._vbc = vbc
        self._store = store
        self._directory = directory
        self._access_for = access_for or integration_only(vbc)

    async def access(self, asker: Asker) -> VbcAccess:
        """The VBC logins ``asker``'s requests run on (their own, once they connected VBC)."""
        return await self._access_for(asker.team_id, asker.user_id)

    async def load(self, asker: Asker, ref: blocks.RecordingRef, action: str) -> Recording:
        """Fetch one recording for ``asker`` or raise AccessRefusedError / VbcError; audited.

        The audit event keeps the precise reason; a member is told the same words for a
        recording that does not exist and one that is not theirs.
        """
        person = await self._directory.person(asker.team_id, asker.user_id)
        target = f"{ref.kind.value}:{ref.recording_id}"
        if not person.is_admin:
            own = person.identity.vbc_user_id if person.identity else None
            if own is None:
                await self._audit(asker, action, "refused", target, "not linked to a VBC user")
                raise AccessRefusedError(NOT_LINKED)
            if ref.kind is RecordingKind.ON_DEMAND and ref.owner_user_id != own:
                await self._audit(asker, action, "refused", target, "another person's recording")
                raise AccessRefusedError(NOT_FOUND_OR_NOT_YOURS)
        try:
            if ref.kind is RecordingKind.ON_DEMAND:
                if ref.owner_user_id is None:
                    raise VbcNotFoundError("That on-demand recording has no owner.")
                vbc = (await self.access(asker)).for_user(ref.kind, ref.owner_user_id)
                recording = await vbc.get_user_recording(ref.owner_user_id, ref.recording_id)
            else:
                recording = await self._vbc.get_company_recording(ref.recording_id)
        except VbcError as exc:
            await self._audit(asker, action, "failed", target, str(exc))
            if isinstance(exc, VbcNotFoundError) and not person.is_admin:
                raise AccessRefusedError(NOT_FOUND_OR_NOT_YOURS) from exc
            raise
        if not may_see(person, recording):
            await self._audit(asker, action, "refused", target, "not the person's recording")
            raise AccessRefusedError(NOT_FOUND_OR_NOT_YOURS)
        await self._audit(asker, action, "allowed", target)
        return recording

    async def details(self, asker: Asker, ref_value: str) -> Message:
        try:
            ref = blocks.parse_recording_ref(ref_value)
            recording = await self.load(asker, ref, "details")
        except ValueError:
            await self._audit(asker, "details", "refused", ref_value[:64], "not a recording button")
            return blocks.render_error(blocks.NOT_MY_BUTTON)
        except (AccessRefusedError, VbcError) as exc:
            return blocks.render_error(str(exc))
        can_share, play_here = await self.offers(asker)
        return blocks.render_details(
            recording,
            can_share=can_share,
            play_here=play_here,
            can_delete=await self.can_delete(asker, recording),
        )

    async def find(
        self, asker: Asker, recording_id: str, kind: RecordingKind | None, action: str = "get"
    ) -> Recording:
        """``/recordings get <id>``: the person's own on-demand first, then company."""
        try:
            number = blocks.parse_id(recording_id)
        except ValueError:
            raise AccessRefusedError(
                f"`{recording_id[:40]}` is not a recording id: ids are numbers, e.g. `get 193228`."
            ) from None
        person = await self._directory.person(asker.team_id, asker.user_id)
        own = person.identity.vbc_user_id if person.identity else None
        kinds = [kind] if kind else [RecordingKind.ON_DEMAND, RecordingKind.COMPANY]
        last: Exception = VbcNotFoundError(f"I found no recording {recording_id} of yours.")
        for candidate in kinds:
            if candidate is RecordingKind.ON_DEMAND and own is None:
                continue
            ref = blocks.RecordingRef(
                kind=candidate,
                recording_id=number,
                owner_user_id=own if candidate is RecordingKind.ON_DEMAND else None,
            )
            try:
                return await self.load(asker, ref, action)
            except (AccessRefusedError, VbcNotFoundError) as exc:
                last = exc  # a member's "not yours" reads as "not found": try the other kind
        raise last

    async def can_delete(self, asker: Asker, recording: Recording) -> bool:
        """Offer "Delete…" to whoever may delete it (checked again when the modal opens)."""
        person = await self._directory.person(asker.team_id, asker.user_id)
        refusal = may_delete(
            person,
            recording.kind,
            recording.owner_user_id,
            members_may_delete=self._members_may_delete,
        )
        return refusal is None

    async def can_share(self, asker: Asker) -> bool:
        """Offer "Share to channel" only where an admin allowed it (re-checked on the click)."""
        if not asker.channel_id:
            return False
        return (await self._store.get_channel(asker.team_id, asker.channel_id)).allow_share

    async def offers(self, asker: Asker) -> tuple[bool, bool]:
        """(Share to channel, ▶ Play here) for a message in ``asker``'s channel: one read of
        its setting; each is re-checked on the click."""
        if not asker.channel_id:
            return False, False
        setting = await self._store.get_channel(asker.team_id, asker.channel_id)
        return setting.allow_share, setting.delivers_directly

    async def _audit(
        self, asker: Asker, action: str, outcome: str, target: str | None, detail: str = ""
    ) -> None:
        await self._store.audit(
            asker.team_id,
            asker.user_id,
            action,
            outcome=outcome,
            target=target,
            detail=detail or None,
        )

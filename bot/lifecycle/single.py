"""Deleting one recording: look it up for the confirmation, then delete it on confirm.

Both steps re-check the person (admins any recording; members their own on-demand ones,
where ``MEMBERS_MAY_DELETE`` allows) and the confirm step fetches the recording again, so a
modal's metadata is never trusted. Each attempt leaves one ``delete`` audit event.
"""

from __future__ import annotations

from collections.abc import Awaitable

from bot import blocks
from bot.blocks.lifecycle import render_deleted
from bot.grammar.commands import DeleteOne
from bot.lifecycle.deleter import AUDIT_ACTION, Deleter, Outcome
from bot.lifecycle.rules import MEMBERS_MAY_NOT, ONLY_ADMINS_OTHERS, may_delete
from bot.people.asker import Asker
from bot.people.directory import Directory
from bot.people.policy import NOT_FOUND_OR_NOT_YOURS, AccessRefusedError, Person, may_see
from bot.people.vbc_access import AccessFor
from bot.search.lookup import RecordingLookup
from bot.search.merge import recording_key
from bot.store import Store
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcNotFoundError
from bot.vbc.models import Recording, RecordingKind

Message = blocks.Message


class SingleDelete:
    def __init__(
        self,
        *,
        lookup: RecordingLookup,
        directory: Directory,
        store: Store,
        vbc: VbcClient,
        deleter: Deleter,
        access_for: AccessFor,
        members_may_delete: bool,
    ) -> None:
        self._lookup = lookup
        self._directory = directory
        self._store = store
        self._vbc = vbc
        self._deleter = deleter
        self._access_for = access_for
        self._members_may_delete = members_may_delete

    async def look_up(self, asker: Asker, command: DeleteOne) -> Recording:
        """The recording the command names, for the confirmation; raises AccessRefusedError."""
        person = await self._may_delete_at_all(asker)
        if command.user is not None and command.kind is not RecordingKind.COMPANY:
            recording = await self._load_of_person(asker, person, command)
        else:
            found = self._lookup.find(asker, command.recording_id, command.kind, action="details")
            recording = await self._looked_up(
                asker, found, target=command.recording_id, recording_id=command.recording_id
            )
        return await self._checked(asker, person, recording)

    async def look_up_ref(self, asker: Asker, ref_value: str) -> Recording:
        """Details' "Delete…": the button's reference, re-checked for the clicker."""
        try:
            ref = blocks.parse_recording_ref(ref_value)
        except ValueError:
            await self._audit(asker, "refused", ref_value[:64], "not a recording button")
            raise AccessRefusedError(blocks.NOT_MY_BUTTON) from None
        person = await self._may_delete_at_all(asker)
        recording = await self._looked_up(
            asker,
            self._lookup.load(asker, ref, "details"),
            target=f"{ref.kind.value}:{ref.recording_id}",
            recording_id=str(ref.recording_id),
        )
        return await self._checked(asker, person, recording)

    async def delete(self, asker: Asker, ref_value: str, reason: str) -> Message:
        """The confirmed modal: fetch again, check again, ask the holds, delete; audited."""
        try:
            ref = blocks.parse_recording_ref(ref_value)
        except ValueError:
            await self._audit(asker, "refused", ref_value[:64], "not a recording reference")
            return blocks.render_error(blocks.NOT_MY_BUTTON)
        key = f"{ref.kind.value}:{ref.recording_id}"
        person = await self._directory.person(asker.team_id, asker.user_id)
        refusal = may_delete(
            person, ref.kind, ref.owner_user_id, members_may_delete=self._members_may_delete
        )
        if refusal is not None:
            await self._audit(asker, "refused", key, refusal)
            return blocks.render_error(refusal)
        vbc = self._vbc
        if ref.kind is RecordingKind.ON_DEMAND and ref.owner_user_id:
            access = await self._access_for(asker.team_id, asker.user_id)
            vbc = access.for_user(ref.kind, ref.owner_user_id)
        try:
            if ref.kind is RecordingKind.ON_DEMAND:
                recording = await vbc.get_user_recording(ref.owner_user_id or "", ref.recording_id)
            else:
                recording = await vbc.get_company_recording(ref.recording_id)
        except VbcNotFoundError:
            copies = await self._deleter.copies.delete_for(asker.team_id, key, actor=asker.user_id)
            await self._audit(asker, "allowed", key, _with_reason("already gone at VBC", reason))
            return render_deleted(ref.recording_id, gone=True, copies=copies)
        except VbcError as exc:
            await self._audit(asker, "failed", key, _with_reason(str(exc), reason))
            return blocks.render_error(f"Recording {ref.recording_id} was not deleted: {exc}")
        if not may_see(person, recording):
            await self._audit(asker, "refused", key, "not the person's recording")
            return blocks.render_error(NOT_FOUND_OR_NOT_YOURS)
        result = await self._deleter.delete(
            vbc, recording, team_id=asker.team_id, actor=asker.user_id
        )
        await self._audit(asker, result.audit_outcome, key, _with_reason(result.detail, reason))
        if result.outcome is Outcome.HELD:
            return blocks.render_error(
                f"Recording {recording.id} is {result.detail}, so it was not deleted."
            )
        if result.outcome in (Outcome.FAILED, Outcome.RETRY):
            return blocks.render_error(
                f"Recording {recording.id} was not deleted: {result.detail}. Try again later."
            )
        gone = result.outcome is Outcome.GONE
        return render_deleted(recording.id, gone=gone, copies=result.copies)

    async def _may_delete_at_all(self, asker: Asker) -> Person:
        """The person, unless a member where members may not delete (refused, audited,
        before any VBC call)."""
        person = await self._directory.person(asker.team_id, asker.user_id)
        if not (person.is_admin or self._members_may_delete):
            await self._audit(asker, "refused", None, MEMBERS_MAY_NOT)
            raise AccessRefusedError(MEMBERS_MAY_NOT)
        return person

    async def _looked_up(
        self, asker: Asker, lookup: Awaitable[Recording], *, target: str, recording_id: str
    ) -> Recording:
        """The lookup's recording; its refusal audited, VBC's errors as refusals to show."""
        try:
            return await lookup
        except AccessRefusedError as exc:
            await self._audit(asker, "refused", target, str(exc))
            raise
        except VbcNotFoundError:
            raise AccessRefusedError(_not_found(recording_id)) from None
        except VbcError as exc:
            raise AccessRefusedError(f"I couldn't look that recording up: {exc}") from exc

    async def _load_of_person(self, asker: Asker, person: Person, command: DeleteOne) -> Recording:
        """``delete od:<id> user:@person``: another person's on-demand recording (admins)."""
        assert command.user is not None
        target = f"on-demand:{command.recording_id}"
        if not person.is_admin:
            await self._audit(asker, "refused", target, "another person's recording")
            raise AccessRefusedError(ONLY_ADMINS_OTHERS)
        identity = await self._directory.identity_of(asker.team_id, command.user)
        if identity is None:
            raise AccessRefusedError(
                f"<@{command.user}> is not linked to a VBC user, so I can't find their "
                f"recordings; link them with `/recordings link <@{command.user}> <VBC user id or "
                "email>`. Nothing was deleted."
            )
        ref = blocks.RecordingRef(
            RecordingKind.ON_DEMAND, blocks.parse_id(command.recording_id), identity.vbc_user_id
        )
        try:
            return await self._lookup.load(asker, ref, "details")
        except VbcNotFoundError:
            raise AccessRefusedError(
                f"<@{command.user}> has no on-demand recording {command.recording_id} at VBC. "
                "Nothing was deleted."
            ) from None
        except VbcError as exc:
            raise AccessRefusedError(f"I couldn't look that recording up: {exc}") from exc

    async def _checked(self, asker: Asker, person: Person, recording: Recording) -> Recording:
        refusal = may_delete(
            person,
            recording.kind,
            recording.owner_user_id,
            members_may_delete=self._members_may_delete,
        )
        if refusal is not None:
            await self._audit(asker, "refused", recording_key(recording), refusal)
            raise AccessRefusedError(refusal)
        return recording

    async def _audit(self, asker: Asker, outcome: str, target: str | None, detail: str) -> None:
        await self._store.audit(
            asker.team_id,
            asker.user_id,
            AUDIT_ACTION,
            outcome=outcome,
            target=target,
            detail=detail or None,
        )


def _not_found(recording_id: str) -> str:
    return (
        f"I found no recording {recording_id[:20]} at VBC (company, or an on-demand recording "
        "of yours). Another person's on-demand recording needs `user:@person`. Nothing was "
        "deleted."
    )


def _with_reason(detail: str, reason: str) -> str:
    reason = reason.strip()
    return "; ".join(p for p in (detail, f"reason: {reason}" if reason else "") if p)

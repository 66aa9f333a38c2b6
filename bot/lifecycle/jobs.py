"""Bulk deletion jobs: offer (exact count), typed confirmation, start, cancel.

``offer`` lists every recording the filters match now and stores them as the items of a
``pending`` job: the confirmation is for exactly those ids, so a recording that matches later
is never deleted. The typed count moves the job to ``running`` for the worker
(``bot.lifecycle.worker``) in any bot process. ``start`` is the same job for retention, which
hands over the ids it announced (``DeletionJobs`` in ``bot.lifecycle.ports``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.blocks.lifecycle import PROMPT_ROWS, render_bulk_modal, render_bulk_prompt
from bot.clock import Clock, aware
from bot.grammar import FilterError, SearchRequest, describe_filter, format_filter, parse_filter
from bot.lifecycle.ports import RecordingRef
from bot.lifecycle.rules import MAX_BULK, bulk_refusal, count_error
from bot.people.asker import Asker, zone
from bot.people.directory import Directory
from bot.people.policy import MAX_IN_FLIGHT, TOO_MANY_IN_FLIGHT, AccessRefusedError, Plan
from bot.search.merge import recording_key
from bot.store import Store
from bot.store.deletions import PENDING, RUNNING, DeletionRows
from bot.store.tables import DeletionItem, DeletionJob
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError
from bot.vbc.models import Recording, RecordingKind

log = logging.getLogger(__name__)

Message = dict[str, Any]
JOB_ACTION = "delete-job"  # a bulk deletion confirmed, refused or failed to start
CANCEL_ACTION = "delete-cancel"
OFFER_LIFETIME = timedelta(hours=1)  # an unconfirmed count is stale after this
LIST_PAGE_SIZE = 100
STALE = "That confirmation has expired: run `/recordings delete [filters]` again for a fresh count."


@dataclass(frozen=True)
class Opened:
    """What the confirm button opens: the modal, or a message saying why not."""

    view: dict[str, Any] | None = None
    message: Message | None = None


class DeletionJobService:
    """Implements ``bot.lifecycle.ports.DeletionJobs`` (``start``) for retention, too."""

    def __init__(
        self,
        *,
        vbc: VbcClient,
        store: Store,
        directory: Directory,
        clock: Clock,
        region: str = "US",
        on_started: Callable[[], None] | None = None,
    ) -> None:
        self._vbc = vbc
        self._store = store
        self._rows = DeletionRows(store)
        self._directory = directory
        self._clock = clock
        self._region = region
        self.on_started = on_started  # wakes this process's worker

    # -- the port ----------------------------------------------------------------------------

    async def start(
        self,
        team_id: str,
        refs: Sequence[RecordingRef],
        *,
        origin: str,
        requested_by: str,
        reason: str = "",
    ) -> int:
        """A running job deleting exactly ``refs`` (each fetched and hold-checked first)."""
        now = self._clock()
        job = DeletionJob(
            team_id=team_id,
            requested_by=requested_by,
            origin=origin,
            reason=reason[:500],
            request_text=f"{len(refs)} recordings handed over by {origin}",
            state=RUNNING,
            total=len(refs),
            created_at=now,
            confirmed_at=now,
            updated_at=now,
            next_run_at=now,
        )
        items = [_item(seq, ref) for seq, ref in enumerate(refs)]
        job_id = await self._rows.create(job, items)
        await self._store.audit(
            team_id,
            requested_by,
            JOB_ACTION,
            outcome="allowed",
            target=f"job {job_id}",
            detail=f"{origin}: {len(refs)} recordings; reason: {reason}"[:2000],
        )
        self._wake()
        return job_id

    # -- offering ----------------------------------------------------------------------------

    async def offer(self, asker: Asker, text: str) -> Message:
        """``/recordings delete [filters]``: the exact count and first rows, nothing deleted."""
        tz = await self._tz(asker)
        try:
            request = parse_filter(text, now=self._clock(), tz=tz, region=self._region)
        except FilterError as exc:
            return blocks.render_error(f"{exc} Nothing was deleted.")
        person = await self._directory.person(asker.team_id, asker.user_id)
        words = format_filter(request, tz=tz)
        refusal = bulk_refusal(person, request)
        if refusal is None:
            try:
                plan = await self._directory.plan_for(person, request)
            except AccessRefusedError as exc:
                refusal = str(exc)
        if refusal is not None:
            await self._audit(asker, JOB_ACTION, "refused", words, refusal)
            return blocks.render_error(refusal)
        try:
            found = await self._matching(plan, request)
        except VbcError as exc:
            await self._audit(asker, JOB_ACTION, "failed", words, str(exc))
            return blocks.render_error(f"I couldn't list the recordings to delete: {exc}")
        if len(found) > MAX_BULK:
            return blocks.render_error(
                f"That matches more than {MAX_BULK:,} recordings, the most one bulk delete "
                "takes: narrow it (e.g. a shorter time window) and run it in parts. Nothing was "
                "deleted."
            )
        summary = describe_filter(request, tz=tz)
        if not found:
            return blocks.render_notice(
                f":mag: No recordings in {plan.scope} match {summary}, so there is nothing to "
                "delete."
            )
        job_id = await self._store_offer(asker, words, found)
        await self._audit(
            asker, "search", "allowed", words, f"bulk delete offer, job {job_id}: {len(found)}"
        )
        return render_bulk_prompt(
            job_id=job_id,
            count=len(found),
            summary=summary,
            scope=plan.scope,
            rows=found[:PROMPT_ROWS],
        )

    async def _matching(self, plan: Plan, request: SearchRequest) -> list[Recording]:
        """Every recording the plan's queries list now, each once, newest first."""
        seen: dict[str, Recording] = {}
        for query in plan.queries:
            filters = replace(query.filter, page=None, page_size=LIST_PAGE_SIZE, order=None)
            if query.kind is RecordingKind.ON_DEMAND and query.user_id:
                listing = self._vbc.iter_user_recordings(query.user_id, filters)
            else:
                listing = self._vbc.iter_company_recordings(filters)
            async for recording in listing:
                if request.kind is not None and recording.kind is not request.kind:
                    continue
                seen.setdefault(recording_key(recording), recording)
                if len(seen) > MAX_BULK:
                    return list(seen.values())
        epoch = 0.0
        return sorted(
            seen.values(), key=lambda r: r.start.timestamp() if r.start else epoch, reverse=True
        )

    async def _store_offer(self, asker: Asker, words: str, found: list[Recording]) -> int:
        now = self._clock()
        job = DeletionJob(
            team_id=asker.team_id,
            requested_by=asker.user_id,
            origin="bulk",
            request_text=words[:4000],
            state=PENDING,
            total=len(found),
            channel_id=asker.channel_id,
            created_at=now,
            updated_at=now,
            next_run_at=now,
        )
        items = [
            _item(seq, RecordingRef.of(rec), rec.model_dump_json()) for seq, rec in enumerate(found)
        ]
        return await self._rows.create(job, items)

    # -- confirming --------------------------------------------------------------------------

    async def open_confirm(self, asker: Asker, value: str) -> Opened:
        """The prompt's button: the typed-count modal, for the person who asked only."""
        job = await self._pending_of(asker, value)
        if isinstance(job, dict):
            return Opened(message=job)
        assert job.id is not None
        view = render_bulk_modal(job_id=job.id, count=job.total, channel_id=asker.channel_id)
        return Opened(view=view)

    async def check_count(self, asker: Asker, value: str, typed: str) -> str | None:
        """The field error for the typed count (answered before the 3 s ack), or None."""
        job = await self._pending_of(asker, value)
        if isinstance(job, dict):
            return None  # ``begin`` explains it after the ack
        error = count_error(typed, job.total)
        if error is not None:
            await self._audit(
                asker, JOB_ACTION, "refused", f"job {job.id}", f"count typed wrong: {typed[:20]!r}"
            )
        return error

    async def begin(self, asker: Asker, value: str, typed: str, reason: str) -> Message:
        """The typed count matched: hand the job to the workers, audited."""
        job = await self._pending_of(asker, value)
        if isinstance(job, dict):
            return job
        assert job.id is not None
        if count_error(typed, job.total) is not None:
            return blocks.render_error("The count you typed does not match. Nothing was deleted.")
        person = await self._directory.person(asker.team_id, asker.user_id)
        if not person.is_admin:  # no longer an admin since the offer
            await self._audit(asker, JOB_ACTION, "refused", f"job {job.id}", "not an admin")
            return blocks.render_error("Only recordings admins can delete recordings by filters.")
        now = self._clock()
        moved = await self._rows.move(
            job.id,
            from_state=PENDING,
            to_state=RUNNING,
            now=now,
            confirmed_at=now,
            next_run_at=now,
            reason=reason.strip()[:500],
        )
        if not moved:
            return blocks.render_notice("That deletion has already been confirmed.")
        ours = await self._store.requests_in_flight(
            asker.team_id, asker.user_id, started_after=now - OFFER_LIFETIME
        )
        if ours > MAX_IN_FLIGHT:
            await self._rows.move(job.id, from_state=RUNNING, to_state=PENDING, now=now)
            await self._audit(asker, JOB_ACTION, "refused", f"job {job.id}", "too many in flight")
            return blocks.render_error(TOO_MANY_IN_FLIGHT)
        detail = f"{job.total} recordings matching {job.request_text}"
        if reason.strip():
            detail += f"; reason: {reason.strip()}"
        await self._audit(asker, JOB_ACTION, "allowed", f"job {job.id}", detail)
        self._wake()
        return blocks.render_notice(
            f":wastebasket: Deleting {job.total:,} recordings one by one (job {job.id}). "
            "I show the progress in our DM, with a Cancel button, and tell you there when it ends."
        )

    async def _pending_of(self, asker: Asker, value: str) -> DeletionJob | Message:
        try:
            job_id = blocks.parse_id(value)
        except ValueError:
            return blocks.render_error(blocks.NOT_MY_BUTTON)
        job = await self._rows.get(job_id)
        if job is None or job.team_id != asker.team_id or job.requested_by != asker.user_id:
            await self._audit(asker, JOB_ACTION, "refused", f"job {value[:20]}", "not the asker")
            return blocks.render_error(
                "That deletion is not yours to confirm: run `/recordings delete [filters]` "
                "yourself."
            )
        if job.state != PENDING:
            return blocks.render_notice("That deletion has already been confirmed.")
        if self._clock() - aware(job.created_at) > OFFER_LIFETIME:
            return blocks.render_error(STALE)
        return job

    # -- cancelling --------------------------------------------------------------------------

    async def cancel(self, asker: Asker, value: str) -> Message:
        """The progress message's Cancel: the requester or any admin; audited either way."""
        try:
            job_id = blocks.parse_id(value)
        except ValueError:
            return blocks.render_error(blocks.NOT_MY_BUTTON)
        job = await self._rows.get(job_id)
        target = f"job {job_id}"
        if job is None or job.team_id != asker.team_id:
            await self._audit(asker, CANCEL_ACTION, "refused", target, "unknown job")
            return blocks.render_error("I know no such deletion job.")
        person = await self._directory.person(asker.team_id, asker.user_id)
        if not (person.is_admin or asker.user_id == job.requested_by):
            await self._audit(
                asker, CANCEL_ACTION, "refused", target, "not an admin or the requester"
            )
            return blocks.render_error(
                "Only the person who started this deletion or a recordings admin can cancel it."
            )
        if not await self._rows.request_cancel(job_id, asker.user_id, now=self._clock()):
            return blocks.render_notice(f"Deletion job {job_id} has already ended or is stopping.")
        await self._audit(asker, CANCEL_ACTION, "allowed", target, f"of {job.total} recordings")
        self._wake()
        return blocks.render_notice(
            f":octagonal_sign: Cancelling deletion job {job_id}: recordings deleted so far stay "
            "deleted, the rest are left alone. The final notice says how many."
        )

    # -- shared ------------------------------------------------------------------------------

    def _wake(self) -> None:
        if self.on_started is not None:
            self.on_started()

    async def _tz(self, asker: Asker) -> ZoneInfo:
        try:
            return zone((await self._directory.profile(asker.team_id, asker.user_id)).tz)
        except (LookupError, SlackApiError) as exc:
            log.warning("no Slack profile for %s (%s); reading times in UTC", asker.user_id, exc)
            return ZoneInfo("UTC")

    async def _audit(
        self, asker: Asker, action: str, outcome: str, target: str, detail: str
    ) -> None:
        await self._store.audit(
            asker.team_id,
            asker.user_id,
            action,
            outcome=outcome,
            target=target or "all recordings",
            detail=detail or None,
        )


def _item(seq: int, ref: RecordingRef, data: str | None = None) -> DeletionItem:
    return DeletionItem(
        job_id=0,  # set when the job is stored
        seq=seq,
        kind=ref.kind.value,
        recording_id=ref.id,
        owner_user_id=ref.owner_user_id,
        data=data,
    )

"""Starting one export: the request row first (unique per click), then its VBC jobs.

The row is stored in state ``starting`` under the click's ``origin`` before VBC is asked for
anything, so a double click (or a second process handling a re-sent click) finds it and is
told "already started" instead of creating a second set of jobs. The watcher ignores the row
until its jobs are stored with it and it becomes ``running``, which happens the moment VBC has
created them, before anything is posted: a process killed after that still leaves a watched
export that ends in exactly one notice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot.clock import Clock, aware
from bot.exports import messages as export_messages
from bot.exports import slack as export_slack
from bot.exports.plan import Prepared, start_jobs
from bot.exports.state import RUNNING, STARTING
from bot.people.asker import Asker
from bot.people.policy import MAX_IN_FLIGHT, TOO_MANY_IN_FLIGHT, AccessRefusedError
from bot.people.vbc_access import AccessFor
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.exports import ExportRows
from bot.store.tables import ExportJobRow, ExportRequest
from bot.vbc.errors import VbcError

log = logging.getLogger(__name__)

Message = export_messages.Message
FIRST_POLL_SECONDS = 1.0
STALE_START = timedelta(minutes=10)  # a process died between the row and its VBC jobs


@dataclass(frozen=True)
class Started:
    """What a click started: ``new`` is False when an earlier click's export is ``request``."""

    request: ExportRequest
    reply: Message
    jobs: list[ExportJobRow]
    new: bool


class ExportStarter:
    def __init__(
        self, *, access_for: AccessFor, store: Store, slack: SlackClients, clock: Clock
    ) -> None:
        self._access_for = access_for
        self._store = store
        self._rows = ExportRows(store)
        self._slack = slack
        self._clock = clock

    async def create(
        self, asker: Asker, prepared: Prepared, total: int, exact: bool, *, origin: str | None
    ) -> Started:
        """The stored, started request and the reply; or the export with the same origin.

        Raises VbcError when VBC did not start the jobs, AccessRefusedError when the person
        has MAX_IN_FLIGHT requests running already (the row is removed again).
        """
        row, fresh = await self._insert(asker, prepared, origin)
        if not fresh:
            return Started(row, export_messages.already_started(row), jobs=[], new=False)
        # Counted with our own row stored, in every process's view: two starts racing may
        # both be refused, never both let in.
        since = self._clock() - STALE_START
        ours = await self._store.requests_in_flight(
            asker.team_id, asker.user_id, started_after=since
        )
        if ours > MAX_IN_FLIGHT:
            await self._rows.forget_starting(row.id)
            raise AccessRefusedError(TOO_MANY_IN_FLIGHT)
        try:
            access = await self._access_for(asker.team_id, asker.user_id)
            jobs = await start_jobs(access, prepared, row.id)
        except VbcError:
            await self._rows.forget_starting(row.id)
            raise
        await self._store_running(row, jobs)
        where = await self._post_started(asker, row, total, exact, len(jobs))
        if row.message_ts:
            await self._rows.save_message(row.id, row.message_channel, row.message_ts)
        return Started(row, export_messages.started_reply(row, where=where), jobs, new=True)

    async def _store_running(self, row: ExportRequest, jobs: list[ExportJobRow]) -> None:
        """Hand the VBC jobs to the watcher at once: a crash after this still gets its notice."""
        now = self._clock()
        row.state, row.updated_at = RUNNING, now
        row.next_poll_at = now + timedelta(seconds=FIRST_POLL_SECONDS)
        await self._rows.mark_running(row.id, jobs, next_poll_at=row.next_poll_at, now=now)

    async def _insert(
        self, asker: Asker, prepared: Prepared, origin: str | None
    ) -> tuple[ExportRequest, bool]:
        """Store a new ``starting`` row; ``(existing, False)`` if the origin is taken."""
        for _ in range(3):
            row = self._new_row(asker, prepared, origin)
            if await self._rows.create_request(row):
                return row, True
            existing = await self._rows.by_origin(origin)
            if existing is None:
                continue  # its start failed and it was removed: this click may start it
            if existing.state != STARTING or not self._stale(existing.created_at):
                return existing, False
            await self._rows.forget_starting(existing.id)
        raise RuntimeError(f"export origin {origin!r} stayed contended")

    def _new_row(self, asker: Asker, prepared: Prepared, origin: str | None) -> ExportRequest:
        now = self._clock()
        return ExportRequest(
            id=uuid.uuid4().hex[:12],
            team_id=asker.team_id,
            slack_user_id=asker.user_id,
            channel_id=asker.channel_id,
            request_text=prepared.text,
            tz=str(prepared.tz),
            state=STARTING,
            origin=origin,
            plan_digest=prepared.digest,
            created_at=now,
            updated_at=now,
            next_poll_at=now + timedelta(seconds=FIRST_POLL_SECONDS),
            poll_interval=FIRST_POLL_SECONDS,
        )

    def _stale(self, created_at: datetime) -> bool:
        return self._clock() - aware(created_at) > STALE_START

    async def _post_started(
        self, asker: Asker, row: ExportRequest, total: int, exact: bool, parts: int
    ) -> str:
        """Post the message the watcher edits later; fills message_channel/ts."""
        message = export_messages.started(row, count=total, exact=exact, parts=parts)
        try:
            client = await self._slack.for_team(asker.team_id)
            channel = await export_slack.delivery_channel(self._store, client, row)
            posted = await export_slack.post(client, channel, row, message)
        except (SlackApiError, LookupError) as exc:
            log.warning("export %s: no progress message (%s)", row.id, exc)
            return "when I can"
        row.message_channel, row.message_ts = posted
        return f"in <#{posted[0]}>" if posted[0] == asker.channel_id else "in our DM"

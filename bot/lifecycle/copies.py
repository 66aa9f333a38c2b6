"""Retention of the bot's Slack copies: files it uploaded are deleted from Slack once old.

A periodic sweep, safe in several processes: each expired ``uploaded_files`` row is leased
(``bot.store.lease``) to one process, which deletes the file with ``files.delete``, edits the
message it posted offering it (where it posted one: the export notice, the direct-delivery
thread parent) to say it expired, audits the deletion and forgets the row, so Play uploads
the recording again for whoever may still see it. A copy of a recording under a legal hold
is kept and looked at again a day later. Export zips hold many recordings and do not list
them, so holds are not checked for them.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot.audio.text import slack_error
from bot.blocks.lifecycle_views import render_copy_expired
from bot.clock import Clock
from bot.lifecycle.ports import HoldCheck
from bot.lifecycle.slack_copies import AUDIT_ACTION, delete_slack_file
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.retention import RetentionRows
from bot.store.tables import RetentionPolicy, UploadedFile
from bot.vbc.models import Recording, RecordingKind

log = logging.getLogger(__name__)

ACTION = AUDIT_ACTION  # one action for every Slack copy the bot deletes, by any path
ACTOR = "retention"  # the audit's actor for what the policy does on its own
SWEEP_SECONDS = 300.0
BATCH = 50
LEASE = timedelta(minutes=5)
HELD_RECHECK = timedelta(days=1)


class SlackCopies:
    def __init__(
        self,
        *,
        store: Store,
        rows: RetentionRows,
        slack: SlackClients,
        holds: HoldCheck,
        clock: Clock,
    ) -> None:
        self._store = store
        self._rows = rows
        self._slack = slack
        self._holds = holds
        self._clock = clock
        self._owner = f"copies-{secrets.token_hex(6)}"

    async def run(self) -> None:
        """Sweep forever, every ``SWEEP_SECONDS``; one failed sweep is logged, not fatal."""
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("the Slack copies sweep failed; trying again later")
            await asyncio.sleep(SWEEP_SECONDS)

    async def sweep(self) -> int:
        """Delete every expired copy this process can claim now; how many were deleted."""
        deleted = 0
        for policy in await self._rows.slack_policies():
            while True:
                now = self._clock()
                rows = await self._rows.claim_expired_files(
                    policy.team_id,
                    self._owner,
                    uploaded_before=now - timedelta(days=policy.days),
                    now=now,
                    until=now + LEASE,
                    limit=BATCH,
                )
                if not rows:
                    break
                for row in rows:
                    deleted += await self._expire(policy, row)
        return deleted

    async def _expire(self, policy: RetentionPolicy, row: UploadedFile) -> int:
        target = row.recording_key
        recording = recording_of(row)
        if recording is not None:
            hold = await self._holds.hold_on(recording)
            if hold is not None:
                await self._rows.keep_file(
                    row.id or 0, self._owner, until=self._clock() + HELD_RECHECK
                )
                await self._audit(
                    row, "refused", f"file {row.file_id} kept: hold {hold.hold_id} ({hold.reason})"
                )
                return 0
        try:
            client = await self._slack.for_team(row.team_id)
            await delete_slack_file(client, row.file_id)
        except (SlackApiError, LookupError) as exc:
            # Left leased: another sweep tries again once the lease runs out.
            log.warning("files.delete %s for %s failed: %s", row.file_id, target, exc)
            await self._audit(row, "failed", f"file {row.file_id}: {slack_error(exc) or exc}")
            return 0
        if not await self._rows.forget_file(row.id or 0, self._owner):
            return 0
        await self._audit(
            row, "allowed", f"file {row.file_id} deleted from Slack after {policy.days} days"
        )
        if row.message_channel and row.message_ts:
            message = render_copy_expired(row.kind, days=policy.days)
            try:
                await client.chat_update(channel=row.message_channel, ts=row.message_ts, **message)
            except SlackApiError as exc:  # deleted by a person, or no longer the bot's to edit
                log.info("could not mark %s expired: %s", row.message_ts, slack_error(exc))
        return 1

    async def _audit(self, row: UploadedFile, outcome: str, detail: str) -> None:
        await self._store.audit(
            row.team_id, ACTOR, ACTION, outcome=outcome, target=row.recording_key, detail=detail
        )


def recording_of(row: UploadedFile) -> Recording | None:
    """The recording a copy is of, as uploaded; for rows from before that was kept, its kind
    and id only (enough for holds by id). None for zips."""
    if row.kind != "audio":
        return None
    if row.recording_json:
        return Recording.model_validate_json(row.recording_json)
    kind, _, number = row.recording_key.partition(":")
    if kind not in {k.value for k in RecordingKind} or not number.isdigit():
        return None
    return Recording(id=int(number), kind=RecordingKind(kind))

"""Retention of VBC recordings: a daily run, announced to every admin 24 h before it deletes.

Once a day a due policy's recordings are found (company ones, and on-demand ones listed per
linked user; ``type:`` narrows; older than the policy's days and matching its stored
``Criteria``) and kept as an exact id list in a run. Every admin gets a DM with the exact
count and a "Skip this run" button; no sooner than 24 h after the last notice went out, the
run hands those ids, less any held by then, to ``DeletionJobs`` (origin ``retention``), the
durable job a bulk delete runs. Policies and runs are leased rows (``bot.store.retention``),
so several processes share the work; time comes only from the injected clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.blocks.lifecycle_views import (
    RetentionStatus,
    render_retention,
    render_run_ended,
    render_run_notice,
)
from bot.clock import Clock
from bot.exports.slack import dm_of
from bot.grammar import FilterError
from bot.grammar.criteria import Criteria, Owner, matches
from bot.grammar.holds import LifecycleWordsError, parse_retention
from bot.lifecycle.ports import DeletionJobs, HoldCheck, RecordingRef
from bot.people.asker import Asker
from bot.people.directory import Directory
from bot.search.service import RecordingsService
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.retention import OPEN_RUN, RetentionRows
from bot.store.tables import RetentionPolicy, RetentionRun
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError
from bot.vbc.models import Recording, RecordingKind

log = logging.getLogger(__name__)

ACTOR = "retention"
NOTICE_LEAD = timedelta(hours=24)
EVERY = timedelta(days=1)
RETRY = timedelta(minutes=30)
LEASE = timedelta(minutes=10)
TICK_SECONDS = 60.0
# Until the deletion jobs are wired in (bot/app.py), no VBC policy can be set.
_UNKEPT = {"download_url", "self_url"}  # VBC's own links are never stored


class RetentionService:
    def __init__(
        self,
        *,
        store: Store,
        rows: RetentionRows,
        recordings: RecordingsService,
        directory: Directory,
        vbc: VbcClient,
        slack: SlackClients,
        holds: HoldCheck,
        jobs: DeletionJobs,
        clock: Clock,
        admins: frozenset[str],
    ) -> None:
        self._store = store
        self._rows = rows
        self._recordings = recordings
        self._directory = directory
        self._vbc = vbc
        self._slack = slack
        self._holds = holds
        self._jobs = jobs
        self._clock = clock
        self._admins = sorted(admins)
        self._owner = f"retention-{secrets.token_hex(6)}"

    # -- /recordings retention ---------------------------------------------------------------

    async def command(self, asker: Asker, text: str) -> blocks.Message:
        if asker.user_id not in self._admins:
            await self._audit(asker.team_id, asker.user_id, "refused", f"not an admin: {text}")
            return blocks.render_error("Only recordings admins can see or set retention.")
        try:
            words = parse_retention(text)
            if words.target is None:
                return render_retention(await self.status(asker.team_id))
            policy = RetentionPolicy(
                team_id=asker.team_id,
                target=words.target,
                days=words.days or 0,
                updated_by=asker.user_id,
                updated_at=self._clock(),
                next_run_at=self._clock(),
            )
            if words.target == "vbc" and words.days:
                policy.criteria, policy.description = await self._criteria(asker, words.filters)
        except (LifecycleWordsError, FilterError) as exc:
            return blocks.render_error(str(exc))
        before = await self._rows.set_policy(policy, at=self._clock())
        was = f"{before.days} days {before.description}".strip() if before else "off"
        now = f"{policy.days} days {policy.description}".strip() if policy.days else "off"
        await self._audit(
            asker.team_id, asker.user_id, "allowed", f"{policy.target}: {was} -> {now}"
        )
        return render_retention(await self.status(asker.team_id))

    async def _criteria(self, asker: Asker, filters: str) -> tuple[str | None, str]:
        if not filters:
            return None, ""
        request = await self._recordings.parse(asker, filters)
        owner: Owner | None = None
        if request.user:
            identity = await self._directory.identity_of(asker.team_id, request.user)
            if identity is None:
                raise LifecycleWordsError(
                    f"<@{request.user}> is not linked to a VBC user", "/recordings link"
                )
            owner = Owner(identity.vbc_user_id, identity.extensions)
        criteria = Criteria.of(request, owner=owner)
        return json.dumps(criteria.to_json()), filters[:4000]

    async def status(self, team_id: str) -> RetentionStatus:
        policies = await self._rows.policies(team_id)
        runs = await self._rows.latest_runs(team_id, limit=5)
        open_run = next((r for r in runs if r.state in OPEN_RUN), None)
        last = next((r for r in runs if r.state not in OPEN_RUN), None)
        vbc = next((p for p in policies if p.target == "vbc"), None)
        return RetentionStatus(
            policies=policies,
            next_run=vbc.next_run_at if vbc and open_run is None else None,
            open_run=open_run,
            last_run=last,
        )

    # -- "Skip this run" ---------------------------------------------------------------------

    async def skip(self, asker: Asker, value: str) -> blocks.Message:
        if asker.user_id not in self._admins:
            await self._audit_skip(asker, "refused", None, "not an admin")
            return blocks.render_error("Only recordings admins can skip a retention run.")
        try:
            run_id = blocks.parse_retention_run_value(value)
        except ValueError:
            await self._audit_skip(asker, "refused", None, "not our button")
            return blocks.render_error(blocks.NOT_MY_BUTTON)
        run = await self._rows.skip_run(run_id, asker.team_id, by=asker.user_id, at=self._clock())
        if run is None:
            found = await self._rows.get_run(run_id)
            await self._audit_skip(asker, "refused", run_id, "not open")
            if found is None or found.team_id != asker.team_id:
                return blocks.render_error(f"There is no retention run {run_id}.")
            return render_run_ended(found)
        await self._audit_skip(asker, "allowed", run_id, f"{run.count} recordings not deleted")
        await self._edit_notices(run)
        return render_run_ended(run)

    # -- the daily work ----------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("retention tick failed; trying again later")
            await asyncio.sleep(TICK_SECONDS)

    async def tick(self) -> None:
        """Find the runs of due policies, send notices, start runs whose 24 h have passed."""
        now = self._clock()
        for policy in await self._rows.claim_due_policies(self._owner, now=now, until=now + LEASE):
            await self._find(policy)
        now = self._clock()
        for run in await self._rows.claim_runs(self._owner, now=now, until=now + LEASE):
            if run.state == "announcing":
                await self._announce(run)
            else:
                await self._start(run)

    async def _find(self, policy: RetentionPolicy) -> None:
        now = self._clock()
        try:
            found = await self._matching(policy, cutoff=now - timedelta(days=policy.days))
        except VbcError as exc:
            log.warning("retention for %s: VBC failed: %s", policy.team_id, exc)
            await self._rows.free_policy(policy.team_id, self._owner, retry_at=now + RETRY)
            return
        # The recordings as found, not only their ids: holds by filter are matched on them.
        refs = [r.model_dump(mode="json", exclude=_UNKEPT) for r in found]
        run = RetentionRun(
            team_id=policy.team_id,
            state="announcing" if refs else "empty",
            days=policy.days,
            description=policy.description,
            refs=json.dumps(refs),
            count=len(refs),
            found_at=now,
            due_at=now,
            requested_by=policy.updated_by,
            result=None if refs else "nothing matched",
            updated_at=now,
        )
        saved = await self._rows.record_run(policy, run, self._owner, next_run_at=now + EVERY)
        if saved is not None:
            await self._store.audit(
                policy.team_id,
                ACTOR,
                "retention_run",
                outcome="allowed",
                target=f"run:{saved.id}",
                detail=f"found {saved.count} recordings older than {policy.days} days"
                + (f" matching {policy.description}" if policy.description else ""),
            )

    async def _matching(self, policy: RetentionPolicy, *, cutoff: datetime) -> list[Recording]:
        criteria = (
            Criteria.from_json(json.loads(policy.criteria)) if policy.criteria else Criteria()
        )
        end = criteria.filter.start_lte
        criteria = replace(
            criteria,
            filter=replace(criteria.filter, start_lte=min(end, cutoff) if end else cutoff),
        )
        query = replace(criteria.filter, page_size=100)
        found: dict[str, Recording] = {}
        if criteria.kind in (None, RecordingKind.COMPANY):
            async for rec in self._vbc.iter_company_recordings(query):
                if matches(criteria, rec):
                    found[f"company:{rec.id}"] = rec
        if criteria.kind in (None, RecordingKind.ON_DEMAND):
            users = (
                [criteria.owner.vbc_user_id]
                if criteria.owner
                else await self._rows.linked_vbc_users(policy.team_id)
            )
            for user in users:
                async for rec in self._vbc.iter_user_recordings(user, query):
                    if matches(criteria, rec):
                        found[f"on-demand:{rec.id}"] = rec
        return sorted(found.values(), key=lambda r: (r.kind.value, r.id))

    async def _announce(self, run: RetentionRun) -> None:
        """DM each admin not yet told; the 24 h count from the last notice sent."""
        sent: dict[str, list[str]] = json.loads(run.notices)
        now = self._clock()
        if not self._admins:  # nobody could be told, so nothing may be deleted
            run.state, run.result, run.updated_at = "cancelled", "no admin to announce it to", now
            await self._rows.save_run(run, self._owner)
            return
        run.starts_at = now + NOTICE_LEAD
        try:
            client = await self._slack.for_team(run.team_id)
            for admin in self._admins:
                if admin in sent:
                    continue
                channel = await dm_of(client, admin)
                posted = await client.chat_postMessage(channel=channel, **render_run_notice(run))
                sent[admin] = [channel, str(posted["ts"])]
                run.notices = json.dumps(sent)
        except (SlackApiError, LookupError) as exc:
            log.warning("retention run %s: notice failed: %s", run.id, exc)
            run.due_at, run.updated_at = now + RETRY, now
            await self._rows.save_run(run, self._owner)
            return
        now = self._clock()
        run.state, run.announced_at, run.updated_at = "announced", now, now
        run.starts_at = run.due_at = now + NOTICE_LEAD
        if await self._rows.save_run(run, self._owner):
            await self._store.audit(
                run.team_id,
                ACTOR,
                "retention_run",
                outcome="allowed",
                target=f"run:{run.id}",
                detail=f"announced to {len(sent)} admins: {run.count} recordings; starts in 24 h",
            )

    async def _start(self, run: RetentionRun) -> None:
        """Hand the announced ids, less those held since, to the deletion job."""
        kept: list[RecordingRef] = []
        held = 0
        for raw in json.loads(run.refs):
            recording = Recording.model_validate(raw)
            ref = RecordingRef.of(recording)
            hold = await self._holds.hold_on(recording)
            if hold is None:
                kept.append(ref)
                continue
            held += 1
            await self._store.audit(
                run.team_id,
                ACTOR,
                "retention_run",
                outcome="refused",
                target=ref.key,
                detail=f"run {run.id}: kept, hold {hold.hold_id} ({hold.reason})",
            )
        now = self._clock()
        job_id = None
        if kept:
            job_id = await self._jobs.start(
                run.team_id,
                kept,
                origin="retention",
                requested_by=run.requested_by,
                reason=f"retention run {run.id}: older than {run.days} days",
            )
        run.state, run.job_id, run.held, run.updated_at = "started", job_id, held, now
        run.result = f"{len(kept)} handed to deletion job {job_id}" if kept else "all held"
        if await self._rows.save_run(run, self._owner):
            await self._store.audit(
                run.team_id,
                ACTOR,
                "retention_run",
                outcome="allowed",
                target=f"run:{run.id}",
                detail=f"started: {len(kept)} to delete (job {job_id}), {held} held",
            )
            await self._edit_notices(run)

    async def _edit_notices(self, run: RetentionRun) -> None:
        """The admins' notices lose their button once the run is skipped or started."""
        sent: dict[str, list[str]] = json.loads(run.notices)
        if not sent:
            return
        client = await self._slack.for_team(run.team_id)
        for channel, ts in sent.values():
            try:
                await client.chat_update(channel=channel, ts=ts, **render_run_ended(run))
            except SlackApiError as exc:
                log.info("retention run %s: notice %s not edited: %s", run.id, ts, exc)

    async def _audit(self, team_id: str, actor: str, outcome: str, detail: str) -> None:
        await self._store.audit(team_id, actor, "retention", outcome=outcome, detail=detail)

    async def _audit_skip(
        self, asker: Asker, outcome: str, run_id: int | None, detail: str
    ) -> None:
        await self._store.audit(
            asker.team_id,
            asker.user_id,
            "retention_skip",
            outcome=outcome,
            target=f"run:{run_id}" if run_id is not None else None,
            detail=detail,
        )

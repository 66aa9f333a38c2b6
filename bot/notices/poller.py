"""The poll behind every rule: a few VBC listings per interval, whatever the number of rules.

One company-wide listing serves every channel rule and the company side of personal rules;
each person with a personal rule that may take on-demand recordings needs one listing of their
own (VBC lists those per user). Each listing is a ``notice_sources`` row leased like an export
request, so across processes it is read once per interval; on-demand sources are first due at
a point of the interval their id picks, so VBC sees a steady rate rather than a burst.

A listing asks for ``start:gte`` = the newest start seen minus the overlap: VBC lists a call
only once it has ended, and ``start`` is when it began, so a long call appears behind newer
short ones. The overlap makes a listing many pages long, so it is read newest first and each
page's new recordings are stored as it is read (renewing the source's lease): the sender has
them after one page, not after the whole window. A recording id already seen here is skipped
before matching (the seen set is forgotten whenever the rules change, so a rule made in
another process since the last sync still gets its recordings); every new one is matched
against every rule in memory and becomes one delivery row per target (a person's DM or a
channel), naming the first rule that took it: overlapping rules of one person give one DM,
and the key keeps a recording found again (here after a restart, or by another process) one
notice.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.grammar.criteria import Owner
from bot.notices.match import COMPANY_SOURCE, LiveRule, RuleSet, running_rule
from bot.notices.pause import SHARING_DENIED, RulePauser
from bot.people.vbc_access import AccessFor, integration_only
from bot.search.merge import recording_key
from bot.store import Store
from bot.store.notices import PENDING, NoticeRows
from bot.store.tables import NoticeDelivery, NoticeSource
from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError, VbcRateLimitedError
from bot.vbc.filter import ORDER_NEWEST, RecordingFilter
from bot.vbc.models import Recording, RecordingKind

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # VBC's largest page
PRUNE_EVERY = timedelta(hours=1)


@dataclass
class NoticeTuning:
    """The poll interval and overlap (settings), and leases and waits tests shorten."""

    interval: float = 60.0
    overlap: timedelta = timedelta(minutes=120)
    lease_seconds: float = 60.0
    idle_wait: float = 1.0  # how often the database is looked at for due work
    sync_every: float = 10.0  # how often rule changes made elsewhere are read
    batch: int = 200  # deliveries claimed at once
    per_minute: int = 10  # notices for one target in a minute before the rest become a digest
    spacing: float = 1.0  # seconds between two posts to one target (Slack's ~1 a second)
    retry: float = 2.0  # first wait after Slack refused, then doubled
    attempts: int = 8  # then the notice is given up (state ``failed``)


class NoticePoller:
    def __init__(
        self,
        *,
        store: Store,
        vbc: VbcClient,
        clock: Clock,
        pauser: RulePauser,
        tuning: NoticeTuning,
        owner: str,
        admins: frozenset[str] = frozenset(),
        access_for: AccessFor | None = None,
        found: Callable[[], None] = lambda: None,
    ) -> None:
        self._rows = NoticeRows(store)
        self._access_for = access_for or integration_only(vbc)
        self._people: dict[str, tuple[str, str]] = {}  # VBC user -> (team, Slack user)
        self._admins = admins  # a personal rule over the company's recordings needs one
        self._store = store
        self._vbc = vbc
        self._clock = clock
        self._pauser = pauser
        self.tuning = tuning
        self.owner = owner
        self._found = found  # new deliveries were stored: wake the sender
        self._seen: dict[str, datetime] = {}  # recording key -> its start, pruned by age
        self._rules = RuleSet(())
        self._signature: frozenset[tuple[int, Owner | None]] = frozenset()
        self._synced_at: datetime | None = None
        self._pruned_at: datetime | None = None

    def rules_changed(self) -> None:
        """A rule was added or removed in this process: read the rules at the next pass."""
        self._synced_at = None

    async def tick(self) -> int:
        """Read the rules when due, then every listing that is due; how many were read."""
        now = self._clock()
        if self._synced_at is None or (now - self._synced_at).total_seconds() >= (
            self.tuning.sync_every
        ):
            await self._sync(now)
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            if pruned := await self._rows.prune_settled(self.tuning.overlap, now=now):
                log.info("forgot %d settled notices no listing reaches any more", pruned)
        until = now + timedelta(seconds=self.tuning.lease_seconds)
        sources = await self._rows.claim_sources(self.owner, now=now, until=until, limit=50)
        for source in sources:
            try:
                await self._poll(source)
            except VbcError as exc:
                log.warning("notice poll of %s failed: %s", source.id, exc)
            except Exception:  # one source's trouble must not hold up the others
                log.exception("notice poll of %s failed; trying again shortly", source.id)
            else:
                continue
            soon = timedelta(seconds=min(self.tuning.interval, 30.0))
            await self._again(source, self._clock() + soon)
        return len(sources)

    async def next_due(self) -> datetime | None:
        return await self._rows.next_source_due()

    # -- rules -------------------------------------------------------------------------------

    async def _sync(self, now: datetime) -> None:
        """The running rules with their owners read again, and the listings they need."""
        rules = await self._rows.rules(active=True)
        links = await self._rows.owners(
            (r.team_id, r.slack_user_id) for r in rules if r.kind == "personal"
        )
        shared = await self._rows.shared_channels() if any(r.channel_id for r in rules) else set()
        self._people = {
            link.vbc_user_id: (link.team_id, link.slack_user_id) for link in links.values()
        }
        live: list[LiveRule] = []
        for rule in rules:
            if rule.channel_id and (rule.team_id, rule.channel_id) not in shared:
                await self._pauser.pause(rule, SHARING_DENIED)
                continue
            made = running_rule(rule, links, self._admins)
            if made is not None:
                live.append(made)
        signature = frozenset((r.rule_id, r.criteria.owner) for r in live)
        if signature != self._signature:  # matched again: the seen ones met the old rules only
            self._seen.clear()
            self._signature = signature
        self._rules = RuleSet(live)
        wanted = {
            sid: (user, self._first_due(sid, now)) for sid, user in self._rules.sources().items()
        }
        await self._rows.sync_sources(wanted)
        self._synced_at = now

    def _first_due(self, source_id: str, now: datetime) -> datetime:
        """A new on-demand source is first read at a point of the interval its id picks."""
        if source_id == COMPANY_SOURCE:
            return now
        share = zlib.crc32(source_id.encode()) % 1000 / 1000
        return now + timedelta(seconds=self.tuning.interval * share)

    # -- one listing -------------------------------------------------------------------------

    async def _poll(self, source: NoticeSource) -> None:
        now = self._clock()
        interval = timedelta(seconds=self.tuning.interval)
        following = source.next_poll_at + interval  # keeps the source's place in the interval
        if following <= now:  # late (a pause, a restart): skip whole intervals, keep the place
            behind = (now - following) // interval + 1
            following += interval * behind
        since = min(source.watermark or now, now) - self.tuning.overlap
        fresh: dict[str, Recording] = {}  # found on the pages read since the last store
        watermark = source.watermark
        read = 0
        try:
            async for rec in self._listing(source, since):
                if rec.start is not None and (watermark is None or rec.start > watermark):
                    watermark = rec.start
                key = recording_key(rec)
                if key not in self._seen:
                    fresh[key] = rec  # keyed: a row shifted onto the next page counts once
                read += 1
                if read % PAGE_SIZE == 0:  # stores what is new and renews the lease
                    # A page's new recordings go to the sender now, not after the last page:
                    # the overlap makes a listing many pages long, and the newest come first.
                    if not await self._store_found(source, fresh.values(), now):
                        return  # the lease was lost: the process that took it reads it all
                    fresh = {}
        except VbcRateLimitedError as exc:
            wait = max(exc.retry_after or 0.0, 1.0)
            log.warning("notice poll of %s rate limited; again in %.0f s", source.id, wait)
            await self._again(source, now + timedelta(seconds=wait))
            return
        deliveries = self._deliveries(fresh.values(), now)
        stored = await self._rows.finish_source(
            source.id,
            self.owner,
            watermark=watermark,
            next_poll_at=following,
            deliveries=deliveries,
        )
        if stored:
            self._remember(fresh.values(), now)
            self._forget_before(now - self.tuning.overlap - interval)
        if stored and deliveries:
            self._found()

    async def _store_found(
        self, source: NoticeSource, recs: Iterable[Recording], now: datetime
    ) -> bool:
        """Store the deliveries of recordings found so far, renewing the source's lease; False
        when another process took the source over (its listing stores the same keys)."""
        recs = list(recs)
        deliveries = self._deliveries(recs, now)
        until = self._clock() + timedelta(seconds=self.tuning.lease_seconds)
        if not await self._rows.store_found(
            source.id, self.owner, until=until, deliveries=deliveries
        ):
            return False
        self._remember(recs, now)
        if deliveries:
            self._found()
        return True

    async def _again(self, source: NoticeSource, at: datetime) -> None:
        """Let the source go unread (its watermark kept), to be read again ``at``."""
        await self._rows.finish_source(
            source.id, self.owner, watermark=source.watermark, next_poll_at=at, deliveries=()
        )

    def _deliveries(self, recs: Iterable[Recording], now: datetime) -> list[NoticeDelivery]:
        return [
            _delivery(rule, rec, now)
            for rec in recs
            for rule in _first_per_target(self._rules, rec)
        ]

    def _remember(self, recs: Iterable[Recording], now: datetime) -> None:
        """Only once stored: a listing whose rows were lost is matched again next time."""
        for rec in recs:
            self._seen[recording_key(rec)] = rec.start or now

    async def _listing(self, source: NoticeSource, since: datetime) -> AsyncIterator[Recording]:
        """Every page of the source from ``since``, newest first: the new recordings are on
        the first page, the late-listed ones (started long ago) further on. A person's
        on-demand ones with their own VBC login when they connected it
        (``bot.people.vbc_access``)."""
        query = RecordingFilter(start_gte=since, order=ORDER_NEWEST, page_size=PAGE_SIZE)
        if source.vbc_user_id is None:
            async for rec in self._vbc.iter_company_recordings(query):
                yield rec
            return
        client = self._vbc
        if person := self._people.get(source.vbc_user_id):
            access = await self._access_for(*person)
            client = access.for_user(RecordingKind.ON_DEMAND, source.vbc_user_id)
        async for rec in client.iter_user_recordings(source.vbc_user_id, query):
            yield rec

    def _forget_before(self, cutoff: datetime) -> None:
        if len(self._seen) < 1000:
            return
        self._seen = {key: start for key, start in self._seen.items() if start >= cutoff}


def _first_per_target(rules: RuleSet, rec: Recording) -> list[LiveRule]:
    """One rule per target that takes ``rec``: the oldest (lowest id)."""
    first: dict[tuple[str, str], LiveRule] = {}
    for rule in sorted(rules.matching(rec), key=lambda r: r.rule_id):
        first.setdefault((rule.team_id, rule.target), rule)
    return list(first.values())


def delivery_id(team_id: str, target: str, rec: Recording) -> str:
    """The key that makes a recording one notice per target, whatever rules overlap."""
    return f"{team_id}:{target}:{recording_key(rec)}"


def _delivery(rule: LiveRule, rec: Recording, now: datetime) -> NoticeDelivery:
    return NoticeDelivery(
        id=delivery_id(rule.team_id, rule.target, rec),
        rule_id=rule.rule_id,
        team_id=rule.team_id,
        target=rule.target,
        recording=rec.model_dump_json(),
        state=PENDING,
        due_at=now,
        created_at=now,
    )

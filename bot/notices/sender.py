"""Posting notices exactly once: leased delivery rows, Slack's pace, digests of bursts.

A delivery row is claimed under a lease (``bot.store.lease``) before its message is posted,
and the message's ts is written the moment Slack answers, in the same statement that ends
the lease; a process killed before that write leaves a leased row that another process
re-claims when the lease runs out. chat.postMessage has no idempotency key, so the one
window for a second post is between Slack's answer and that commit (``windows`` measures it).
A process that finds its row taken over when it writes deletes its own copy.

Per target: about one post a second (Slack's rate), a 429 honoured with its Retry-After; once
a target had ``per_minute`` messages in the last minute, further notices are collected and
posted together as one digest when that minute ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.notices import render_digest, render_notice
from bot.clock import Clock
from bot.grammar import SearchRequest, format_filter
from bot.grammar.criteria import Criteria, matches
from bot.grammar.times import pinned
from bot.notices.match import owner_of
from bot.notices.pause import BOT_NOT_THERE, SHARING_DENIED, RulePauser
from bot.notices.poller import NoticeTuning
from bot.ops.metrics import Metrics
from bot.people.directory import Directory
from bot.people.profiles import InactiveAccountError
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.notices import DIGEST, FAILED, PENDING, SKIPPED, NoticeRows
from bot.store.tables import ChannelSetting, Link, NoticeDelivery, NoticeRule
from bot.vbc.models import Recording

log = logging.getLogger(__name__)

MINUTE = timedelta(minutes=1)
CHANNEL_GONE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
PERSON_GONE = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"})
Message = dict[str, Any]


@dataclass(frozen=True)
class _Targets:
    """Read once per pass for all its targets: posts in the last minute, links, channels."""

    posts: Mapping[str, list[datetime]]
    linked: Mapping[tuple[str, str], Link]
    channels: Mapping[tuple[str, str], ChannelSetting]


class _Stop(Exception):
    """Nothing more goes to this target in this pass (rate limited, or the rule paused)."""


class NoticeSender:
    def __init__(
        self,
        *,
        store: Store,
        slack: SlackClients,
        directory: Directory,
        pauser: RulePauser,
        clock: Clock,
        tuning: NoticeTuning,
        owner: str,
        admins: frozenset[str] = frozenset(),
        metrics: Metrics | None = None,
    ) -> None:
        self._admins = admins
        self._rows = NoticeRows(store)
        self._metrics = metrics
        self._slack = slack
        self._directory = directory
        self._pauser = pauser
        self._clock = clock
        self.tuning = tuning
        self.owner = owner
        self._next_post: dict[str, float] = {}  # target -> loop time its next post may go
        # Seconds from Slack's answer to the ts committed, the latest few thousand (bench).
        self.windows: deque[float] = deque(maxlen=10_000)

    async def tick(self) -> int:
        """Claim due notices and post them, targets side by side; how many were claimed."""
        now = self._clock()
        until = now + timedelta(seconds=self.tuning.lease_seconds)
        claimed = await self._rows.claim_deliveries(
            self.owner, now=now, until=until, limit=self.tuning.batch
        )
        if not claimed:
            return 0
        rules = await self._rows.rules_by_id({d.rule_id for d in claimed})
        by_target: defaultdict[str, list[NoticeDelivery]] = defaultdict(list)
        for row in claimed:
            by_target[row.target].append(row)
        known = await self._targets(by_target, rules, now)
        await asyncio.gather(*(self._serve(rows, rules, known) for rows in by_target.values()))
        return len(claimed)

    async def _targets(
        self,
        by_target: Mapping[str, list[NoticeDelivery]],
        rules: dict[int, NoticeRule],
        now: datetime,
    ) -> _Targets:
        """What posting needs to know of every target in the pass, in three queries."""
        # Each target's rule as ``_serve_live`` will see it: the first whose rule still exists.
        firsts = [
            rule
            for rows in by_target.values()
            if (rule := next((rules[r.rule_id] for r in rows if r.rule_id in rules), None))
        ]
        people = [(r.team_id, r.slack_user_id) for r in firsts if r.kind == "personal"]
        channels = [(r.team_id, r.channel_id) for r in firsts if r.channel_id]
        return _Targets(
            posts=await self._rows.posts_since_by_target(by_target.keys(), now - MINUTE),
            linked=await self._rows.owners(people),
            channels=await self._rows.channel_settings(channels),
        )

    async def next_due(self) -> datetime | None:
        return await self._rows.next_delivery_due()

    # -- one target --------------------------------------------------------------------------

    async def _serve(
        self, rows: list[NoticeDelivery], rules: dict[int, NoticeRule], known: _Targets
    ) -> None:
        live = [r for r in rows if (rule := rules.get(r.rule_id)) and rule.paused_reason is None]
        gone = [r.id for r in rows if r not in live]
        if gone:
            await self._rows.release(gone, self.owner, state=SKIPPED)
        if not live:
            return
        try:
            await self._serve_live(live, rules, known)
        except _Stop:
            pass
        except Exception:
            log.exception("notices for %s: pass failed; they are tried again", live[0].target)
            await self._back_off(live)

    async def _serve_live(
        self, rows: list[NoticeDelivery], rules: dict[int, NoticeRule], known: _Targets
    ) -> None:
        first = rules[rows[0].rule_id]
        target = rows[0].target
        try:
            client = await self._slack.for_team(first.team_id)
        except LookupError:  # the app was uninstalled from that workspace
            await self._rows.release([r.id for r in rows], self.owner, state=SKIPPED)
            return
        play_here = await self._check_target(first, rows, rules, known)
        rows = await self._still_theirs(first, rows, rules, known)
        posts = list(known.posts.get(target, ()))
        digest_rows = [r for r in rows if r.state == DIGEST]
        collect: list[NoticeDelivery] = []
        for row in (r for r in rows if r.state == PENDING):
            if len(posts) >= self.tuning.per_minute:
                collect.append(row)
                continue
            rule = rules[row.rule_id]
            rec = Recording.model_validate_json(row.recording)
            assert rule.id is not None
            message = render_notice(rec, rule_id=rule.id, summary=rule.summary, play_here=play_here)
            if await self._post(client, rows, [row], message, rules):
                posts.append(self._clock())
                self._count("sent")
        if collect:
            await self._collect(target, collect, posts)
        if digest_rows:
            await self._post_digest(client, rows, digest_rows, rules, play_here)

    async def _check_target(
        self,
        first: NoticeRule,
        rows: list[NoticeDelivery],
        rules: dict[int, NoticeRule],
        known: _Targets,
    ) -> bool:
        """May notices go there now? Raises _Stop when not; True where Play posts into it."""
        target = rows[0].target
        if first.kind == "personal":
            try:
                await self._directory.require_active(first.team_id, target)
            except (InactiveAccountError, LookupError):
                # A deactivated person's rules stop: nothing more is posted for them.
                await self._rows.release([r.id for r in rows], self.owner, state=SKIPPED)
                raise _Stop from None
            return False
        setting = known.channels.get((first.team_id, target)) or ChannelSetting(
            team_id=first.team_id, channel_id=target
        )
        if not setting.allow_share:
            await self._pause_all(rows, rules, SHARING_DENIED)
            raise _Stop
        return setting.delivers_directly

    async def _still_theirs(
        self,
        first: NoticeRule,
        rows: list[NoticeDelivery],
        rules: dict[int, NoticeRule],
        known: _Targets,
    ) -> list[NoticeDelivery]:
        """The rows a person may still see now, checked again at posting: the poll's view of
        links and admins can be up to ``sync_every`` old. A personal rule over the company's
        recordings needs its owner to be an admin; one over their own, the recording to be
        theirs under their link as it is now (unlinked, or linked to another VBC user: not)."""
        if first.kind != "personal":
            return rows
        link = known.linked.get((first.team_id, first.slack_user_id))
        keep: list[NoticeDelivery] = []
        for row in rows:
            criteria = Criteria.from_json(json.loads(rules[row.rule_id].criteria))
            if criteria.owner is None:
                allowed = first.slack_user_id in self._admins
            elif link is None:
                allowed = False
            else:
                rec = Recording.model_validate_json(row.recording)
                allowed = matches(replace(criteria, owner=owner_of(link)), rec)
            if allowed:
                keep.append(row)
        dropped = [r.id for r in rows if r not in keep]
        if dropped:
            await self._rows.release(dropped, self.owner, state=SKIPPED)
        if not keep:
            raise _Stop
        return keep

    async def _collect(
        self, target: str, rows: list[NoticeDelivery], posts: list[datetime]
    ) -> None:
        """Into the target's digest, which goes out when the minute of its last posts ends."""
        due = await self._rows.digest_due(target, after=self._clock())
        if due is None:
            due = sorted(posts)[-self.tuning.per_minute] + MINUTE
        await self._rows.release([r.id for r in rows], self.owner, state=DIGEST, due_at=due)

    async def _post_digest(
        self,
        client: AsyncWebClient,
        rows: list[NoticeDelivery],
        digest_rows: list[NoticeDelivery],
        rules: dict[int, NoticeRule],
        play_here: bool,
    ) -> None:
        recs = sorted(
            (Recording.model_validate_json(r.recording) for r in digest_rows),
            key=lambda rec: (rec.start is None, rec.start, rec.id),
        )
        rule_ids = sorted({r.rule_id for r in digest_rows})
        one = rules[rule_ids[0]] if len(rule_ids) == 1 else None
        starts = [rec.start for rec in recs if rec.start is not None]
        search = digest_search([rules[r] for r in rule_ids], starts)
        message = render_digest(
            recs,
            rule_ids=rule_ids,
            summary=one.summary if one else "several rules",
            search=search,
            play_here=play_here,
        )
        if await self._post(client, rows, digest_rows, message, rules):
            self._count("digest", len(digest_rows))

    # -- one message -------------------------------------------------------------------------

    async def _post(
        self,
        client: AsyncWebClient,
        all_rows: list[NoticeDelivery],
        rows: list[NoticeDelivery],
        message: Message,
        rules: dict[int, NoticeRule],
    ) -> bool:
        """Post one message for ``rows``; True when it was posted and recorded here."""
        target = rows[0].target
        await self._pace(target)
        loop = asyncio.get_running_loop()
        try:
            answer = await client.chat_postMessage(
                channel=target,
                text=str(message["text"]),
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            await self._refused(exc, all_rows, rows, rules)
            return False
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("notice to %s not posted: %r; trying again", target, exc)
            await self._back_off(rows)
            return False
        answered = loop.time()
        ids = [r.id for r in rows]
        channel, ts = str(answer["channel"]), str(answer["ts"])
        held = await self._rows.record_posted(
            ids, self.owner, channel=channel, ts=ts, now=self._clock()
        )
        self.windows.append(loop.time() - answered)
        if not held:  # taken over while Slack answered: the new owner's message stands
            log.warning("notice to %s was taken over; removing this copy", target)
            try:
                await client.chat_delete(channel=channel, ts=ts)
            except SlackApiError as exc:
                log.warning("duplicate notice left in %s: %s", target, exc.response.status_code)
            return False
        return True

    async def _pace(self, target: str) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        at = max(now, self._next_post.get(target, now))
        self._next_post[target] = at + self.tuning.spacing
        if at > now:
            await asyncio.sleep(at - now)

    async def _refused(
        self,
        exc: SlackApiError,
        all_rows: list[NoticeDelivery],
        rows: list[NoticeDelivery],
        rules: dict[int, NoticeRule],
    ) -> None:
        # A proxy's or a gateway's error page is not JSON: no error code to read then.
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error") or "")
        target = rows[0].target
        kind = rules[rows[0].rule_id].kind
        if exc.response.status_code == 429 or error == "ratelimited":
            wait = _retry_after(exc)
            log.warning("notices to %s rate limited; again in %.0f s", target, wait)
            loop = asyncio.get_running_loop()
            self._next_post[target] = loop.time() + wait
            due = self._clock() + timedelta(seconds=wait)
            await self._rows.release(
                [r.id for r in all_rows], self.owner, due_at=due
            )  # those already posted are no longer held: only the rest come back
            raise _Stop
        if kind == "channel" and error in CHANNEL_GONE:
            self._count("refused", len(rows))
            await self._pause_all(all_rows, rules, BOT_NOT_THERE)
            raise _Stop
        if kind == "personal" and error in PERSON_GONE:
            self._count("refused", len(rows))
            await self._rows.release([r.id for r in rows], self.owner, state=SKIPPED)
            return
        log.warning("notice to %s refused by Slack (%s); trying again", target, error)
        await self._back_off(rows)

    async def _pause_all(
        self, rows: list[NoticeDelivery], rules: dict[int, NoticeRule], reason: str
    ) -> None:
        for rule_id in sorted({r.rule_id for r in rows}):
            await self._pauser.pause(rules[rule_id], reason)
        await self._rows.release([r.id for r in rows], self.owner, state=SKIPPED)

    async def _back_off(self, rows: Sequence[NoticeDelivery]) -> None:
        now = self._clock()
        for row in rows:
            attempts = row.attempts + 1
            if attempts >= self.tuning.attempts:
                log.error("notice %s given up after %d tries", row.id, attempts)
                self._count("failed")
                await self._rows.release([row.id], self.owner, state=FAILED)
                continue
            wait = self.tuning.retry * 2 ** (attempts - 1)
            await self._rows.retry_later(
                row.id, self.owner, attempts=attempts, due_at=now + timedelta(seconds=wait)
            )

    def _count(self, outcome: str, n: int = 1) -> None:
        if self._metrics is not None:
            self._metrics.notices.labels(outcome=outcome).inc(n)


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return max(float(raw), 1.0)
    except (TypeError, ValueError):
        return 1.0


def digest_search(rules: Sequence[NoticeRule], starts: Sequence[datetime]) -> str:
    """The search that shows a digest's recordings: the rule's filters over their times.

    The times are pinned as UTC instants (``since:2026-12-04T14:03:05Z``): whoever runs the
    search reads it in their own time zone, and a bare local time would shift by its offset.
    """
    criteria = Criteria.from_json(json.loads(rules[0].criteria)) if len(rules) == 1 else Criteria()
    company = all(
        r.kind == "channel" or Criteria.from_json(json.loads(r.criteria)).owner is None
        for r in rules
    )
    request = SearchRequest(
        filter=replace(criteria.filter, start_gte=None, start_lte=None),
        numbers=criteria.numbers,
        kind=None if company else criteria.kind,
        company=company,
    )
    text = format_filter(request, tz=ZoneInfo("UTC"))
    if starts:
        text += f" since:{pinned(min(starts))} until:{pinned(max(starts))}"
    return text.strip()

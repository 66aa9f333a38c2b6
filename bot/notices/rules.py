"""`/recordings notify …`: making, listing and removing rules, each change audited.

A rule is refused with a specific message, and nothing stored, when its filters do not read,
hold a time window, an order or a page size (a rule looks at recordings as they arrive), ask
for more than the person may see, come from a person with no VBC link, or name a channel the
bot cannot post in or where sharing is not allowed. A channel rule is checked by posting its
announcement there first: Slack's answer is the test, with no extra scope.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.blocks.mrkdwn import clip
from bot.blocks.notices import RuleView, home_blocks, render_rules
from bot.clock import Clock
from bot.grammar import FilterError, SearchRequest, describe_filter, format_filter
from bot.grammar.commands import Notify, NotifyAction
from bot.grammar.criteria import Criteria, Owner
from bot.people.asker import Asker
from bot.people.directory import Directory
from bot.people.policy import NOT_LINKED, UNLINKED, AccessRefusedError, Person
from bot.search.service import RecordingsService
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.notices import NoticeRows
from bot.store.tables import AuditEvent, NoticeRule
from bot.vbc.models import RecordingKind

log = logging.getLogger(__name__)

Message = dict[str, Any]
MAX_RULES_PER_PERSON = 20
PERSONAL, CHANNEL = "personal", "channel"
ADD, REMOVE = "notify_add", "notify_remove"  # audit actions (and ``notify_pause``)
LIST_ALL = "notify_list"  # audited when refused: ``notify all`` is for admins
MAX_CRITERIA = 8000  # the stored columns' sizes (migration 0009)
MAX_SUMMARY = 1000
MAX_SEARCH_TEXT = 4000
CANT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
NOT_YOURS = "Rule {id} is not one of your rules. `/recordings notify` lists yours."


class NoticeRules:
    def __init__(
        self,
        *,
        store: Store,
        directory: Directory,
        recordings: RecordingsService,
        slack: SlackClients,
        admins: frozenset[str],
        clock: Clock,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._rows = NoticeRows(store)
        self._directory = directory
        self._recordings = recordings  # the asker's time zone and the grammar's region
        self._slack = slack
        self._admins = admins
        self._clock = clock
        self._changed = changed  # the watcher reads the rules again

    async def command(self, asker: Asker, command: Notify) -> Message:
        match command.action:
            case NotifyAction.ME:
                return await self.add_personal(asker, command.text)
            case NotifyAction.CHANNEL:
                assert command.channel_id is not None
                return await self.add_channel(asker, command.channel_id, command.text)
            case NotifyAction.OFF:
                return await self.off(asker, command.rule_id)
            case NotifyAction.REMOVE:
                assert command.rule_id is not None
                return await self.remove(asker, command.rule_id)
            case NotifyAction.ALL:
                return await self.list_all(asker)
            case _:
                return await self.list_mine(asker)

    # -- making ------------------------------------------------------------------------------

    async def add_personal(self, asker: Asker, text: str) -> Message:
        person = await self._directory.person(asker.team_id, asker.user_id)
        request = await self._read(asker, text)
        if isinstance(request, str):
            return await self._refuse(asker, request, text)
        if person.identity is None and not (person.is_admin and request.company):
            refusal = UNLINKED if person.unlinked else NOT_LINKED
            return await self._refuse(asker, refusal, text)
        try:
            await self._directory.plan_for(person, request)
        except AccessRefusedError as refusal:
            return await self._refuse(asker, str(refusal), text)
        owner = (
            None
            if request.company or person.identity is None
            else Owner(person.identity.vbc_user_id, person.identity.extensions)
        )
        kind = RecordingKind.COMPANY if request.company else request.kind
        criteria = replace(Criteria.of(request, owner=owner), kind=kind)
        if too_big := _too_big(criteria):
            return await self._refuse(asker, too_big, text)
        mine = await self._rows.rules(asker.team_id, user_id=asker.user_id, kind=PERSONAL)
        if same := next((r for r in mine if _same(r, criteria)), None):
            return blocks.render_notice(
                f"You already have rule {same.id} for that: {same.summary}. "
                "`/recordings notify` lists your rules."
            )
        if len(mine) >= MAX_RULES_PER_PERSON:
            return await self._refuse(
                asker,
                f"You have {len(mine)} rules, the most one person may have. Remove one with "
                "`/recordings notify off <rule id>` first.",
                text,
            )
        rule = await self._store_rule(asker, PERSONAL, None, criteria, request)
        what = "company recording" if owner is None else "recording of yours"
        return blocks.render_notice(
            f":bell: Rule {rule.id} is on: I'll DM you each new {what} that matches "
            f"*{rule.summary}*. `/recordings notify off {rule.id}` stops it."
        )

    async def add_channel(self, asker: Asker, channel_id: str, text: str) -> Message:
        if asker.user_id not in self._admins:
            return await self._refuse(
                asker, "Only recordings admins can post new recordings into a channel.", text
            )
        request = await self._read(asker, text)
        if isinstance(request, str):
            return await self._refuse(asker, request, text)
        if request.user or request.kind is RecordingKind.ON_DEMAND:
            return await self._refuse(
                asker,
                "A channel rule covers company recordings: drop "
                + ("`user:`" if request.user else "`type:on-demand`")
                + " (use `ext:` for one person's extension).",
                text,
            )
        setting = await self._store.get_channel(asker.team_id, channel_id)
        if not setting.allow_share:
            return await self._refuse(
                asker,
                f"Sharing recordings is not allowed in <#{channel_id}>, so I won't post them "
                "there. Run `/recordings channel allow` in that channel first.",
                text,
            )
        request = replace(request, company=True, kind=None)
        criteria = replace(Criteria.of(request), kind=RecordingKind.COMPANY)
        here = await self._rows.rules(asker.team_id, kind=CHANNEL)
        if same := next(
            (r for r in here if r.channel_id == channel_id and _same(r, criteria)), None
        ):
            return blocks.render_notice(
                f"Rule {same.id} already posts that in <#{channel_id}>: {same.summary}."
            )
        if too_big := _too_big(criteria):
            return await self._refuse(asker, too_big, text)
        summary = _summary(request, UTC)
        refusal = await self._announce(asker, channel_id, summary)
        if refusal:
            return await self._refuse(asker, refusal, text)
        rule = await self._store_rule(asker, CHANNEL, channel_id, criteria, request)
        return blocks.render_notice(
            f":bell: Rule {rule.id} is on: new company recordings matching *{rule.summary}* "
            f"are posted in <#{channel_id}>. `/recordings notify remove {rule.id}` stops it."
        )

    async def _read(self, asker: Asker, text: str) -> SearchRequest | str:
        """The filters, or why a rule cannot have them."""
        try:
            request = await self._recordings.parse(asker, text)
        except FilterError as exc:
            return str(exc)
        f = request.filter
        if f.start_gte is not None or f.start_lte is not None:
            return (
                "A rule looks at recordings as they arrive, so it takes no time words "
                "(`today`, `last 7d`, `since:`, `until:` …): drop them and try again."
            )
        if f.order is not None:
            return "A rule has no order: drop `oldest` / `newest` and try again."
        if f.page_size is not None:
            return "A rule has no pages: drop `page-size:` and try again."
        if request.user:
            return (
                "A rule of yours covers your own recordings; `user:@person` is for searches. "
                "Drop it and try again."
            )
        return request

    async def _announce(self, asker: Asker, channel_id: str, summary: str) -> str | None:
        """Tell the channel; Slack's refusal means the bot cannot post there (no extra scope)."""
        client = await self._slack.for_team(asker.team_id)
        text = (
            f":bell: <@{asker.user_id}> asked me to post new company recordings matching "
            f"*{summary}* in this channel."
        )
        try:
            await client.chat_postMessage(channel=channel_id, text=text, unfurl_links=False)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error in CANT_POST:
                return (
                    f"I can't post in <#{channel_id}> (Slack says `{error}`): invite me with "
                    f"`/invite @recordings-bot` in that channel, then run this again."
                )
            raise
        return None

    async def _store_rule(
        self,
        asker: Asker,
        kind: str,
        channel_id: str | None,
        criteria: Criteria,
        request: SearchRequest,
    ) -> NoticeRule:
        tz = await self._recordings.tz_of(asker)
        now = self._clock()
        rule = NoticeRule(
            team_id=asker.team_id,
            kind=kind,
            slack_user_id=asker.user_id,
            channel_id=channel_id,
            criteria=json.dumps(criteria.to_json()),
            summary=clip(_summary(request, tz), MAX_SUMMARY),
            search_text=clip(format_filter(request, tz=tz), MAX_SEARCH_TEXT),
            created_at=now,
        )
        event = self._event(asker, ADD, "allowed", f"{kind} {channel_id or ''}: {rule.summary}")
        stored = await self._rows.add_rule(rule, event)
        self._changed()
        return stored

    # -- listing and removing ----------------------------------------------------------------

    async def list_mine(self, asker: Asker) -> Message:
        rules = await self._rows.rules(asker.team_id, user_id=asker.user_id)
        return render_rules(
            [_view(r) for r in rules],
            title="*Your new-recording rules*",
            empty="You have none. `/recordings notify me [filters]` DMs you new recordings.",
        )

    async def list_all(self, asker: Asker) -> Message:
        if asker.user_id not in self._admins:
            return await self._refuse(
                asker, "Only recordings admins can list every rule.", "all", action=LIST_ALL
            )
        rules = await self._rows.rules(asker.team_id)
        return render_rules(
            [_view(r, owner=True) for r in rules],
            title="*Every new-recording rule in this workspace*",
            empty="There are none yet.",
        )

    async def off(self, asker: Asker, rule_id: int | None) -> Message:
        if rule_id is not None:
            return await self.remove(asker, rule_id)
        mine = await self._rows.rules(asker.team_id, user_id=asker.user_id, kind=PERSONAL)
        if not mine:
            return blocks.render_notice("You have no rules to turn off.")
        await self._remove(asker, mine)
        return blocks.render_notice(
            f":no_bell: Removed your {len(mine)} rule{'s' if len(mine) != 1 else ''}: "
            "no more notices in your DM."
        )

    async def remove(self, asker: Asker, rule_id: int) -> Message:
        rule = await self._rows.rule(rule_id)
        admin = asker.user_id in self._admins
        mine = rule is not None and rule.slack_user_id == asker.user_id
        if rule is None or rule.team_id != asker.team_id or not (mine or admin):
            refusal = f"There is no rule {rule_id}." if admin else NOT_YOURS.format(id=rule_id)
            return await self._refuse(asker, refusal, f"remove {rule_id}", action=REMOVE)
        await self._remove(asker, [rule])
        return blocks.render_notice(f":no_bell: Removed rule {rule_id} ({rule.summary}).")

    async def _remove(self, asker: Asker, rules: list[NoticeRule]) -> None:
        events = [
            self._event(asker, REMOVE, "allowed", f"{r.kind} {r.channel_id or ''}: {r.summary}")
            for r in rules
        ]
        for event, rule in zip(events, rules, strict=True):
            event.target = f"rule {rule.id}"
        await self._rows.remove_rules([r.id for r in rules if r.id is not None], events)
        self._changed()

    # -- App Home ----------------------------------------------------------------------------

    async def home(self, asker: Asker, person: Person) -> list[dict[str, Any]]:
        rules = await self._rows.rules(asker.team_id, user_id=asker.user_id, kind=PERSONAL)
        return home_blocks(
            [_view(r) for r in rules],
            notify_me_on=any(_plain(r) for r in rules),
            linked=person.identity is not None,
        )

    async def toggle(self, asker: Asker, on: bool) -> Message:
        """The App Home toggle: "notify me" of every new recording of mine, on or off."""
        if on:
            return await self.add_personal(asker, "")
        plain = [
            r
            for r in await self._rows.rules(asker.team_id, user_id=asker.user_id, kind=PERSONAL)
            if _plain(r)
        ]
        if plain:
            await self._remove(asker, plain)
        return blocks.render_notice(":no_bell: Notify me is off.")

    # -- audit -------------------------------------------------------------------------------

    def _event(self, asker: Asker, action: str, outcome: str, detail: str) -> AuditEvent:
        return AuditEvent(
            at=self._clock(),
            team_id=asker.team_id,
            actor=asker.user_id,
            action=action,
            outcome=outcome,
            detail=detail[:2000],
        )

    async def _refuse(self, asker: Asker, why: str, text: str, *, action: str = ADD) -> Message:
        """A refusal is audited (no rule is stored) and answered with what to do instead."""
        await self._store.audit(
            asker.team_id,
            asker.user_id,
            action,
            outcome="refused",
            detail=f"{text[:500]}: {why}"[:2000],
        )
        return blocks.render_error(why)


def _summary(request: SearchRequest, tz: Any) -> str:
    text = describe_filter(request, tz=tz)
    return "every new recording" if text == "all recordings" else text


def _too_big(criteria: Criteria) -> str | None:
    """Why a rule's filters are more than a rule keeps (the stored column's size), if so."""
    if len(json.dumps(criteria.to_json())) <= MAX_CRITERIA:
        return None
    return (
        f"That is more filters than a rule keeps ({len(criteria.numbers)} numbers): split it "
        "into a few rules with fewer numbers each."
    )


def _same(rule: NoticeRule, criteria: Criteria) -> bool:
    stored = Criteria.from_json(json.loads(rule.criteria))
    return replace(stored, owner=None) == replace(criteria, owner=None)


def _plain(rule: NoticeRule) -> bool:
    """The App Home toggle's rule: no filters at all."""
    stored = Criteria.from_json(json.loads(rule.criteria))
    return stored.owner is not None and replace(stored, owner=None) == Criteria()


def _view(rule: NoticeRule, *, owner: bool = False) -> RuleView:
    assert rule.id is not None
    return RuleView(
        rule_id=rule.id,
        where=f"<#{rule.channel_id}>" if rule.channel_id else ("DM" if owner else "your DM"),
        summary=rule.summary,
        owner=rule.slack_user_id if owner else None,
        paused=rule.paused_reason,
    )

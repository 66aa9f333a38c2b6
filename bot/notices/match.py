"""Which rules a new recording meets (pure): every rule matched in memory by the one matcher.

Rules are indexed by what narrows them cheaply (a personal rule by its owner's VBC user and
extensions; company-wide and channel rules are tried on every company recording), then
``bot.grammar.criteria.matches`` decides, the same test legal holds use. A rule only takes
recordings of calls that ended after it was made: those are the new ones.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot.grammar.criteria import Criteria, Owner, matches
from bot.people.directory import identity_from
from bot.store.tables import Link, NoticeRule
from bot.vbc.models import Recording, RecordingKind

COMPANY_SOURCE = "company"
VBC_TIME_GRAIN = timedelta(seconds=2)


def on_demand_source(vbc_user_id: str) -> str:
    return f"od:{vbc_user_id}"


@dataclass(frozen=True)
class LiveRule:
    """A rule as the poll uses it: its owner read from the person's link just now."""

    rule_id: int
    team_id: str
    target: str  # a channel id, or the person (their DM)
    criteria: Criteria
    since: datetime  # when the rule was made

    def takes(self, rec: Recording) -> bool:
        return _ended(rec) >= self.since and matches(self.criteria, rec)


def live_rule(
    rule_id: int,
    team_id: str,
    target: str,
    criteria: Criteria,
    since: datetime,
    owner: Owner | None,
) -> LiveRule:
    """``owner`` replaces the one stored: extensions change, and a link may be gone.

    VBC gives times to the second (``start`` and ``end`` both cut), so "ended after the rule
    was made" allows the two seconds those cuts can take off.
    """
    if criteria.owner is not None:
        criteria = replace(criteria, owner=owner)
    return LiveRule(rule_id, team_id, target, criteria, since - VBC_TIME_GRAIN)


def owner_of(link: Link) -> Owner:
    """The owner a person's link makes them now (``Directory``'s reading of a link)."""
    identity = identity_from(link)
    return Owner(identity.vbc_user_id, identity.extensions)


def running_rule(
    rule: NoticeRule, links: Mapping[tuple[str, str], Link], admins: frozenset[str]
) -> LiveRule | None:
    """A stored rule as it runs now, or None while it cannot: a personal rule over the
    company's recordings needs its owner in ``BOT_ADMINS``, one over their own a link (its
    owner is read from that link, so unlinking stops it and relinking follows)."""
    assert rule.id is not None
    criteria = Criteria.from_json(json.loads(rule.criteria))
    owner: Owner | None = None
    if criteria.owner is None and rule.kind == "personal":
        if rule.slack_user_id not in admins:
            return None
    elif criteria.owner is not None:
        link = links.get((rule.team_id, rule.slack_user_id))
        if link is None:
            return None
        owner = owner_of(link)
    target = rule.channel_id or rule.slack_user_id
    return live_rule(rule.id, rule.team_id, target, criteria, rule.created_at, owner)


class RuleSet:
    """Every running rule, indexed for matching one recording at a time.

    A company-wide rule that names a caller, a dialed number or an extension (``from:``,
    ``to:``, ``ext:``: equal or one of, see ``bot.grammar.criteria``) can only take recordings
    with that value, so it is filed under it: a company recording is tried against the rules
    filed under its own values and the few that name none, not against every channel rule.
    """

    def __init__(self, rules: Iterable[LiveRule]) -> None:
        self.rules = list(rules)
        self._wide: list[LiveRule] = []  # no owner and no value to file it under
        self._wide_by: defaultdict[tuple[str, str], list[LiveRule]] = defaultdict(list)
        self._by_ext: defaultdict[str, list[LiveRule]] = defaultdict(list)
        self._by_user: defaultdict[str, list[LiveRule]] = defaultdict(list)
        for rule in self.rules:
            owner = rule.criteria.owner
            if owner is None:
                key = _filed_under(rule.criteria)
                (self._wide if key is None else self._wide_by[key]).append(rule)
                continue
            self._by_user[owner.vbc_user_id].append(rule)
            for ext in owner.extensions:
                self._by_ext[ext].append(rule)

    def matching(self, rec: Recording) -> list[LiveRule]:
        if rec.kind is RecordingKind.ON_DEMAND:
            candidates = list(self._by_user.get(rec.owner_user_id or "", ()))
        else:
            keys = [("caller", rec.caller_id), ("dnis", rec.dnis)]
            keys += [("ext", e) for e in rec.extensions]
            seen: set[int] = set()
            candidates = []
            for rule in (
                *self._wide,
                *(r for k, v in keys if v is not None for r in self._wide_by.get((k, v), ())),
                *(r for e in rec.extensions for r in self._by_ext.get(e, ())),
            ):
                if rule.rule_id not in seen:
                    seen.add(rule.rule_id)
                    candidates.append(rule)
        return [rule for rule in candidates if rule.takes(rec)]

    def sources(self) -> dict[str, str | None]:
        """The listings these rules need: company once, on-demand once per owner who may
        get on-demand recordings (source id -> the VBC user it is read under)."""
        wanted: dict[str, str | None] = {}
        for rule in self.rules:
            kind, owner = rule.criteria.kind, rule.criteria.owner
            if kind in (None, RecordingKind.COMPANY) and (owner is None or owner.extensions):
                wanted[COMPANY_SOURCE] = None
            if owner is not None and kind in (None, RecordingKind.ON_DEMAND):
                wanted[on_demand_source(owner.vbc_user_id)] = owner.vbc_user_id
        return wanted


def _filed_under(criteria: Criteria) -> tuple[str, str] | None:
    """A value every recording the criteria take must have, if the filter names one."""
    f = criteria.filter
    if f.caller_id is not None:
        return ("caller", str(f.caller_id))
    if f.dnis is not None:
        return ("dnis", str(f.dnis))
    if f.extension is not None:
        return ("ext", str(f.extension))
    return None


def _ended(rec: Recording) -> datetime:
    """When the call ended; one VBC gives no time for is taken as new."""
    if rec.end is not None:
        return rec.end
    if rec.start is None:
        return _FAR_FUTURE
    return rec.start + timedelta(milliseconds=rec.duration or 0)


_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)

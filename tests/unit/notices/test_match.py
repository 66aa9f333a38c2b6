"""Rules matched in memory: owners, company-wide rules, "new" meaning ended after the rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.grammar.commands import CommandError, Notify, NotifyAction, parse_command
from bot.grammar.criteria import Criteria, Owner
from bot.notices.match import COMPANY_SOURCE, RuleSet, live_rule
from bot.vbc.filter import Direction, RecordingFilter
from bot.vbc.models import Recording, RecordingKind

MADE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def rec(rec_id: int, *, ext: str = "101", owner: str | None = None, minutes: int = 5) -> Recording:
    start = MADE + timedelta(minutes=minutes)
    return Recording(
        id=rec_id,
        kind=RecordingKind.ON_DEMAND if owner else RecordingKind.COMPANY,
        owner_user_id=owner,
        call_direction="INBOUND",
        start=start,
        duration=60_000,
        extensions=[] if owner else [ext],
    )


def test_personal_rules_take_their_owners_recordings_and_wide_rules_the_company() -> None:
    mine = Criteria(owner=Owner("745249", ("101",)))
    wide = Criteria(
        filter=RecordingFilter(call_direction=Direction.INBOUND), kind=RecordingKind.COMPANY
    )
    rules = RuleSet(
        [
            live_rule(1, "T", "U1", mine, MADE, Owner("745249", ("101",))),
            live_rule(2, "T", "C1", wide, MADE, None),
        ]
    )
    assert sorted(r.rule_id for r in rules.matching(rec(1, ext="101"))) == [1, 2]
    assert [r.rule_id for r in rules.matching(rec(2, ext="102"))] == [2]
    assert [r.rule_id for r in rules.matching(rec(3, owner="745249"))] == [1]
    assert rules.matching(rec(4, owner="745266")) == []
    assert rules.sources() == {COMPANY_SOURCE: None, "od:745249": "745249"}


def test_a_rule_takes_only_calls_that_ended_after_it_was_made() -> None:
    rules = RuleSet([live_rule(1, "T", "C1", Criteria(), MADE, None)])
    assert rules.matching(rec(1, minutes=-2)) == []  # ended a minute before the rule
    assert [r.rule_id for r in rules.matching(rec(3, minutes=-1))] == [1]  # as it was made
    assert [r.rule_id for r in rules.matching(rec(2, minutes=-0))] == [1]


def test_the_owner_is_read_again_so_new_extensions_count_and_old_ones_stop() -> None:
    stored = Criteria(owner=Owner("745249", ("101",)))
    moved = RuleSet([live_rule(1, "T", "U1", stored, MADE, Owner("745249", ("109",)))])
    assert moved.matching(rec(1, ext="101")) == []
    assert [r.rule_id for r in moved.matching(rec(2, ext="109"))] == [1]


def test_a_company_only_personal_rule_needs_no_on_demand_listing() -> None:
    only_company = Criteria(kind=RecordingKind.COMPANY, owner=Owner("745249", ("101",)))
    rules = RuleSet([live_rule(1, "T", "U1", only_company, MADE, Owner("745249", ("101",)))])
    assert rules.sources() == {COMPANY_SOURCE: None}


def test_rules_filed_by_caller_number_or_extension_match_as_if_each_were_tried() -> None:
    callers, dialed, exts = ("12015550142", "17325550100"), ("18005550100", None), ("101", "102")
    wide = [
        Criteria(filter=RecordingFilter(caller_id=callers[0]), kind=RecordingKind.COMPANY),
        Criteria(filter=RecordingFilter(caller_id=callers[1], extension="102")),
        Criteria(filter=RecordingFilter(dnis="18005550100")),
        Criteria(filter=RecordingFilter(extension="101")),
        Criteria(filter=RecordingFilter(call_direction=Direction.INBOUND)),
    ]
    live = [live_rule(n, "T", f"C{n}", c, MADE, None) for n, c in enumerate(wide, 1)]
    mine = Criteria(owner=Owner("745249", ("102",)))
    live.append(live_rule(9, "T", "U1", mine, MADE, Owner("745249", ("102",))))
    rules = RuleSet(live)
    for n, (caller, to, ext) in enumerate((c, d, e) for c in callers for d in dialed for e in exts):
        one = rec(n, ext=ext).model_copy(update={"caller_id": caller, "dnis": to})
        tried_each = sorted(r.rule_id for r in live if r.takes(one))
        assert sorted(r.rule_id for r in rules.matching(one)) == tried_each
        assert 5 in tried_each  # the unfiled rule is tried on everything


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("notify", Notify(NotifyAction.LIST)),
        ("notify me inbound >1m", Notify(NotifyAction.ME, "inbound >1m")),
        ("NOTIFY Me", Notify(NotifyAction.ME, "")),
        ("notify <#C0123ABC|support> inbound", Notify(NotifyAction.CHANNEL, "inbound", "C0123ABC")),
        ("notify off", Notify(NotifyAction.OFF)),
        ("notify off 12", Notify(NotifyAction.OFF, rule_id=12)),
        ("notify remove #7", Notify(NotifyAction.REMOVE, rule_id=7)),
        ("notify all", Notify(NotifyAction.ALL)),
    ],
)
def test_notify_sub_commands(text: str, expected: Notify) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("notify #support", "autocomplete"),
        ("notify remove", "takes one rule id"),
        ("notify off twelve", "is not a rule id"),
        ("notify everyone", "is not a notify command"),
        ("notify off 1 2", "takes one rule id"),
    ],
)
def test_bad_notify_commands_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse_command(text)
    assert says in str(refused.value)
    assert "/recordings notify me" in str(refused.value)

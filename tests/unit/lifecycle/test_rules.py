"""Who may delete what, what a bulk delete needs, the typed count, and the delete grammar."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.grammar import parse_filter
from bot.grammar.commands import CommandError, DeleteMatching, DeleteOne, parse_command
from bot.lifecycle.rules import (
    MEMBERS_MAY_NOT,
    NEEDS_A_FILTER,
    ONLY_ADMINS_BULK,
    ONLY_ON_DEMAND,
    bulk_refusal,
    count_error,
    may_delete,
)
from bot.people.policy import NOT_FOUND_OR_NOT_YOURS, NOT_LINKED, Identity, Person
from bot.settings import Settings, SettingsError
from bot.vbc.models import RecordingKind

ADMIN = Person("T1", "U1", is_admin=True)
MEMBER = Person("T1", "U2", identity=Identity("745249", ("101",)))
UNLINKED = Person("T1", "U3")
OD, CO = RecordingKind.ON_DEMAND, RecordingKind.COMPANY


@pytest.mark.parametrize(
    ("person", "kind", "owner", "members_may", "refusal"),
    [
        (ADMIN, CO, None, False, None),
        (ADMIN, OD, "745266", False, None),
        (MEMBER, OD, "745249", False, MEMBERS_MAY_NOT),
        (MEMBER, OD, "745249", True, None),
        (MEMBER, OD, "745266", True, NOT_FOUND_OR_NOT_YOURS),
        (MEMBER, CO, None, True, ONLY_ON_DEMAND),
        (UNLINKED, OD, "745249", True, NOT_LINKED),
    ],
)
def test_who_may_delete(
    person: Person, kind: RecordingKind, owner: str | None, members_may: bool, refusal: str | None
) -> None:
    assert may_delete(person, kind, owner, members_may_delete=members_may) == refusal


def _request(text: str) -> object:
    now = datetime(2024, 6, 1, 12, tzinfo=UTC)
    return parse_filter(text, now=now, tz=ZoneInfo("UTC"), region="US")


@pytest.mark.parametrize(
    ("person", "text", "refusal"),
    [
        (ADMIN, "scope:company last 7d", None),
        (ADMIN, "scope:company from:+17325550100", None),
        (ADMIN, "scope:company", NEEDS_A_FILTER),
        (ADMIN, "scope:company type:company oldest page-size:5", NEEDS_A_FILTER),
        (MEMBER, "last 7d", ONLY_ADMINS_BULK),
    ],
)
def test_what_a_bulk_delete_needs(person: Person, text: str, refusal: str | None) -> None:
    assert bulk_refusal(person, _request(text)) == refusal  # type: ignore[arg-type]


def test_a_bare_number_that_reaches_the_filters_is_refused_too() -> None:
    refusal = bulk_refusal(ADMIN, _request("scope:company +1 732 555 0100 last 7d"))  # type: ignore[arg-type]
    assert refusal is not None
    assert "must be keyed" in refusal


@pytest.mark.parametrize("typed", ["1234", "1,234", " 1234 ", "1 234"])
def test_the_typed_count_may_carry_separators(typed: str) -> None:
    assert count_error(typed, 1234) is None


@pytest.mark.parametrize("typed", ["", "123", "12345", "1234.0", "all"])
def test_a_count_typed_wrong_says_what_to_type(typed: str) -> None:
    error = count_error(typed, 1234)
    assert error is not None
    assert "type 1234" in error


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("delete 193228", DeleteOne("193228")),
        ("delete #193228", DeleteOne("193228")),
        ("delete od:193228", DeleteOne("193228", OD)),
        ("delete 193228 type:company", DeleteOne("193228", CO)),
        ("delete od:42 user:<@U0MEMBER1|hannah>", DeleteOne("42", OD, "U0MEMBER1")),
        ("delete scope:company last 7d", DeleteMatching("scope:company last 7d")),
        ("delete from:+1 (732) 555-0100 last 7d", DeleteMatching("from:+1 (732) 555-0100 last 7d")),
        ('delete name:"agent 7" last 7d', DeleteMatching('name:"agent 7" last 7d')),
    ],
)
def test_delete_reads_an_id_as_get_does_and_anything_else_as_filters(
    text: str, command: object
) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("delete", "needs a recording id"),
        ("delete inbound 17325550100", "must be keyed"),
        ("delete inbound +1 (732) 555-0100", "must be keyed"),
        ("delete 193228 inbound", "only `type:` and `user:@person` may follow"),
        ("delete 42 user:bob", "pick the person from the autocomplete list"),
        ("delete fax:42", None),  # not a kind, so filters: the filter grammar names it
    ],
)
def test_bad_delete_commands(text: str, words: str | None) -> None:
    if words is None:
        assert isinstance(parse_command(text), DeleteMatching)
        return
    with pytest.raises(CommandError) as raised:
        parse_command(text)
    assert words in str(raised.value)


def test_members_may_delete_is_a_yes_or_no_setting() -> None:
    base = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "VBC_CLIENT_ID": "c",
        "VBC_CLIENT_SECRET": "s",
        "VBC_USERNAME": "u",
        "VBC_PASSWORD": "p",
        "BOT_SECRET_KEY": "k" * 40,
    }
    assert not Settings.from_env(base).members_may_delete
    assert Settings.from_env({**base, "MEMBERS_MAY_DELETE": "true"}).members_may_delete
    with pytest.raises(SettingsError, match="MEMBERS_MAY_DELETE must be true or false"):
        Settings.from_env({**base, "MEMBERS_MAY_DELETE": "sometimes"})

"""The policy as a table: person x request -> the exact VBC queries they may run, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from bot.grammar import SearchRequest
from bot.people.policy import (
    MAX_QUERIES,
    NOT_LINKED,
    AccessRefusedError,
    Identity,
    Person,
    Plan,
    VbcQuery,
    may_see,
    plan_search,
)
from bot.vbc.filter import Direction, RecordingFilter
from bot.vbc.models import Recording, RecordingKind

F = RecordingFilter
COMPANY, ON_DEMAND = RecordingKind.COMPANY, RecordingKind.ON_DEMAND
NO_FILTER = F()
N1, N2, N3 = "17325550100", "17325550111", "17325550122"  # E.164 digits, as the grammar gives
EIGHT = tuple(f"1201555{n:04}" for n in range(8))
EVERY_OTHER = F(
    call_direction=Direction.INBOUND,
    call_id="c0ffee00-0000-4000-8000-000000000000",
    cnam="john smith",
    duration_gte=120_000,
    duration_lte=600_000,
    start_gte=datetime(2024, 5, 1, tzinfo=UTC),
    start_lte=datetime(2024, 5, 31, 23, 59, 59, tzinfo=UTC),
    order="start:ASC",
    page_size=25,
)

ADA = Identity("101", ("201", "202"))  # two extensions
BEA = Identity("102", ("203",))  # one extension
CAL = Identity("103", ())  # no extension
BOB = Identity("104", ("204",))  # the admin's `user:` target

MEMBER = Person("T1", "UADA", identity=ADA)
ONE_EXT = Person("T1", "UBEA", identity=BEA)
NO_EXT = Person("T1", "UCAL", identity=CAL)
UNLINKED = Person("T1", "UNEW")
ADMIN = Person("T1", "UADMIN", is_admin=True, identity=Identity("900", ("299",)))
ADMIN_UNLINKED = Person("T1", "UADMIN2", is_admin=True)


def od(user: str, filters: RecordingFilter = NO_FILTER) -> VbcQuery:
    return VbcQuery(ON_DEMAND, filters, user)


def co(filters: RecordingFilter = NO_FILTER) -> VbcQuery:
    return VbcQuery(COMPANY, filters)


def sides(query: VbcQuery, number: str) -> tuple[VbcQuery, VbcQuery]:
    """``query`` for ``number`` as the caller, then as the dialed number, in the plan's order."""
    return (
        replace(query, filter=replace(query.filter, caller_id=number)),
        replace(query, filter=replace(query.filter, dnis=number)),
    )


@dataclass(frozen=True)
class Runs:
    """The plan, query for query and in order, with its scope line and exactness."""

    queries: tuple[VbcQuery, ...]
    scope: str
    disjoint: bool


@dataclass(frozen=True)
class Refused:
    """An AccessRefusedError whose message contains ``words``."""

    words: str


Expected = Runs | Refused
YOURS, COMPANY_WIDE = "your recordings", "the company"

# Who asks, what they ask (SearchRequest as the grammar gives it), the `user:` target as
# Directory.plan_for resolves it (admins only), and the outcome.
TABLE: list[tuple[str, Person, SearchRequest, Identity | None, Expected]] = [
    # -- a member, by how they are linked ---------------------------------------------------------
    (
        "member: on-demand, then each extension",
        MEMBER,
        SearchRequest(),
        None,
        Runs((od("101"), co(F(extension="201")), co(F(extension="202"))), YOURS, False),
    ),
    (
        "member with one extension: one query of each kind",
        ONE_EXT,
        SearchRequest(),
        None,
        Runs((od("102"), co(F(extension="203"))), YOURS, True),
    ),
    (
        "member without extensions: on-demand only",
        NO_EXT,
        SearchRequest(),
        None,
        Runs((od("103"),), YOURS, True),
    ),
    ("member not linked", UNLINKED, SearchRequest(), None, Refused(NOT_LINKED)),
    # -- type: narrows the kinds ------------------------------------------------------------------
    (
        "member type:company",
        MEMBER,
        SearchRequest(kind=COMPANY),
        None,
        Runs((co(F(extension="201")), co(F(extension="202"))), YOURS, False),
    ),
    (
        "member type:on-demand",
        MEMBER,
        SearchRequest(kind=ON_DEMAND),
        None,
        Runs((od("101"),), YOURS, True),
    ),
    (
        "member without extensions, type:company",
        NO_EXT,
        SearchRequest(kind=COMPANY),
        None,
        Refused("You have no extensions in VBC, so there are no company recordings of yours."),
    ),
    (
        "member without extensions, type:on-demand",
        NO_EXT,
        SearchRequest(kind=ON_DEMAND),
        None,
        Runs((od("103"),), YOURS, True),
    ),
    # -- scope:company and user: are for admins ---------------------------------------------------
    (
        "member scope:company",
        MEMBER,
        SearchRequest(company=True),
        None,
        Refused(
            "Only recordings admins can search `scope:company`. Your scope: your own recordings "
            "(on-demand, and company recordings of extensions 201, 202)."
        ),
    ),
    (
        "member scope:company type:company",
        ONE_EXT,
        SearchRequest(company=True, kind=COMPANY),
        None,
        Refused("Only recordings admins can search `scope:company`."),
    ),
    (
        "member user:@bob (plan_for resolves no target for members)",
        MEMBER,
        SearchRequest(user="UBOB"),
        None,
        Refused("Only recordings admins can search another person's recordings."),
    ),
    (
        "member user:@bob, even with a target at hand",
        MEMBER,
        SearchRequest(user="UBOB"),
        BOB,
        Refused("Only recordings admins can search another person's recordings."),
    ),
    (
        "unlinked member scope:company",
        UNLINKED,
        SearchRequest(company=True),
        None,
        Refused("Your scope: not linked to a VBC user yet."),
    ),
    (
        "member user:@themselves is still another person's search",
        MEMBER,
        SearchRequest(user="UADA"),
        None,
        Refused("Only recordings admins can search another person's recordings."),
    ),
    # -- an admin ---------------------------------------------------------------------------------
    (
        "admin: their own recordings by default",
        ADMIN,
        SearchRequest(),
        None,
        Runs((od("900"), co(F(extension="299"))), YOURS, True),
    ),
    (
        "admin not linked, no scope",
        ADMIN_UNLINKED,
        SearchRequest(),
        None,
        Refused(NOT_LINKED),
    ),
    (
        "admin scope:company: one company-wide query",
        ADMIN,
        SearchRequest(company=True),
        None,
        Runs((co(),), COMPANY_WIDE, True),
    ),
    (
        "admin not linked, scope:company",
        ADMIN_UNLINKED,
        SearchRequest(company=True),
        None,
        Runs((co(),), COMPANY_WIDE, True),
    ),
    (
        "admin scope:company type:company",
        ADMIN,
        SearchRequest(company=True, kind=COMPANY),
        None,
        Runs((co(),), COMPANY_WIDE, True),
    ),
    (
        "admin scope:company type:on-demand",
        ADMIN,
        SearchRequest(company=True, kind=ON_DEMAND),
        None,
        Refused("On-demand recordings belong to one person: use `user:@person type:on-demand`."),
    ),
    (
        "admin scope:company ext: any extension",
        ADMIN,
        SearchRequest(F(extension="555"), company=True),
        None,
        Runs((co(F(extension="555")),), COMPANY_WIDE, True),
    ),
    (
        "admin scope:company and user: together",
        ADMIN,
        SearchRequest(company=True, user="UBOB"),
        BOB,
        Refused("Use either `scope:company` or `user:@person`, not both."),
    ),
    (
        "admin user:@bob: bob's on-demand and bob's extensions",
        ADMIN,
        SearchRequest(user="UBOB"),
        BOB,
        Runs((od("104"), co(F(extension="204"))), "<@UBOB>'s recordings", True),
    ),
    (
        "admin user:@bob type:on-demand",
        ADMIN,
        SearchRequest(user="UBOB", kind=ON_DEMAND),
        BOB,
        Runs((od("104"),), "<@UBOB>'s recordings", True),
    ),
    (
        "admin user:@bob ext: of bob's",
        ADMIN,
        SearchRequest(F(extension="204"), user="UBOB", kind=COMPANY),
        BOB,
        Runs((co(F(extension="204")),), "<@UBOB>'s recordings", True),
    ),
    (
        "admin user:@bob ext: not bob's",
        ADMIN,
        SearchRequest(F(extension="299"), user="UBOB"),
        BOB,
        Refused("Extension 299 is not one of yours (204)."),
    ),
    (
        "admin user:@cal who has no extension, type:company",
        ADMIN,
        SearchRequest(user="UCAL", kind=COMPANY),
        CAL,
        Refused("You have no extensions in VBC"),
    ),
    (
        "admin user: of someone not linked",
        ADMIN,
        SearchRequest(user="UNEW"),
        None,
        Refused(
            "<@UNEW> is not linked to a VBC user; link them with "
            "`/recordings link <@UNEW> <VBC user id or email>`."
        ),
    ),
    # -- ext: -------------------------------------------------------------------------------------
    (
        "member ext: of their own: on-demand and that extension's company recordings",
        MEMBER,
        SearchRequest(F(extension="202")),
        None,
        Runs((od("101", F(extension="202")), co(F(extension="202"))), YOURS, True),
    ),
    (
        "member ext: of their own, type:company",
        MEMBER,
        SearchRequest(F(extension="201"), kind=COMPANY),
        None,
        Runs((co(F(extension="201")),), YOURS, True),
    ),
    (
        "member ext: of someone else",
        MEMBER,
        SearchRequest(F(extension="203")),
        None,
        Refused("Extension 203 is not one of yours (201, 202)."),
    ),
    (
        "member ext: of someone else, even type:on-demand",
        MEMBER,
        SearchRequest(F(extension="203"), kind=ON_DEMAND),
        None,
        Refused("Extension 203 is not one of yours (201, 202)."),
    ),
    (
        "member without extensions, ext:",
        NO_EXT,
        SearchRequest(F(extension="201")),
        None,
        Refused("Extension 201 is not one of yours (you have none)."),
    ),
    # -- bare numbers: either side of the call ----------------------------------------------------
    (
        "bare number: caller, then dialed, for each base query",
        ONE_EXT,
        SearchRequest(numbers=(N1,)),
        None,
        Runs(
            (
                od("102", F(caller_id=N1)),
                od("102", F(dnis=N1)),
                co(F(extension="203", caller_id=N1)),
                co(F(extension="203", dnis=N1)),
            ),
            YOURS,
            False,
        ),
    ),
    (
        "two bare numbers, type:on-demand",
        MEMBER,
        SearchRequest(numbers=(N1, N2), kind=ON_DEMAND),
        None,
        Runs(
            (
                od("101", F(caller_id=N1)),
                od("101", F(dnis=N1)),
                od("101", F(caller_id=N2)),
                od("101", F(dnis=N2)),
            ),
            YOURS,
            False,
        ),
    ),
    (
        "admin scope:company, bare number",
        ADMIN,
        SearchRequest(numbers=(N1,), company=True),
        None,
        Runs((co(F(caller_id=N1)), co(F(dnis=N1))), COMPANY_WIDE, False),
    ),
    (
        "from: with a bare number: the number can only be the dialed side",
        ONE_EXT,
        SearchRequest(F(caller_id=N1), numbers=(N2,)),
        None,
        Runs(
            (
                od("102", F(caller_id=N1, dnis=N2)),
                co(F(caller_id=N1, dnis=N2, extension="203")),
            ),
            YOURS,
            True,
        ),
    ),
    (
        "to: with a bare number: the number can only be the caller",
        ADMIN,
        SearchRequest(F(dnis=N1), numbers=(N2,), company=True),
        None,
        Runs((co(F(caller_id=N2, dnis=N1)),), COMPANY_WIDE, True),
    ),
    (
        "from: and to: leave no side for a bare number",
        MEMBER,
        SearchRequest(F(caller_id=N1, dnis=N2), numbers=(N3,)),
        None,
        Refused("A bare number means either side of the call, but `from:` and `to:` are both set"),
    ),
    (
        "from: and to: without a bare number",
        NO_EXT,
        SearchRequest(F(caller_id=N1, dnis=N2)),
        None,
        Runs((od("103", F(caller_id=N1, dnis=N2)),), YOURS, True),
    ),
    # -- combinations -----------------------------------------------------------------------------
    (
        "every other filter travels unchanged into every query",
        MEMBER,
        SearchRequest(EVERY_OTHER),
        None,
        Runs(
            (
                od("101", EVERY_OTHER),
                co(replace(EVERY_OTHER, extension="201")),
                co(replace(EVERY_OTHER, extension="202")),
            ),
            YOURS,
            False,
        ),
    ),
    (
        "ext: and a bare number",
        MEMBER,
        SearchRequest(F(extension="201", call_direction=Direction.OUTBOUND), numbers=(N1,)),
        None,
        Runs(
            (
                od("101", F(call_direction=Direction.OUTBOUND, caller_id=N1, extension="201")),
                od("101", F(call_direction=Direction.OUTBOUND, dnis=N1, extension="201")),
                co(F(call_direction=Direction.OUTBOUND, caller_id=N1, extension="201")),
                co(F(call_direction=Direction.OUTBOUND, dnis=N1, extension="201")),
            ),
            YOURS,
            False,
        ),
    ),
    (
        "admin user:@bob type:company with a bare number",
        ADMIN,
        SearchRequest(numbers=(N1,), kind=COMPANY, user="UBOB"),
        BOB,
        Runs(
            (co(F(extension="204", caller_id=N1)), co(F(extension="204", dnis=N1))),
            "<@UBOB>'s recordings",
            False,
        ),
    ),
    # -- at most MAX_QUERIES VBC queries ----------------------------------------------------------
    (
        "three base queries x two numbers x two sides = 12: allowed",
        MEMBER,
        SearchRequest(numbers=(N1, N2)),
        None,
        Runs(
            (
                *sides(od("101"), N1),
                *sides(od("101"), N2),
                *sides(co(F(extension="201")), N1),
                *sides(co(F(extension="201")), N2),
                *sides(co(F(extension="202")), N1),
                *sides(co(F(extension="202")), N2),
            ),
            YOURS,
            False,
        ),
    ),
    (
        "three base queries x three numbers x two sides = 18: refused",
        MEMBER,
        SearchRequest(numbers=(N1, N2, N3)),
        None,
        Refused(f"That search needs 18 separate VBC queries (most I run is {MAX_QUERIES})"),
    ),
    (
        "company-wide, eight numbers = 16: allowed",
        ADMIN,
        SearchRequest(numbers=EIGHT, company=True),
        None,
        Runs(
            tuple(q for n in EIGHT for q in sides(co(), n)),
            COMPANY_WIDE,
            False,
        ),
    ),
    (
        "company-wide, nine numbers = 18: refused",
        ADMIN,
        SearchRequest(numbers=(*EIGHT, N1), company=True),
        None,
        Refused("needs 18 separate VBC queries"),
    ),
]


@pytest.mark.parametrize(
    ("person", "search", "target", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_policy_table(
    person: Person, search: SearchRequest, target: Identity | None, expected: Expected
) -> None:
    if isinstance(expected, Refused):
        with pytest.raises(AccessRefusedError) as refused:
            plan_search(person, search, target=target)
        assert expected.words in str(refused.value)
        return
    plan = plan_search(person, search, target=target)
    assert plan == Plan(queries=expected.queries, scope=expected.scope)
    assert plan.disjoint is expected.disjoint


# -- one recording, whatever a button claimed -----------------------------------------------------
def company(*extensions: str) -> Recording:
    return Recording(id=1, kind=COMPANY, extensions=list(extensions))


def on_demand(owner: str | None) -> Recording:
    return Recording(id=1, kind=ON_DEMAND, owner_user_id=owner)


@pytest.mark.parametrize(
    ("person", "recording", "visible"),
    [
        pytest.param(MEMBER, on_demand("101"), True, id="member: own on-demand"),
        pytest.param(MEMBER, on_demand("104"), False, id="member: another's on-demand"),
        pytest.param(MEMBER, on_demand(None), False, id="member: on-demand without owner"),
        pytest.param(MEMBER, company("202"), True, id="member: own extension"),
        pytest.param(MEMBER, company("203", "201"), True, id="member: one of several"),
        pytest.param(MEMBER, company("203"), False, id="member: another's extension"),
        pytest.param(MEMBER, company(), False, id="member: company without extension"),
        pytest.param(NO_EXT, on_demand("103"), True, id="no extension: own on-demand"),
        pytest.param(NO_EXT, company("201"), False, id="no extension: any company"),
        pytest.param(UNLINKED, on_demand("101"), False, id="unlinked: on-demand"),
        pytest.param(UNLINKED, company("201"), False, id="unlinked: company"),
        pytest.param(ADMIN, on_demand("104"), True, id="admin: another's on-demand"),
        pytest.param(ADMIN, company(), True, id="admin: any company"),
        pytest.param(ADMIN_UNLINKED, company("203"), True, id="unlinked admin: any company"),
    ],
)
def test_may_see(person: Person, recording: Recording, visible: bool) -> None:
    assert may_see(person, recording) is visible


@pytest.mark.parametrize(
    ("person", "label"),
    [
        (ADMIN, "admin: your own recordings, `scope:company` and `user:@person`"),
        (UNLINKED, "not linked to a VBC user yet"),
        (NO_EXT, "your own on-demand recordings (you have no extension in VBC)"),
        (ONE_EXT, "your own recordings (on-demand, and company recordings of extension 203)"),
        (MEMBER, "your own recordings (on-demand, and company recordings of extensions 201, 202)"),
    ],
)
def test_scope_label(person: Person, label: str) -> None:
    assert person.scope_label == label


# -- what a results cursor is tied to -------------------------------------------------------------
def test_query_keys_name_kind_owner_and_wire_filters() -> None:
    assert co(F(extension="201", caller_id=N1)).key == f"company||caller_id={N1}&extension=201"
    may = F(start_gte=datetime(2024, 5, 1, tzinfo=UTC))
    assert od("101", may).key == "on-demand|101|start:gte=2024-05-01T00:00:00+0000"


def test_a_fingerprint_ignores_query_order_but_not_queries() -> None:
    mine = plan_search(MEMBER, SearchRequest())
    reordered = Plan(tuple(reversed(mine.queries)), scope="anything")
    assert reordered.fingerprint == mine.fingerprint
    # A changed extension list (VBC refreshed) gives another fingerprint: paging starts over.
    moved = Person("T1", "UADA", identity=Identity("101", ("201", "209")))
    assert plan_search(moved, SearchRequest()).fingerprint != mine.fingerprint
    other_owner = plan_search(ONE_EXT, SearchRequest(kind=ON_DEMAND))
    assert other_owner.fingerprint == "on-demand|102|"

"""Stored searches match what VBC (as the simulator models it) would list, and keep their form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar import parse_filter
from bot.grammar.criteria import Criteria, Owner, matches
from bot.vbc.filter import Direction, RecordingFilter
from bot.vbc.models import Recording, RecordingKind
from bot.vbcsim.data import SimRecording
from bot.vbcsim.query import parse_filters

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
NUMBERS = ["17325550100", "17325550199", "442079460958"]
EXTS = ["101", "102", "299"]


def recording(**kw: object) -> Recording:
    base: dict[str, object] = {
        "id": 1,
        "kind": RecordingKind.COMPANY,
        "call_direction": "INBOUND",
        "call_id": "c-1",
        "caller_id": "17325550100",
        "cnam": "John Smith",
        "dnis": "17325550199",
        "duration": 90_000,
        "start": NOW - timedelta(hours=3),
        "extensions": ["101"],
    }
    return Recording.model_validate({**base, **kw})


def test_a_parsed_search_matches_what_it_names() -> None:
    request = parse_filter("inbound from:+1 732 555 0100 >1m", now=NOW, tz=ZoneInfo("UTC"))
    criteria = Criteria.of(request)
    assert matches(criteria, recording())
    assert not matches(criteria, recording(call_direction="OUTBOUND"))
    assert not matches(criteria, recording(duration=59_000))
    assert not matches(criteria, recording(caller_id="17325550199"))


def test_a_bare_number_matches_either_side() -> None:
    criteria = Criteria(numbers=("17325550199",))
    assert matches(criteria, recording())  # dialed
    assert matches(criteria, recording(caller_id="17325550199", dnis="1"))  # caller
    assert not matches(criteria, recording(caller_id="2", dnis="3"))


def test_names_match_by_part_ignoring_case() -> None:
    assert matches(Criteria(RecordingFilter(cnam="smith")), recording())
    assert not matches(Criteria(RecordingFilter(cnam="smyth")), recording())


def test_a_bound_on_a_missing_value_does_not_match() -> None:
    assert not matches(Criteria(RecordingFilter(duration_gte=1)), recording(duration=None))
    assert matches(Criteria(), recording(duration=None))


def test_an_owner_means_their_on_demand_and_their_extensions_company_recordings() -> None:
    bob = Criteria(owner=Owner("42", ("299",)))
    assert matches(bob, recording(kind=RecordingKind.ON_DEMAND, owner_user_id="42"))
    assert not matches(bob, recording(kind=RecordingKind.ON_DEMAND, owner_user_id="7"))
    assert matches(bob, recording(extensions=["101", "299"]))
    assert not matches(bob, recording(extensions=["101"]))


def test_time_words_are_instants_once_stored() -> None:
    request = parse_filter("yesterday", now=NOW, tz=ZoneInfo("America/New_York"))
    stored = Criteria.from_json(Criteria.of(request).to_json())
    assert stored.filter.start_gte == datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
    assert matches(stored, recording(start=datetime(2026, 12, 3, 12, 0, tzinfo=UTC)))
    assert not matches(stored, recording(start=NOW - timedelta(minutes=1)))


def test_order_and_paging_are_not_part_of_what_matches() -> None:
    request = parse_filter("oldest page-size:5 type:on-demand", now=NOW, tz=ZoneInfo("UTC"))
    criteria = Criteria.of(request)
    assert criteria.filter == RecordingFilter()
    assert criteria.kind is RecordingKind.ON_DEMAND


filters = st.builds(
    RecordingFilter,
    call_direction=st.none() | st.sampled_from(list(Direction)),
    caller_id=st.none() | st.sampled_from(NUMBERS),
    dnis=st.none() | st.sampled_from(NUMBERS),
    cnam=st.none() | st.sampled_from(["john", "SMITH", "ann"]),
    extension=st.none() | st.sampled_from(EXTS),
    duration_gte=st.none() | st.integers(0, 200_000),
    duration_lte=st.none() | st.integers(0, 200_000),
    start_gte=st.none() | st.integers(0, 48).map(lambda h: NOW - timedelta(hours=h)),
    start_lte=st.none() | st.integers(0, 48).map(lambda h: NOW - timedelta(hours=h)),
)
sim_recordings = st.builds(
    SimRecording,
    id=st.just(1),
    owner_user_id=st.none(),
    call_direction=st.sampled_from([d.value for d in Direction]),
    call_id=st.just("c-1"),
    caller_id=st.sampled_from(NUMBERS),
    cnam=st.sampled_from(["John Smith", "Ann Lee"]),
    dnis=st.sampled_from(NUMBERS),
    duration=st.integers(0, 200_000),
    start=st.integers(0, 48).map(lambda h: NOW - timedelta(hours=h)),
    extensions=st.lists(st.sampled_from(EXTS), max_size=2, unique=True).map(tuple),
    file_name=st.just("a.mp3"),
    file_size_in_bytes=st.just(1),
    rule_ids=st.just(()),
)


@settings(max_examples=300, deadline=None)
@given(filters, sim_recordings)
def test_the_matcher_agrees_with_the_simulators_vbc_rules(
    f: RecordingFilter, sim: SimRecording
) -> None:
    as_listed = Recording(
        id=sim.id,
        call_direction=sim.call_direction,
        call_id=sim.call_id,
        caller_id=sim.caller_id,
        cnam=sim.cnam,
        dnis=sim.dnis,
        duration=sim.duration,
        start=sim.start,
        extensions=list(sim.extensions),
    )
    vbc = parse_filters(f.to_json())
    assert matches(Criteria(f), as_listed) == vbc.matches(sim)

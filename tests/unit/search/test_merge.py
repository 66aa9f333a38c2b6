"""The merge of sorted, paged VBC queries as a table: ties, duplicates, exhaustion, cursors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.people.policy import Plan, VbcQuery
from bot.people.vbc_access import VbcAccess
from bot.search.merge import CursorState, ResultPage, recording_key, search_page
from bot.vbc.client import VbcClient
from bot.vbc.filter import ORDER_NEWEST, ORDER_OLDEST, RecordingFilter
from bot.vbc.models import Recording, RecordingKind
from bot.vbc.timefmt import format_vbc_time
from tests.fakes.vbc_router import (
    COMPANY_RECORDINGS,
    USER_RECORDINGS,
    PathParams,
    VbcRouter,
    hal_page,
)

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
NEWEST, OLDEST = ORDER_NEWEST, ORDER_OLDEST

# The member's queries: extensions 201 and 202 (an internal call between them is in both),
# and their on-demand recordings.
EXT_201 = VbcQuery(RecordingKind.COMPANY, RecordingFilter(extension="201"))
EXT_202 = VbcQuery(RecordingKind.COMPANY, RecordingFilter(extension="202"))
MINE = VbcQuery(RecordingKind.ON_DEMAND, RecordingFilter(), "101")


@dataclass(frozen=True)
class Row:
    """A recording as VBC lists it: its id and start (minutes after T0)."""

    id: int
    minute: int


def rows(*pairs: tuple[int, int]) -> tuple[Row, ...]:
    """``(id, minute)`` pairs; equal minutes keep the order given (VBC's order of a tie)."""
    return tuple(Row(i, m) for i, m in pairs)


Sources = tuple[tuple[VbcQuery, tuple[Row, ...]], ...]


class PagedVbc:
    """Both VBC list endpoints over fixed rows per query, sorted by start and sliced into
    pages exactly as VBC pages them (``page`` 1-based, ``page_size``, ``total_items``)."""

    def __init__(self, router: VbcRouter, sources: Sources) -> None:
        self.rows = {_unordered(query): list(found) for query, found in sources}
        self.sizes: list[int] = []  # page_size of each request, in order
        router.add("GET", COMPANY_RECORDINGS, self._company)
        router.add("GET", USER_RECORDINGS, self._on_demand)

    def _company(self, request: httpx.Request, _path: PathParams) -> httpx.Response:
        return self._list(request, RecordingKind.COMPANY, None)

    def _on_demand(self, request: httpx.Request, path: PathParams) -> httpx.Response:
        return self._list(request, RecordingKind.ON_DEMAND, path["user_id"])

    def _list(
        self, request: httpx.Request, kind: RecordingKind, user: str | None
    ) -> httpx.Response:
        wanted = RecordingFilter.from_wire(dict(request.url.params))
        assert wanted.page is not None
        assert wanted.page_size is not None
        assert wanted.order in (NEWEST, OLDEST)
        key = _unordered(VbcQuery(kind, wanted, user))
        assert key in self.rows, f"the merge asked for a query of no plan: {key}"
        # Python's sort is stable, also reversed: a tie keeps the order the table gives.
        ordered = sorted(self.rows[key], key=lambda r: r.minute, reverse=wanted.order == NEWEST)
        first = (wanted.page - 1) * wanted.page_size
        window = ordered[first : first + wanted.page_size]
        self.sizes.append(wanted.page_size)
        body = [
            {"id": r.id, "start": format_vbc_time(T0 + timedelta(minutes=r.minute))} for r in window
        ]
        return httpx.Response(
            200,
            json=hal_page(
                "recordings",
                body,
                page=wanted.page,
                page_size=wanted.page_size,
                total_items=len(ordered),
            ),
        )


def _unordered(query: VbcQuery) -> str:
    bare = replace(query.filter, order=None, page=None, page_size=None)
    return replace(query, filter=bare).key


def plan_of(sources: Sources, order: str) -> Plan:
    """The plan as the search service runs it: every query in one order, no paging."""
    queries = tuple(replace(q, filter=replace(q.filter, order=order)) for q, _ in sources)
    return Plan(queries=queries, scope="test")


def short(recording: Recording) -> str:
    """``c5`` for company recording 5, ``o5`` for on-demand recording 5."""
    return ("c" if recording.kind is RecordingKind.COMPANY else "o") + str(recording.id)


async def read_page(vbc: VbcClient, plan: Plan, state: CursorState, page: int) -> ResultPage:
    """One click, as the search service makes it: offsets and exclusions from the cursor."""
    result = await search_page(
        VbcAccess(integration=vbc),
        plan,
        offsets=state.pages[page - 1],
        page_size=state.page_size,
        page=page,
        exclude=state.shown_before(page),
    )
    if len(state.pages) == page and result.has_next:
        state.pages.append(result.next_offsets)
    state.remember(page, [recording_key(r) for r in result.recordings])
    return result


async def read_all(vbc: VbcClient, plan: Plan, size: int) -> tuple[list[ResultPage], str]:
    """Next, Next, ... to the end; the cursor goes through its saved form between clicks."""
    saved = CursorState(plan.fingerprint, size, pages=[[0] * len(plan.queries)]).dumps()
    results: list[ResultPage] = []
    while not results or results[-1].has_next:
        assert len(results) < 40, "the pages never end"
        state = CursorState.loads(saved)
        results.append(await read_page(vbc, plan, state, len(results) + 1))
        saved = state.dumps()
    return results, saved


@pytest.fixture
async def http(vbc_router: VbcRouter) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url="https://vbc.test", transport=vbc_router.transport()
    ) as client:
        yield client


@dataclass(frozen=True)
class Case:
    sources: Sources
    order: str
    size: int
    pages: Sequence[str]  # each page's recordings, in order: "c1 o2"
    first: tuple[int, bool]  # page 1's total and whether it is exact


TABLE: dict[str, Case] = {
    # -- one query --------------------------------------------------------------------------------
    "one query, newest first, a short last page": Case(
        ((EXT_201, rows((1, 50), (2, 40), (3, 30), (4, 20), (5, 10))),),
        NEWEST,
        2,
        ["c1 c2", "c3 c4", "c5"],
        (5, True),
    ),
    "one query, oldest first": Case(
        ((EXT_201, rows((1, 50), (2, 40), (3, 30), (4, 20), (5, 10))),),
        OLDEST,
        2,
        ["c5 c4", "c3 c2", "c1"],
        (5, True),
    ),
    "the end falls on a page boundary: no empty page after it": Case(
        ((EXT_201, rows((1, 40), (2, 30), (3, 20), (4, 10))),),
        NEWEST,
        2,
        ["c1 c2", "c3 c4"],
        (4, True),
    ),
    "no recordings at all": Case(((EXT_201, ()), (MINE, ())), NEWEST, 10, [""], (0, True)),
    # -- several queries, one stream --------------------------------------------------------------
    "on-demand and company interleave by start time": Case(
        ((MINE, rows((1, 90), (3, 50))), (EXT_201, rows((2, 70), (4, 30)))),
        NEWEST,
        3,
        ["o1 c2 o3", "c4"],
        (4, True),  # different kinds cannot overlap: the sum is exact
    ),
    "on-demand and company, oldest first": Case(
        ((MINE, rows((1, 90), (3, 50))), (EXT_201, rows((2, 70), (4, 30)))),
        OLDEST,
        3,
        ["c4 o3 c2", "o1"],
        (4, True),
    ),
    "two extensions: totals are an estimate until the end": Case(
        ((EXT_201, rows((1, 40), (3, 20))), (EXT_202, rows((2, 30), (4, 10), (5, 5)))),
        NEWEST,
        2,
        ["c1 c2", "c3 c4", "c5"],
        (5, False),
    ),
    "all queries run out at once, on a page boundary": Case(
        ((EXT_201, rows((1, 40), (3, 20))), (EXT_202, rows((2, 30), (4, 10)))),
        NEWEST,
        2,
        ["c1 c2", "c3 c4"],
        (4, False),
    ),
    # -- exhaustion -------------------------------------------------------------------------------
    "one query runs out on page 1, the other goes on": Case(
        ((EXT_201, rows((1, 90))), (EXT_202, rows((2, 80), (3, 70), (4, 60), (5, 50)))),
        NEWEST,
        2,
        ["c1 c2", "c3 c4", "c5"],
        (5, False),
    ),
    "an empty query beside a full one": Case(
        ((MINE, ()), (EXT_201, rows((1, 20), (2, 10)))),
        NEWEST,
        1,
        ["c1", "c2"],
        (2, True),
    ),
    "three queries run out one after another, oldest first": Case(
        (
            (MINE, rows((1, 10))),
            (EXT_201, rows((2, 20), (4, 40))),
            (EXT_202, rows((3, 30), (5, 50), (6, 60))),
        ),
        OLDEST,
        2,
        ["o1 c2", "c3 c4", "c5 c6"],
        (6, False),
    ),
    # -- ties in start time -----------------------------------------------------------------------
    "a tie across queries: the heads' ids decide, newest first": Case(
        ((EXT_201, rows((1, 50), (3, 50))), (EXT_202, rows((2, 50), (4, 50)))),
        NEWEST,
        2,
        ["c2 c4", "c1 c3"],
        (4, False),
    ),
    "a tie across queries: the heads' ids decide, oldest first": Case(
        ((EXT_201, rows((1, 50), (3, 50))), (EXT_202, rows((2, 50), (4, 50)))),
        OLDEST,
        2,
        ["c1 c2", "c3 c4"],
        (4, False),
    ),
    "a tie on the page boundary": Case(
        ((EXT_201, rows((1, 90), (3, 50))), (EXT_202, rows((2, 50), (4, 10)))),
        NEWEST,
        2,
        ["c1 c3", "c2 c4"],
        (4, False),
    ),
    "same id in both kinds is two recordings, not a duplicate": Case(
        ((MINE, rows((7, 50))), (EXT_201, rows((7, 50)))),
        NEWEST,
        10,
        ["o7 c7"],
        (2, True),
    ),
    # -- duplicates -------------------------------------------------------------------------------
    "a recording in two queries is shown once": Case(
        (
            (EXT_201, rows((1, 90), (5, 50), (3, 20))),
            (EXT_202, rows((4, 70), (5, 50), (6, 10))),
        ),
        NEWEST,
        2,
        ["c1 c4", "c5 c3", "c6"],
        (6, False),  # both copies counted until the end is reached: then it is 5, exact
    ),
    "a duplicate that VBC orders differently in a tie comes back after the cut: skipped": Case(
        ((EXT_201, rows((1, 50), (2, 50))), (EXT_202, rows((2, 50), (3, 40)))),
        NEWEST,
        2,
        ["c2 c1", "c3"],
        (4, False),
    ),
    "duplicates everywhere, oldest first": Case(
        (
            (EXT_201, rows((1, 10), (2, 20), (3, 30))),
            (EXT_202, rows((1, 10), (2, 20), (3, 30))),
        ),
        OLDEST,
        2,
        ["c1 c2", "c3"],
        (6, False),
    ),
    "a tie group wider than a page does not bring a duplicate back two pages later": Case(
        ((EXT_201, rows((1, 50), (2, 50))), (EXT_202, rows((2, 50), (3, 40)))),
        NEWEST,
        1,
        ["c2", "c1", "c3"],
        (4, False),
    ),
    "a duplicate left over at the end is not an empty last page behind a Next button": Case(
        ((EXT_201, rows((2, 50), (3, 50))), (EXT_202, rows((3, 50), (2, 50)))),
        NEWEST,
        2,
        ["c3 c2"],
        (2, True),  # the copies left over are stepped over: page 1 is the end
    ),
}


def _cases() -> list[object]:
    return [pytest.param(case, id=name) for name, case in TABLE.items()]


@pytest.mark.parametrize("case", _cases())
async def test_merge_table(vbc_router: VbcRouter, http: httpx.AsyncClient, case: Case) -> None:
    PagedVbc(vbc_router, case.sources)
    plan = plan_of(case.sources, case.order)
    results, _ = await read_all(VbcClient(http), plan, case.size)

    assert [" ".join(short(r) for r in page.recordings) for page in results] == case.pages
    assert [page.page for page in results] == list(range(1, len(results) + 1))
    assert [page.has_next for page in results] == [True] * (len(results) - 1) + [False]
    assert (results[0].total_items, results[0].exact_total) == case.first
    last = results[-1]
    shown = sum(len(page.recordings) for page in results)
    assert (last.total_items, last.exact_total) == (shown, True)  # the end: an exact count
    # Every recording the queries hold, once: none lost, none repeated.
    keys = [recording_key(r) for page in results for r in page.recordings]
    held = {f"{q.kind.value}:{row.id}" for q, found in case.sources for row in found}
    assert len(keys) == len(set(keys)) == len(held), keys
    assert set(keys) == held


@pytest.mark.parametrize("order", [NEWEST, OLDEST])
async def test_a_saved_cursor_reads_every_page_again_the_same(
    vbc_router: VbcRouter, order: str
) -> None:
    """Prev, Next and a bot restarted between clicks: the cursor row alone says where to read."""
    sources: Sources = (
        (MINE, rows((1, 95), (4, 60), (9, 5))),
        (EXT_201, rows((2, 80), (5, 50), (7, 30))),
        (EXT_202, rows((3, 70), (5, 50), (6, 40), (8, 20))),
    )
    PagedVbc(vbc_router, sources)
    plan = plan_of(sources, order)
    transport = vbc_router.transport()
    async with httpx.AsyncClient(base_url="https://vbc.test", transport=transport) as first:
        results, saved = await read_all(VbcClient(first), plan, 3)
    assert len(results) == 3
    async with httpx.AsyncClient(base_url="https://vbc.test", transport=transport) as second:
        vbc = VbcClient(second)  # a new process: nothing but the saved cursor
        for page in (2, 1, 3, 2):
            state = CursorState.loads(saved)
            again = await read_page(vbc, plan, state, page)
            assert again.recordings == results[page - 1].recordings
            assert again.next_offsets == results[page - 1].next_offsets
            assert state.dumps() == saved  # re-reading a page changes nothing in the cursor
    keys = [recording_key(r) for page in results for r in page.recordings]
    assert len(keys) == len(set(keys)) == 9


def test_the_cursor_survives_its_saved_form() -> None:
    state = CursorState("fp", 10, pages=[[0, 0], [7, 3]], totals=[12], pinned=True)
    state.remember(1, ["company:1", "on-demand:2"])
    state.remember(3, ["company:9"])
    loaded = CursorState.loads(state.dumps())
    assert loaded == state
    assert loaded.shown == [["company:1", "on-demand:2"], [], ["company:9"]]
    assert loaded.shown_before(1) == frozenset()
    assert loaded.shown_before(2) == {"company:1", "on-demand:2"}
    # Every earlier page: a tie group wider than a page can bring a key back later.
    assert loaded.shown_before(4) == {"company:1", "on-demand:2", "company:9"}
    assert loaded.shown_before(5) == frozenset()
    legacy = CursorState.loads('{"fp": "fp", "size": 5}')  # a row saved before tot/shown/pin
    assert (legacy.pages, legacy.totals, legacy.shown, legacy.pinned) == ([], [], [], False)


async def test_pages_wider_than_vbc_pages_read_across_two(
    vbc_router: VbcRouter, http: httpx.AsyncClient
) -> None:
    """100 a page, offsets off VBC's page grid: a window is two VBC pages, nothing lost."""
    many = rows(*((n, 1000 - n) for n in range(1, 251)))
    sources: Sources = ((EXT_201, many), (MINE, rows((900, 1000 - 50), (901, 1000 - 120))))
    fake = PagedVbc(vbc_router, sources)
    results, _ = await read_all(VbcClient(http), plan_of(sources, NEWEST), 100)
    ids = [r.id for page in results for r in page.recordings]
    assert ids[:51] == [*range(1, 50), 900, 50]  # on-demand 900 (minute 950) after company 49
    assert sorted(ids) == [*range(1, 251), 900, 901]
    assert [len(page.recordings) for page in results] == [100, 100, 52]
    assert results[0].next_offsets == [99, 1]
    assert max(fake.sizes) <= 100  # never more than VBC serves in one page
    assert len(vbc_router.requests) <= 2 * 2 * len(results)  # at most two VBC pages a window

"""Paged search over a merge of several sorted, paged VBC queries.

VBC has no OR filter, so "either side of the call" and "all of a member's recordings" are
several queries. Each page takes the newest (or oldest) items across all of them, shows a
recording seen by more than one query once, and remembers how far into each query it got:
that offset vector, one per visited page, is the cursor behind the Prev/Next buttons.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.people.policy import Plan, VbcQuery
from bot.people.vbc_access import VbcAccess
from bot.vbc.client import VbcClient
from bot.vbc.filter import ORDER_OLDEST
from bot.vbc.models import Page, Recording, RecordingKind

MAX_VBC_PAGE_SIZE = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class CursorState:
    """What the cursor row keeps: the plan it belongs to and offsets per visited page."""

    fingerprint: str
    page_size: int
    pages: list[list[int]] = field(default_factory=list)  # offsets at the start of each page
    totals: list[int] = field(default_factory=list)
    shown: list[list[str]] = field(default_factory=list)  # recording keys shown on each page
    pinned: bool = False  # the window's end was pinned at search time, not typed
    view: dict[str, Any] | None = None  # the page on screen now (``bot.search.shown``)

    def dumps(self) -> str:
        data = {"fp": self.fingerprint, "size": self.page_size, "pages": self.pages}
        more = {"tot": self.totals, "shown": self.shown, "pin": self.pinned, "view": self.view}
        return json.dumps({**data, **more})

    def shown_before(self, page: int) -> frozenset[str]:
        """Keys on every page before ``page``: a tie in start time may bring them back, and a
        tie group wider than a page can bring one back several pages later."""
        if not 2 <= page <= len(self.shown) + 1:
            return frozenset()  # page 1, or a page no click can reach from here
        return frozenset(key for keys in self.shown[: page - 1] for key in keys)

    def remember(self, page: int, keys: list[str]) -> None:
        while len(self.shown) < page:
            self.shown.append([])
        self.shown[page - 1] = keys

    @classmethod
    def loads(cls, raw: str) -> CursorState:
        data: dict[str, Any] = json.loads(raw)
        return cls(
            fingerprint=str(data["fp"]),
            page_size=int(data["size"]),
            pages=[[int(o) for o in offsets] for offsets in data.get("pages", [])],
            totals=[int(t) for t in data.get("tot", [])],
            shown=[[str(k) for k in keys] for keys in data.get("shown", [])],
            pinned=bool(data.get("pin", False)),
            view=view if isinstance(view := data.get("view"), dict) else None,
        )


@dataclass(frozen=True)
class ResultPage:
    recordings: list[Recording]
    page: int  # 1-based
    page_size: int
    total_items: int
    exact_total: bool
    has_next: bool
    next_offsets: list[int]

    @property
    def total_pages(self) -> int:
        return max(1, -(-self.total_items // self.page_size)) if self.page_size else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def recording_key(recording: Recording) -> str:
    return f"{recording.kind.value}:{recording.id}"


class _Source:
    """One VBC query read forward from an offset, a window at a time."""

    def __init__(self, vbc: VbcClient, query: VbcQuery, offset: int, want: int) -> None:
        self.vbc = vbc
        self.query = query
        self.offset = offset  # items consumed so far
        self.want = want
        self.buffer: list[Recording] = []
        self.total: int | None = None

    @property
    def exhausted(self) -> bool:
        return not self.buffer and self.total is not None and self.offset >= self.total

    async def fill(self) -> None:
        if self.buffer or (self.total is not None and self.offset >= self.total):
            return
        start = self.offset
        items, total = await _window(self.vbc, self.query, start, self.want)
        self.total = total
        self.buffer = items
        if not items:
            self.total = min(total, start)

    def head(self) -> Recording | None:
        return self.buffer[0] if self.buffer else None

    def pop(self) -> Recording:
        self.offset += 1
        return self.buffer.pop(0)


async def search_page(
    access: VbcAccess,
    plan: Plan,
    *,
    offsets: Sequence[int],
    page_size: int,
    page: int,
    exclude: frozenset[str] = frozenset(),
) -> ResultPage:
    """Read one page of the merged stream starting at ``offsets`` (one per plan query).

    ``exclude`` holds recordings already shown on the previous page: VBC may order recordings
    with equal start times differently in two queries, so one can come back after the cut.
    Each query runs on the login ``access`` gives it (the person's own for their on-demand).
    """
    newest_first = _newest_first(plan)
    sources = [
        _Source(access.for_query(q), q, offset, page_size)
        for q, offset in zip(plan.queries, offsets, strict=True)
    ]
    await asyncio.gather(*(s.fill() for s in sources))
    picked: list[Recording] = []
    shown: set[str] = set()
    while len(picked) < page_size:
        await asyncio.gather(*(s.fill() for s in sources if not s.buffer))
        live = [s for s in sources if s.head() is not None]
        if not live:
            break
        best = _pick(live, newest_first)
        recording = best.pop()
        key = recording_key(recording)
        # The same recording from another query sits at the same place in its order.
        for other in live:
            head = other.head()
            if other is not best and head is not None and recording_key(head) == key:
                other.pop()
        if key not in shown and key not in exclude:
            shown.add(key)
            picked.append(recording)
    seen = shown | exclude
    for s in sources:
        _skip_seen(s, seen)
        if s.total is None:
            await s.fill()
    totals = [s.total or 0 for s in sources]
    has_next = any(not s.exhausted for s in sources)
    total, exact = sum(totals), plan.disjoint
    if not has_next:
        # The end of the stream: every earlier page was full, so the count is known exactly.
        total, exact = (page - 1) * page_size + len(picked), True
    return ResultPage(
        recordings=picked,
        page=page,
        page_size=page_size,
        total_items=total,
        exact_total=exact,
        has_next=has_next,
        next_offsets=[s.offset for s in sources],
    )


def _skip_seen(source: _Source, seen: set[str] | frozenset[str]) -> None:
    """Step over copies of recordings already shown, so "Next" does not lead to an empty page.

    Only what is already read is looked at: an extra VBC request per query per page to look
    further ahead would cost more than the rare empty last page it could prevent.
    """
    while (head := source.head()) is not None and recording_key(head) in seen:
        source.pop()


def _newest_first(plan: Plan) -> bool:
    return not plan.queries or plan.queries[0].filter.order != ORDER_OLDEST


def _sort_key(recording: Recording) -> tuple[datetime, int]:
    return (recording.start or _EPOCH, recording.id)


def _pick(live: list[_Source], newest_first: bool) -> _Source:
    def key(source: _Source) -> tuple[datetime, int]:
        head = source.head()
        assert head is not None
        return _sort_key(head)

    return max(live, key=key) if newest_first else min(live, key=key)


async def _window(
    vbc: VbcClient, query: VbcQuery, offset: int, count: int
) -> tuple[list[Recording], int]:
    """Items ``[offset, offset + count)`` of a query in as few VBC requests as possible."""
    size = next(
        (
            ps
            for ps in range(count, MAX_VBC_PAGE_SIZE + 1)
            if offset // ps == (offset + count - 1) // ps
        ),
        None,
    )
    if size is not None:
        page_no = offset // size + 1
        got = await _fetch(vbc, query, page_no, size)
        skip = offset - (page_no - 1) * size
        return got.items[skip : skip + count], got.total_items
    first_no = offset // count + 1
    first, second = await asyncio.gather(
        _fetch(vbc, query, first_no, count), _fetch(vbc, query, first_no + 1, count)
    )
    skip = offset - (first_no - 1) * count
    return (first.items + second.items)[skip : skip + count], first.total_items


async def _fetch(vbc: VbcClient, query: VbcQuery, page_no: int, size: int) -> Page[Recording]:
    filters = query.filter.with_page(page_no, size)
    if query.kind is RecordingKind.ON_DEMAND:
        assert query.user_id is not None
        return await vbc.list_user_recordings(query.user_id, filters)
    return await vbc.list_company_recordings(filters)

"""Recording filters, ordering and paging with VBC's semantics, over pre-sorted indexes."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.vbcsim.data import SimRecording

DIRECTIONS = frozenset({"INBOUND", "OUTBOUND", "INTRA_PBX"})
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
# VBC's "yyyy-MM-ddTHH:mm:ssZ": a numeric offset (or Z); a "+" that arrived as a space is wrong.
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{4}|Z)$")
_SORT_KEYS: dict[str, Callable[[SimRecording], Any]] = {
    "start": lambda r: (r.start, r.id),
    "end": lambda r: (r.end, r.id),
    "duration": lambda r: (r.duration, r.start, r.id),
    "id": lambda r: r.id,
    "file_size_in_bytes": lambda r: (r.file_size_in_bytes, r.start, r.id),
    "caller_id": lambda r: (r.caller_id, r.start, r.id),
    "dnis": lambda r: (r.dnis, r.start, r.id),
    "cnam": lambda r: (r.cnam, r.start, r.id),
}


class QueryError(ValueError):
    """A parameter VBC would reject with 400; ``name`` is its wire name."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RecordingQuery:
    """The filters of schema ``Filters``; string filters match exactly, ``cnam`` by substring."""

    call_direction: str | None = None
    call_id: str | None = None
    caller_id: str | None = None
    cnam: str | None = None  # lower-cased
    dnis: str | None = None
    extension: str | None = None
    duration_gte: int | None = None
    duration_lte: int | None = None
    start_gte: datetime | None = None
    start_lte: datetime | None = None

    def matches(self, rec: SimRecording) -> bool:
        return (
            (self.call_direction is None or rec.call_direction == self.call_direction)
            and (self.call_id is None or rec.call_id == self.call_id)
            and (self.caller_id is None or rec.caller_id == self.caller_id)
            and (self.dnis is None or rec.dnis == self.dnis)
            and (self.extension is None or self.extension in rec.extensions)
            and (self.cnam is None or self.cnam in rec.cnam.lower())
            and (self.duration_gte is None or rec.duration >= self.duration_gte)
            and (self.duration_lte is None or rec.duration <= self.duration_lte)
            and (self.start_gte is None or rec.start >= self.start_gte)
            and (self.start_lte is None or rec.start <= self.start_lte)
        )


@dataclass(frozen=True, slots=True)
class ListParams:
    query: RecordingQuery
    order_field: str = "start"
    descending: bool = True
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def parse_filters(params: Mapping[str, Any]) -> RecordingQuery:
    """Read filters from a query string or an export body; empty values count as absent."""

    def text(name: str) -> str | None:
        value = params.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise QueryError(name, "must be a string")
        return str(value)

    direction = text("call_direction")
    if direction is not None and direction not in DIRECTIONS:
        raise QueryError("call_direction", f"must be one of {', '.join(sorted(DIRECTIONS))}")
    cnam = text("cnam")
    return RecordingQuery(
        call_direction=direction,
        call_id=text("call_id"),
        caller_id=text("caller_id"),
        cnam=cnam.lower() if cnam else None,
        dnis=text("dnis"),
        extension=text("extension"),
        duration_gte=_integer("duration:gte", text("duration:gte")),
        duration_lte=_integer("duration:lte", text("duration:lte")),
        start_gte=_time("start:gte", text("start:gte")),
        start_lte=_time("start:lte", text("start:lte")),
    )


def parse_list_params(params: Mapping[str, str]) -> ListParams:
    order = params.get("order") or "start:DESC"
    field, _, direction = order.partition(":")
    if field not in _SORT_KEYS or direction.upper() not in {"ASC", "DESC", ""}:
        raise QueryError("order", f"unsupported order {order!r}; use e.g. start:DESC")
    page = _integer("page", params.get("page") or None)
    size = _integer("page_size", params.get("page_size") or None)
    if page is not None and page < 1:
        raise QueryError("page", "must be 1 or more")
    if size is not None and size < 1:
        raise QueryError("page_size", "must be 1 or more")
    return ListParams(
        query=parse_filters(params),
        order_field=field,
        descending=direction.upper() != "ASC",
        page=page or 1,
        page_size=min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )


class RecordingIndex:
    """Recordings sorted by start with per-value indexes, so a page costs a slice, not a scan."""

    def __init__(self, recordings: Iterable[SimRecording]) -> None:
        self._by_start = sorted(recordings, key=_SORT_KEYS["start"])
        self._starts = [r.start for r in self._by_start]
        self._by_id = {r.id: r for r in self._by_start}
        self._by_value: dict[str, dict[str, list[SimRecording]]] = {
            "caller_id": {},
            "dnis": {},
            "call_id": {},
            "extension": {},
        }
        for rec in self._by_start:
            self._by_value["caller_id"].setdefault(rec.caller_id, []).append(rec)
            self._by_value["dnis"].setdefault(rec.dnis, []).append(rec)
            self._by_value["call_id"].setdefault(rec.call_id, []).append(rec)
            for ext in set(rec.extensions):
                self._by_value["extension"].setdefault(ext, []).append(rec)
        self._cache: dict[tuple[RecordingQuery, str, bool], Sequence[SimRecording]] = {}

    def __len__(self) -> int:
        return len(self._by_start)

    def get(self, recording_id: int) -> SimRecording | None:
        return self._by_id.get(recording_id)

    def select(
        self, query: RecordingQuery, field: str = "start", descending: bool = True
    ) -> Sequence[SimRecording]:
        """Every match in the asked order; results are cached since paging repeats queries."""
        key = (query, field, descending)
        cached = self._cache.get(key)
        if cached is None:
            rows = [rec for rec in self._candidates(query) if query.matches(rec)]
            if field != "start":
                rows.sort(key=_SORT_KEYS[field])
            if descending:
                rows.reverse()
            if len(self._cache) > 256:
                self._cache.clear()
            cached = self._cache[key] = rows
        return cached

    def _candidates(self, query: RecordingQuery) -> Sequence[SimRecording]:
        lists = [
            self._by_value[name].get(value, [])
            for name, value in (
                ("caller_id", query.caller_id),
                ("dnis", query.dnis),
                ("call_id", query.call_id),
                ("extension", query.extension),
            )
            if value is not None
        ]
        if lists:
            return min(lists, key=len)
        low = bisect.bisect_left(self._starts, query.start_gte) if query.start_gte else 0
        high = (
            bisect.bisect_right(self._starts, query.start_lte)
            if query.start_lte
            else len(self._starts)
        )
        return self._by_start[low:high]


def _integer(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise QueryError(name, f"must be an integer, not {value!r}") from None


def _time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value[:-1] + "+0000" if value.endswith("Z") else value
    if not _TIME_RE.match(value):
        raise QueryError(name, f"must look like 2019-01-01T00:00:00+0000, not {value!r}")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise QueryError(name, f"is not a valid date-time: {value!r}") from None

"""RecordingFilter: one typed object for VBC's recording filters, in their exact wire names."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from bot.vbc.timefmt import format_vbc_time, parse_vbc_time


class Direction(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    INTRA_PBX = "INTRA_PBX"


ORDER_NEWEST = "start:DESC"
ORDER_OLDEST = "start:ASC"

# Python attribute -> wire name, in the order of the OpenAPI parameter list.
_WIRE_NAMES: dict[str, str] = {
    "call_direction": "call_direction",
    "call_id": "call_id",
    "caller_id": "caller_id",
    "cnam": "cnam",
    "dnis": "dnis",
    "duration_gte": "duration:gte",
    "duration_lte": "duration:lte",
    "extension": "extension",
    "start_gte": "start:gte",
    "start_lte": "start:lte",
    "order": "order",
    "page": "page",
    "page_size": "page_size",
}
# The export body (schema ``Filters``) has no paging or ordering.
_PAGING = frozenset({"order", "page", "page_size"})


@dataclass(frozen=True, slots=True)
class RecordingFilter:
    """Filters of the recording list and export endpoints; ``None`` means "not filtered"."""

    call_direction: Direction | None = None
    call_id: str | None = None
    caller_id: str | None = None
    cnam: str | None = None
    dnis: str | None = None
    duration_gte: int | None = None
    duration_lte: int | None = None
    extension: str | None = None
    start_gte: datetime | None = None
    start_lte: datetime | None = None
    order: str | None = None
    page: int | None = None
    page_size: int | None = None

    def to_query(self) -> dict[str, str]:
        """Query parameters for a GET, wire names as keys, only the set filters."""
        return {_WIRE_NAMES[k]: _wire_str(v) for k, v in self._set_items()}

    def to_json(self) -> dict[str, str | int]:
        """The JSON body of an export request: the same filters without paging or order."""
        body: dict[str, str | int] = {}
        for key, value in self._set_items():
            if key in _PAGING:
                continue
            body[_WIRE_NAMES[key]] = value if isinstance(value, int) else _wire_str(value)
        return body

    def with_page(self, page: int, page_size: int | None = None) -> RecordingFilter:
        return replace(self, page=page, page_size=page_size or self.page_size)

    def merged(self, **changes: Any) -> RecordingFilter:
        return replace(self, **changes)

    @classmethod
    def from_wire(cls, params: dict[str, Any]) -> Self:
        """Inverse of ``to_query``/``to_json``; unknown keys are ignored."""
        by_wire = {wire: attr for attr, wire in _WIRE_NAMES.items()}
        values: dict[str, Any] = {}
        for wire, raw in params.items():
            attr = by_wire.get(wire)
            if attr is None or raw is None:
                continue
            values[attr] = _from_wire(attr, raw)
        return cls(**values)

    def _set_items(self) -> list[tuple[str, Any]]:
        return [
            (f.name, getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) is not None
        ]


def _wire_str(value: object) -> str:
    if isinstance(value, datetime):
        return format_vbc_time(value)
    if isinstance(value, Direction):
        return value.value
    return str(value)


def _from_wire(attr: str, raw: Any) -> Any:
    if attr in {"start_gte", "start_lte"}:
        return parse_vbc_time(str(raw))
    if attr in {"duration_gte", "duration_lte", "page", "page_size"}:
        return int(raw)
    if attr == "call_direction":
        return Direction(str(raw).upper())
    return str(raw)

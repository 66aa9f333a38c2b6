"""Typed VBC resources, parsed once at the client boundary.

Unknown fields are ignored and every optional field may be missing, because VBC adds
fields over time and omits empty ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# pydantic's own (Rust) parser reads VBC's ``+0000`` offsets; a Python parser per field
# was a third of the client's cost per page. Times without a zone are taken as UTC.
VbcTime = Annotated[datetime, AfterValidator(_as_utc)]
Text = str  # numbers VBC sends for phone numbers become strings (coerce_numbers_to_str)


class RecordingKind(StrEnum):
    """Which API a recording came from; members see both kinds as one stream."""

    COMPANY = "company"
    ON_DEMAND = "on-demand"


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, populate_by_name=True, coerce_numbers_to_str=True
    )


def _href(links: Any, name: str = "self") -> str | None:
    if isinstance(links, Mapping):
        link = links.get(name)
        if isinstance(link, Mapping) and isinstance(link.get("href"), str):
            return str(link["href"])
    return None


class Recording(_Model):
    id: int
    kind: RecordingKind = RecordingKind.COMPANY
    owner_user_id: str | None = None  # the VBC user of an on-demand recording
    call_direction: str | None = None
    call_id: str | None = None
    caller_id: Text | None = None
    cnam: str | None = None
    dnis: Text | None = None
    download_url: str | None = None
    duration: int | None = None  # milliseconds
    start: VbcTime | None = None
    end: VbcTime | None = None
    extensions: list[Text] = Field(default_factory=list)
    file_name: str | None = None
    file_size_in_bytes: int | None = None
    rule_ids: list[int] = Field(default_factory=list)
    self_url: str | None = None

    @classmethod
    def from_api(
        cls, data: Mapping[str, Any], *, kind: RecordingKind, owner_user_id: str | None = None
    ) -> Recording:
        return cls.model_validate(
            {
                **data,
                "kind": kind,
                "owner_user_id": owner_user_id,
                "self_url": _href(data.get("_links")),
            }
        )


class ExportJobStatus(StrEnum):
    """States seen on export jobs; anything else is kept as a plain string."""

    QUEUED = "queued"
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"
    EXPIRED = "expired"


TERMINAL_JOB_STATES = frozenset({"complete", "failed", "expired", "cancelled", "canceled"})


class ExportJob(_Model):
    id: str
    status: str = "unknown"
    files_completed: int | None = None
    files_total: int | None = None
    download_url: str | None = None
    valid_until: VbcTime | None = None
    self_url: str | None = None

    @property
    def is_finished(self) -> bool:
        return self.status.lower() in TERMINAL_JOB_STATES

    @property
    def is_complete(self) -> bool:
        return self.status.lower() == "complete"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ExportJob:
        return cls.model_validate({**data, "self_url": _href(data.get("_links"))})


class Did(_Model):
    phone_number: Text | None = None
    custom_tag: str | None = None


class UserExtension(_Model):
    extension_number: Text
    dids: list[Did] = Field(default_factory=list)


class User(_Model):
    id: int
    email: str | None = None
    login_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    extensions: list[UserExtension] = Field(default_factory=list)

    @property
    def extension_numbers(self) -> list[str]:
        return [e.extension_number for e in self.extensions]

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or self.login_name or self.email or str(self.id)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> User:
        return cls.model_validate(data)


class BasicUser(_Model):
    id: int | None = None
    email: str | None = None
    login_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class Extension(_Model):
    """An account extension (Provisioning ``EndUserRoute``)."""

    extension_number: Text
    user: BasicUser | None = None
    location_id: int | None = None
    caller_id: str | None = None
    external_id: Text | None = None
    dids: list[Did] = Field(default_factory=list)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Extension:
        return cls.model_validate(data)


T = TypeVar("T")


class Page(_Model, Generic[T]):
    """One page of a HAL list: items plus VBC's paging numbers and links."""

    items: list[T]
    page: int = 1
    page_size: int = 0
    total_items: int = 0
    total_pages: int = 0
    links: dict[str, str] = Field(default_factory=dict)

    @property
    def next_url(self) -> str | None:
        return self.links.get("next")

    @property
    def has_next(self) -> bool:
        return "next" in self.links or self.page < self.total_pages

    @classmethod
    def from_hal(
        cls, data: Mapping[str, Any], key: str, parse: Callable[[Mapping[str, Any]], T]
    ) -> Page[T]:
        """Parse a HAL page whose items live under ``_embedded[key]`` (a list or one object)."""
        embedded = data.get("_embedded") or {}
        raw = embedded.get(key) if isinstance(embedded, Mapping) else None
        rows: Sequence[Any] = [raw] if isinstance(raw, Mapping) else (raw or [])
        links = data.get("_links") or {}
        return cls(
            items=[parse(row) for row in rows],
            page=int(data.get("page") or 1),
            page_size=int(data.get("page_size") or len(rows)),
            total_items=int(data.get("total_items") or len(rows)),
            total_pages=int(data.get("total_pages") or (1 if rows else 0)),
            links={
                name: str(link["href"])
                for name, link in links.items()
                if isinstance(link, Mapping) and isinstance(link.get("href"), str)
            },
        )

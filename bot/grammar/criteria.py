"""Criteria: a search kept to be matched later, and the one matcher that reads it.

Legal holds and new-recording rules store what a person typed as ``Criteria`` and test
recordings against it long after the command ran, so everything that depended on the moment
is resolved when the criteria are made: time words become UTC instants, ``user:@person``
becomes that person's VBC user and extensions. ``matches`` applies VBC's own filter rules
(the ones the simulator models in ``bot/vbcsim/query.py``), so a recording a stored search
matches is one that search would have listed:

- ``call_direction``, ``call_id``, ``caller_id`` (``from:``), ``dnis`` (``to:``): equal;
- ``cnam`` (``name:``): contained, case-insensitive;
- ``extension`` (``ext:``): one of the recording's extensions;
- ``duration:gte/lte`` and ``start:gte/lte``: inclusive bounds; a recording without the
  value does not match a bound on it;
- bare numbers: the caller or the dialed number equals one of them (VBC has no OR filter);
- ``type:``: the recording's kind;
- an owner (a member's own scope or ``user:@person``): their on-demand recordings, and
  company recordings of their extensions; no owner (``scope:company``) means everyone's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.grammar.request import SearchRequest
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import Recording, RecordingKind


@dataclass(frozen=True)
class Owner:
    """Whose recordings: a VBC user (their on-demand ones) and their extensions (company)."""

    vbc_user_id: str
    extensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Criteria:
    """A search with nothing left that depends on when or by whom it is evaluated."""

    filter: RecordingFilter = field(default_factory=RecordingFilter)
    numbers: tuple[str, ...] = ()
    kind: RecordingKind | None = None
    owner: Owner | None = None

    @classmethod
    def of(cls, request: SearchRequest, *, owner: Owner | None = None) -> Criteria:
        """The request as parsed (time words already instants); paging and order dropped."""
        kept = replace(request.filter, order=None, page=None, page_size=None)
        return cls(filter=kept, numbers=request.numbers, kind=request.kind, owner=owner)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"filter": self.filter.to_json()}
        if self.numbers:
            data["numbers"] = list(self.numbers)
        if self.kind is not None:
            data["kind"] = self.kind.value
        if self.owner is not None:
            data["owner"] = {
                "vbc_user_id": self.owner.vbc_user_id,
                "extensions": list(self.owner.extensions),
            }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Criteria:
        owner = data.get("owner")
        kind = data.get("kind")
        return cls(
            filter=RecordingFilter.from_wire(dict(data.get("filter") or {})),
            numbers=tuple(str(n) for n in data.get("numbers") or ()),
            kind=RecordingKind(kind) if kind else None,
            owner=(
                Owner(str(owner["vbc_user_id"]), tuple(str(e) for e in owner["extensions"]))
                if owner
                else None
            ),
        )


def matches(criteria: Criteria, recording: Recording) -> bool:
    """Would the stored search list this recording? (VBC's rules, see the module docstring.)"""
    return (
        _filter_matches(criteria.filter, recording)
        and (not criteria.numbers or _either_side(criteria.numbers, recording))
        and (criteria.kind is None or recording.kind is criteria.kind)
        and (criteria.owner is None or _owned_by(criteria.owner, recording))
    )


def _filter_matches(f: RecordingFilter, rec: Recording) -> bool:
    return (
        _equal(f.call_direction, rec.call_direction)
        and _equal(f.call_id, rec.call_id)
        and _equal(f.caller_id, rec.caller_id)
        and _equal(f.dnis, rec.dnis)
        and (f.extension is None or f.extension in rec.extensions)
        and (f.cnam is None or f.cnam.lower() in (rec.cnam or "").lower())
        and _within(rec.duration, f.duration_gte, f.duration_lte)
        and _within(rec.start, f.start_gte, f.start_lte)
    )


def _equal(wanted: object, actual: str | None) -> bool:
    return wanted is None or (actual is not None and str(wanted) == actual)


def _within(value: Any, low: Any, high: Any) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def _either_side(numbers: tuple[str, ...], rec: Recording) -> bool:
    return any(n in (rec.caller_id, rec.dnis) for n in numbers)


def _owned_by(owner: Owner, rec: Recording) -> bool:
    if rec.kind is RecordingKind.ON_DEMAND:
        return rec.owner_user_id == owner.vbc_user_id
    return any(ext in owner.extensions for ext in rec.extensions)

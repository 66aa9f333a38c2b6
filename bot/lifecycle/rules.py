"""Who may delete what, and what a bulk delete must say before it runs (pure)."""

from __future__ import annotations

from dataclasses import replace

from bot.grammar import SearchRequest
from bot.people.policy import NOT_FOUND_OR_NOT_YOURS, NOT_LINKED, Person
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import RecordingKind

MEMBERS_MAY_NOT = (
    "Only recordings admins can delete recordings here (`MEMBERS_MAY_DELETE` is off); "
    "ask one of them. Nothing was deleted."
)
ONLY_ON_DEMAND = (
    "Only recordings admins can delete company recordings; you may delete your own on-demand "
    "recordings. Nothing was deleted."
)
ONLY_ADMINS_BULK = (
    "Only recordings admins can delete recordings by filters; to delete one of yours, use "
    "`/recordings delete <recording id>`. Nothing was deleted."
)
ONLY_ADMINS_OTHERS = (
    "Only recordings admins can delete another person's recordings. Nothing was deleted."
)
NEEDS_A_FILTER = (
    "A bulk delete needs at least one filter or time window besides `scope:`, `user:` and "
    "`type:` (e.g. `delete scope:company until:2023-12-31`), so it never means "
    "\u201ceverything\u201d. Nothing was deleted."
)
MAX_BULK = 10_000  # recordings in one bulk delete: more is narrowed first


def may_delete(
    person: Person, kind: RecordingKind, owner_user_id: str | None, *, members_may_delete: bool
) -> str | None:
    """Why ``person`` may not delete this recording, or None when they may.

    Admins may delete any recording; members only their own on-demand recordings, and only
    where ``MEMBERS_MAY_DELETE`` allows it. Another person's recording reads as "not found".
    """
    if person.is_admin:
        return None
    if not members_may_delete:
        return MEMBERS_MAY_NOT
    if person.identity is None:
        return NOT_LINKED
    if kind is not RecordingKind.ON_DEMAND:
        return ONLY_ON_DEMAND
    if owner_user_id != person.identity.vbc_user_id:
        return NOT_FOUND_OR_NOT_YOURS
    return None


def bulk_refusal(person: Person, request: SearchRequest) -> str | None:
    """Why these filters cannot start a bulk delete, or None."""
    if not person.is_admin:
        return ONLY_ADMINS_BULK
    if request.numbers:
        return (
            "In a bulk delete a number must be keyed: `from:<number>` or `to:<number>` (a bare "
            "number after `delete` is one recording id). Nothing was deleted."
        )
    if replace(request.filter, order=None, page=None, page_size=None) == RecordingFilter():
        return NEEDS_A_FILTER
    return None


def count_error(typed: str, expected: int) -> str | None:
    """The field error for a typed confirmation count, or None when it is ``expected``."""
    digits = typed.strip().replace(",", "").replace(" ", "")
    if digits == str(expected):
        return None
    shown = typed.strip()[:20] or "nothing"
    return f"You typed {shown}; type {expected} (the number of recordings) to delete them."

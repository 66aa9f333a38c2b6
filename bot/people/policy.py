"""Who may see what: for a person and a search, the VBC queries they may run (pure).

A member sees their on-demand recordings and company recordings of their own extensions;
admins (BOT_ADMINS) may ask for the whole company or for another person. VBC has no OR
filter, so "either side of the call" and "any of my extensions" become several queries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.grammar import SearchRequest
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import Recording, RecordingKind

MAX_QUERIES = 16


@dataclass(frozen=True)
class Identity:
    """A person's VBC user and extensions, as linked."""

    vbc_user_id: str
    extensions: tuple[str, ...] = ()
    display_name: str | None = None


@dataclass(frozen=True)
class Person:
    team_id: str
    slack_user_id: str
    is_admin: bool = False
    identity: Identity | None = None
    unlinked: bool = False  # an admin unlinked them: not linked by email until one links them

    @property
    def scope_label(self) -> str:
        if self.is_admin:
            return "admin: your own recordings, `scope:company` and `user:@person`"
        if self.identity is None and self.unlinked:
            return "unlinked from VBC by a recordings admin"
        if self.identity is None:
            return "not linked to a VBC user yet"
        exts = self.identity.extensions
        if not exts:
            return "your own on-demand recordings (you have no extension in VBC)"
        which = f"extension {exts[0]}" if len(exts) == 1 else f"extensions {', '.join(exts)}"
        return f"your own recordings (on-demand, and company recordings of {which})"


@dataclass(frozen=True)
class VbcQuery:
    kind: RecordingKind
    filter: RecordingFilter
    user_id: str | None = None  # the owner, for on-demand queries

    @property
    def key(self) -> str:
        wire = "&".join(f"{k}={v}" for k, v in sorted(self.filter.to_query().items()))
        return f"{self.kind.value}|{self.user_id or ''}|{wire}"


@dataclass(frozen=True)
class Plan:
    queries: tuple[VbcQuery, ...]
    scope: str  # a few words for the results footer

    @property
    def fingerprint(self) -> str:
        return ";".join(sorted(q.key for q in self.queries))

    @property
    def disjoint(self) -> bool:
        """No recording can come back from two queries: each is of a different kind.

        Two queries of one kind (two extensions, both sides of a bare number) may overlap,
        so their totals only add up to an estimate.
        """
        kinds = [q.kind for q in self.queries]
        return len(kinds) == len(set(kinds))


class AccessRefusedError(Exception):
    """The person may not run this search or see this recording; ``str()`` says why."""


# A member gets these same words whether a recording does not exist or is someone else's, so
# ids cannot be probed; admins, who may see every recording, get VBC's own answer.
NOT_FOUND_OR_NOT_YOURS = "That recording does not exist or is not yours, so I can't show it to you."

# Per person, long-running requests not yet ended (exports and bulk deletions together): one
# person cannot queue up work for VBC and the bot without end.
MAX_IN_FLIGHT = 3
TOO_MANY_IN_FLIGHT = (
    f"You already have {MAX_IN_FLIGHT} exports or deletions in progress, the most I run for one "
    "person at a time. `/recordings jobs` shows the exports, our DM the deletions; start this "
    "one again when one of them has finished."
)

NOT_LINKED = (
    "I don't know who you are in VBC yet. I look people up by their Slack email address; "
    "if your VBC login uses another address, ask a recordings admin to run "
    "`/recordings link @you <your VBC user id or email>`."
)

UNLINKED = (
    "I don't know who you are in VBC: a recordings admin unlinked you, so I no longer link you "
    "by your Slack email address. Ask a recordings admin to run "
    "`/recordings link @you <your VBC user id or email>`."
)


def plan_search(person: Person, request: SearchRequest, *, target: Identity | None = None) -> Plan:
    """The queries ``person`` may run for ``request``; ``target`` is the resolved ``user:``."""
    if (request.company or request.user) and not person.is_admin:
        asked = "`scope:company`" if request.company else "another person's recordings"
        raise AccessRefusedError(
            f"Only recordings admins can search {asked}. Your scope: {person.scope_label}."
        )
    if request.company and request.user:
        raise AccessRefusedError("Use either `scope:company` or `user:@person`, not both.")
    if request.company:
        if request.kind is RecordingKind.ON_DEMAND:
            raise AccessRefusedError(
                "On-demand recordings belong to one person: use `user:@person type:on-demand`."
            )
        return _plan((VbcQuery(RecordingKind.COMPANY, request.filter),), request, "the company")
    if request.user:
        if target is None:
            raise AccessRefusedError(
                f"<@{request.user}> is not linked to a VBC user; link them with "
                f"`/recordings link <@{request.user}> <VBC user id or email>`."
            )
        return _own(target, request, f"<@{request.user}>'s recordings")
    if person.identity is None:
        raise AccessRefusedError(UNLINKED if person.unlinked else NOT_LINKED)
    return _own(person.identity, request, "your recordings")


def _own(identity: Identity, request: SearchRequest, scope: str) -> Plan:
    wanted_ext = request.filter.extension
    if wanted_ext is not None and wanted_ext not in identity.extensions:
        raise AccessRefusedError(
            f"Extension {wanted_ext} is not one of yours "
            f"({', '.join(identity.extensions) or 'you have none'})."
        )
    queries: list[VbcQuery] = []
    if request.kind in (None, RecordingKind.ON_DEMAND):
        queries.append(VbcQuery(RecordingKind.ON_DEMAND, request.filter, identity.vbc_user_id))
    if request.kind in (None, RecordingKind.COMPANY):
        extensions = (wanted_ext,) if wanted_ext else identity.extensions
        queries.extend(
            VbcQuery(RecordingKind.COMPANY, replace(request.filter, extension=ext))
            for ext in extensions
        )
    if not queries:
        raise AccessRefusedError(
            "You have no extensions in VBC, so there are no company recordings of yours."
        )
    return _plan(tuple(queries), request, scope)


def _plan(queries: tuple[VbcQuery, ...], request: SearchRequest, scope: str) -> Plan:
    """Multiply by "either side of the call" for bare numbers (VBC has no OR filter)."""
    if request.numbers:
        queries = tuple(
            replace(q, filter=_either_side(q.filter, side, number))
            for q in queries
            for number in request.numbers
            for side in ("caller_id", "dnis")
            if getattr(q.filter, side) is None
        )
        if not queries:
            raise AccessRefusedError(
                "A bare number means either side of the call, but `from:` and `to:` are both "
                "set: drop the bare number or one of them."
            )
    if len(queries) > MAX_QUERIES:
        raise AccessRefusedError(
            f"That search needs {len(queries)} separate VBC queries (most I run is {MAX_QUERIES}): "
            "use fewer bare numbers, or `from:` / `to:` / `ext:` to narrow it."
        )
    return Plan(queries=queries, scope=scope)


def _either_side(filters: RecordingFilter, side: str, number: str) -> RecordingFilter:
    if side == "caller_id":
        return replace(filters, caller_id=number)
    return replace(filters, dnis=number)


def may_see(person: Person, recording: Recording) -> bool:
    """Server-side check for one recording, whatever a button claimed."""
    if person.is_admin:
        return True
    identity = person.identity
    if identity is None:
        return False
    if recording.kind is RecordingKind.ON_DEMAND:
        return recording.owner_user_id == identity.vbc_user_id
    return any(ext in identity.extensions for ext in recording.extensions)

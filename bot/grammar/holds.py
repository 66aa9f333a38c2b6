"""The words of ``hold``, ``release`` and ``retention`` (pure): what each is given, or why not.

``hold`` takes a recording id, read as ``get`` reads it (``193228``, ``od:193228``,
``193228 type:company``), or search filters, and always a ``reason:"…"`` (Slack's curly
quotes too). ``retention`` days are a whole number from 1 to ``MAX_RETENTION_DAYS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.grammar.commands import RECORDING_KINDS, CommandError
from bot.grammar.limits import echo
from bot.vbc.models import RecordingKind

MAX_RETENTION_DAYS = 3650
MAX_REASON = 1000

USAGE = {
    "hold": '/recordings hold <recording id | filters> reason:"why"',
    "release": "/recordings release <hold id>",
    "retention": "/recordings retention [slack <days>|off] [vbc <days> [filters]|off]",
}

_REASON = re.compile(
    r"""(?:^|\s)reason:(?:"(?P<q>[^"]*)"|“(?P<c>[^”]*)”|(?P<w>\S+))""", re.IGNORECASE
)
_ID = re.compile(r"(?:(?P<kind>od|on-demand|ondemand|company):)?#?(?P<id>[0-9]{1,18})", re.I)


class LifecycleWordsError(CommandError):
    """What was wrong and how to write it (always with a usage); ``str()`` is ready for Slack."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message, usage)


@dataclass(frozen=True)
class HoldWords:
    """A hold as typed: by id (``recording_id``, ``kind`` if given) or by ``filters``."""

    reason: str
    recording_id: str | None = None
    kind: RecordingKind | None = None
    filters: str = ""


@dataclass(frozen=True)
class RetentionWords:
    """``target`` None shows the policies; ``days`` None turns ``target``'s policy off."""

    target: str | None = None  # slack | vbc
    days: int | None = None
    filters: str = ""


def parse_hold(text: str) -> HoldWords:
    found = _REASON.search(text)
    if found is None:
        raise LifecycleWordsError(
            'a hold needs a reason, e.g. reason:"litigation 2024-17"', USAGE["hold"]
        )
    reason = " ".join((found["q"] or found["c"] or found["w"] or "").split())
    if not reason:
        raise LifecycleWordsError("the hold's reason is empty", USAGE["hold"])
    if len(reason) > MAX_REASON:
        raise LifecycleWordsError(
            f"the reason is {len(reason):,} characters long; the most is {MAX_REASON:,}",
            USAGE["hold"],
        )
    rest = (text[: found.start()] + " " + text[found.end() :]).split()
    if not rest:
        raise LifecycleWordsError(
            "say what to hold: a recording id (as `get` takes it) or search filters",
            USAGE["hold"],
        )
    by_id = _ID.fullmatch(rest[0])
    if by_id is None:
        return HoldWords(reason=reason, filters=" ".join(rest))
    kind = RECORDING_KINDS[by_id["kind"].lower()] if by_id["kind"] else None
    if len(rest) == 2 and rest[1].lower().startswith("type:"):
        named = RECORDING_KINDS.get(rest[1].lower().removeprefix("type:"))
        if named is None or (kind is not None and named is not kind):
            raise LifecycleWordsError(
                f"`{echo(rest[1])}` is not a recording type for that id", USAGE["hold"]
            )
        kind = named
    elif len(rest) > 1:
        if by_id["kind"]:
            raise LifecycleWordsError(
                "hold one id, or hold by filters (an id with filters is neither)", USAGE["hold"]
            )
        # A bare number followed by filters is a search (a phone number), as after a search.
        return HoldWords(reason=reason, filters=" ".join(rest))
    return HoldWords(reason=reason, recording_id=by_id["id"], kind=kind)


def parse_release(args: list[str]) -> int:
    if len(args) != 1:
        raise LifecycleWordsError("release needs one hold id", USAGE["release"])
    raw = args[0].removeprefix("#")
    if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) == 0:
        raise LifecycleWordsError(
            f"`{echo(args[0])}` is not a hold id; `/recordings holds` lists them",
            USAGE["release"],
        )
    return int(raw)


def parse_retention(text: str) -> RetentionWords:
    words = text.split()
    if not words:
        return RetentionWords()
    target = words[0].lower()
    if target not in ("slack", "vbc"):
        raise LifecycleWordsError(
            f"`{echo(words[0])}` is not a retention policy: use `slack` or `vbc`",
            USAGE["retention"],
        )
    if len(words) < 2:
        raise LifecycleWordsError(
            f"say how many days to keep, or `off`: `/recordings retention {target} 90`",
            USAGE["retention"],
        )
    if words[1].lower() == "off":
        if len(words) > 2:
            raise LifecycleWordsError(
                f"`retention {target} off` takes nothing after it", USAGE["retention"]
            )
        return RetentionWords(target=target)
    days = retention_days(words[1])
    filters = " ".join(words[2:])
    if filters and target == "slack":
        raise LifecycleWordsError(
            "the Slack copies policy takes no filters: every file I uploaded expires alike",
            USAGE["retention"],
        )
    return RetentionWords(target=target, days=days, filters=filters)


def retention_days(raw: str) -> int:
    """1..3650 written as plain ASCII digits; anything else is refused by name."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        raise LifecycleWordsError(
            f"`{echo(raw)}` is not a number of days: write a whole number from 1 to "
            f"{MAX_RETENTION_DAYS}, or `off`",
            USAGE["retention"],
        )
    days = int(raw)
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise LifecycleWordsError(
            f"{days} days is out of range: keep for 1 to {MAX_RETENTION_DAYS} days "
            "(ten years), or turn the policy `off`",
            USAGE["retention"],
        )
    return days

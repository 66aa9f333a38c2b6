"""``/recordings audit`` filters: who, what, outcome, target and when (pure).

The time words and ``since:``/``until:`` are read by the search grammar's own readers
(``bot.grammar.times``), so ``audit last 7d`` or ``audit since:yesterday`` mean what they mean
in a search. Every bad word is reported at once, with the values ``action:`` and ``outcome:``
take.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.grammar.request import FilterError, read_every
from bot.grammar.suggestions import closest
from bot.grammar.times import TIME_WORDS, read_bound, read_time_word
from bot.grammar.tokens import mention_user_id, split, unescape
from bot.store import AuditQuery

# What the bot writes as an audit event's action and outcome (``Store.audit`` callers).
ACTIONS = (
    "search", "page", "details", "get", "audio", "share", "export", "link", "unlink", "channel",
    "connect", "disconnect", "audit", "delete", "delete-job", "delete-cancel",
    "slack-copy-delete",
    "hold", "holds", "release", "retention", "retention_run", "retention_skip",
    "notify_add", "notify_remove", "notify_pause", "notify_list",
)  # fmt: skip
OUTCOMES = ("allowed", "refused", "failed")
# The words people use for them.
ACTION_ALIASES = {"play": "audio", "listen": "audio", "download": "audio", "paging": "page"}
OUTCOME_ALIASES = {
    "denied": "refused", "refusal": "refused", "rejected": "refused", "forbidden": "refused",
    "ok": "allowed", "granted": "allowed", "success": "allowed", "error": "failed",
    "errors": "failed", "failure": "failed",
}  # fmt: skip
AUDIT_VALUES = (
    f"`action:` {', '.join(ACTIONS)} (`play` means audio) · "
    f"`outcome:` {', '.join(OUTCOMES)} (`denied` means refused)"
)
AUDIT_EXAMPLE = "audit user:@person action:play outcome:denied last 7d"
_KEYS = ("user", "action", "outcome", "recording", "target", "since", "until")


class AuditQueryError(FilterError):
    """Bad audit filters; ``str()`` lists them and then the values the keys take."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n*Audit filters:* {AUDIT_VALUES}, `user:@person`, " + (
            "`recording:193228`, time words (`today`, `last 7d`, `this month`), "
            "`since:2024-05-01`, `until:yesterday`."
        )


def parse_audit_query(text: str, *, tz: ZoneInfo, now: datetime) -> AuditQuery:
    """Read the filters of ``/recordings audit``; raises AuditQueryError naming each bad one."""
    pieces = split(unescape(text))
    values: dict[str, object] = {}
    errors, read_all = read_every(pieces, lambda i: _step(pieces, i, values, tz, now))
    if errors:
        first = errors[0]
        grouped = AuditQueryError(
            first.token, first.message, first.suggestion, options=first.options
        )
        raise AuditQueryError.grouped([grouped, *errors[1:]], read_all=read_all)
    return AuditQuery(**values)  # type: ignore[arg-type]


def _step(pieces: list[str], i: int, values: dict[str, object], tz: ZoneInfo, now: datetime) -> int:
    token = pieces[i]
    low = token.lower()
    key, _, value = low.partition(":")
    if low in TIME_WORDS:
        window = read_time_word(pieces, i, now, tz)
        if window is not None:
            _set(values, window.token, "since", window.start)
            _set(values, window.token, "until", _inclusive(window.end))
            return i + window.used
    if key in ("since", "until") and ":" in low:
        bound = read_bound(key, pieces, i, now, tz)
        moment = bound.start if key == "since" else _inclusive(bound.end)
        _set(values, bound.token, key, moment)
        return i + bound.used
    if user := mention_user_id(token[5:] if key == "user" else token):
        _set(values, token, "actor", user)
    elif key == "action":
        action = ACTION_ALIASES.get(value, value)
        if action not in ACTIONS:
            raise FilterError(
                token,
                f"an action is one of {', '.join(ACTIONS)}",
                closest(value, ACTIONS, "action"),
            )
        _set(values, token, "action", action)
    elif key == "outcome":
        outcome = OUTCOME_ALIASES.get(value, value)
        if outcome not in OUTCOMES:
            raise FilterError(
                token,
                f"an outcome is one of {', '.join(OUTCOMES)}",
                closest(value, OUTCOMES, "outcome"),
            )
        _set(values, token, "outcome", outcome)
    elif key in ("recording", "target") and value:
        ref = token.split(":", 1)[1]
        _set(values, token, "target", ref if ":" in ref else f"company:{ref}")
    elif key == "user":
        raise FilterError(token, "pick the person from the autocomplete", "user:@person")
    else:
        suggestion = closest(key, _KEYS, "") if ":" in low else ""
        raise FilterError(
            token,
            "that is not an audit filter",
            f"{suggestion}:{value}" if suggestion else "action:play",
        )
    return i + 1


def _set(values: dict[str, object], token: str, key: str, value: object) -> None:
    if key in values:
        shown = "user" if key == "actor" else key
        raise FilterError(token, f"`{shown}:` is given twice; keep one", token)
    values[key] = value


def _inclusive(end: datetime) -> datetime:
    """The audit log keeps microseconds; an end second covers the whole of it."""
    return end + timedelta(microseconds=999_999)

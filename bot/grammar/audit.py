"""``/recordings audit`` filters: who, what, outcome, target, dates (pure)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.grammar import mention_user_id
from bot.grammar.limits import echo
from bot.grammar.times import FIRST_YEAR, LAST_YEAR, YEARS
from bot.store import AuditQuery

ACTIONS = (
    "search", "page", "details", "get", "audio", "share", "export", "link", "unlink", "channel",
    "connect", "disconnect", "hold", "holds", "release", "retention", "retention_run",
    "retention_skip", "slack_copy_delete",
)  # fmt: skip
OUTCOMES = ("allowed", "refused", "failed")
AUDIT_HELP = (
    "`/recordings audit [user:@person] [action:audio] [outcome:refused] [recording:193228] "
    "[since:2024-05-01] [until:2024-05-31]`"
)


class AuditQueryError(ValueError):
    pass


def parse_audit_query(text: str, *, tz: ZoneInfo) -> AuditQuery:
    values: dict[str, object] = {}
    for token in text.split():
        lowered = token.lower()
        if lowered.startswith("user:") and (user := mention_user_id(token[5:])):
            values["actor"] = user
        elif lowered.startswith("action:") and lowered[7:] in ACTIONS:
            values["action"] = lowered[7:]
        elif lowered.startswith("outcome:") and lowered[8:] in OUTCOMES:
            values["outcome"] = lowered[8:]
        elif lowered.startswith(("recording:", "target:")):
            ref = token.split(":", 1)[1]
            values["target"] = ref if ":" in ref else f"company:{ref}"
        elif lowered.startswith(("since:", "until:")):
            day = _date(token)
            if lowered.startswith("since:"):
                values["since"] = datetime.combine(day, time.min, tz)
            else:
                values["until"] = datetime.combine(day + timedelta(days=1), time.min, tz)
        else:
            raise AuditQueryError(
                f"I can't read `{echo(token)}` in an audit query. Try {AUDIT_HELP}."
            )
    return AuditQuery(**values)  # type: ignore[arg-type]


def _date(token: str) -> date:
    raw = token.split(":", 1)[1]
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise AuditQueryError(
            f"`{echo(token)}` has no date I can read; "
            f"write it like `{echo(token.split(':')[0])}:2024-05-01`."
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # the day after 9999-12-31 does not exist
        raise AuditQueryError(f"I can't read `{echo(token)}`: {YEARS}.")
    return day

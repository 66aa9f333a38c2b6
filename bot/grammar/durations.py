"""Duration filters: ``>2m``, ``<=30s``, ``1m..5m`` to milliseconds and back."""

from __future__ import annotations

import re
from decimal import Decimal

from bot.grammar.request import FilterError

COMPARISON = re.compile(r"(>=|=>|<=|=<|[<>≥≤])(.*)", re.S)
RANGE = re.compile(r"(.*?)(?:\.\.|…)(.*)", re.S)
# ``m`` is minutes in a duration (``>2m``, as the printer writes it); the longer words too.
_UNIT = "ms|minutes?|mins?|m|seconds?|secs?|s|hours?|hrs?|h"
UNIT_WORD = re.compile(_UNIT, re.I)
DURATION = re.compile(f"(?:[0-9]{{1,10}}(?:\\.[0-9]{{1,3}})?(?:{_UNIT}))+", re.I)
_DURATION_PART = re.compile(f"([0-9]{{1,10}}(?:\\.[0-9]{{1,3}})?)({_UNIT})", re.I)
_DURATION_UNITS = {"ms": 1, "m": 60_000, "s": 1000, "h": 3_600_000}
_MAX_DURATION_MS = 2**31 - 1  # VBC's "integer"; beyond ~24 days no call exists anyway


def read_duration(token: str) -> tuple[int | None, int | None]:
    """``>2m``, ``<=30s``, ``1m..5m``, ``30s..`` -> (at least, at most) in milliseconds."""
    compact = token.replace(" ", "")
    if comparison := COMPARISON.fullmatch(compact):
        operator, text = comparison.groups()
        ms = _duration_ms(text)
        if ms is None:
            raise FilterError(
                token, "a duration needs a unit: s, min or h", f"{operator}{_fix_unit(text)}"
            )
        if operator in ("<", "<=", "=<", "≤"):
            return None, ms
        return ms, None
    if (span := RANGE.fullmatch(compact)) and any(span.groups()):
        low, high = (_duration_ms(part) if part else None for part in span.groups())
        if (span[1] and low is None) or (span[2] and high is None):
            fix = f"{_fix_unit(span[1])}..{_fix_unit(span[2])}".strip(".") or "1m..5m"
            raise FilterError(token, "a duration needs a unit: s, min or h", fix)
        return low, high
    if DURATION.fullmatch(compact):
        raise FilterError(token, "say longer (>) or shorter (<) than", f">{compact}")
    raise FilterError(token, "write a duration like >2m, <30s or 1m..5m", ">2m")


def _duration_ms(text: str) -> int | None:
    if not DURATION.fullmatch(text):
        return None
    total = Decimal(0)
    for amount, unit in _DURATION_PART.findall(text):
        total += (
            Decimal(amount) * _DURATION_UNITS["ms" if unit.lower() == "ms" else unit[0].lower()]
        )
    ms = int(total.to_integral_value())
    return ms if ms <= _MAX_DURATION_MS else None


def _fix_unit(text: str) -> str:
    digits = re.match(r"[0-9]{1,7}", text)
    return f"{digits[0]}s" if digits else ("2m" if text else "")


def format_duration(ms: int) -> str:
    if ms % 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms // 1000, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n)
    return text or "0s"


def format_range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"{format_duration(low)}..{format_duration(high)}"
    if low is not None:
        return f">={format_duration(low)}"
    return f"<={format_duration(high or 0)}"

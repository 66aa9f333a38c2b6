"""Slack mrkdwn text: escaping, sanitising, clipping, and how dates, numbers and sizes read.

Text from VBC or a person is escaped; text our own modules wrote as mrkdwn (``describe_filter``,
error messages, ``GRAMMAR_HELP``) is sanitised, which keeps mentions and entities but neutralises
any stray ``& < >``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import phonenumbers

# One escaper for grammar and blocks; it lives with the grammar, which must not import blocks.
from bot.grammar.tokens import escape_mrkdwn as escape_mrkdwn

_KEEP = re.compile(
    r"<(?:[@#][A-Z][A-Z0-9]+(?:\|[^<>]*)?|!date\^[^<>]*|!subteam\^[A-Z0-9]+(?:\|[^<>]*)?"
    r"|(?:https?|mailto):[^<>|\s]+(?:\|[^<>]*)?)>"
)
_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")
# Neither class holds "<": a scan stops at the next token, so unclosed ones cannot make it
# quadratic (sanitized text has none anyway; this keeps it linear on any text).
_DATE_TOKEN = re.compile(r"<!date\^[^<>|]*\|([^<>]*)>")
_DIRECTIONS = {
    "INBOUND": ":arrow_down: Inbound",
    "OUTBOUND": ":arrow_up: Outbound",
    "INTRA_PBX": ":left_right_arrow: Internal",
}


def sanitize_mrkdwn(text: str) -> str:
    """Our own mrkdwn: keep mentions, dates, links and entities; escape any other ``& < >``."""
    out: list[str] = []
    pos = 0
    for match in _KEEP.finditer(text):
        out.append(_inert(text[pos : match.start()]))
        out.append(match.group())
        pos = match.end()
    out.append(_inert(text[pos:]))
    return "".join(out)


def _inert(text: str) -> str:
    return _BARE_AMP.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut mrkdwn to ``limit`` characters without splitting an ``&entity;`` or a ``<token>``."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    for opener, closer in (("&", ";"), ("<", ">")):
        at = cut.rfind(opener)
        if at != -1 and closer not in cut[at:]:
            cut = cut[:at]
    return cut + "…"


def esc(text: str | None, limit: int) -> str:
    """Foreign text escaped and clipped to ``limit``; nothing for nothing."""
    return clip(escape_mrkdwn(text), limit) if text else ""


def inline_code(text: str, limit: int) -> str:
    """Foreign text as inline code; its backticks become quotes so it cannot break out."""
    return f"`{esc(text.replace('`', chr(39)), limit)}`" if text else ""


def slack_date(when: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A ``<!date>`` token: each viewer sees their own time zone; the fallback says UTC."""
    utc = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return f"<!date^{int(utc.timestamp())}^{fmt}|{utc:%Y-%m-%d %H:%M} UTC>"


def format_number(value: str | None) -> str:
    """``17325550100`` -> ``+1 732-555-0100``; extensions and anything else stay as they are."""
    if not value:
        return "unknown"
    if value.isascii() and value.isdigit() and len(value) >= 8:
        try:
            number = phonenumbers.parse(f"+{value}")
        except phonenumbers.NumberParseException:
            return value
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return value


def format_duration(ms: int | None) -> str:
    if ms is None:
        return "?:??"
    hours, rest = divmod((max(ms, 0) + 500) // 1000, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def format_size(size: int | None) -> str:
    if size is None:
        return "? kB"
    if size < 1_000_000:
        return f"{round(size / 1000)} kB"
    if size < 1_000_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1_000_000_000:.1f} GB"


def format_direction(value: str | None) -> str:
    if not value:
        return ":telephone_receiver: Unknown"
    return _DIRECTIONS.get(value.upper(), f":telephone_receiver: {esc(value, 24)}")


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def fallback_text(text: str) -> str:
    """A message's top-level ``text`` (notifications, screen readers): dates read as UTC."""
    plain = _DATE_TOKEN.sub(r"\1", sanitize_mrkdwn(text))
    return clip(plain.strip() or "Recordings", 2000)

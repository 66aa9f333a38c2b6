"""Slack command text -> pieces: Slack's escapes and markup, quotes, and mentions."""

from __future__ import annotations

import re

# Each opening quote and what closes it; Slack clients turn "..." into “...” as people type.
QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“”"}
OPEN_QUOTES = "".join(QUOTES)
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^>]*)?>")
_SLACK_ENTITY = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
# Single character classes: each search scans forward once, so split stays linear.
_SPECIAL = re.compile(f"[\\s<{OPEN_QUOTES}]")  # whitespace or what may open a quote/mention
_NON_SPACE = re.compile(r"\S")
_CLOSER = {closer: re.compile(f"[{closer}]") for closer in {*QUOTES.values(), ">"}}


def split(text: str) -> list[str]:
    """Whitespace-separated pieces; quotes and Slack mentions may contain spaces.

    An unclosed quote runs to the end of the text. Plain runs, quoted parts and mentions are
    crossed by regex searches of one character class, not a Python step per character.
    """
    pieces: list[str] = []
    last_gt = text.rfind(">")  # an unclosed "<@" must not swallow the rest of the text
    start = pos = 0  # the piece being read began at ``start``; look on from ``pos``
    while (found := _SPECIAL.search(text, pos)) is not None:
        i = found.start()
        ch = text[i]
        if ch.isspace():
            if i > start:
                pieces.append(text[start:i])
            after = _NON_SPACE.search(text, i)
            start = pos = after.start() if after else len(text)
            continue
        closer = QUOTES.get(ch, "")
        if ch == "<" and text[i + 1 : i + 2] in ("@", "#", "!") and i < last_gt:
            closer = ">"
        if not closer:
            pos = i + 1
            continue
        end = _CLOSER[closer].search(text, i + 1)
        pos = end.end() if end else len(text)
    if len(text) > start:
        pieces.append(text[start:])
    return pieces


def skip_past(pieces: list[str], i: int, token: str) -> int:
    """The index after the pieces that a bad ``token`` read from ``pieces[i]`` spans.

    A reader reports a bad token and reads on after it; a token that does not begin at
    ``pieces[i]`` (a clash names an earlier one) skips that one piece.
    """
    if not token.startswith(pieces[i]):
        return i + 1
    end, text = i + 1, pieces[i]
    while end < len(pieces) and token.startswith(f"{text} {pieces[end]}"):
        text, end = f"{text} {pieces[end]}", end + 1
    return end


def escape_mrkdwn(text: str) -> str:
    """Text from VBC or a person, made inert: Slack needs only these three escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def code(text: str) -> str:
    return f"`{escape_mrkdwn(text).replace('`', chr(39))}`"


def quote(name: str) -> str:
    """Quote a name only when it needs it, with quotes it does not contain."""
    if not re.search(r"[\s<" + OPEN_QUOTES + "]", name):
        return name
    return f"“{name}”" if '"' in name else f'"{name}"'


def mention_user_id(text: str) -> str | None:
    """``<@U123|name>`` or ``<@U123>`` (Slack's escaped mention) -> ``U123``."""
    match = _MENTION.fullmatch(text.strip())
    return match[1] if match else None


def plain_text(text: str) -> str:
    """Slack message markup -> text: ``tel:`` links keep their number, other links go."""

    def keep(match: re.Match[str]) -> str:
        target, label = match[1], match[2]
        if target.lower().startswith("tel:"):
            return f" {label or target[4:]} "
        return " "

    return unescape(_SLACK_ENTITY.sub(keep, text))

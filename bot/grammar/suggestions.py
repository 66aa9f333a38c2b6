"""What to suggest when a token cannot be read: the nearest word, key or example."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.grammar.request import UNKNOWN, FilterError
from bot.grammar.vocabulary import EXAMPLES, KEYS, WORDS


def closest(word: str, choices: Collection[str], prefix: str) -> str:
    options = list(choices)
    # The 0.6 cutoff needs 2 * len(choice) / (len(choice) + len(word)) >= 0.6, so a word over
    # 2.33x the longest choice never matches: skip difflib, which would index every character.
    fits = len(word) <= 3 * max(map(len, options), default=0)
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6) if fits else []
    if not match:
        return f"{prefix}:{next(iter(choices))}" if prefix else ""
    return f"{prefix}:{match[0]}" if prefix else match[0]


def unknown(pieces: list[str], i: int, after_name: str | None) -> FilterError:
    """Why ``pieces[i]`` is not a filter; ``after_name`` is an unquoted ``name:`` just before."""
    piece = pieces[i]
    low = piece.lower()
    if after_name is not None:
        name = after_name.partition(":")[2]
        return FilterError(piece, "quote a name with spaces", f'name:"{name} {piece}"')
    if ":" in low:
        raw_key, _, value = piece.partition(":")
        key = closest(raw_key.lower(), KEYS, "")
        if key:
            return FilterError(piece, UNKNOWN, f"{key}:{value}")
        word = closest(value.lower(), WORDS, "")
        return FilterError(piece, UNKNOWN, word or "help")
    if low in KEYS and i + 1 < len(pieces):
        return FilterError(piece, UNKNOWN, f"{low}:{pieces[i + 1]}")
    if word := closest(low, (*WORDS, *(f"{k}:" for k in KEYS)), ""):
        return FilterError(piece, UNKNOWN, word)
    if re.fullmatch(r"[^\W\d_][\w.'&-]*", piece):
        return FilterError(
            piece, "there is no free-text search; a caller name needs `name:`", f"name:{piece}"
        )
    return FilterError(piece, "that is not a filter; see `/recordings help`", "help")


def mention_error(token: str) -> FilterError:
    name = token.partition("@")[2] or "person"
    return FilterError(
        token,
        "pick the person from the autocomplete list so Slack sends who they are",
        f"user:@{name}",
    )


def example(key: str, now: datetime, tz: ZoneInfo) -> str:
    if key in ("since", "until"):
        return f"{key}:{now.astimezone(tz).date().isoformat()}"
    return EXAMPLES[key]

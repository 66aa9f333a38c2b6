"""Phone numbers: reading them from pieces and messages, E.164 normalising, display."""

from __future__ import annotations

import re

import phonenumbers

from bot.grammar.limits import MAX_TEXT
from bot.grammar.request import FilterError
from bot.grammar.tokens import plain_text

NUMBERISH = re.compile(r"(?=[^0-9]*[0-9])[+(]{0,2}[0-9().\-\u2010-\u2015]+")
SHORT_NUMBER = re.compile(r"[0-9]{2,6}")
_PHONE_CHARS = re.compile(r"[0-9+()./\s\-\u2010-\u2015]{1,40}")
_MAX_NUMBER_PIECES = 6
_NUMBER_MARKS = frozenset("+()-./\u2010\u2011\u2012\u2013\u2014\u2015")


def read_number(
    pieces: list[str], start: int, head: list[str], prefix: str, region: str
) -> tuple[str, int]:
    """The longest run of number-looking pieces that reads as one phone number.

    ``head`` is a number already begun inside the key's piece (``from:+1``); the result's
    index is that of the first piece not used.
    """
    end = start
    while (
        end < len(pieces)
        and len(head) + end - start < _MAX_NUMBER_PIECES
        and NUMBERISH.fullmatch(pieces[end])
    ):
        end += 1
    run = head + pieces[start:end]
    for used in range(len(run), 0, -1):
        digits = phone_digits(" ".join(run[:used]), region)
        if digits:
            return digits, start + used - len(head)
    if prefix and SHORT_NUMBER.fullmatch(run[0]):
        return run[0], start + 1 - len(head)  # an extension as caller id / dialed number
    shown = run[:1]  # name the bad number, not every number-like piece after it
    while len(shown) < len(run) and sum(c.isdigit() for c in "".join(shown)) < 7:
        shown.append(run[len(shown)])
    if not prefix and len(shown) == 1 and SHORT_NUMBER.fullmatch(shown[0]):
        raise FilterError(
            shown[0],
            "a short number is ambiguous: use `ext:` for an extension",
            f"ext:{shown[0]}",
        )
    token = " ".join([prefix, *shown[len(head) :]]) if prefix else " ".join(shown)
    example = phonenumbers.format_number(
        phonenumbers.example_number(region) or phonenumbers.parse("+12015550123"),
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    )
    key = prefix.partition(":")[0].lower()
    raise FilterError(
        token,
        "that is not a phone number I can read (include the area code)",
        f"{key}:{example}" if prefix else example,
    )


def normalize_number(raw: str, *, region: str = "US") -> str:
    """A phone number as people type it -> E.164 digits without ``+`` (what VBC stores)."""
    digits = phone_digits(raw.strip(), region)
    if digits is None:
        raise FilterError(
            raw.strip() or "(empty)",
            "that is not a phone number I can read (include the area code)",
            "+1 732 555 0100",
        )
    return digits


def extract_numbers(text: str, *, region: str = "US") -> tuple[str, ...]:
    """Phone numbers in a Slack message's text, as E.164 digits, first mention first.

    Only the first 4,000 characters (``MAX_TEXT``) are scanned: a message shortcut may point at
    a message of up to 40,000, and the scan holds the event loop. Nothing is refused, a number
    further down is simply not found; one the cut would halve is left out whole.
    """
    found: list[str] = []
    for match in phonenumbers.PhoneNumberMatcher(plain_text(scanned_part(text)), region):
        digits = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)[1:]
        if match.number.extension is None and digits not in found:
            found.append(digits)
    return tuple(found)


def scanned_part(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, less a number-like tail the cut may have halved."""
    if len(text) <= limit:
        return text
    end = limit
    if _number_like(text[end]):
        while end and _number_like(text[end - 1]):
            end -= 1
    return text[:end]


def _number_like(ch: str) -> bool:
    return ch.isdigit() or ch.isspace() or ch in _NUMBER_MARKS


def phone_digits(raw: str, region: str) -> str | None:
    if not _PHONE_CHARS.fullmatch(raw):
        return None
    candidates = [raw, f"+{raw}"] if raw.isascii() and raw.isdigit() else [raw]
    for candidate in candidates:  # the second: E.164 pasted without its "+", as VBC shows it
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason == phonenumbers.ValidationResult.IS_POSSIBLE and number.extension is None:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    return None


def display_number(digits: str) -> str:
    if SHORT_NUMBER.fullmatch(digits):
        return digits
    try:
        number = phonenumbers.parse(f"+{digits}")
    except phonenumbers.NumberParseException:
        return digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

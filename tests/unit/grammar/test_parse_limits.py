"""Linear-time parsing: the e-mail check that replaced a backtracking regex, the 4,000-character
cap on command text, clipped echoes of bad tokens, fallback_text's date regex, the splitter that
searches instead of stepping, and suggestions that skip difflib for long words. No timings here:
bench/parse_worst_case.py measures parse time against input length."""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.blocks import modal
from bot.blocks.mrkdwn import clip, fallback_text, sanitize_mrkdwn
from bot.grammar import FilterError, extract_numbers, parse_filter
from bot.grammar.audit import AuditQueryError, parse_audit_query
from bot.grammar.commands import CommandError, Link, Search, is_email, parse_command
from bot.grammar.limits import MAX_ECHO, MAX_TEXT, echo
from bot.grammar.phones import scanned_part
from bot.grammar.suggestions import closest
from bot.grammar.tokens import OPEN_QUOTES, QUOTES, split
from bot.grammar.vocabulary import KEYS, KINDS, WORDS

# The regex bot/commands.py used until it was replaced; fine on short text, quadratic on long.
OLD_EMAIL = re.compile(r"[^@\s<>|]+@[^@\s<>|]+\.[^@\s<>|]+")


@pytest.mark.parametrize(
    "text",
    [
        "jane@example.com",
        "jane.doe+vbc@mail.example.co.uk",
        "JANE@EXAMPLE.COM",
        "j@e.c",
        "a@b..c",
        "a@.b.c",  # a dot first is fine while another dot sits inside
        "a@b.c.",
        "a.@b.c",
        "'quoted'@example.com",
        "josé@exämple.com",
        "a@[127.0.0.1]",
    ],
)
def test_email_accepts_what_the_old_regex_accepted(text: str) -> None:
    assert OLD_EMAIL.fullmatch(text)
    assert is_email(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "jane",
        "jane@",
        "@example.com",
        "jane@example",
        "jane@.com",
        "jane@com.",
        "jane@.",
        "a@b@c.d",
        "jane@@example.com",
        "jane doe@example.com",
        "jane@exa mple.com",
        "jane@example.com\n",
        "jane\u00a0@example.com",  # a no-break space is whitespace too
        "jane@example.com\u2028",
        "<jane@example.com>",
        "jane|x@example.com",
        "jane@example.com|jane",
        "a@" + "." * 50 + "@",  # the old regex's worst case, short
    ],
)
def test_email_refuses_what_the_old_regex_refused(text: str) -> None:
    assert not OLD_EMAIL.fullmatch(text)
    assert not is_email(text)


def test_email_whitespace_is_the_old_regex_whitespace() -> None:
    """``\\s`` in a str regex and ``str.isspace`` pick the same code points."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert set(re.findall(r"\s", every)) == {ch for ch in every if ch.isspace()}


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="a.@ <>|\t\u00a0\u2028é9", max_size=16))
@example("a@b.c")
@example("a@.")
@example("a@..")
def test_email_agrees_with_the_old_regex(text: str) -> None:
    assert is_email(text) == bool(OLD_EMAIL.fullmatch(text))


def test_link_takes_a_long_dotted_address_and_refuses_the_attack() -> None:
    address = "jane@" + "mail." * 700 + "example.com"
    assert parse_command(f"link <@U0JANE|jane> {address}") == Link("U0JANE", address)
    with pytest.raises(ValueError, match="neither a VBC user id nor an email"):
        parse_command("link <@U0JANE|jane> a@" + "." * 3900 + "@")


# -- the 4,000-character cap ----------------------------------------------------------------

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 6, 12, 15, 30, 12, tzinfo=UTC)


def refusal(text: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    return caught.value


def test_a_command_over_the_cap_is_refused_with_its_length() -> None:
    error = refusal("inbound " * 640)  # 5,119 characters once stripped
    assert str(error) == (
        "That command is 5,119 characters long; /recordings reads at most 4,000. "
        "Shorten the filters and try again."
    )
    assert error.usage == ""


@pytest.mark.parametrize(
    "text",
    [
        "link <@U0JANE|jane> a@" + "." * 3990 + "@",  # the e-mail attack, refused unread
        "audit" + " user:x" * 700,
        "export " + "x" * 4000,
        "get " + "9" * 4000,
        "<@" * 2001,
        "“" * 4001,
    ],
)
def test_every_sub_command_is_capped_before_it_is_read(text: str) -> None:
    assert refusal(text).message.startswith(f"That command is {len(text):,} characters long;")


def test_a_command_of_exactly_the_cap_is_read() -> None:
    name = "a" * (MAX_TEXT - len('name:""'))
    text = f'name:"{name}"'
    assert len(text) == MAX_TEXT
    command = parse_command(f"  {text}\n")  # surrounding whitespace does not count
    assert command == Search(text)
    assert parse_filter(command.text, now=NOW, tz=NY).filter.cnam == name
    address = "jane@" + "x" * (MAX_TEXT - len("link <@U0JANE|jane> jane@.com")) + ".com"
    assert parse_command(f"link <@U0JANE|jane> {address}") == Link("U0JANE", address)
    with pytest.raises(CommandError, match="4,001 characters"):
        parse_command(f"link <@U0JANE|jane> {address}x")


def field(raw: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": raw}}


def test_a_form_field_over_the_cap_is_refused_before_any_field_is_read() -> None:
    values = {
        modal.BLOCK_NAME: field("n" * 4001),
        modal.BLOCK_CALL_ID: field("c" * 5000),
        modal.BLOCK_EXTENSION: field("not digits"),  # not read: no error for it
    }
    with pytest.raises(modal.ModalErrors) as caught:
        modal.parse_search_modal(values, tz=NY)
    assert caught.value.errors == {
        modal.BLOCK_NAME: "This field is 4,001 characters long; the form reads at most 4,000. "
        "Shorten it and try again.",
        modal.BLOCK_CALL_ID: "This field is 5,000 characters long; the form reads at most 4,000. "
        "Shorten it and try again.",
    }


def test_a_caller_name_at_its_inputs_limit_is_read() -> None:
    # The name input holds at most 100 characters (its max_length); longer is a field error.
    request = modal.parse_search_modal({modal.BLOCK_NAME: field("n" * 100)}, tz=NY)
    assert request.filter.cnam == "n" * 100


def test_a_long_message_is_scanned_only_up_to_the_cap() -> None:
    filler = "x" * (MAX_TEXT - 40)
    early, late = "call (732) 555-0100", "or +44 20 7946 0958"
    assert extract_numbers(f"{filler} {early} " + "y" * 30_000) == ("17325550100",)
    assert extract_numbers(f"{filler} {'y' * 60} {late}") == ()
    assert extract_numbers(f"{filler} {early}"[: MAX_TEXT + 10]) == ("17325550100",)


@pytest.mark.parametrize(
    ("text", "scanned"),
    [
        ("a" * 10, "a" * 10),
        ("a" * 4000 + "b", "a" * 4000),
        ("a" * 3990 + " +1 732 555 0100", "a" * 3990),  # halved: left out whole
        ("a" * 3987 + " 732-555-0100, later", "a" * 3987 + " 732-555-0100"),  # whole: kept
        ("a" * 3987 + " 732-555-0100 later", "a" * 3987),  # the cut is a space: it may go on
        ("7" * 4001, ""),
    ],
)
def test_the_scan_never_keeps_half_a_number(text: str, scanned: str) -> None:
    assert scanned_part(text) == scanned


# -- clipped echoes -------------------------------------------------------------------------


def longest_run(text: str) -> int:
    """The longest run of one character: how much of a filler token an error shows."""
    return max(len(m[0]) for m in re.finditer(r"(.)\1*", text, re.S))


@pytest.mark.parametrize(
    "text",
    [
        "get " + "x" * 3000,
        "get " + "x" * 3000 + ":1",
        "get 1 " + "type:" * 600,
        "link <@U0JANE|jane> " + "j" * 3000,
        "unlink " + "@" * 3000,
        "channel " + "allow " * 600,
    ],
)
def test_command_errors_clip_the_token_they_quote(text: str) -> None:
    shown = str(refusal(text))
    assert "…" in shown
    assert longest_run(shown) < MAX_ECHO
    assert len(shown) < 250


@pytest.mark.parametrize(
    "text",
    [
        "q" * 3000,  # an unknown word
        "from:" + "(" * 3000,  # not a phone number, echoed in the suggestion too
        "name:" + "a" * 3000 + " name:b",  # a clash names the earlier token
        "name:" + "a" * 3000 + " smith",  # a suggestion built from the token
        "since:" + "2" * 3000,
        "tp:" + "x" * 3000,  # a near-miss key: the suggestion repeats the value
        "user:" + "<@U1|" * 800,
    ],
)
def test_filter_errors_clip_the_token_and_suggestion(text: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text, now=NOW, tz=NY)
    shown = str(caught.value)
    assert "…" in shown
    assert longest_run(shown) < MAX_ECHO
    assert len(shown) < 400


def test_filter_error_keeps_a_short_token_whole() -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter("ext:12a", now=NOW, tz=NY)
    assert str(caught.value) == (
        "I can't read `ext:12a`: an extension is digits only. Try `ext:999`."
    )


@pytest.mark.parametrize("token", ["user:" + "u" * 3000, "since:" + "s" * 3000, "z" * 3000])
def test_audit_errors_clip_the_token(token: str) -> None:
    with pytest.raises(AuditQueryError) as caught:
        parse_audit_query(token, tz=NY, now=NOW)
    shown = str(caught.value).split("\n*Audit filters:*")[0]  # then the values keys take
    assert "…" in shown
    assert longest_run(shown) < MAX_ECHO
    assert len(shown) < 400


def test_modal_number_error_clips_the_piece() -> None:
    values = {modal.BLOCK_EITHER: field("n" * 3000)}
    with pytest.raises(modal.ModalErrors) as caught:
        modal.parse_search_modal(values, tz=NY)
    shown = caught.value.errors[modal.BLOCK_EITHER]
    assert "…" in shown
    assert len(shown) < MAX_ECHO + 100


@pytest.mark.parametrize(
    ("token", "shown"),
    [("", ""), ("abc", "abc"), ("x" * MAX_ECHO, "x" * MAX_ECHO)],
)
def test_echo_leaves_short_tokens_alone(token: str, shown: str) -> None:
    assert echo(token) == shown
    assert echo("y" * (MAX_ECHO + 1)) == "y" * (MAX_ECHO - 1) + "…"


# -- the date-token regex in fallback_text ---------------------------------------------------

OLD_DATE_TOKEN = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
DATE_PARTS = [
    "<!date^",
    "1715000000",
    "^{date_short}",
    "|",
    "2024-05-06 12:00 UTC",
    ">",
    "<",
    "&",
    "x ",
]


@pytest.mark.parametrize(
    "text",
    [
        "Exported <!date^1715000000^{date_short} {time}|2024-05-06 12:53 UTC> by <@U1|bob>",
        "<!date^1^{date}|a> and <!date^2^{date}|b>",
        "<!date^1^{date}>",  # no fallback: left for sanitize's verdict
        "<!date^1^{date}|a|b>",  # the fallback starts at the first bar
        "<!date^1|<@U1>>",
        "a < b & <!date^",
    ],
)
def test_fallback_text_reads_dates_as_before(text: str) -> None:
    old = OLD_DATE_TOKEN.sub(r"\1", sanitize_mrkdwn(text))
    assert fallback_text(text) == clip(old.strip() or "Recordings", 2000)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(DATE_PARTS), max_size=12).map("".join))
def test_fallback_text_agrees_with_the_old_regex(text: str) -> None:
    old = OLD_DATE_TOKEN.sub(r"\1", sanitize_mrkdwn(text))
    assert fallback_text(text) == clip(old.strip() or "Recordings", 2000)


# -- split: regex jumps instead of a Python step per character --------------------------------


def old_split(text: str) -> list[str]:
    """bot/grammar/tokens.split before it searched instead of stepping: the reference."""
    pieces: list[str] = []
    buf: list[str] = []
    closer = ""
    last_gt = text.rfind(">")
    for i, ch in enumerate(text):
        if closer:
            buf.append(ch)
            if ch in closer:
                closer = ""
        elif ch.isspace():
            if buf:
                pieces.append("".join(buf))
                buf = []
        else:
            if ch in OPEN_QUOTES:
                closer = QUOTES[ch]
            elif ch == "<" and text[i + 1 : i + 2] in ("@", "#", "!") and i < last_gt:
                closer = ">"
            buf.append(ch)
    if buf:
        pieces.append("".join(buf))
    return pieces


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "inbound  yesterday\tfrom:+1 732 555 0100\n",
        'name:"john smith" today',
        'name:"john smith today',  # unclosed: to the end, trailing space and all
        "name:„john smith“ x „a b” y",
        "name:”a b” c",
        "user:<@U1|bob smith> <#C1|gen eral> <!here x> <a b> <@U2",
        "<@ > <@",
        " \u00a0a\u2028b\u3000 ",
    ],
)
def test_split_reads_as_before(text: str) -> None:
    assert split(text) == old_split(text)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet='ab "“”„<>@#!:\t\n\u00a0', max_size=24))
def test_split_agrees_with_the_old_split(text: str) -> None:
    assert split(text) == old_split(text)


# -- closest: a long word skips difflib, with the same answer ---------------------------------


def old_closest(word: str, choices: Collection[str], prefix: str) -> str:
    """bot/grammar/suggestions.closest before it skipped long words: the reference."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not match:
        return f"{prefix}:{next(iter(choices))}" if prefix else ""
    return f"{prefix}:{match[0]}" if prefix else match[0]


CHOICES = [KEYS, WORDS, KINDS, (*WORDS, *(f"{k}:" for k in KEYS))]


@pytest.mark.parametrize(
    "word",
    [
        "frm",
        "todya",
        "on-demnd",
        "this weeks",
        "yesterday" + "x" * 12,  # 21 characters: difflib's ratio is exactly the 0.6 cutoff
        "x" * 5000,
        "",
    ],
)
@pytest.mark.parametrize("choices", CHOICES)
def test_closest_suggests_as_before(word: str, choices: Collection[str]) -> None:
    for prefix in ("", "type"):
        assert closest(word, choices, prefix) == old_closest(word, choices, prefix)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="thisweklaynwdcompr-: ", min_size=1, max_size=40),
    st.sampled_from(CHOICES),
)
def test_closest_agrees_with_difflib(word: str, choices: Collection[str]) -> None:
    assert closest(word, choices, "") == old_closest(word, choices, "")

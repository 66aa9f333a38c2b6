"""Linear-time parsing: the e-mail check that replaced a backtracking regex, the 4,000-character
cap on command text, and clipped echoes of bad tokens. No timings here: bench/parse_worst_case.py
measures parse time against input length."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.commands import Link, is_email, parse_command

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

"""Every parser of a button value refuses what our renderers never write.

``str.isdigit()`` accepts "²" and ``int()`` reads "١٢٣" and fullwidth digits, so a check built
on them lets such values through to a VBC call or a traceback; numbers are ASCII digits only,
and short.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bot import blocks
from bot.audio.text import parse_retry_value
from bot.exports.messages import parse_export_value

HUGE = "9" * 5000
# Values no renderer of ours writes, each wrapped into every parser's own shape below.
BAD_NUMBERS = [
    "١٢٣",  # Arabic-Indic digits: int() reads 123
    "\uff11\uff12\uff13",  # fullwidth digits: int() reads 123
    "²",  # isdigit() is True, int() raises
    "12³",
    HUGE,  # int() refuses past 4,300 digits
    "9" * 19,  # past a 64-bit id
    "-1",
    "+1",
    " 1",
    "1 ",
    "1_000",
    "0x1f",
    "1e3",
    "1.0",
]
ANY_BAD = ["", "x" * 100_000, "\x00", "c:1\x00"]
REF_BAD = ["c", "c:", "c;1", "c|1", "c:1:2", "o:1", "o:1;2", "o:a:1", "o:../..:1", "o:1:2:3", "C:1"]
PAGE_BAD = ["k", "k:", "k;1", "k|1", "k:1:", "k:1.", "k:" + "1" * 2000]

Parser = Callable[[str], object]


@dataclass(frozen=True)
class Case:
    parse: Parser
    shape: Callable[[str], str]  # how a number sits in its value
    good: str
    bad: list[str]  # wrong shapes, besides ANY_BAD


PARSERS = {
    "recording ref (company)": Case(
        blocks.parse_recording_ref, lambda n: f"c:{n}", "c:193228", REF_BAD
    ),
    "recording ref (on-demand id)": Case(
        blocks.parse_recording_ref, lambda n: f"o:745249:{n}", "o:745249:193228", REF_BAD
    ),
    "recording ref (on-demand owner)": Case(
        blocks.parse_recording_ref, lambda n: f"o:{n}:193228", "o:745249:193228", REF_BAD
    ),
    "overflow menu": Case(
        blocks.parse_menu_value,
        lambda n: f"{blocks.ACTION_PLAY}|c:{n}",
        f"{blocks.ACTION_PLAY}|c:193228",
        [f"{blocks.ACTION_PLAY}|{r}" for r in REF_BAD] + ["recording_delete|c:1", "c:1"],
    ),
    "results page": Case(
        blocks.parse_page_value, lambda n: f"Kx7_abc-123:{n}", "Kx7_abc-123:2", [*PAGE_BAD, ":2"]
    ),
    "audit page": Case(
        blocks.parse_audit_page_value, lambda n: f"action:audio:{n}", ":2", PAGE_BAD
    ),
    "play retry": Case(
        parse_retry_value,
        lambda n: f"play:c:{n}",
        "play:c:1",
        [f"play:{r}" for r in REF_BAD] + ["delete:c:1", "c:1", "play:c:1 k", "play:c:1 :2"],
    ),
    "share retry, back to page": Case(
        parse_retry_value,
        lambda n: f"share:c:1 Kx7:{n}",
        "share:c:1 Kx7:3",
        [f"share:c:1 {p}" for p in PAGE_BAD],
    ),
}


@pytest.mark.parametrize("name", PARSERS)
def test_the_good_value_reads(name: str) -> None:
    case = PARSERS[name]
    case.parse(case.good)


@pytest.mark.parametrize("number", BAD_NUMBERS, ids=lambda n: repr(n[:12]))
@pytest.mark.parametrize("name", PARSERS)
def test_numbers_that_are_not_ascii_digits_are_refused(name: str, number: str) -> None:
    case = PARSERS[name]
    with pytest.raises(ValueError, match="not"):
        case.parse(case.shape(number))


@pytest.mark.parametrize(
    ("name", "value"),
    [(name, value) for name, case in PARSERS.items() for value in [*ANY_BAD, *case.bad]],
    ids=lambda v: repr(v[:16]),
)
def test_wrong_shapes_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="not"):
        PARSERS[name].parse(value)


@pytest.mark.parametrize("page", ["0", "1000001"])
def test_pages_stay_in_range(page: str) -> None:
    with pytest.raises(ValueError, match="not a page"):
        blocks.parse_page_value(f"Kx7:{page}")
    with pytest.raises(ValueError, match="not a page"):
        blocks.parse_audit_page_value(f"outcome:refused:{page}")


def test_an_empty_audit_query_still_pages() -> None:
    assert blocks.parse_audit_page_value(":2") == ("", 2)
    assert blocks.parse_audit_page_value("user:<@U1> since:2024-05-01:3") == (
        "user:<@U1> since:2024-05-01",
        3,
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "r:",
        "c:",
        "x:0123456789ab",
        "r:١٢٣",
        "r:\uff11\uff12\uff13",
        "r:²",
        f"r:{HUGE}",
        "c:" + "k" * 33,
        "r:0123 4567",
        "r:../0123",
        "c:Kx7:2:3",
        "x" * 100_000,
    ],
    ids=lambda v: repr(v[:12]),
)
def test_export_button_values_are_short_ascii_tokens(value: str) -> None:
    with pytest.raises(ValueError, match="not an export button value"):
        parse_export_value(value)


def test_what_the_renderers_write_reads_back() -> None:
    assert blocks.parse_recording_ref("o::5").owner_user_id is None
    assert parse_retry_value("share:o:745249:193228 Kx7_abc-123:3") == (
        "share",
        "o:745249:193228",
        "Kx7_abc-123:3",
    )
    assert parse_export_value("c:Kx7_abc-123") == ("c:", "Kx7_abc-123")
    assert parse_export_value("r:0123456789ab") == ("r:", "0123456789ab")

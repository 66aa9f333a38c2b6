"""The words of hold, release and retention: what each reads, and each refusal named."""

from __future__ import annotations

import pytest

from bot.grammar.holds import (
    HoldWords,
    LifecycleWordsError,
    RetentionWords,
    parse_hold,
    parse_release,
    parse_retention,
)
from bot.vbc.models import RecordingKind


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('193228 reason:"case 17"', HoldWords("case 17", "193228")),
        ("reason:“case  17” od:42", HoldWords("case 17", "42", RecordingKind.ON_DEMAND)),
        ("#193228 type:company reason:x", HoldWords("x", "193228", RecordingKind.COMPANY)),
        (
            'from:+1 732 555 0100 reason:"subpoena"',
            HoldWords("subpoena", filters="from:+1 732 555 0100"),
        ),
        ('REASON:"a b" last 30d inbound', HoldWords("a b", filters="last 30d inbound")),
        ("17325550100 inbound reason:x", HoldWords("x", filters="17325550100 inbound")),
    ],
)
def test_hold_reads_an_id_or_filters_and_a_reason(text: str, words: HoldWords) -> None:
    assert parse_hold(text) == words


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("193228", "needs a reason"),
        ('reason:""', "reason is empty"),
        ("reason:x", "say what to hold"),
        (f'1 reason:"{"x" * 1001}"', "1,001 characters"),
        ("od:1 type:company reason:x", "not a recording type"),
        ("od:1 inbound reason:x", "hold one id"),
    ],
)
def test_hold_refusals_name_the_problem(text: str, named: str) -> None:
    with pytest.raises(LifecycleWordsError, match=named):
        parse_hold(text)


def test_release_reads_one_hold_id() -> None:
    assert parse_release(["#12"]) == 12
    for bad in ([], ["1", "2"], ["x"], ["0"], ["١٢"], ["9999999999"]):
        with pytest.raises(LifecycleWordsError):
            parse_release(bad)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", RetentionWords()),
        ("slack 30", RetentionWords("slack", 30)),
        ("SLACK off", RetentionWords("slack")),
        ("vbc 3650 type:company", RetentionWords("vbc", 3650, "type:company")),
        ("vbc 1", RetentionWords("vbc", 1)),
    ],
)
def test_retention_reads_target_days_and_filters(text: str, words: RetentionWords) -> None:
    assert parse_retention(text) == words


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("slack 0", "out of range"),
        ("vbc 3651", "out of range"),
        ("slack 1.5", "not a number of days"),
        ("slack -1", "not a number of days"),
        ("slack ٣٠", "not a number of days"),
        ("slack 99999999999", "not a number of days"),
        ("slack", "say how many days"),
        ("vbc off now", "takes nothing after it"),
        ("slack 30 inbound", "takes no filters"),
        ("disk 30", "not a retention policy"),
    ],
)
def test_retention_refusals_name_the_problem(text: str, named: str) -> None:
    with pytest.raises(LifecycleWordsError, match=named):
        parse_retention(text)

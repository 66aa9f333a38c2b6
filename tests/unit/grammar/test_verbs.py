"""Verbs people try as sub-commands get the command they meant, suggested and not run."""

from __future__ import annotations

import pytest

from bot.grammar.commands import CommandError, parse_command


def refusal(text: str) -> str:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert not caught.value.usage
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (
            "play 193228",
            "There is no `play` command: `/recordings get 193228` shows that recording and "
            "sends its audio to your DM.",
        ),
        (
            "play inbound yesterday",
            "There is no `play` command: search with `/recordings inbound yesterday`, then click "
            "▶ Play on the row you want.",
        ),
        (
            "list inbound yesterday",
            "There is no `list` command: filters go right after the command, e.g. "
            "`/recordings inbound yesterday`.",
        ),
        ("list jobs", "There is no `list` command: `/recordings jobs` lists your exports"),
        ("show my exports", "`/recordings jobs` lists your exports"),
        ("find", "There is no `find` command: `/recordings` alone opens the search form."),
        ("search from:+1 732 555 0100", "e.g. `/recordings from:+1 732 555 0100`"),
        ("show 193228", "`/recordings get 193228` shows that recording"),
        ("download od:193228", "`/recordings get od:193228`"),
        (
            "download last 7d",
            "There is no `download` command: `/recordings export last 7d` makes a zip",
        ),
        ("download", "`/recordings get &lt;recording id&gt;` sends one recording"),
        ("cancel", "There is nothing to cancel with a command"),
        ("cancel my export", "`/recordings jobs` shows yours"),
    ],
)
def test_verbs_get_a_suggestion(text: str, reply: str) -> None:
    assert reply in refusal(text)


def test_a_long_verb_argument_is_clipped() -> None:
    shown = refusal("play " + "x" * 3000)
    assert len(shown) < 300
    assert "…" in shown


def test_a_verb_after_the_first_word_is_still_a_filter_error_not_a_verb() -> None:
    assert parse_command("inbound play").__class__.__name__ == "Search"

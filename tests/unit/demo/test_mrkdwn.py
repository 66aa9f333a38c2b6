"""Slack mrkdwn as the demo console prints it: styles, emoji, names, local dates, links."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.demo.mrkdwn import EMOJI, Reader, render_mrkdwn

REPO = Path(__file__).resolve().parents[3]
NOW = datetime(2024, 5, 2, 12, tzinfo=UTC)
NAMES = {"U0SAM0001": "Sam Member", "C0001": "general"}
PLAIN = Reader(tz=ZoneInfo("America/Los_Angeles"), now=NOW, names=NAMES)
STYLED = Reader(tz=ZoneInfo("America/Los_Angeles"), now=NOW, names=NAMES, ansi=True)


@pytest.mark.parametrize(
    ("text", "plain", "styled"),
    [
        ("*Today 4:11 AM* · x", "Today 4:11 AM · x", "\x1b[1mToday 4:11 AM\x1b[22m · x"),
        ("_note_ and ~gone~", "note and gone", "\x1b[3mnote\x1b[23m and \x1b[9mgone\x1b[29m"),
        ("2 * 3 * 4", "2 * 3 * 4", "2 * 3 * 4"),  # spaced stars are not bold
        ("sim_recording_1.mp3", "sim_recording_1.mp3", "sim_recording_1.mp3"),
        ("`*not bold* :scroll:`", "`*not bold* :scroll:`", "`*not bold* :scroll:`"),
        ("a\n*b*", "a\nb", "a\n\x1b[1mb\x1b[22m"),
    ],
)
def test_styles_drop_their_markers(text: str, plain: str, styled: str) -> None:
    assert render_mrkdwn(text, PLAIN) == plain
    assert render_mrkdwn(text, STYLED) == styled


def test_emoji_mentions_channels_and_escapes() -> None:
    text = ":scroll: *Audit log* <@U0SAM0001> in <#C0001> &lt;3 :no_such_emoji:"
    assert render_mrkdwn(text, PLAIN) == "📜 Audit log @Sam Member in #general <3 :no_such_emoji:"
    # The name Slack knows wins over the label the text carries; an unknown id keeps its label.
    assert render_mrkdwn("<@U0SAM0001|sam> <@U0NOBODY1|kim>", PLAIN) == "@Sam Member @kim"


def test_links_show_their_url() -> None:
    url = "https://bot.test/x?a=1&amp;b=2"
    assert render_mrkdwn(f"<{url}|Download the export>", PLAIN) == (
        "Download the export (https://bot.test/x?a=1&b=2)"
    )
    assert render_mrkdwn("<https://bot.test/y>", PLAIN) == "https://bot.test/y"
    assert render_mrkdwn("<https://bot.test/y|https://bot.test/y>", PLAIN) == "https://bot.test/y"
    assert (
        render_mrkdwn("<https://a.test/b_c_d|*x*>", STYLED)
        == "*x* (\x1b[4mhttps://a.test/b_c_d\x1b[24m)"
    )
    assert render_mrkdwn("<mailto:kim@example.com|Kim>", PLAIN) == "Kim"


def test_dates_read_in_the_viewers_zone() -> None:
    stamp = int(datetime(2024, 5, 1, 16, 5, tzinfo=UTC).timestamp())
    token = f"*<!date^{stamp}^{{date_short_pretty}} {{time}}|2024-05-01 16:05 UTC>*"
    assert render_mrkdwn(token, PLAIN) == "Yesterday 9:05 AM"
    london = Reader(tz=ZoneInfo("Europe/London"), now=NOW)
    assert render_mrkdwn(token, london) == "Yesterday 5:05 PM"
    assert render_mrkdwn(f"<!date^{stamp}^{{nonsense}}|fallback>", PLAIN) == "fallback"


def test_every_emoji_the_bot_writes_has_a_picture() -> None:
    """A new ``:name:`` in the bot's messages must be added to the console's table."""
    written: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (REPO / folder).rglob("*.py"):
            if "demo" in path.parts or "migrations" in path.parts:
                continue
            for literal in re.findall(r"\"[^\"\n]*\"|'[^'\n]*'", path.read_text()):
                written |= set(re.findall(r":([a-z][a-z0-9_+\-]*[a-z0-9]):", literal))
    not_emoji = {"memory", "mm"}  # sqlite's ":memory:", a date format "HH:mm:ss"
    assert written - not_emoji, "the scan found no emoji at all"
    assert sorted(written - not_emoji - EMOJI.keys()) == []

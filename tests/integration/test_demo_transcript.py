"""docs/demo.md is exactly what the console prints for docs/demo-script.txt, today.

``make demo-transcript`` rewrites it; this test fails when the page and a fresh run differ,
so the recorded session cannot go stale.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from bot.demo.transcript import page, record

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "docs" / "demo-script.txt"
PAGE = REPO / "docs" / "demo.md"


async def test_docs_demo_md_is_a_fresh_recording(tmp_path: Path) -> None:
    fresh = page(await record(SCRIPT.read_text(encoding="utf-8").splitlines(), tmp_path))
    committed = PAGE.read_text(encoding="utf-8")
    if fresh != committed:
        diff = difflib.unified_diff(
            committed.splitlines(), fresh.splitlines(), "docs/demo.md", "fresh run", lineterm=""
        )
        pytest.fail("docs/demo.md is stale: run `make demo-transcript`\n" + "\n".join(diff))


def test_the_recording_shows_what_issue_14_asks_for() -> None:
    """A search, paging, Play, an export ready without typing, App Home, both shortcuts, an
    admin's audit; and nothing that would differ between runs."""
    text = PAGE.read_text(encoding="utf-8").split("```text\n", 1)[1]
    typed = re.findall(r"^\w+> (.*)$", text, re.MULTILINE)
    assert "inbound last 30d" in typed
    assert "Page 1 of" in text
    assert "Page 2 of" in text
    assert "press play" in typed
    assert re.search(r"press play\n(.*\n)*?┄ file · direct message\n.*\n  📎 ", text)
    waited = text.split("(nothing typed for a minute)", 1)
    assert len(waited) == 2
    assert "Started export" in waited[0]
    assert "ready" in waited[1].split("dana> ", 1)[0]  # arrived with nothing typed
    assert "┄ App Home" in text
    assert "┄ modal: Search recordings" in text
    assert any(t.startswith('shortcut "') for t in typed)
    assert "alex> audit" in text
    assert "Audit log" in text
    for volatile in ("127.0.0.1:3000", "/tmp/rb-demo"):
        assert volatile in text  # stand-ins, not this run's ports and directories
    assert not re.search(r"/links/(?!SIGNED/)", text)
    assert not re.search(r"\*\S[^*\n]*\S\*", text)  # no raw mrkdwn bold
    assert not re.search(r":[a-z_]+:", text)  # no emoji names


def test_the_recording_shows_notices_arriving_on_their_own() -> None:
    """Issue 12: Dana makes a rule, types nothing while calls end, and each new call of hers
    that matches arrives as a notice with Play, which plays it."""
    text = PAGE.read_text(encoding="utf-8").split("```text\n", 1)[1]
    typed = re.findall(r"^\w+> (.*)$", text, re.MULTILINE)
    assert "notify me inbound >1m" in typed
    assert "Rule 1 is on" in text
    after = text.split("dana> notify me inbound >1m\n", 1)[1]
    waited = re.split(r"dana> \(nothing typed for \d+ minutes\)\n", after, maxsplit=1)
    assert len(waited) == 2
    meanwhile, rest = waited[1].split("dana> ", 1)
    assert meanwhile.count("New recording · rule 1") >= 2  # arrived with nothing typed
    assert "[1 ▶ Play]" in meanwhile
    assert rest.startswith("press play\n┄ file · direct message\n")

"""A results row's state after Play / Share: its button, the line under it, Slack's limits."""

from __future__ import annotations

from typing import Any

import pytest

from bot import blocks
from bot.blocks.limits import message_problems
from bot.blocks.rows import DONE, FAILED, LINK, PLAY, SHARE, WORKING, ActionState, RowView
from bot.vbc.models import Recording
from tests.fakes import render_text
from tests.unit.blocks.test_blocks import NASTY, page, rec, results


def ref(r: Recording) -> str:
    return blocks.recording_ref(r)


def view(action: str = PLAY, **state: Any) -> RowView:
    return RowView({action: ActionState(**state)})


def row_text(message: dict[str, Any], ref: str) -> str:
    found = message["blocks"]
    at = next(
        i
        for i, b in enumerate(found)
        if any(e.get("value") == ref for e in b.get("elements") or [])
    )
    return render_text(found[at - 1 : at + 2])


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ({"status": WORKING}, "[⏳ Uploading…]"),
        ({"status": WORKING, "percent": 40}, "[⏳ Uploading 40 %]"),
        ({"status": DONE, "label": "In your DM", "url": "https://x.test/f"}, "[✓ In your DM]"),
        ({"status": LINK, "url": "https://bot.test/l"}, "[⬇ Download]"),
        ({"status": FAILED, "note": "Slack said no."}, "[▶ Play]"),
    ],
)
def test_the_play_button_shows_the_state(state: dict[str, Any], shown: str) -> None:
    recs = [rec(1), rec(2)]
    message = results(page(recs), rows={ref(recs[0]): view(**state)})
    assert shown in row_text(message, ref(recs[0]))
    assert "[▶ Play]" in row_text(message, ref(recs[1]))
    assert message_problems(message) == []


def test_an_error_is_a_line_under_its_row_only() -> None:
    recs = [rec(1), rec(2)]
    message = results(page(recs), rows={ref(recs[1]): view(status=FAILED, note="No luck.")})
    ids = [b["block_id"] for b in message["blocks"]]
    notes = [i for i, b in enumerate(ids) if b.startswith("recnote")]
    assert len(notes) == 1
    assert ids[notes[0] - 1].startswith("recact")
    assert ids[notes[0] - 1].endswith(":1")
    assert render_text([message["blocks"][notes[0]]]) == ":warning: No luck."


def test_share_and_play_states_live_side_by_side() -> None:
    both = RowView(
        {
            PLAY: ActionState(DONE, label="In your DM", url="https://x.test/a", note="in DM"),
            SHARE: ActionState(WORKING, percent=10),
        }
    )
    one = rec(1)
    text = row_text(results(page([one]), rows={ref(one): both}), ref(one))
    assert "[✓ In your DM]" in text
    assert "[⏳ Uploading 10 %]" in text
    assert "in DM" in text


def test_a_row_on_another_page_is_said_under_the_header() -> None:
    message = results(page([rec(1)]), rows={"c:9": view(status=DONE, note="Recording 9 is in DM")})
    assert message["blocks"][1]["block_id"].startswith("away")
    assert "Recording 9 is in DM" in render_text(message["blocks"][:2])


def test_notes_are_escaped_and_clipped() -> None:
    one = rec(1)
    message = results(page([one]), rows={ref(one): view(status=FAILED, note=NASTY * 40)})
    text = render_text(message["blocks"])
    assert "<script>" not in text
    assert "<!channel>" not in text
    assert (
        max(
            len(e["text"])
            for b in message["blocks"]
            for e in b.get("elements") or []
            if e.get("type") == "mrkdwn"
        )
        <= 420
    )


@pytest.mark.parametrize("size", [10, 16, 24, 50, 100])
def test_a_page_of_failed_rows_stays_within_slacks_limits(size: int) -> None:
    recs: list[Recording] = [rec(i) for i in range(1, size + 1)]
    states = {
        ref(r): RowView(
            {
                PLAY: ActionState(FAILED, note=NASTY * 20),
                SHARE: ActionState(DONE, label="Shared", url="https://x.test/" + "a" * 2990),
            }
        )
        for r in recs
    }
    message = results(page(recs), rows=states)
    assert message_problems(message) == []
    assert len(message["blocks"]) <= 50


def test_a_compact_row_says_its_state_in_its_text() -> None:
    block = blocks.recordings.row_compact(
        rec(1), "rec:k:1:0", False, view=view(status=WORKING, percent=67)
    )
    assert "⏳ Uploading 67 %…" in block["text"]["text"]


def test_a_download_link_not_at_hand_offers_play_again() -> None:
    one = rec(1)
    message = results(page([one]), rows={ref(one): view(status=LINK, note="Too big for Slack.")})
    text = row_text(message, ref(one))
    assert "[▶ Play]" in text
    assert "Too big for Slack." in text

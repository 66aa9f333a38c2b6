"""The ready notice's lines per part (pure): what each zip holds, and why one is left out."""

from __future__ import annotations

from bot.exports.messages import PartResult, job_parts, ready, with_parts
from bot.store.tables import ExportJobRow, ExportRequest
from tests.fakes import render_text

REQUEST = ExportRequest(id="abc123", team_id="T1", slack_user_id="U1", request_text="last 7d")


def text_of(parts: list[PartResult]) -> str:
    return render_text(ready(REQUEST, parts, valid_until=None, where="our DM")["blocks"])


def test_each_part_says_kind_extension_count_and_size() -> None:
    parts = [
        PartResult(1, "https://f/1", True, size=2_500_000, holds="on-demand recordings", count=3),
        PartResult(
            2, "https://l/2", False, size=None, holds="company recordings of extension 101", count=1
        ),
    ]
    text = text_of(parts)
    assert "ready in 2 zip files" in text
    assert "<https://f/1|Open part 1>: on-demand recordings · 3 recordings · 2.5 MB" in text
    assert "uploaded to our DM" in text
    assert (
        "<https://l/2|Download part 2>: company recordings of extension 101 · 1 recording" in text
    )


def test_one_zip_says_what_it_holds_too() -> None:
    text = text_of([PartResult(1, "https://f/1", True, size=900, holds="company recordings")])
    assert "<https://f/1|Open the zip>: company recordings · 1 kB, uploaded to our DM" in text
    assert "zip files" not in text


def test_an_empty_part_is_left_out_with_a_line_saying_why() -> None:
    parts = [
        PartResult(1, "https://f/1", True, size=4096, holds="company recordings", count=2),
        PartResult(2, "https://l/2", False, holds="on-demand recordings", count=0, empty=True),
    ]
    text = text_of(parts)
    assert "Part 2, on-demand recordings: left out, VBC found no recordings for it" in text
    assert "https://l/2" not in text, "no link to an empty zip"
    assert "zip files" not in text, "one zip is left"


def test_nothing_but_empty_parts_says_there_is_no_zip() -> None:
    text = text_of([PartResult(1, "https://l/1", False, holds="company recordings", empty=True)])
    assert "has finished, but VBC found no recordings for it, so there is no zip" in text
    assert "is ready" not in text


def test_the_started_reply_names_parts_and_what_was_not_requested() -> None:
    jobs = [
        ExportJobRow(vbc_job_id="b", request_id="r", vbc_user_id="self", kind="company",
                     holds="company recordings of extension 101"),
        ExportJobRow(vbc_job_id="a", request_id="r", vbc_user_id="self", kind="on-demand"),
    ]  # fmt: skip
    holds = job_parts(jobs)
    assert holds == ["on-demand recordings", "company recordings of extension 101"]
    message = with_parts({"blocks": []}, holds, left_out=["company recordings of extension 102"])
    text = render_text(message["blocks"])
    assert "part 1: on-demand recordings; part 2: company recordings of extension 101" in text
    assert "No zip for company recordings of extension 102: none match" in text

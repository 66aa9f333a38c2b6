"""Block Kit renderers: every payload passes the offline limit checker, and says the right thing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import blocks
from bot.blocks.limits import message_problems, view_problems
from bot.search.merge import ResultPage
from bot.store.tables import AuditEvent, ExportJobRow, ExportRequest
from bot.vbc.models import Recording, RecordingKind

START = datetime(2024, 5, 1, 14, 3, 9, tzinfo=UTC)
SECRET_URL = "https://api.vonage.com/t/vbc.prod/call_recording/api/download/SECRET-TOKEN"
NASTY = "<script>alert('x')</script> & <@U0HACK> <!channel> *bold* `code`"


def rec(i: int = 1, **changes: Any) -> Recording:
    data: dict[str, Any] = {
        "id": 193228 + i,
        "kind": RecordingKind.COMPANY,
        "call_direction": "INBOUND",
        "call_id": "c91150a6-8cc4-4e73-9fef-17fd925c6448",
        "caller_id": "17325550100",
        "cnam": "John Smith",
        "dnis": "17325550199",
        "download_url": SECRET_URL,
        "duration": 205_400,
        "start": START - timedelta(minutes=i),
        "end": START - timedelta(minutes=i) + timedelta(seconds=205),
        "extensions": ["999"],
        "file_name": "recording.mp3",
        "file_size_in_bytes": 1_234_567,
        "rule_ids": [7, 8],
    }
    data.update(changes)
    return Recording.model_validate(data)


def nasty(i: int) -> Recording:
    """Every free-text field at (or past) any length VBC could plausibly send, full of markup."""
    return rec(
        i,
        kind=RecordingKind.ON_DEMAND if i % 2 else RecordingKind.COMPANY,
        owner_user_id="7" * 32,
        call_direction="SOMETHING_NEW_" + "X" * 100,
        call_id="&" * 400,
        caller_id="<" * 300,
        cnam=(NASTY * 20)[:1000],
        dnis="9" * 300,
        duration=10**12,
        extensions=["&<>" * 20] * 50,
        file_name=NASTY * 50,
        file_size_in_bytes=10**13,
        rule_ids=list(range(500)),
    )


def page(recordings: list[Recording], **changes: Any) -> ResultPage:
    data: dict[str, Any] = {
        "recordings": recordings,
        "page": 2,
        "page_size": max(len(recordings), 1),
        "total_items": 5 * max(len(recordings), 1),
        "exact_total": True,
        "has_next": True,
        "next_offsets": [0],
    }
    data.update(changes)
    return ResultPage(**data)


def results(p: ResultPage, *, can_share: bool = True, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "cursor_key": "Kx7_abc-123",
        "summary": "inbound recordings with +1 732-555-0100 at least 2m long",
        "scope": "<@U0ADMIN>'s recordings",
        "show_kind": True,
        "can_share": can_share,
    }
    args.update(kw)
    return blocks.render_results(p, **args)


def dump(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


def all_text(payload: dict[str, Any]) -> str:
    """Every string in the payload, as Slack would render it (block text only)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload.get("blocks"))
    return "\n".join(found)


def has_all(text: str, *parts: str) -> None:
    missing = [part for part in parts if part not in text]
    assert not missing, f"{missing} not in {text[:500]!r}"


def elements(payload: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in payload["blocks"]:
        out += [e for e in block.get("elements", []) if e.get("type") == kind]
        if block.get("accessory", {}).get("type") == kind:
            out.append(block["accessory"])
    return out


# -- results -----------------------------------------------------------------------------------


def test_results_page_of_ten_has_buttons_per_row() -> None:
    msg = results(page([rec(i) for i in range(10)]))
    assert message_problems(msg) == []
    buttons = elements(msg, "button")
    by_action = {b["action_id"]: b for b in buttons}
    assert [b["value"] for b in buttons if b["action_id"] == blocks.ACTION_PLAY][:2] == [
        "c:193228",
        "c:193229",
    ]
    assert by_action[blocks.ACTION_SHARE]["confirm"]["confirm"]["text"] == "Share"
    assert by_action[blocks.ACTION_PAGE_PREV]["value"] == "Kx7_abc-123:1"
    assert by_action[blocks.ACTION_PAGE_NEXT]["value"] == "Kx7_abc-123:3"
    assert by_action[blocks.ACTION_EXPORT_ALL]["value"] == "Kx7_abc-123"
    assert "Page 2 of 5 · 50 recordings" in all_text(msg)
    assert msg["text"].startswith("Inbound recordings with +1 732-555-0100 at least 2m long (")


def test_results_without_share_has_no_share_button() -> None:
    msg = results(page([rec(1)]), can_share=False)
    assert blocks.ACTION_SHARE not in dump(msg)


@pytest.mark.parametrize("show_kind", [True, False])
@pytest.mark.parametrize("can_share", [True, False])
def test_twenty_five_maximal_rows_fit_one_message(show_kind: bool, can_share: bool) -> None:
    recordings = [nasty(i) for i in range(25)]
    msg = results(page(recordings), show_kind=show_kind, can_share=can_share)
    assert message_problems(msg) == []
    text = dump(msg)
    for r in recordings:  # every row is there, with its actions
        assert blocks.menu_value(blocks.ACTION_PLAY, r) in text
        assert blocks.menu_value(blocks.ACTION_DETAILS, r) in text
    assert "Showing" not in all_text(msg)


@pytest.mark.parametrize("rows", [1, 25])
def test_play_says_here_when_it_posts_into_the_channel(rows: int) -> None:
    recordings = [rec(i) for i in range(rows)]
    here = results(page(recordings), play_here=True)
    there = results(page(recordings))
    assert message_problems(here) == []
    assert "▶ Play here" in dump(here)
    assert blocks.ACTION_PLAY_HERE in dump(here)
    assert "Play here" not in dump(there)
    assert blocks.ACTION_PLAY_HERE not in dump(there)
    details = blocks.render_details(rec(1), can_share=True, play_here=True)
    assert {b["text"]["text"]: b["action_id"] for b in elements(details, "button")}[
        "▶ Play here"
    ] == blocks.ACTION_PLAY_HERE
    assert blocks.parse_menu_value(blocks.menu_value(blocks.ACTION_PLAY_HERE, rec(1)))[0] == (
        blocks.ACTION_PLAY_HERE
    )


def test_link_move_value_carries_ids_only_and_reads_back() -> None:
    value = blocks.link_move_value("U0NEW", "745249", frozenset({"U0OLD", "W0TWO"}))
    assert value == "U0NEW|745249|U0OLD,W0TWO"
    assert blocks.parse_link_move_value(value) == ("U0NEW", "745249", frozenset({"U0OLD", "W0TWO"}))
    for odd in (
        "",
        "U0NEW|745249",
        "U0NEW|x|U0OLD",
        "u0new|1|U0OLD",
        "U0NEW|1|",
        "U0NEW|²|U0OLD",
        "U0NEW|1|U0OLD|x",
        "<@U0NEW>|1|U0OLD",
    ):
        with pytest.raises(ValueError, match="not a link move value"):
            blocks.parse_link_move_value(odd)
    msg = blocks.render_link_taken("VBC user 1 is already linked to <@U0OLD>.", value=value)
    assert message_problems(msg) == []
    assert [b["text"]["text"] for b in elements(msg, "button")] == ["Move the link"]


def test_hundred_maximal_rows_are_cut_with_a_note() -> None:
    msg = results(page([nasty(i) for i in range(100)]))
    assert message_problems(msg) == []
    assert "of the 100 recordings on this page" in all_text(msg)
    assert "page-size:" in all_text(msg)


def test_long_summary_and_scope_are_clipped() -> None:
    msg = results(page([rec(i) for i in range(25)]), summary="x&y " * 3000, scope="<@U1> " * 900)
    assert message_problems(msg) == []


def test_results_row_content() -> None:
    r = rec(0, cnam="<script> & <@U0HACK> <!channel>", extensions=["999", "998"])
    text = all_text(results(page([r])))
    unix = int(START.timestamp())
    assert f"<!date^{unix}^{{date_short_pretty}} {{time}}|2024-05-01 14:03 UTC>" in text
    assert ":arrow_down: Inbound" in text
    assert "+1 732-555-0100 → +1 732-555-0199" in text
    assert "ext 999, 998" in text
    has_all(text, "3:25", "1.2 MB", "`company`", "&lt;script&gt;")
    assert "<script>" not in text
    assert "&amp; &lt;@U0HACK&gt;" in text
    assert SECRET_URL not in dump(results(page([r])))


def test_results_footer_estimates_and_first_page() -> None:
    msg = results(page([rec(1)], page=1, total_items=48, page_size=10, exact_total=False))
    assert "Page 1 of about 5 · about 48 recordings" in all_text(msg)
    actions = {b["action_id"] for b in elements(msg, "button")}
    assert blocks.ACTION_PAGE_PREV not in actions
    assert blocks.ACTION_PAGE_NEXT in actions
    last = results(page([rec(1)], page=5, total_items=41, page_size=10, has_next=False))
    assert blocks.ACTION_PAGE_NEXT not in dump(last)
    assert "Page 5 of 5 · 41 recordings" in all_text(last)


def test_block_ids_change_with_page_and_cursor() -> None:
    def ids(msg: dict[str, Any]) -> set[str]:
        return {b["block_id"] for b in msg["blocks"]}

    one, two = results(page([rec(1)], page=1)), results(page([rec(1)], page=2))
    other = results(page([rec(1)], page=1), cursor_key="another")
    assert ids(one).isdisjoint(ids(two))
    assert ids(one).isdisjoint(ids(other))


def test_results_with_no_rows_still_valid() -> None:
    msg = results(page([], has_next=False))
    assert message_problems(msg) == []
    assert "No recordings on this page." in all_text(msg)


@pytest.mark.parametrize(
    ("direction", "shown"),
    [
        ("OUTBOUND", ":arrow_up: Outbound"),
        ("INTRA_PBX", ":left_right_arrow: Internal"),
        (None, ":telephone_receiver: Unknown"),
        ("<x>", ":telephone_receiver: &lt;x&gt;"),
    ],
)
def test_direction_labels(direction: str | None, shown: str) -> None:
    assert blocks.format_direction(direction) == shown


@pytest.mark.parametrize(
    ("ms", "shown"),
    [(None, "?:??"), (0, "0:00"), (59_499, "0:59"), (205_400, "3:25"), (3_723_000, "1:02:03")],
)
def test_durations(ms: int | None, shown: str) -> None:
    assert blocks.format_duration(ms) == shown


@pytest.mark.parametrize(
    ("size", "shown"), [(None, "? kB"), (0, "0 kB"), (850_400, "850 kB"), (12_345_678, "12.3 MB")]
)
def test_sizes(size: int | None, shown: str) -> None:
    assert blocks.format_size(size) == shown


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("17325550100", "+1 732-555-0100"),
        ("447911123456", "+44 7911 123456"),
        ("999", "999"),
        ("Anonymous", "Anonymous"),
        (None, "unknown"),
    ],
)
def test_numbers(raw: str | None, shown: str) -> None:
    assert blocks.format_number(raw) == shown


def test_naive_datetimes_are_read_as_utc() -> None:
    naive = START.replace(tzinfo=None)
    assert blocks.slack_date(naive) == blocks.slack_date(START)


# -- references and values ---------------------------------------------------------------------


def test_recording_refs_round_trip() -> None:
    company = rec(0)
    own = rec(0, kind=RecordingKind.ON_DEMAND, owner_user_id="745249")
    assert blocks.recording_ref(company) == "c:193228"
    assert blocks.recording_ref(own) == "o:745249:193228"
    assert blocks.parse_recording_ref("c:193228") == blocks.RecordingRef(
        RecordingKind.COMPANY, 193228
    )
    assert blocks.parse_recording_ref("o:745249:193228") == blocks.RecordingRef(
        RecordingKind.ON_DEMAND, 193228, "745249"
    )
    assert blocks.parse_recording_ref("o::5").owner_user_id is None
    assert blocks.parse_menu_value(blocks.menu_value(blocks.ACTION_PLAY, own)) == (
        blocks.ACTION_PLAY,
        blocks.parse_recording_ref("o:745249:193228"),
    )


@pytest.mark.parametrize("value", ["", "c:", "c:12x", "x:1", "o:5", "o:a:b", "c:-1"])
def test_bad_recording_refs(value: str) -> None:
    with pytest.raises(ValueError, match="not a recording reference"):
        blocks.parse_recording_ref(value)


@pytest.mark.parametrize("value", ["recording_delete|c:1", "c:1", "recording_play|zz"])
def test_bad_menu_values(value: str) -> None:
    with pytest.raises(ValueError, match="not a recording"):
        blocks.parse_menu_value(value)


def test_page_values() -> None:
    assert blocks.parse_page_value("Kx7_abc-123:3") == ("Kx7_abc-123", 3)
    assert blocks.parse_page_value("action:audio:2") == ("action:audio", 2)
    for bad in ("", "abc", ":3", "k:0", "k:x"):
        with pytest.raises(ValueError, match="not a page"):
            blocks.parse_page_value(bad)


# -- text safety -------------------------------------------------------------------------------


def test_sanitize_keeps_our_markup_and_neutralises_the_rest() -> None:
    text = (
        "Ask <@U123ABC> in <#C0123|general> on <!date^1^{date}|x> via <https://x.test/a?b=1|link>"
        " `&gt;2m` & <your VBC user id> <!channel>"
    )
    assert blocks.sanitize_mrkdwn(text) == (
        "Ask <@U123ABC> in <#C0123|general> on <!date^1^{date}|x> via <https://x.test/a?b=1|link>"
        " `&gt;2m` &amp; &lt;your VBC user id&gt; &lt;!channel&gt;"
    )


@pytest.mark.parametrize("text", ["a&amp;b" * 30, "x<@U123>" * 30, "plain text " * 30])
def test_clip_never_splits_an_entity_or_token(text: str) -> None:
    for limit in range(1, 60):
        cut = blocks.clip(text, limit)
        assert len(cut) <= limit
        body = cut.removesuffix("…")
        assert body.count("&") == body.count(";")
        assert body.count("<") == body.count(">")


# -- one recording and replies -----------------------------------------------------------------


def test_details_has_everything_but_the_download_url() -> None:
    r = rec(0, kind=RecordingKind.ON_DEMAND, owner_user_id="745249", cnam=NASTY)
    msg = blocks.render_details(r, can_share=True)
    assert message_problems(msg) == []
    text = all_text(msg)
    has_all(
        text,
        "Recording 193228",
        "c91150a6-8cc4-4e73-9fef-17fd925c6448",
        "on-demand (VBC user 745249)",
        "+1 732-555-0100",
        "+1 732-555-0199",
        "recording.mp3 · 1.2 MB",
        "rule ids: 7, 8",
        "{date_long_pretty} {time_secs}",
        "&lt;script&gt;",
    )
    assert SECRET_URL not in dump(msg)
    assert "SECRET-TOKEN" not in dump(msg)
    actions = {b["action_id"]: b for b in elements(msg, "button")}
    assert actions[blocks.ACTION_PLAY]["value"] == "o:745249:193228"
    assert "confirm" in actions[blocks.ACTION_SHARE]
    assert blocks.ACTION_SHARE not in dump(blocks.render_details(r, can_share=False))


def test_details_of_maximal_and_empty_recordings() -> None:
    assert message_problems(blocks.render_details(nasty(1), can_share=True)) == []
    bare = Recording.model_validate({"id": 5})
    msg = blocks.render_details(bare, can_share=False)
    assert message_problems(msg) == []
    assert "unknown" in all_text(msg)


def test_error_with_and_without_retry() -> None:
    msg = blocks.render_error("I can't read `&lt;x`: try `&gt;2m`.", retry_value="page:k:2")
    assert message_problems(msg) == []
    assert all_text(msg).startswith(":warning: I can't read `&lt;x`: try `&gt;2m`.")
    assert msg["text"].startswith(":warning:")
    [retry] = elements(msg, "button")
    assert (retry["action_id"], retry["value"]) == (blocks.ACTION_RETRY, "page:k:2")
    assert elements(blocks.render_error("nope"), "button") == []
    with pytest.raises(ValueError, match="retry_value"):
        blocks.render_error("x", retry_value="v" * 2001)


def test_error_long_message_is_clipped() -> None:
    assert message_problems(blocks.render_error("x" * 50_000)) == []


def test_notice_not_linked_and_empty() -> None:
    notice = blocks.render_notice("Searching… for <@U123>")
    assert all_text(notice) == "Searching… for <@U123>"
    linked = blocks.render_not_linked("ask an admin: `/recordings link <@U1> <your VBC id>`")
    assert "<@U1> &lt;your VBC id&gt;" in all_text(linked)
    empty = blocks.render_empty(
        summary="inbound recordings with “&lt;x&gt;” in the caller name today",
        scope="your recordings",
        suggestion="Drop `today`.",
    )
    assert (
        "No inbound recordings with “&lt;x&gt;” in the caller name today in your recordings."
    ) in all_text(empty)
    assert [b["action_id"] for b in elements(empty, "button")] == [blocks.ACTION_OPEN_MODAL]
    for msg in (notice, linked, empty):
        assert message_problems(msg) == []


def test_progress_bar() -> None:
    msg = blocks.render_progress("Uploading 45 %…", 0.45)
    assert message_problems(msg) == []
    assert "`█████████░░░░░░░░░░░` 45 %" in all_text(msg)
    assert msg["blocks"][0]["block_id"] != blocks.render_progress("x", 0.5)["blocks"][0]["block_id"]
    assert len(blocks.render_progress("Preparing…", None)["blocks"]) == 1
    assert "100 %" in all_text(blocks.render_progress("Done", 7.0))


def test_export_prompt() -> None:
    msg = blocks.render_export_prompt(
        summary="inbound", scope="of yours", count=48, exact=False, value="Kx7"
    )
    assert message_problems(msg) == []
    assert "Export about 48 recordings" in all_text(msg)
    [button] = elements(msg, "button")
    assert (button["action_id"], button["value"]) == (blocks.ACTION_EXPORT_CONFIRM, "Kx7")


@pytest.mark.parametrize("is_admin", [True, False])
def test_help(is_admin: bool) -> None:
    msg = blocks.render_help(scope="your own recordings", is_admin=is_admin)
    assert message_problems(msg) == []
    text = all_text(msg)
    assert "`&gt;2m`" in text
    assert "&amp;gt;" not in text
    assert ("/recordings audit" in text) is is_admin
    assert "*Your scope:* your own recordings" in text


def test_whoami() -> None:
    msg = blocks.render_whoami(
        slack_user="U123",
        identity_name="Jo <Admin> & co",
        vbc_user_id="745249",
        extensions=["999", "998"],
        linked_how="email",
        scope="your own recordings",
    )
    assert message_problems(msg) == []
    text = all_text(msg)
    has_all(text, "<@U123>", "Jo &lt;Admin&gt; &amp; co (745249)", "999, 998", "email")


def whoami_buttons(msg: dict[str, Any]) -> dict[str, dict[str, Any]]:
    elements = [e for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return {e["action_id"]: e for e in elements}


def test_whoami_offers_connect_or_disconnect() -> None:
    common: dict[str, Any] = {
        "slack_user": "U123",
        "identity_name": "Jo",
        "vbc_user_id": "745249",
        "extensions": ["999"],
        "linked_how": "email",
        "scope": "your own recordings",
        "connect_url": "https://bot.example/vbc/oauth/start?t=abc",
    }
    offer = blocks.render_whoami(**common)
    assert message_problems(offer) == []
    assert set(whoami_buttons(offer)) == {blocks.ACTION_CONNECT_VBC}
    connected = blocks.render_whoami(**common, connected=True)
    assert message_problems(connected) == []
    [disconnect] = whoami_buttons(connected).values()
    assert disconnect["action_id"] == blocks.ACTION_DISCONNECT_VBC
    assert disconnect["confirm"]["confirm"]["text"] == "Disconnect"
    assert "your own VBC login" in all_text(connected)


# -- audit, jobs, home -------------------------------------------------------------------------


def event(i: int, **changes: Any) -> AuditEvent:
    data: dict[str, Any] = {
        "at": START - timedelta(minutes=i),
        "team_id": "T1",
        "actor": "U0ALICE",
        "action": "audio",
        "target": f"company:{193228 + i}",
        "outcome": "allowed",
        "detail": None,
    }
    data.update(changes)
    return AuditEvent(**data)


def test_audit_page() -> None:
    msg = blocks.render_audit(
        [event(i) for i in range(20)],
        page=2,
        total=45,
        page_size=20,
        query_text="action:audio",
        state_key="action:audio",
    )
    assert message_problems(msg) == []
    text = all_text(msg)
    has_all(text, "<@U0ALICE>", "`company:193228`", "Page 2 of 3")
    values = {b["action_id"]: b["value"] for b in elements(msg, "button")}
    assert values == {
        blocks.ACTION_AUDIT_PREV: "action:audio:1",
        blocks.ACTION_AUDIT_NEXT: "action:audio:3",
    }


def test_audit_maximal_and_edge_pages() -> None:
    events = [
        event(i, actor="<x>" * 10, action="a" * 32, target=NASTY * 4, detail=NASTY * 30)
        for i in range(100)
    ]
    msg = blocks.render_audit(
        events, page=1, total=100, page_size=100, query_text="q" * 4000, state_key="q" * 4000
    )
    assert message_problems(msg) == []
    assert elements(msg, "button") == []  # a 4000-character key cannot ride in a button
    empty = blocks.render_audit([], page=1, total=0, page_size=20, query_text="", state_key="")
    assert message_problems(empty) == []
    assert "No audit events match." in all_text(empty)


def export(i: int, **changes: Any) -> tuple[ExportRequest, list[ExportJobRow]]:
    data: dict[str, Any] = {
        "id": f"req-{i}",
        "team_id": "T1",
        "slack_user_id": "U1",
        "request_text": "inbound last 7d",
        "state": "running",
        "created_at": START - timedelta(hours=i),
    }
    data.update(changes)
    jobs = [
        ExportJobRow(
            vbc_job_id=f"job-{i}-{k}",
            request_id=data["id"],
            vbc_user_id="745249",
            kind="company",
            files_completed=3,
            files_total=10,
            valid_until=START + timedelta(days=7 - k),
        )
        for k in range(2)
    ]
    return ExportRequest(**data), jobs


def test_jobs_newest_first_with_progress_and_link() -> None:
    done = export(
        0,
        state="complete",
        result_permalink="https://files.slack.test/F1?a=1&b=<2>|x",
        request_text="<b> & `tick`",
    )
    msg = blocks.render_jobs([export(3), done, export(1, state="failed", error="VBC said <no>")])
    assert message_problems(msg) == []
    text = all_text(msg)
    assert text.index("Complete") < text.index("Failed") < text.index("Running")
    assert "6/20 files" in text
    assert "<https://files.slack.test/F1?a=1&amp;b=%3C2%3E%7Cx|Download the export>" in text
    assert "`&lt;b&gt; &amp; 'tick'`" in text
    assert "VBC said &lt;no&gt;" in text
    assert blocks.slack_date(START + timedelta(days=6)) in text
    assert [b["action_id"] for b in elements(msg, "button")] == [blocks.ACTION_JOBS_REFRESH]


def test_jobs_empty_and_many() -> None:
    assert "No exports yet" in all_text(blocks.render_jobs([]))
    many = [export(i, request_text="x" * 4000, error="e" * 2000) for i in range(40)]
    msg = blocks.render_jobs(many)
    assert message_problems(msg) == []
    assert "newest" in all_text(msg)


def test_home_view() -> None:
    view = blocks.render_home(
        person_line="<@U1> · VBC user Jo <&> (745249)",
        scope="your own recordings",
        recent=[nasty(i) for i in range(40)],
        jobs=[export(i, request_text="x" * 4000) for i in range(30)],
    )
    assert view["type"] == "home"
    assert view_problems(view) == []
    assert len(view["blocks"]) <= 100
    actions = [b["action_id"] for b in elements(view, "button")]
    assert blocks.ACTION_OPEN_MODAL in actions
    assert "Jo &lt;&amp;&gt;" in all_text(view)
    empty = blocks.render_home(person_line="<@U1>", scope="not linked", recent=[], jobs=[])
    assert view_problems(empty) == []
    assert "No recent recordings." in all_text(empty)


# -- properties --------------------------------------------------------------------------------

_free_text = st.text(min_size=0, max_size=400)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cnam=_free_text,
    caller=_free_text,
    dnis=_free_text,
    ext=st.lists(_free_text, max_size=5),
    summary=st.text(max_size=3000),
    rows=st.integers(min_value=0, max_value=30),
)
def test_any_text_renders_a_valid_message(
    cnam: str, caller: str, dnis: str, ext: list[str], summary: str, rows: int
) -> None:
    recordings = [
        rec(i, cnam=cnam, caller_id=caller, dnis=dnis, extensions=ext) for i in range(rows)
    ]
    msg = results(page(recordings), summary=summary)
    assert message_problems(msg) == []
    for text in all_text(msg).splitlines():  # nothing a person or VBC wrote is live markup
        assert blocks.sanitize_mrkdwn(text) == text


def test_oversized_keys_are_refused_not_cut() -> None:
    with pytest.raises(ValueError, match="cursor_key"):
        results(page([rec(1)]), cursor_key="k" * 201)
    with pytest.raises(ValueError, match="value"):
        blocks.render_export_prompt(summary="", scope="", count=1, exact=True, value="v" * 2001)


def test_fallback_text_is_plain_and_inert() -> None:
    msg = results(page([rec(1)]), summary="recordings with “a&b” <x>")
    assert msg["text"] == "Recordings with “a&amp;b” &lt;x&gt; (page 2 of 5, 5 recordings)"
    date_only = blocks.render_notice(f"Ready {blocks.slack_date(START)}")
    assert date_only["text"] == "Ready 2024-05-01 14:03 UTC"

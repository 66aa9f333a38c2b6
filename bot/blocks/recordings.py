"""Recording rows, a page of search results, the empty reply and one recording's details.

A result row is a section plus a Play / Details / Share actions block while two blocks a row fit
in 50; longer pages switch to one section a row whose overflow menu (ACTION_ROW_MENU) offers Play
and Details, and Share stays on the Details message, where its confirm dialog can live.

Play says where it posts: "▶ Play here" (ACTION_PLAY_HERE) where the channel delivers directly,
else "▶ Play" (ACTION_PLAY, the DM). Only the former may post into a channel, so a button drawn
before an admin turned direct delivery on cannot surprise anyone.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.blocks.ids import (
    ACTION_DELETE_OPEN,
    ACTION_DETAILS,
    ACTION_EXPORT_ALL,
    ACTION_OPEN_MODAL,
    ACTION_PAGE_NEXT,
    ACTION_PAGE_PREV,
    ACTION_PLAY,
    ACTION_PLAY_HERE,
    ACTION_ROW_MENU,
    ACTION_SHARE,
    menu_value,
    recording_ref,
)
from bot.blocks.limits import MAX_MESSAGE_BLOCKS, MESSAGE_TEXT_BUDGET, text_length
from bot.blocks.mrkdwn import (
    clip,
    esc,
    format_direction,
    format_duration,
    format_number,
    format_size,
    inline_code,
    plural,
    sanitize_mrkdwn,
    slack_date,
)
from bot.blocks.parts import (
    Block,
    Message,
    actions,
    bid,
    build_message,
    button,
    context,
    plain,
    section,
)
from bot.blocks.rows import PLAY, SHARE, RowView, away_lines
from bot.search.merge import ResultPage
from bot.vbc.models import Recording

_NOTE_RESERVE = 200  # room for the "rows not shown" note
_MAX_KEY = 200  # cursor keys are short database keys; this keeps button values far from 2000

_SHARE_CONFIRM: Block = {
    "title": plain("Share this recording?"),
    "text": plain("Everyone in this channel will be able to play it."),
    "confirm": plain("Share"),
    "deny": plain("Cancel"),
}


def _row_text(rec: Recording, show_kind: bool) -> str:
    when = slack_date(rec.start) if rec.start else "unknown time"
    head = (
        f"*{when}* · {format_direction(rec.call_direction)} · "
        f"{format_duration(rec.duration)} · {format_size(rec.file_size_in_bytes)}"
    )
    if show_kind:
        head += f" · `{rec.kind.value}`"
    name = f"*{esc(rec.cnam, 48)}* " if rec.cnam else ""
    who = f"{name}{esc(format_number(rec.caller_id), 32)} → {esc(format_number(rec.dnis), 32)}"
    if rec.extensions:
        who += f" · ext {esc(', '.join(rec.extensions), 48)}"
    return f"{head}\n{who}"


def _play(here: bool) -> tuple[str, str]:
    """The Play control's label and action: it says so when it will post into the channel."""
    return ("▶ Play here", ACTION_PLAY_HERE) if here else ("▶ Play", ACTION_PLAY)


def _row_full(
    rec: Recording,
    i: int,
    ids: str,
    show_kind: bool,
    can_share: bool,
    play_here: bool,
    view: RowView,
) -> list[Block]:
    ref = recording_ref(rec)
    label, action_id = _play(play_here)
    buttons = [
        view.button(PLAY) or button(label, action_id, ref, style="primary"),
        button("Details", ACTION_DETAILS, ref),
    ]
    shared = view.button(SHARE)
    if shared is not None:
        buttons.append(shared)
    elif can_share:
        buttons.append(button("Share to channel", ACTION_SHARE, ref, confirm=_SHARE_CONFIRM))
    row = [
        section(_row_text(rec, show_kind), bid("rec", ids, i)),
        actions(bid("recact", ids, i), buttons),
    ]
    if lines := view.lines():
        row.append(_notes(lines, bid("recnote", ids, i)))
    return row


def _notes(lines: list[str], block_id: str) -> Block:
    return {
        "type": "context",
        "block_id": block_id,
        "elements": [{"type": "mrkdwn", "text": line} for line in lines[:10]],
    }


def notice_row(rec: Recording, block_id: str, *, play_here: bool) -> list[Block]:
    """A new-recording notice: the result row with Play and Details (checked on click)."""
    ref = recording_ref(rec)
    label, action_id = _play(play_here)
    buttons = [
        button(label, action_id, ref, style="primary"),
        button("Details", ACTION_DETAILS, ref),
    ]
    return [
        section(_row_text(rec, True), bid("ntc", block_id)),
        actions(bid("ntcact", block_id), buttons),
    ]


def row_compact(
    rec: Recording,
    block_id: str,
    show_kind: bool,
    *,
    play_here: bool = False,
    view: RowView | None = None,
) -> Block:
    """One block per row, for long pages: Play and Details in an overflow menu."""
    label, action_id = _play(play_here)
    options = [
        {"text": plain(label), "value": menu_value(action_id, rec)},
        {"text": plain("Details"), "value": menu_value(ACTION_DETAILS, rec)},
    ]
    menu = {"type": "overflow", "action_id": ACTION_ROW_MENU, "options": options}
    text = "\n".join([_row_text(rec, show_kind), *(view.compact() if view else [])])
    return section(clip(text, 2900), block_id, menu)


def _fit_rows(
    head: list[Block], foot: list[Block], full: list[list[Block]], compact: list[Block]
) -> tuple[list[Block], int]:
    """Full rows if they all fit, else compact rows, as many as fit; returns (rows, shown)."""
    fixed = len(head) + len(foot)
    used = text_length(head) + text_length(foot)
    flat = [b for row in full for b in row]
    if fixed + len(flat) <= MAX_MESSAGE_BLOCKS and used + text_length(flat) <= MESSAGE_TEXT_BUDGET:
        return flat, len(full)
    rows: list[Block] = []
    for block in compact:
        size = text_length(block)
        if fixed + len(rows) + 2 > MAX_MESSAGE_BLOCKS or (
            used + size > MESSAGE_TEXT_BUDGET - _NOTE_RESERVE
        ):
            break
        rows.append(block)
        used += size
    return rows, len(rows)


def render_results(
    page: ResultPage,
    *,
    cursor_key: str,
    summary: str,
    scope: str,
    show_kind: bool,
    can_share: bool,
    play_here: bool = False,
    rows: Mapping[str, RowView] | None = None,
) -> Message:
    """One page of recordings: a header, a row per recording, then paging and export.

    ``play_here``: the asker's channel delivers directly, so Play posts into it. ``rows``: what
    Play / Share did on rows of this list (by recording ref), shown on each row; actions on
    rows of another page are said in a line under the header.
    """
    if len(cursor_key) > _MAX_KEY:
        raise ValueError("cursor_key is too long for a button value")
    states = dict(rows or {})
    ids = f"{cursor_key}:{page.page}"
    about = "" if page.exact_total else "about "
    count = f"{about}{plural(page.total_items, 'recording')}"
    single = page.page == 1 and not page.has_next
    pages = "" if single else f"page {page.page} of {about}{page.total_pages}"
    head = [
        section(
            f":mag: {clip(sanitize_mrkdwn(_capital(summary)), 600)} · "
            f"{clip(sanitize_mrkdwn(scope), 300)}",
            bid("head", ids),
        )
    ]
    if away := away_lines(states, {recording_ref(r) for r in page.recordings}):
        head.append(_notes(away, bid("away", ids)))
    nav: list[Block] = []
    if page.has_prev:
        nav.append(button("◀ Prev", ACTION_PAGE_PREV, f"{cursor_key}:{page.page - 1}"))
    if page.has_next:
        nav.append(button("Next ▶", ACTION_PAGE_NEXT, f"{cursor_key}:{page.page + 1}"))
    nav.append(button("Export all matching", ACTION_EXPORT_ALL, cursor_key))
    foot = [
        context(
            f"{pages.capitalize()} · {count}" if pages else count.capitalize(), bid("pages", ids)
        ),
        actions(bid("nav", ids), nav),
    ]
    views = [states.get(recording_ref(r), RowView()) for r in page.recordings]
    full = [
        _row_full(r, i, ids, show_kind, can_share, play_here, v)
        for i, (r, v) in enumerate(zip(page.recordings, views, strict=True))
    ]
    compact = [
        row_compact(r, bid("rec", ids, i), show_kind, play_here=play_here, view=v)
        for i, (r, v) in enumerate(zip(page.recordings, views, strict=True))
    ]
    rows_shown, shown = _fit_rows(head, foot, full, compact)
    if not page.recordings:
        rows_shown = [context("No recordings on this page.", bid("none", ids))]
    elif shown < len(page.recordings):
        note = (
            f"Showing {shown} of the {len(page.recordings)} recordings on this page: "
            "Slack limits message size. Search again with a smaller `page-size:`."
        )
        rows_shown.append(context(note, bid("cut", ids)))
    where = f"{pages}, {count}" if pages else count
    return build_message(f"{_capital(summary)} ({where})", head + rows_shown + foot)


def render_waiting(what: str) -> Message:
    """VBC has not answered within a moment: say so rather than stay silent."""
    text = f":hourglass_flowing_sand: Still waiting for VBC… {what}"
    return build_message("Still waiting for VBC…", [section(text, "vbc_waiting")])


def render_empty(*, summary: str, scope: str, suggestion: str) -> Message:
    """``summary`` is the noun phrase of ``describe_recordings``: "No {summary} in {scope}."."""
    text = (
        f":mag: No {clip(sanitize_mrkdwn(summary), 1200)} in {clip(sanitize_mrkdwn(scope), 300)}."
    )
    blocks = [
        section(text, "empty"),
        context(clip(sanitize_mrkdwn(suggestion), 1000), "empty_hint"),
        actions("empty_actions", [button("Open search form", ACTION_OPEN_MODAL, "empty")]),
    ]
    return build_message(f"No {summary}", blocks)


def _capital(phrase: str) -> str:
    """A header phrase starts a sentence (``inbound recordings …`` -> ``Inbound …``)."""
    return phrase[:1].upper() + phrase[1:]


def render_details(
    rec: Recording, *, can_share: bool, play_here: bool = False, can_delete: bool = False
) -> Message:
    """Everything we know about one recording except its download URL (it needs our token)."""
    ref = recording_ref(rec)
    long_fmt = "{date_long_pretty} {time_secs}"
    owner = f" (VBC user {esc(rec.owner_user_id, 32)})" if rec.owner_user_id else ""
    file_line = " · ".join(
        p for p in (esc(rec.file_name, 200), format_size(rec.file_size_in_bytes)) if p
    )
    caller = " ".join(
        p
        for p in (
            f"*{esc(rec.cnam, 100)}*" if rec.cnam else "",
            esc(format_number(rec.caller_id), 60),
        )
        if p
    )
    fields = {
        "Start": slack_date(rec.start, long_fmt) if rec.start else "unknown",
        "End": slack_date(rec.end, long_fmt) if rec.end else "unknown",
        "Direction": format_direction(rec.call_direction),
        "Duration": format_duration(rec.duration),
        "Caller": caller,
        "Dialed": esc(format_number(rec.dnis), 60),
        "Extensions": esc(", ".join(rec.extensions), 300) or "none",
        "Kind": f"{rec.kind.value}{owner}",
        "Call ID": inline_code(rec.call_id or "", 200) or "unknown",
        "File": file_line,
    }
    rules = ", ".join(str(r) for r in rec.rule_ids) or "none"
    label, action_id = _play(play_here)
    buttons = [button(label, action_id, ref, style="primary")]
    if can_share:
        buttons.append(button("Share to channel", ACTION_SHARE, ref, confirm=_SHARE_CONFIRM))
    if can_delete:  # the modal that opens asks before anything is deleted
        buttons.append(button("Delete…", ACTION_DELETE_OPEN, ref, style="danger"))
    blocks: list[Block] = [
        {"type": "header", "block_id": bid("det", ref), "text": plain(f"Recording {rec.id}")},
        {
            "type": "section",
            "block_id": bid("detf", ref),
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields.items()],
        },
        context(
            f"Recording id {rec.id} · recording rule ids: {clip(rules, 500)}", bid("detc", ref)
        ),
        actions(bid("deta", ref), buttons),
    ]
    return build_message(f"Recording {rec.id}", blocks)

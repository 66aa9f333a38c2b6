"""Pure Block Kit renderers for every message and view the bot sends, and their ids.

Renderers return plain dicts that stay inside Slack's limits by construction (see
``bot.blockkit_limits``): rows are clipped, then dropped with a note, before a payload could be
refused. Text from VBC or a person is escaped; text our own modules wrote as mrkdwn
(``describe_filter``, error messages, ``GRAMMAR_HELP``) is sanitised, which keeps mentions and
entities but neutralises any stray ``& < >``.

A result row is a section plus a Play / Details / Share actions block while two blocks a row fit
in 50; longer pages switch to one section a row whose overflow menu (ACTION_ROW_MENU) offers Play
and Details, and Share stays on the Details message, where its confirm dialog can live.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import phonenumbers

from bot.blockkit_limits import (
    MAX_BUTTON_VALUE,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    MESSAGE_TEXT_BUDGET,
    text_length,
    truncate,
)
from bot.search import ResultPage
from bot.tables import AuditEvent, ExportJobRow, ExportRequest
from bot.vbc.models import Recording, RecordingKind

ACTION_DETAILS = "recording_details"
ACTION_PLAY = "recording_play"
ACTION_SHARE = "recording_share"
ACTION_ROW_MENU = "recording_menu"  # compact rows: an overflow of Play / Details
ACTION_PAGE_PREV = "results_prev"
ACTION_PAGE_NEXT = "results_next"
ACTION_EXPORT_ALL = "results_export"
ACTION_OPEN_MODAL = "open_search_modal"
ACTION_CONNECT_VBC = "connect_vbc"
ACTION_RETRY = "retry_action"
ACTION_AUDIT_PREV = "audit_prev"
ACTION_AUDIT_NEXT = "audit_next"
ACTION_JOBS_REFRESH = "jobs_refresh"
ACTION_EXPORT_CONFIRM = "export_confirm"
CALLBACK_SEARCH_MODAL = "search_modal"
CALLBACK_SHORTCUT_SEARCH = "search_recordings"
CALLBACK_MESSAGE_SHORTCUT = "find_recordings_for_number"

Block = dict[str, Any]
Message = dict[str, Any]

_NOTE_RESERVE = 200  # room for the "rows not shown" note
_MAX_KEY = 200  # cursor keys are short database keys; this keeps button values far from 2000
_MAX_JOBS = 15
_HOME_RECENT = 20
_HOME_JOBS = 10


# -- recording references in button values --------------------------------------------------


@dataclass(frozen=True)
class RecordingRef:
    """What a button says about a recording: a hint the server re-checks, never trusted."""

    kind: RecordingKind
    recording_id: int
    owner_user_id: str | None = None


def recording_ref(rec: Recording) -> str:
    """``c:193228`` (company) or ``o:745249:193228`` (on-demand, with its owner)."""
    if rec.kind is RecordingKind.ON_DEMAND:
        return f"o:{rec.owner_user_id or ''}:{rec.id}"
    return f"c:{rec.id}"


def parse_recording_ref(value: str) -> RecordingRef:
    """Inverse of ``recording_ref``; raises ValueError for anything else."""
    tag, _, rest = value.partition(":")
    if tag == "c" and rest.isdigit():
        return RecordingRef(RecordingKind.COMPANY, int(rest))
    owner, _, rec_id = rest.rpartition(":")
    if tag == "o" and rec_id.isdigit() and ":" in rest:
        return RecordingRef(RecordingKind.ON_DEMAND, int(rec_id), owner or None)
    raise ValueError(f"not a recording reference: {value[:40]!r}")


def menu_value(action_id: str, rec: Recording) -> str:
    """An overflow option's value: which action, for which recording."""
    return f"{action_id}|{recording_ref(rec)}"


def parse_menu_value(value: str) -> tuple[str, RecordingRef]:
    """``recording_play|c:1`` -> (ACTION_PLAY, ref); raises ValueError for anything else."""
    action_id, _, ref = value.partition("|")
    if action_id not in (ACTION_PLAY, ACTION_DETAILS, ACTION_SHARE):
        raise ValueError(f"not a recording action: {value[:40]!r}")
    return action_id, parse_recording_ref(ref)


def parse_page_value(value: str) -> tuple[str, int]:
    """``"<key>:<page>"`` -> (key, page); the key may itself contain colons."""
    key, _, page = value.rpartition(":")
    if not key or not page.isdigit() or int(page) < 1:
        raise ValueError(f"not a page button value: {value[:40]!r}")
    return key, int(page)


# -- text ------------------------------------------------------------------------------------

_KEEP = re.compile(
    r"<(?:[@#][A-Z][A-Z0-9]+(?:\|[^<>]*)?|!date\^[^<>]*|!subteam\^[A-Z0-9]+(?:\|[^<>]*)?"
    r"|(?:https?|mailto):[^<>|\s]+(?:\|[^<>]*)?)>"
)
_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_DIRECTIONS = {
    "INBOUND": ":arrow_down: Inbound",
    "OUTBOUND": ":arrow_up: Outbound",
    "INTRA_PBX": ":left_right_arrow: Internal",
}


def escape_mrkdwn(text: str) -> str:
    """Text from VBC or a person, made inert: Slack needs only these three escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sanitize_mrkdwn(text: str) -> str:
    """Our own mrkdwn: keep mentions, dates, links and entities; escape any other ``& < >``."""
    out: list[str] = []
    pos = 0
    for match in _KEEP.finditer(text):
        out.append(_inert(text[pos : match.start()]))
        out.append(match.group())
        pos = match.end()
    out.append(_inert(text[pos:]))
    return "".join(out)


def _inert(text: str) -> str:
    return _BARE_AMP.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut mrkdwn to ``limit`` characters without splitting an ``&entity;`` or a ``<token>``."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    for opener, closer in (("&", ";"), ("<", ">")):
        at = cut.rfind(opener)
        if at != -1 and closer not in cut[at:]:
            cut = cut[:at]
    return cut + "…"


def _esc(text: str | None, limit: int) -> str:
    return clip(escape_mrkdwn(text), limit) if text else ""


def _code(text: str, limit: int) -> str:
    return f"`{_esc(text.replace('`', chr(39)), limit)}`" if text else ""


def slack_date(when: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A ``<!date>`` token: each viewer sees their own time zone; the fallback says UTC."""
    utc = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return f"<!date^{int(utc.timestamp())}^{fmt}|{utc:%Y-%m-%d %H:%M} UTC>"


def format_number(value: str | None) -> str:
    """``17325550100`` -> ``+1 732-555-0100``; extensions and anything else stay as they are."""
    if not value:
        return "unknown"
    if value.isascii() and value.isdigit() and len(value) >= 8:
        try:
            number = phonenumbers.parse(f"+{value}")
        except phonenumbers.NumberParseException:
            return value
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return value


def format_duration(ms: int | None) -> str:
    if ms is None:
        return "?:??"
    hours, rest = divmod((max(ms, 0) + 500) // 1000, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def format_size(size: int | None) -> str:
    if size is None:
        return "? kB"
    if size < 1_000_000:
        return f"{round(size / 1000)} kB"
    if size < 1_000_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1_000_000_000:.1f} GB"


def format_direction(value: str | None) -> str:
    if not value:
        return ":telephone_receiver: Unknown"
    return _DIRECTIONS.get(value.upper(), f":telephone_receiver: {_esc(value, 24)}")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _fallback(text: str) -> str:
    plain = re.sub(r"<!date\^[^|>]*\|([^>]*)>", r"\1", sanitize_mrkdwn(text))
    return clip(plain.strip() or "Recordings", 2000)


# -- blocks ----------------------------------------------------------------------------------


def _bid(*parts: object) -> str:
    """A block_id; long keys are hashed so the id stays under Slack's 255 characters."""
    raw = ":".join(str(p) for p in parts)
    if len(raw) <= 200:
        return raw
    return f"{parts[0]}:{hashlib.sha256(raw.encode()).hexdigest()[:24]}"


def _section(text: str, block_id: str, accessory: Block | None = None) -> Block:
    block: Block = {
        "type": "section",
        "block_id": block_id,
        "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT - 100)},
    }
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _context(text: str, block_id: str) -> Block:
    return {
        "type": "context",
        "block_id": block_id,
        "elements": [{"type": "mrkdwn", "text": clip(text, 2000)}],
    }


def _actions(block_id: str, elements: list[Block]) -> Block:
    return {"type": "actions", "block_id": block_id, "elements": elements}


def _button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": truncate(text, 75), "emoji": True},
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": True}


_SHARE_CONFIRM: Block = {
    "title": _plain("Share this recording?"),
    "text": _plain("Everyone in this channel will be able to play it."),
    "confirm": _plain("Share"),
    "deny": _plain("Cancel"),
}


def _message(fallback: str, blocks: list[Block]) -> Message:
    return {"text": _fallback(fallback), "blocks": blocks}


# -- recordings ------------------------------------------------------------------------------


def _row_text(rec: Recording, show_kind: bool) -> str:
    when = slack_date(rec.start) if rec.start else "unknown time"
    head = (
        f"*{when}* · {format_direction(rec.call_direction)} · "
        f"{format_duration(rec.duration)} · {format_size(rec.file_size_in_bytes)}"
    )
    if show_kind:
        head += f" · `{rec.kind.value}`"
    name = f"*{_esc(rec.cnam, 48)}* " if rec.cnam else ""
    who = f"{name}{_esc(format_number(rec.caller_id), 32)} → {_esc(format_number(rec.dnis), 32)}"
    if rec.extensions:
        who += f" · ext {_esc(', '.join(rec.extensions), 48)}"
    return f"{head}\n{who}"


def _row_full(rec: Recording, i: int, ids: str, show_kind: bool, can_share: bool) -> list[Block]:
    ref = recording_ref(rec)
    buttons = [
        _button("▶ Play", ACTION_PLAY, ref, style="primary"),
        _button("Details", ACTION_DETAILS, ref),
    ]
    if can_share:
        buttons.append(_button("Share to channel", ACTION_SHARE, ref, confirm=_SHARE_CONFIRM))
    return [
        _section(_row_text(rec, show_kind), _bid("rec", ids, i)),
        _actions(_bid("recact", ids, i), buttons),
    ]


def _row_compact(rec: Recording, block_id: str, show_kind: bool) -> Block:
    """One block per row, for long pages: Play and Details in an overflow menu."""
    options = [
        {"text": _plain("▶ Play"), "value": menu_value(ACTION_PLAY, rec)},
        {"text": _plain("Details"), "value": menu_value(ACTION_DETAILS, rec)},
    ]
    menu = {"type": "overflow", "action_id": ACTION_ROW_MENU, "options": options}
    return _section(_row_text(rec, show_kind), block_id, menu)


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
) -> Message:
    """One page of recordings: a header, a row per recording, then paging and export."""
    if len(cursor_key) > _MAX_KEY:
        raise ValueError("cursor_key is too long for a button value")
    ids = f"{cursor_key}:{page.page}"
    about = "" if page.exact_total else "about "
    count = f"{about}{_plural(page.total_items, 'recording')}"
    pages = f"page {page.page} of {about}{page.total_pages}"
    head = [
        _section(
            f":mag: {clip(sanitize_mrkdwn(summary), 600)} · {clip(sanitize_mrkdwn(scope), 300)}",
            _bid("head", ids),
        )
    ]
    nav: list[Block] = []
    if page.has_prev:
        nav.append(_button("◀ Prev", ACTION_PAGE_PREV, f"{cursor_key}:{page.page - 1}"))
    if page.has_next:
        nav.append(_button("Next ▶", ACTION_PAGE_NEXT, f"{cursor_key}:{page.page + 1}"))
    nav.append(_button("Export all matching", ACTION_EXPORT_ALL, cursor_key))
    foot = [
        _context(f"{pages.capitalize()} · {count}", _bid("pages", ids)),
        _actions(_bid("nav", ids), nav),
    ]
    full = [_row_full(r, i, ids, show_kind, can_share) for i, r in enumerate(page.recordings)]
    compact = [
        _row_compact(r, _bid("rec", ids, i), show_kind) for i, r in enumerate(page.recordings)
    ]
    rows, shown = _fit_rows(head, foot, full, compact)
    if not page.recordings:
        rows = [_context("No recordings on this page.", _bid("none", ids))]
    elif shown < len(page.recordings):
        note = (
            f"Showing {shown} of the {len(page.recordings)} recordings on this page: "
            "Slack limits message size. Search again with a smaller `page-size:`."
        )
        rows.append(_context(note, _bid("cut", ids)))
    return _message(f"Recordings: {summary} ({pages}, {count})", head + rows + foot)


def render_empty(*, summary: str, scope: str, suggestion: str) -> Message:
    text = (
        f":mag: No recordings found for {clip(sanitize_mrkdwn(summary), 1200)} "
        f"in {clip(sanitize_mrkdwn(scope), 300)}."
    )
    blocks = [
        _section(text, "empty"),
        _context(clip(sanitize_mrkdwn(suggestion), 1000), "empty_hint"),
        _actions("empty_actions", [_button("Open search form", ACTION_OPEN_MODAL, "empty")]),
    ]
    return _message(f"No recordings found for {summary}", blocks)


def render_details(rec: Recording, *, can_share: bool) -> Message:
    """Everything we know about one recording except its download URL (it needs our token)."""
    ref = recording_ref(rec)
    long_fmt = "{date_long_pretty} {time_secs}"
    owner = f" (VBC user {_esc(rec.owner_user_id, 32)})" if rec.owner_user_id else ""
    file_line = " · ".join(
        p for p in (_esc(rec.file_name, 200), format_size(rec.file_size_in_bytes)) if p
    )
    caller = " ".join(
        p
        for p in (
            f"*{_esc(rec.cnam, 100)}*" if rec.cnam else "",
            _esc(format_number(rec.caller_id), 60),
        )
        if p
    )
    fields = {
        "Start": slack_date(rec.start, long_fmt) if rec.start else "unknown",
        "End": slack_date(rec.end, long_fmt) if rec.end else "unknown",
        "Direction": format_direction(rec.call_direction),
        "Duration": format_duration(rec.duration),
        "Caller": caller,
        "Dialed": _esc(format_number(rec.dnis), 60),
        "Extensions": _esc(", ".join(rec.extensions), 300) or "none",
        "Kind": f"{rec.kind.value}{owner}",
        "Call ID": _code(rec.call_id or "", 200) or "unknown",
        "File": file_line,
    }
    rules = ", ".join(str(r) for r in rec.rule_ids) or "none"
    buttons = [_button("▶ Play", ACTION_PLAY, ref, style="primary")]
    if can_share:
        buttons.append(_button("Share to channel", ACTION_SHARE, ref, confirm=_SHARE_CONFIRM))
    blocks: list[Block] = [
        {"type": "header", "block_id": _bid("det", ref), "text": _plain(f"Recording {rec.id}")},
        {
            "type": "section",
            "block_id": _bid("detf", ref),
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields.items()],
        },
        _context(
            f"Recording id {rec.id} · recording rule ids: {clip(rules, 500)}", _bid("detc", ref)
        ),
        _actions(_bid("deta", ref), buttons),
    ]
    return _message(f"Recording {rec.id}", blocks)


# -- replies and notices ---------------------------------------------------------------------


def render_error(message: str, *, retry_value: str | None = None) -> Message:
    """A clear ephemeral error; ``message`` is our mrkdwn (e.g. ``str(FilterError)``)."""
    text = f":warning: {clip(sanitize_mrkdwn(message), 2800)}"
    blocks = [_section(text, "error")]
    if retry_value is not None:
        if len(retry_value) > MAX_BUTTON_VALUE:
            raise ValueError("retry_value longer than a button value may be")
        blocks.append(_actions("error_actions", [_button("Retry", ACTION_RETRY, retry_value)]))
    return _message(text, blocks)


def render_notice(text: str) -> Message:
    body = clip(sanitize_mrkdwn(text), 2800)
    return _message(body, [_section(body, "notice")])


def render_not_linked(message: str) -> Message:
    body = f":link: {clip(sanitize_mrkdwn(message), 2800)}"
    return _message(body, [_section(body, "not_linked")])


def render_progress(text: str, fraction: float | None) -> Message:
    """``Uploading 45 %…`` with a bar; block ids change with the percentage (new message state)."""
    body = clip(sanitize_mrkdwn(text), 1000)
    if fraction is None:
        return _message(body, [_section(body, "progress")])
    share = min(max(fraction, 0.0), 1.0)
    filled = round(share * 20)
    bar = f"`{'█' * filled}{'░' * (20 - filled)}` {round(share * 100)} %"
    pct = round(share * 100)
    return _message(body, [_section(body, f"progress:{pct}"), _context(bar, f"bar:{pct}")])


def render_export_prompt(
    *, summary: str, scope: str, count: int, exact: bool, value: str
) -> Message:
    """Ask before starting a bulk export; the button value is a hint the server re-checks."""
    about = "" if exact else "about "
    text = (
        f":package: Export {about}{_plural(count, 'recording')} matching "
        f"{clip(sanitize_mrkdwn(summary), 1200)} in {clip(sanitize_mrkdwn(scope), 300)}? "
        "I'll tell you when the zip is ready."
    )
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError("value longer than a button value may be")
    button = _button("Start export", ACTION_EXPORT_CONFIRM, value, style="primary")
    return _message(
        text, [_section(text, "export_prompt"), _actions("export_prompt_actions", [button])]
    )


_ADMIN_HELP = (
    "*Admin commands:*\n"
    "• `scope:company` searches the whole company; `user:@person` one person's recordings\n"
    "• `/recordings link @person &lt;VBC user id or email&gt;` · `/recordings unlink @person`\n"
    "• `/recordings audit [filters]`: who searched, played, exported or shared what"
)


def render_help(*, grammar_help: str, scope: str, is_admin: bool) -> Message:
    chunks: list[str] = []
    for line in sanitize_mrkdwn(grammar_help).splitlines():
        if chunks and len(chunks[-1]) + len(line) + 1 <= 2800:
            chunks[-1] += "\n" + line
        else:
            chunks.append(clip(line, 2800))
    blocks = [_section(chunk, f"help:{i}") for i, chunk in enumerate(chunks[:3])]
    blocks.append(
        _section(
            f":bust_in_silhouette: *Your scope:* {clip(sanitize_mrkdwn(scope), 1000)}", "help_scope"
        )
    )
    if is_admin:
        blocks.append(_section(_ADMIN_HELP, "help_admin"))
    blocks.append(
        _actions("help_actions", [_button("Open search form", ACTION_OPEN_MODAL, "help")])
    )
    return _message("How to search your call recordings", blocks)


def render_whoami(
    *,
    slack_user: str,
    identity_name: str | None,
    vbc_user_id: str | None,
    extensions: Sequence[str],
    linked_how: str | None,
    scope: str,
    connect_url: str | None = None,
) -> Message:
    who = f"<@{slack_user}>" if _SLACK_ID.fullmatch(slack_user) else _esc(slack_user, 40)
    fields = {
        "Slack user": who,
        "VBC user": f"{_esc(identity_name, 200) or 'no name'} ({_esc(vbc_user_id, 40) or '?'})",
        "Extensions": _esc(", ".join(extensions), 500) or "none",
        "Linked": _esc(linked_how, 40) or "not linked",
    }
    blocks = [
        {
            "type": "section",
            "block_id": "whoami",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields.items()],
        },
        _context(f"*Scope:* {clip(sanitize_mrkdwn(scope), 1000)}", "whoami_scope"),
    ]
    if connect_url and len(connect_url) <= 3000:
        blocks.append(
            {
                "type": "actions",
                "block_id": "whoami_connect",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ACTION_CONNECT_VBC,
                        "text": {"type": "plain_text", "text": "Connect my own VBC login"},
                        "url": connect_url,
                    }
                ],
            }
        )
    return _message(f"You are VBC user {vbc_user_id or '?'}", blocks)


# -- audit and export jobs -------------------------------------------------------------------

_OUTCOMES = {"allowed": ":white_check_mark:", "refused": ":no_entry:", "failed": ":x:"}
_JOB_STATES = {
    "starting": ":hourglass_flowing_sand:",
    "running": ":hourglass_flowing_sand:",
    "notifying": ":outbox_tray:",
    "complete": ":white_check_mark:",
    "failed": ":x:",
    "expired": ":wastebasket:",
}


def _audit_line(event: AuditEvent) -> str:
    actor = f"<@{event.actor}>" if _SLACK_ID.fullmatch(event.actor) else _esc(event.actor, 40)
    mark = _OUTCOMES.get(event.outcome, ":grey_question:")
    line = f"{mark} {slack_date(event.at)} {actor} *{_esc(event.action, 40)}*"
    if event.target:
        line += f" {_code(event.target, 100)}"
    line += f" · {_esc(event.outcome, 20)}"
    if event.detail:
        line += f" · {_esc(event.detail, 160)}"
    return line


def _packed(lines: list[str], prefix: str, budget: int) -> tuple[list[Block], int]:
    """Lines packed into sections of <= ~2800 characters, within ``budget``; (blocks, used)."""
    texts: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        used += len(line) + 1
        if texts and len(texts[-1]) + len(line) + 1 <= 2800:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    return [_section(t, f"{prefix}:{i}") for i, t in enumerate(texts)], used


def render_audit(
    events: list[AuditEvent],
    *,
    page: int,
    total: int,
    page_size: int,
    query_text: str,
    state_key: str,
) -> Message:
    """An admin's page of the audit log; Prev/Next carry ``f"{state_key}:{page}"``."""
    pages = max(1, -(-total // page_size)) if page_size > 0 else 1
    ids = _bid("audit", state_key, page)
    query = _code(query_text, 300) if query_text else "all events"
    head = _section(f":scroll: *Audit log* · {query} · {_plural(total, 'event')}", f"{ids}:head")
    rows, _ = _packed([_audit_line(e) for e in events], f"{ids}:rows", MESSAGE_TEXT_BUDGET - 1500)
    if not events:
        rows = [_context("No audit events match.", f"{ids}:none")]
    nav: list[Block] = []
    values = {ACTION_AUDIT_PREV: page - 1, ACTION_AUDIT_NEXT: page + 1}
    for action_id, target in values.items():
        value = f"{state_key}:{target}"
        if 1 <= target <= pages and len(value) <= MAX_BUTTON_VALUE:
            label = "◀ Prev" if action_id == ACTION_AUDIT_PREV else "Next ▶"
            nav.append(_button(label, action_id, value))
    foot = [_context(f"Page {page} of {pages}", f"{ids}:pages")]
    if nav:
        foot.append(_actions(f"{ids}:nav", nav))
    return _message(f"Audit log, page {page} of {pages}", [head, *rows, *foot])


def _job_text(request: ExportRequest, jobs: list[ExportJobRow]) -> str:
    mark = _JOB_STATES.get(request.state, ":grey_question:")
    what = _code(request.request_text, 300) if request.request_text else "all recordings"
    lines = [f"{mark} *{_esc(request.state.capitalize(), 20)}* · {what}"]
    facts = [f"started {slack_date(request.created_at)}"]
    total = sum(j.files_total for j in jobs)
    if total:
        facts.append(f"{sum(j.files_completed for j in jobs)}/{total} files")
    expiries = [j.valid_until for j in jobs if j.valid_until is not None]
    if expiries:
        facts.append(f"download valid until {slack_date(min(expiries))}")
    lines.append(" · ".join(facts))
    if request.result_permalink and request.result_permalink.startswith(("https://", "http://")):
        url = quote(request.result_permalink, safe=":/?#[]@!$&'()*+,;=%~").replace("&", "&amp;")
        lines.append(f"<{url}|Download the export>")
    if request.error:
        lines.append(f":warning: {_esc(request.error, 300)}")
    return "\n".join(lines)


def _job_blocks(
    requests: Sequence[tuple[ExportRequest, list[ExportJobRow]]], limit: int, budget: int
) -> list[Block]:
    blocks: list[Block] = []
    used = 0
    for request, jobs in requests[:limit]:
        block = _section(_job_text(request, jobs), _bid("job", request.id))
        used += text_length(block)
        if used > budget:
            break
        blocks.append(block)
    return blocks


def render_jobs(requests: list[tuple[ExportRequest, list[ExportJobRow]]]) -> Message:
    """The person's export requests, newest first, with a Refresh button."""
    ordered = sorted(requests, key=lambda pair: _aware(pair[0].created_at), reverse=True)
    head = _section(f":package: *Your exports* · {len(ordered)} shown", "jobs_head")
    rows = _job_blocks(ordered, _MAX_JOBS, MESSAGE_TEXT_BUDGET - 1000)
    if not ordered:
        rows = [
            _context("No exports yet. Start one with `/recordings export [filters]`.", "jobs_none")
        ]
    elif len(rows) < len(ordered):
        head = _section(
            f":package: *Your exports* · newest {len(rows)} of {len(ordered)}", "jobs_head"
        )
    refresh = _actions("jobs_actions", [_button("Refresh", ACTION_JOBS_REFRESH, "jobs")])
    return _message(f"Your exports: {len(ordered)}", [head, *rows, refresh])


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# -- App Home ----------------------------------------------------------------------------------


def render_home(
    *,
    person_line: str,
    scope: str,
    recent: list[Recording],
    jobs: list[tuple[ExportRequest, list[ExportJobRow]]],
) -> dict[str, Any]:
    """The App Home view: who you are, a Search button, recent recordings and exports."""
    search = _button("Search recordings", ACTION_OPEN_MODAL, "home", style="primary")
    blocks: list[Block] = [
        {"type": "header", "block_id": "home_head", "text": _plain("Call recordings")},
        _section(clip(sanitize_mrkdwn(person_line), 1000), "home_person", search),
        _context(f"*Scope:* {clip(sanitize_mrkdwn(scope), 1000)}", "home_scope"),
        {"type": "divider", "block_id": "home_div1"},
        _section("*Recent recordings*", "home_recent"),
    ]
    blocks += [_row_compact(r, f"home_rec:{i}", True) for i, r in enumerate(recent[:_HOME_RECENT])]
    if not recent:
        blocks.append(_context("No recent recordings.", "home_recent_none"))
    blocks += [{"type": "divider", "block_id": "home_div2"}, _section("*Exports*", "home_jobs")]
    ordered = sorted(jobs, key=lambda pair: _aware(pair[0].created_at), reverse=True)
    blocks += _job_blocks(ordered, _HOME_JOBS, MESSAGE_TEXT_BUDGET)
    if not jobs:
        blocks.append(_context("No exports yet.", "home_jobs_none"))
    blocks.append(
        _actions("home_actions", [_button("Refresh exports", ACTION_JOBS_REFRESH, "home")])
    )
    return {"type": "home", "blocks": blocks}  # at most ~40 blocks of Slack's 100

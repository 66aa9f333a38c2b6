"""Pure Block Kit renderers for every message and view the bot sends, and their ids.

Renderers return plain dicts that stay inside Slack's limits by construction (see
``bot.blocks.limits``): rows are clipped, then dropped with a note, before a payload could be
refused.

This module renders the short replies (errors, notices, progress, the export prompt) and is the
one name importers use: it re-exports the ids and button values (``bot.blocks.ids``), the mrkdwn
text helpers (``bot.blocks.mrkdwn``), the recording renderers (``bot.blocks.recordings``), help
(``bot.blocks.help``) and whoami, audit, jobs and App Home (``bot.blocks.admin``).
"""

from __future__ import annotations

from bot.blocks.admin import (
    render_audit,
    render_home,
    render_jobs,
    render_link_taken,
    render_whoami,
)
from bot.blocks.help import render_help
from bot.blocks.ids import (
    ACTION_AUDIT_NEXT,
    ACTION_AUDIT_PREV,
    ACTION_BULK_DELETE_OPEN,
    ACTION_CONNECT_VBC,
    ACTION_DELETE_CANCEL,
    ACTION_DELETE_OPEN,
    ACTION_DETAILS,
    ACTION_DISCONNECT_VBC,
    ACTION_EXPORT_ALL,
    ACTION_EXPORT_CONFIRM,
    ACTION_JOBS_REFRESH,
    ACTION_LINK_MOVE,
    ACTION_OPEN_MODAL,
    ACTION_PAGE_NEXT,
    ACTION_PAGE_PREV,
    ACTION_PLAY,
    ACTION_PLAY_HERE,
    ACTION_RETENTION_SKIP,
    ACTION_RETRY,
    ACTION_ROW_MENU,
    ACTION_ROW_STATE,
    ACTION_SHARE,
    CALLBACK_DELETE_BULK,
    CALLBACK_DELETE_ONE,
    CALLBACK_MESSAGE_SHORTCUT,
    CALLBACK_SEARCH_MODAL,
    CALLBACK_SHORTCUT_SEARCH,
    NOT_MY_BUTTON,
    RecordingRef,
    link_move_value,
    menu_value,
    parse_audit_page_value,
    parse_id,
    parse_link_move_value,
    parse_menu_value,
    parse_page_value,
    parse_recording_ref,
    parse_retention_run_value,
    recording_ref,
    retention_run_value,
    whole_number,
)
from bot.blocks.limits import MAX_BUTTON_VALUE
from bot.blocks.mrkdwn import (
    clip,
    escape_mrkdwn,
    format_direction,
    format_duration,
    format_number,
    format_size,
    sanitize_mrkdwn,
    slack_date,
)
from bot.blocks.parts import Block, Message, actions, build_message, button, context, section
from bot.blocks.recordings import render_details, render_empty, render_results, render_waiting
from bot.blocks.rows import ActionState, RowView

__all__ = [
    "ACTION_AUDIT_NEXT",
    "ACTION_AUDIT_PREV",
    "ACTION_BULK_DELETE_OPEN",
    "ACTION_CONNECT_VBC",
    "ACTION_DELETE_CANCEL",
    "ACTION_DELETE_OPEN",
    "ACTION_DETAILS",
    "ACTION_DISCONNECT_VBC",
    "ACTION_EXPORT_ALL",
    "ACTION_EXPORT_CONFIRM",
    "ACTION_JOBS_REFRESH",
    "ACTION_LINK_MOVE",
    "ACTION_OPEN_MODAL",
    "ACTION_PAGE_NEXT",
    "ACTION_PAGE_PREV",
    "ACTION_PLAY",
    "ACTION_PLAY_HERE",
    "ACTION_RETENTION_SKIP",
    "ACTION_RETRY",
    "ACTION_ROW_MENU",
    "ACTION_ROW_STATE",
    "ACTION_SHARE",
    "CALLBACK_DELETE_BULK",
    "CALLBACK_DELETE_ONE",
    "CALLBACK_MESSAGE_SHORTCUT",
    "CALLBACK_SEARCH_MODAL",
    "CALLBACK_SHORTCUT_SEARCH",
    "NOT_MY_BUTTON",
    "ActionState",
    "Block",
    "Message",
    "RecordingRef",
    "RowView",
    "clip",
    "escape_mrkdwn",
    "format_direction",
    "format_duration",
    "format_number",
    "format_size",
    "link_move_value",
    "menu_value",
    "parse_audit_page_value",
    "parse_id",
    "parse_link_move_value",
    "parse_menu_value",
    "parse_page_value",
    "parse_recording_ref",
    "parse_retention_run_value",
    "recording_ref",
    "render_audit",
    "render_details",
    "render_empty",
    "render_error",
    "render_export_prompt",
    "render_help",
    "render_home",
    "render_jobs",
    "render_link_taken",
    "render_not_linked",
    "render_notice",
    "render_notice_view",
    "render_progress",
    "render_results",
    "render_waiting",
    "render_whoami",
    "retention_run_value",
    "sanitize_mrkdwn",
    "slack_date",
    "whole_number",
]


# -- replies and notices ---------------------------------------------------------------------


def render_error(message: str, *, retry_value: str | None = None) -> Message:
    """A clear ephemeral error; ``message`` is our mrkdwn (e.g. ``str(FilterError)``)."""
    text = f":warning: {clip(sanitize_mrkdwn(message), 2800)}"
    blocks = [section(text, "error")]
    if retry_value is not None:
        if len(retry_value) > MAX_BUTTON_VALUE:
            raise ValueError("retry_value longer than a button value may be")
        blocks.append(actions("error_actions", [button("Retry", ACTION_RETRY, retry_value)]))
    return build_message(text, blocks)


def render_notice(text: str) -> Message:
    body = clip(sanitize_mrkdwn(text), 2800)
    return build_message(body, [section(body, "notice")])


def render_notice_view(text: str) -> Block:
    """A modal that only says ``text``: what a form is answered with when it is refused."""
    body = clip(sanitize_mrkdwn(text), 2800)
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Call recordings"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(body, "notice")],
    }


def render_not_linked(message: str) -> Message:
    body = f":link: {clip(sanitize_mrkdwn(message), 2800)}"
    return build_message(body, [section(body, "not_linked")])


def render_progress(text: str, fraction: float | None) -> Message:
    """``Uploading 45 %…`` with a bar; block ids change with the percentage (new message state)."""
    body = clip(sanitize_mrkdwn(text), 1000)
    if fraction is None:
        return build_message(body, [section(body, "progress")])
    share = min(max(fraction, 0.0), 1.0)
    filled = round(share * 20)
    bar = f"`{'█' * filled}{'░' * (20 - filled)}` {round(share * 100)} %"
    pct = round(share * 100)
    return build_message(body, [section(body, f"progress:{pct}"), context(bar, f"bar:{pct}")])


def render_export_prompt(
    *,
    summary: str,
    scope: str,
    count: int,
    exact: bool,
    value: str,
    kind: str = "",
    ask_above: int | None = None,
) -> Message:
    """Ask before starting a bulk export; the button value is a hint the server re-checks.

    Reads ``Export 752 recordings of yours (company and on-demand)?``: ``kind`` is the
    adjective before "recordings" (``company``), ``scope`` whose they are (``of yours``),
    ``summary`` what the filters select (mrkdwn, empty for everything), ``ask_above`` why we ask.
    """
    about = "" if exact else "about "
    noun = "recording" if count == 1 else "recordings"
    what = " ".join(p for p in (f"{count:,}", kind, noun, scope) if p)
    matching = f" matching {clip(sanitize_mrkdwn(summary), 1200)}" if summary else ""
    why = (
        f"I ask first when an export has more than {ask_above:,} recordings. " if ask_above else ""
    )
    text = (
        f":package: Export {about}{clip(sanitize_mrkdwn(what), 400)}{matching}? "
        f"{why}I'll tell you when the zip is ready."
    )
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError("value longer than a button value may be")
    start = button("Start export", ACTION_EXPORT_CONFIRM, value, style="primary")
    return build_message(
        text, [section(text, "export_prompt"), actions("export_prompt_actions", [start])]
    )

"""Export messages (pure): started, progress, ready and failed notices, and the link page.

Built on the renderers in ``bot.blocks``; only the retry button is new, because a failed
export is retried through ``ACTION_EXPORT_CONFIRM`` (``r:<request id>``), re-checked on click.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.tables import ExportJobRow, ExportRequest

Message = dict[str, Any]
RETRY_PREFIX = "r:"
CURSOR_PREFIX = "c:"


@dataclass(frozen=True)
class PartResult:
    """Where one VBC job's zip can be opened: a Slack file or a signed link on our server."""

    number: int
    url: str
    uploaded: bool
    size: int | None = None


def progress_of(jobs: Sequence[ExportJobRow]) -> tuple[int, int]:
    return sum(j.files_completed for j in jobs), sum(j.files_total for j in jobs)


def progress_bucket(jobs: Sequence[ExportJobRow]) -> int:
    """Tenths of the way done, -1 while VBC has not counted: the original is edited per step."""
    done, total = progress_of(jobs)
    return -1 if total == 0 else min(10, done * 10 // total)


def _label(request: ExportRequest) -> str:
    what = f"`{blocks.clip(request.request_text, 300)}`" if request.request_text else "everything"
    return f"export `{request.id}` ({what})"


def started(request: ExportRequest, *, count: int, exact: bool, parts: int) -> Message:
    about = "" if exact else "about "
    jobs = f" in {parts} VBC jobs" if parts > 1 else ""
    text = (
        f":package: Started {_label(request)}: {about}{count} recording(s){jobs}. "
        "VBC is building the zip; I'll tell you here when it's ready."
    )
    return blocks.render_progress(text, 0.0)


def progress(request: ExportRequest, jobs: Sequence[ExportJobRow]) -> Message:
    done, total = progress_of(jobs)
    if total == 0:
        return blocks.render_progress(f":hourglass: {_label(request)}: queued at VBC…", 0.0)
    text = f":hourglass_flowing_sand: {_label(request)}: {done} of {total} files packed…"
    return blocks.render_progress(text, done / total)


def _part_lines(parts: Sequence[PartResult], valid_until: str | None, where: str) -> list[str]:
    many = len(parts) > 1
    lines = []
    for part in parts:
        name = f"part {part.number}" if many else "the zip"
        size = f" ({blocks.format_size(part.size)})" if part.size else ""
        if part.uploaded:
            lines.append(f"• <{part.url}|Open {name}>{size}, uploaded to {where}")
        else:
            until = f", link valid until {valid_until}" if valid_until else ""
            lines.append(f"• <{part.url}|Download {name}>{size}{until}")
    return lines


def place(channel: str, request: ExportRequest) -> str:
    """How a notice names where it went: the channel the export came from, or the DM."""
    return f"<#{channel}>" if channel == request.channel_id else "our DM"


def ready(
    request: ExportRequest, parts: Sequence[PartResult], *, valid_until: str | None, where: str
) -> Message:
    """The one "ready" notice, and the final state of the original message.

    ``where`` names the conversation the zips were uploaded to (into the notice's thread).
    """
    files = f" in {len(parts)} zip files" if len(parts) > 1 else ""
    head = f":white_check_mark: Your {_label(request)} is ready{files}."
    return blocks.render_notice("\n".join([head, *_part_lines(parts, valid_until, where)]))


def sent_elsewhere(request: ExportRequest, state: str, channel: str) -> Message:
    """The original, when the notice went to another conversation: no links or files here."""
    where = f"<#{channel}>" if channel == request.channel_id else "your DM"
    if state == "complete":
        text = f":white_check_mark: Your {_label(request)} is ready; it was sent to {where}."
    else:
        text = f":x: Your {_label(request)} did not finish; the details are in {where}."
    return blocks.render_notice(text)


def see_below(request: ExportRequest, state: str) -> Message:
    """The original, when the notice follows it in the same conversation: no second copy."""
    if state == "complete":
        return blocks.render_notice(f":white_check_mark: Your {_label(request)} is ready (below).")
    return blocks.render_notice(f":x: Your {_label(request)} did not finish (details below).")


def already_started(request: ExportRequest) -> Message:
    """A second click on the same button: the export the first one started."""
    return blocks.render_notice(
        f":package: That {_label(request)} is already started; I'll notify you once when it's "
        "ready (`/recordings jobs` shows it)."
    )


def failed(request: ExportRequest, state: str, reason: str) -> Message:
    """The one "failed" notice (also failed or expired): says why and offers a retry."""
    verb = "expired at VBC before I could fetch it" if state == "expired" else "failed"
    text = f":x: Your {_label(request)} {verb}: {reason} Press Retry to start it again."
    message = blocks.render_notice(text)
    retry = {
        "type": "button",
        "action_id": blocks.ACTION_EXPORT_CONFIRM,
        "text": {"type": "plain_text", "text": "Retry export", "emoji": True},
        "value": f"{RETRY_PREFIX}{request.id}",
    }
    message["blocks"].append(
        {"type": "actions", "block_id": f"export_retry:{request.id}", "elements": [retry]}
    )
    return message


def started_reply(request: ExportRequest, *, where: str) -> Message:
    return blocks.render_notice(
        f":package: Started {_label(request)}. I'll post its progress {where} "
        "and notify you once when the zip is ready (`/recordings jobs` shows it too)."
    )


def link_page(request: ExportRequest, links: Sequence[tuple[str, str]]) -> str:
    """A tiny HTML index for exports VBC split into several zips."""
    items = "".join(
        f'<li><a href="{html.escape(url, quote=True)}">{html.escape(label)}</a></li>'
        for label, url in links
    )
    title = html.escape(f"Export {request.id}")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1><ul>{items}</ul></body></html>"
    )

"""Deletion surfaces: the confirmation modals, the bulk prompt, job progress and its notice.

Modal private_metadata carries only what the server re-checks on submission (a recording
reference, a job id, the channel to answer in); the clicker is checked again there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.blocks.ids import (
    ACTION_BULK_DELETE_OPEN,
    ACTION_DELETE_CANCEL,
    CALLBACK_DELETE_BULK,
    CALLBACK_DELETE_ONE,
    recording_ref,
)
from bot.blocks.mrkdwn import (
    clip,
    esc,
    format_direction,
    format_duration,
    format_number,
    plural,
    sanitize_mrkdwn,
    slack_date,
)
from bot.blocks.parts import Block, Message, actions, build_message, button, context, plain, section
from bot.blocks.recordings import row_compact
from bot.vbc.models import Recording

BLOCK_DELETE_REASON = "delete_reason"
BLOCK_DELETE_COUNT = "delete_count"
ACTION_DELETE_FIELD = "value"
MAX_REASON = 500
PROMPT_ROWS = 5


def _modal(title: str, blocks: list[Block], **extra: object) -> Block:
    return {
        "type": "modal",
        "title": plain(title),
        "close": plain("Cancel"),
        "blocks": blocks,
        **extra,
    }


def _reason_input() -> Block:
    return {
        "type": "input",
        "block_id": BLOCK_DELETE_REASON,
        "optional": True,
        "label": plain("Reason (kept in the audit log)"),
        "element": {
            "type": "plain_text_input",
            "action_id": ACTION_DELETE_FIELD,
            "max_length": MAX_REASON,
            "placeholder": plain("e.g. erasure request #4711"),
        },
    }


def render_delete_loading() -> Block:
    """Opened at once (a trigger lasts 3 s), then replaced with ``views.update``."""
    return _modal("Delete recording", [section(":hourglass: Looking the recording up…", "loading")])


def render_delete_failed(text: str) -> Block:
    body = f":warning: {clip(sanitize_mrkdwn(text), 2800)}"
    return {
        "type": "modal",
        "title": plain("Delete recording"),
        "close": plain("Close"),
        "blocks": [section(body, "delete_refused")],
    }


def recording_summary(rec: Recording) -> str:
    """Time, direction, caller, dialed, duration and kind: what a person checks before deleting."""
    when = slack_date(rec.start, "{date_long_pretty} {time_secs}") if rec.start else "unknown"
    caller = " ".join(
        p
        for p in (
            f"*{esc(rec.cnam, 100)}*" if rec.cnam else "",
            esc(format_number(rec.caller_id), 60),
        )
        if p
    )
    owner = f" of VBC user {esc(rec.owner_user_id, 32)}" if rec.owner_user_id else ""
    return (
        f"*Time:* {when}\n*Direction:* {format_direction(rec.call_direction)}\n"
        f"*Caller:* {caller or 'unknown'}\n*Dialed:* {esc(format_number(rec.dnis), 60)}\n"
        f"*Duration:* {format_duration(rec.duration)}\n*Kind:* {rec.kind.value}{owner}"
    )


def render_delete_modal(rec: Recording, *, channel_id: str | None) -> Block:
    """Confirm one deletion; the recording travels as its reference, re-checked on submit."""
    metadata = json.dumps({"ref": recording_ref(rec), "channel": channel_id or ""})
    blocks = [
        section(f":wastebasket: Delete recording *{rec.id}* at VBC?", "delete_head"),
        section(recording_summary(rec), "delete_details"),
        context(
            "This cannot be undone: VBC deletes the recording, and I delete the copies I "
            "uploaded to Slack.",
            "delete_warning",
        ),
        _reason_input(),
    ]
    return _modal(
        "Delete recording",
        blocks,
        callback_id=CALLBACK_DELETE_ONE,
        submit=plain("Delete"),
        private_metadata=metadata,
    )


def render_deleted(rec_id: int, *, gone: bool, copies: int) -> Message:
    copies_words = (
        f" I also deleted {plural(copies, 'copy')} I had uploaded to Slack." if copies else ""
    )
    if gone:
        text = (
            f":wastebasket: Recording {rec_id} was already gone at VBC: nothing left to delete "
            f"there.{copies_words}"
        )
    else:
        text = f":wastebasket: Recording {rec_id} is deleted at VBC.{copies_words}"
    return build_message(text, [section(text, "deleted")])


def render_bulk_prompt(
    *, job_id: int, count: int, summary: str, scope: str, rows: Sequence[Recording]
) -> Message:
    """The exact count, the first rows, and the button that opens the typed confirmation."""
    matching = f" matching {clip(sanitize_mrkdwn(summary), 1200)}" if summary else ""
    text = (
        f":wastebasket: *{plural(count, 'recording')}* in {clip(sanitize_mrkdwn(scope), 300)}"
        f"{matching} would be deleted at VBC, with my Slack copies of them."
    )
    shown = [row_compact(rec, f"bulk_row:{i}", True) for i, rec in enumerate(rows[:PROMPT_ROWS])]
    for block in shown:
        block.pop("accessory", None)  # rows to read, not to play from here
    more = count - len(shown)
    blocks = [section(text, "bulk_head"), *shown]
    if more > 0:
        blocks.append(context(f"…and {more:,} more.", "bulk_more"))
    blocks.append(
        context(
            "Only these recordings are deleted: any that match later are not. Legal holds are "
            "respected.",
            "bulk_note",
        )
    )
    blocks.append(
        actions(
            "bulk_actions",
            [
                button(
                    f"Delete {count:,} recordings…",
                    ACTION_BULK_DELETE_OPEN,
                    str(job_id),
                    style="danger",
                )
            ],
        )
    )
    return build_message(f"{plural(count, 'recording')} would be deleted", blocks)


def render_bulk_modal(*, job_id: int, count: int, channel_id: str | None) -> Block:
    metadata = json.dumps({"job": job_id, "channel": channel_id or ""})
    count_input = {
        "type": "input",
        "block_id": BLOCK_DELETE_COUNT,
        "label": plain(f"Type {count} to confirm"),
        "element": {
            "type": "plain_text_input",
            "action_id": ACTION_DELETE_FIELD,
            "max_length": 20,
            "placeholder": plain(str(count)),
        },
    }
    blocks = [
        section(
            f":warning: This deletes *{plural(count, 'recording')}* at VBC, one by one, with my "
            "Slack copies of them. It cannot be undone; you can cancel while it runs.",
            "bulk_warning",
        ),
        count_input,
        _reason_input(),
    ]
    return _modal(
        "Delete recordings",
        blocks,
        callback_id=CALLBACK_DELETE_BULK,
        submit=plain("Delete"),
        private_metadata=metadata,
    )


def _names(label: str, names: Sequence[str], total: int) -> str:
    if not total:
        return ""
    more = f", and {total - len(names):,} more" if total > len(names) else ""
    return f"\n*{label} ({total:,}):* {clip(sanitize_mrkdwn('; '.join(names)), 1200)}{more}"


def render_deletion_status(
    *,
    job_id: int,
    total: int,
    deleted: int,
    gone: int,
    held: Sequence[str],
    held_count: int,
    failed: Sequence[str],
    failed_count: int,
    cancelled: int,
    state: str,
    cancel_requested_by: str | None = None,
) -> Message:
    """The job's one progress message (edited as it goes), or its final notice."""
    done = deleted + gone
    settled = done + held_count + failed_count + cancelled
    if state == "running":
        head = f":wastebasket: Deleting recordings (job {job_id}): {done:,} of {total:,} deleted"
    elif cancelled or cancel_requested_by:
        head = (
            f":octagonal_sign: Deletion job {job_id} was cancelled: {done:,} of {total:,} deleted"
        )
    else:
        head = f":white_check_mark: Deletion job {job_id} finished: {done:,} of {total:,} deleted"
    parts = [head]
    if gone:
        parts.append(f" ({gone:,} were already gone at VBC)")
    text = "".join(parts) + "."
    text += _names("Held, not deleted", held, held_count)
    text += _names("Failed", failed, failed_count)
    if cancelled:
        text += f"\n*Not deleted (cancelled):* {cancelled:,}"
    if cancel_requested_by and state == "running":
        text += f"\nCancelling (asked by <@{cancel_requested_by}>)…"
    blocks: list[Block] = [section(text, f"deletion:{job_id}:{settled}")]
    if state == "running" and not cancel_requested_by:
        blocks.append(
            actions(
                f"deletion_actions:{job_id}",
                [button("Cancel", ACTION_DELETE_CANCEL, str(job_id), confirm=_CANCEL_CONFIRM)],
            )
        )
    return build_message(text, blocks)


_CANCEL_CONFIRM: Block = {
    "title": plain("Cancel this deletion?"),
    "text": plain("Recordings deleted so far stay deleted; the rest are left alone."),
    "confirm": plain("Cancel deletion"),
    "deny": plain("Keep going"),
}

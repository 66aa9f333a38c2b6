"""Legal holds and retention as admins see them: lists, policies, run notices (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.blocks.ids import ACTION_RETENTION_SKIP, retention_run_value
from bot.blocks.limits import MESSAGE_TEXT_BUDGET
from bot.blocks.mrkdwn import clip, esc, plural, slack_date
from bot.blocks.parts import Block, Message, actions, build_message, button, context, section
from bot.store.tables import LegalHold, RetentionPolicy, RetentionRun

_MAX_HOLDS = 40
RUN_STATES = {
    "announcing": "announced",
    "announced": "announced",
    "started": "started",
    "skipped": "skipped",
    "cancelled": "cancelled",
    "empty": "found nothing to delete",
}


@dataclass(frozen=True)
class RetentionStatus:
    """Everything ``/recordings retention`` and App Home show about one workspace."""

    policies: Sequence[RetentionPolicy]
    next_run: datetime | None  # the next VBC announcement, or the announced run's start
    open_run: RetentionRun | None
    last_run: RetentionRun | None  # the last run that ended (started, skipped, ...)


def hold_line(hold: LegalHold) -> str:
    return (
        f"*Hold {hold.id}* · {esc(hold.description, 300)} · reason: _{esc(hold.reason, 300)}_ · "
        f"by <@{hold.created_by}> {slack_date(hold.created_at, '{date_short_pretty}')}"
    )


def render_holds(holds: Sequence[LegalHold]) -> Message:
    if not holds:
        text = 'No legal holds stand. `/recordings hold <id or filters> reason:"…"` adds one.'
        return build_message(text, [section(text.replace("<", "&lt;").replace(">", "&gt;"), "h")])
    head = f":lock: *{plural(len(holds), 'legal hold')} stand* (this bot deletes none of those)"
    blocks: list[Block] = [section(head, "holds_head")]
    budget = MESSAGE_TEXT_BUDGET - len(head) - 200
    shown = 0
    for hold in holds[:_MAX_HOLDS]:
        line = hold_line(hold)
        if len(line) > budget:
            break
        budget -= len(line)
        blocks.append(section(line, f"hold:{hold.id}"))
        shown += 1
    if len(holds) > shown:
        blocks.append(context(f"…and {len(holds) - shown} more.", "holds_more"))
    blocks.append(context("`/recordings release <hold id>` releases one.", "holds_help"))
    return build_message(head, blocks)


def policy_line(policy: RetentionPolicy) -> str:
    if policy.target == "slack":
        return (
            f"*Slack copies:* files I uploaded (audio, export zips) are deleted from Slack "
            f"{plural(policy.days, 'day')} after upload"
        )
    which = esc(policy.description, 500) if policy.description else "all recordings"
    return (
        f"*VBC recordings:* {which} older than {plural(policy.days, 'day')} are deleted at VBC, "
        "holds excepted; each run is announced to admins 24 h before it starts"
    )


def run_line(run: RetentionRun) -> str:
    state = RUN_STATES.get(run.state, run.state)
    text = f"run {run.id} ({plural(run.count, 'recording')}) {state}"
    if run.state == "skipped" and run.ended_by:
        text += f" by <@{run.ended_by}>"
    if run.state == "started":
        text += f" as deletion job {run.job_id}" if run.job_id is not None else ""
        text += f", {run.held} left out under a hold" if run.held else ""
    when = run.starts_at if run.state == "started" else run.updated_at
    return f"{text} · {slack_date(when) if when else ''}"


def render_retention(status: RetentionStatus) -> Message:
    lines = [policy_line(p) for p in status.policies] or ["No retention policy is set."]
    if status.open_run is not None and status.open_run.starts_at is not None:
        lines.append(
            f"*Next run:* {run_line(status.open_run)}; deletes from "
            f"{slack_date(status.open_run.starts_at)} unless an admin skips it"
        )
    elif status.next_run is not None:
        lines.append(f"*Next run:* found and announced {slack_date(status.next_run)}")
    if status.last_run is not None:
        lines.append(f"*Last run:* {run_line(status.last_run)}")
    text = "\n".join(lines)
    blocks = [
        section(f":wastebasket: *Retention*\n{clip(text, 2600)}", "retention"),
        context(
            "`/recordings retention slack <days>|off` · `/recordings retention vbc <days> "
            "[filters]|off`. Holds bind this bot only, not VBC's portal or its own retention.",
            "retention_help",
        ),
    ]
    return build_message("Retention policies", blocks)


def render_run_notice(run: RetentionRun) -> Message:
    """The DM each admin gets 24 h before a run: its exact count and the Skip button."""
    which = esc(run.description, 500) if run.description else "all recordings"
    starts = slack_date(run.starts_at) if run.starts_at else "in 24 hours"
    text = (
        f":wastebasket: *Retention run {run.id}:* {plural(run.count, 'recording')} at VBC "
        f"({which}, older than {plural(run.days, 'day')}) will be deleted from {starts}, "
        "except any under a legal hold by then. Any admin can skip this run."
    )
    skip = button(
        "Skip this run", ACTION_RETENTION_SKIP, retention_run_value(run.id or 0), style="danger"
    )
    return build_message(text, [section(text, "run_notice"), actions("run_actions", [skip])])


def render_run_ended(run: RetentionRun) -> Message:
    """A notice once the run was skipped, cancelled or started: no button any more."""
    text = f":wastebasket: *Retention run {run.id}:* {run_line(run)}."
    return build_message(text, [section(text, "run_ended")])


def home_lifecycle_blocks(holds: Sequence[LegalHold], status: RetentionStatus) -> list[Block]:
    """The admins' part of App Home: holds standing and the next retention run."""
    blocks: list[Block] = [section("*Legal holds and retention*", "home_lifecycle")]
    if holds:
        blocks += [section(hold_line(h), f"home_hold:{h.id}") for h in holds[:10]]
        if len(holds) > 10:
            blocks.append(context(f"…and {len(holds) - 10} more: `/recordings holds`.", "hh_more"))
    else:
        blocks.append(context("No legal holds stand.", "home_holds_none"))
    if status.open_run is not None and status.open_run.starts_at is not None:
        nxt = f"Next retention run: {run_line(status.open_run)}; starts " + slack_date(
            status.open_run.starts_at
        )
    elif status.next_run is not None:
        nxt = f"Next retention run: announced {slack_date(status.next_run)}"
    else:
        nxt = "No VBC retention policy is set."
    blocks.append(context(nxt, "home_retention"))
    return blocks


def render_copy_expired(kind: str, *, days: int) -> Message:
    """What the message that offered an expired file says instead."""
    if kind == "export":
        text = (
            f":hourglass: The zip of this export was deleted from Slack {plural(days, 'day')} "
            "after upload, under the workspace's retention policy. Run the export again to "
            "get a new one."
        )
    else:
        text = (
            f":hourglass: The audio of this recording was deleted from Slack {plural(days, 'day')}"
            " after upload, under the workspace's retention policy. Play it again from "
            "`/recordings` if you still need it."
        )
    return build_message(text, [section(text, "copy_expired")])

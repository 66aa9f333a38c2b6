"""The person- and admin-facing views: whoami, the audit log, export jobs and App Home.

Past 300 lines because each view is a short pure function over the same few parts; none
shares state with another, so splitting would only scatter them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.blocks.ids import (
    ACTION_AUDIT_NEXT,
    ACTION_AUDIT_PREV,
    ACTION_CONNECT_VBC,
    ACTION_DISCONNECT_VBC,
    ACTION_JOBS_REFRESH,
    ACTION_LINK_MOVE,
    ACTION_OPEN_MODAL,
)
from bot.blocks.limits import MAX_BUTTON_VALUE, MESSAGE_TEXT_BUDGET, text_length
from bot.blocks.mrkdwn import clip, esc, inline_code, plural, sanitize_mrkdwn, slack_date
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
from bot.blocks.recordings import row_compact
from bot.clock import aware
from bot.grammar import FilterError, describe_filter, parse_filter
from bot.store.tables import AuditEvent, ExportJobRow, ExportRequest
from bot.vbc.models import Recording

_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_MAX_JOBS = 15
_HOME_RECENT = 20
_HOME_JOBS = 10


def render_link_taken(text: str, *, value: str) -> Message:
    """A link refused because others hold the VBC user, with the admin's "Move the link"."""
    if len(value) > MAX_BUTTON_VALUE:
        raise ValueError("value longer than a button value may be")
    body = f":warning: {clip(sanitize_mrkdwn(text), 2800)}"
    move = button("Move the link", ACTION_LINK_MOVE, value, style="danger")
    return build_message(body, [section(body, "link_taken"), actions("link_taken_do", [move])])


_DISCONNECT: Block = {
    "title": plain("Disconnect your VBC login?"),
    "text": plain("I will forget your VBC tokens; you can connect again at any time."),
    "confirm": plain("Disconnect"),
    "deny": plain("Cancel"),
}


def render_whoami(
    *,
    slack_user: str,
    identity_name: str | None,
    vbc_user_id: str | None,
    extensions: Sequence[str],
    linked_how: str | None,
    scope: str,
    connect_url: str | None = None,
    connected: bool = False,
) -> Message:
    """``connected``: the person's own VBC login is in use (a Disconnect button); otherwise
    ``connect_url`` offers Connect VBC."""
    who = f"<@{slack_user}>" if _SLACK_ID.fullmatch(slack_user) else esc(slack_user, 40)
    fields = {
        "Slack user": who,
        "VBC user": f"{esc(identity_name, 200) or 'no name'} ({esc(vbc_user_id, 40) or '?'})",
        "Extensions": esc(", ".join(extensions), 500) or "none",
        "Linked": esc(linked_how, 100) or "not linked",
    }
    blocks = [
        {
            "type": "section",
            "block_id": "whoami",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields.items()],
        },
        context(f"*Scope:* {clip(sanitize_mrkdwn(scope), 1000)}", "whoami_scope"),
    ]
    if connected:
        blocks.append(
            context(
                "Your own on-demand recordings are read with your own VBC login (Connect VBC).",
                "whoami_connected",
            )
        )
        disconnect = button(
            "Disconnect my VBC login", ACTION_DISCONNECT_VBC, "disconnect", confirm=_DISCONNECT
        )
        blocks.append(actions("whoami_disconnect", [disconnect]))
    elif connect_url and len(connect_url) <= 3000:
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
    return build_message(f"You are VBC user {vbc_user_id or '?'}", blocks)


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
    actor = f"<@{event.actor}>" if _SLACK_ID.fullmatch(event.actor) else esc(event.actor, 40)
    mark = _OUTCOMES.get(event.outcome, ":grey_question:")
    line = f"{mark} {slack_date(event.at)} {actor} *{esc(event.action, 40)}*"
    if event.target:
        line += f" {inline_code(event.target, 100)}"
    line += f" · {esc(event.outcome, 20)}"
    if event.detail:
        line += f" · {esc(event.detail, 160)}"
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
    return [section(t, f"{prefix}:{i}") for i, t in enumerate(texts)], used


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
    ids = bid("audit", state_key, page)
    query = inline_code(query_text, 300) if query_text else "all events"
    head = section(f":scroll: *Audit log* · {query} · {plural(total, 'event')}", f"{ids}:head")
    rows, _ = _packed([_audit_line(e) for e in events], f"{ids}:rows", MESSAGE_TEXT_BUDGET - 1500)
    if not events:
        rows = [context("No audit events match.", f"{ids}:none")]
    nav: list[Block] = []
    values = {ACTION_AUDIT_PREV: page - 1, ACTION_AUDIT_NEXT: page + 1}
    for action_id, target in values.items():
        value = f"{state_key}:{target}"
        if 1 <= target <= pages and len(value) <= MAX_BUTTON_VALUE:
            label = "◀ Prev" if action_id == ACTION_AUDIT_PREV else "Next ▶"
            nav.append(button(label, action_id, value))
    foot = [context(f"Page {page} of {pages}", f"{ids}:pages")]
    if nav:
        foot.append(actions(f"{ids}:nav", nav))
    return build_message(f"Audit log, page {page} of {pages}", [head, *rows, *foot])


def export_summary(request: ExportRequest) -> str:
    """What an export covers, as people read it (``inbound · Fri 2026-11-20 08:00 to …``).

    The stored text is canonical filter text with absolute times, so reading it back with
    any ``now`` gives the same request; text that no longer parses is shown as it is.
    """
    try:
        tz = ZoneInfo(request.tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    try:
        parsed = parse_filter(request.request_text, now=aware(request.created_at), tz=tz)
    except FilterError:
        return inline_code(request.request_text, 300)
    return clip(describe_filter(parsed, tz=tz), 300)


def _job_text(request: ExportRequest, jobs: list[ExportJobRow]) -> str:
    mark = _JOB_STATES.get(request.state, ":grey_question:")
    what = export_summary(request)
    lines = [f"{mark} *{esc(request.state.capitalize(), 20)}* · {what}"]
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
        lines.append(f":warning: {esc(request.error, 300)}")
    return "\n".join(lines)


def _job_blocks(
    requests: Sequence[tuple[ExportRequest, list[ExportJobRow]]], limit: int, budget: int
) -> list[Block]:
    blocks: list[Block] = []
    used = 0
    for request, jobs in requests[:limit]:
        block = section(_job_text(request, jobs), bid("job", request.id))
        used += text_length(block)
        if used > budget:
            break
        blocks.append(block)
    return blocks


def render_jobs(requests: list[tuple[ExportRequest, list[ExportJobRow]]]) -> Message:
    """The person's export requests, newest first, with a Refresh button."""
    ordered = sorted(requests, key=lambda pair: aware(pair[0].created_at), reverse=True)
    head = section(f":package: *Your exports* · {len(ordered)} shown", "jobs_head")
    rows = _job_blocks(ordered, _MAX_JOBS, MESSAGE_TEXT_BUDGET - 1000)
    if not ordered:
        rows = [
            context("No exports yet. Start one with `/recordings export [filters]`.", "jobs_none")
        ]
    elif len(rows) < len(ordered):
        head = section(
            f":package: *Your exports* · newest {len(rows)} of {len(ordered)}", "jobs_head"
        )
    refresh = actions("jobs_actions", [button("Refresh", ACTION_JOBS_REFRESH, "jobs")])
    return build_message(f"Your exports: {len(ordered)}", [head, *rows, refresh])


# -- App Home ----------------------------------------------------------------------------------


def render_home(
    *,
    person_line: str,
    scope: str,
    recent: list[Recording],
    jobs: list[tuple[ExportRequest, list[ExportJobRow]]],
    notices: Sequence[Block] = (),
    admin_blocks: Sequence[Block] = (),
) -> dict[str, Any]:
    """The App Home view: who you are, a Search button, recent recordings and exports, the
    new-recording notices section (``bot.blocks.notices.home_blocks``); ``admin_blocks``
    (legal holds, the next retention run) close it for admins."""
    search = button("Search recordings", ACTION_OPEN_MODAL, "home", style="primary")
    blocks: list[Block] = [
        {"type": "header", "block_id": "home_head", "text": plain("Call recordings")},
        section(clip(sanitize_mrkdwn(person_line), 1000), "home_person", search),
        context(f"*Scope:* {clip(sanitize_mrkdwn(scope), 1000)}", "home_scope"),
        {"type": "divider", "block_id": "home_div1"},
        section("*Recent recordings*", "home_recent"),
    ]
    blocks += [row_compact(r, f"home_rec:{i}", True) for i, r in enumerate(recent[:_HOME_RECENT])]
    if not recent:
        blocks.append(context("No recent recordings.", "home_recent_none"))
    blocks += [{"type": "divider", "block_id": "home_div2"}, section("*Exports*", "home_jobs")]
    ordered = sorted(jobs, key=lambda pair: aware(pair[0].created_at), reverse=True)
    blocks += _job_blocks(ordered, _HOME_JOBS, MESSAGE_TEXT_BUDGET)
    if not jobs:
        blocks.append(context("No exports yet.", "home_jobs_none"))
    blocks.append(actions("home_actions", [button("Refresh exports", ACTION_JOBS_REFRESH, "home")]))
    if notices:
        blocks += [{"type": "divider", "block_id": "home_div3"}, *notices]
    if admin_blocks:
        blocks += [{"type": "divider", "block_id": "home_div4"}, *admin_blocks]
    return {"type": "home", "blocks": blocks}  # at most ~70 blocks of Slack's 100

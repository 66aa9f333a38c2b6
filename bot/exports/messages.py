"""Export messages (pure): the prompt's words, started, progress, ready and failed notices,
which zip holds what, and the link page.

Built on the renderers in ``bot.blocks``; only the retry button is new, because a failed
export is retried through ``ACTION_EXPORT_CONFIRM`` (``r:<request id>``), re-checked on click.
An export is named by what it covers as people read it (``bot.grammar.describe_filter`` in the
person's zone), never by its canonical filter text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from bot import blocks
from bot.blocks.admin import export_summary
from bot.blocks.mrkdwn import esc
from bot.blocks.parts import context
from bot.grammar import SearchRequest, describe_filter
from bot.grammar.phones import display_number
from bot.people.policy import VbcQuery
from bot.store.tables import ExportJobRow, ExportRequest
from bot.vbc.models import RecordingKind

Message = dict[str, Any]
RETRY_PREFIX = "r:"
CURSOR_PREFIX = "c:"
# What follows each prefix, as the store keeps them: a search cursor key, an export request id.
_TOKENS = {CURSOR_PREFIX: 32, RETRY_PREFIX: 36}
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def parse_export_value(value: str) -> tuple[str, str]:
    """``c:<cursor key>`` or ``r:<export request id>`` -> (prefix, token); raises ValueError."""
    prefix, token = value[:2], value[2:]
    longest = _TOKENS.get(prefix, 0)
    if not 0 < len(token) <= longest or not _TOKEN.fullmatch(token):
        raise ValueError(f"not an export button value: {value[:40]!r}")
    return prefix, token


@dataclass(frozen=True)
class PartResult:
    """Where one VBC job's zip can be opened: a Slack file or a signed link on our server.

    An ``empty`` part (VBC found no recordings for it) has no zip: the notice says so instead.
    """

    number: int
    url: str
    uploaded: bool
    size: int | None = None  # bytes of the zip, once known
    holds: str | None = None  # which recordings: kind, and extension or number where they differ
    count: int | None = None  # how many recordings, as VBC counted them
    empty: bool = False


@dataclass(frozen=True)
class PromptWords:
    """The confirm prompt's pieces: ``Export 37 {kind} recordings {scope} matching {summary}?``"""

    kind: str
    scope: str
    summary: str


def prompt_words(request: SearchRequest, queries: Sequence[VbcQuery], tz: ZoneInfo) -> PromptWords:
    """Whose recordings and of which kind go into the noun; only the filters follow "matching"."""
    kinds = {q.kind for q in queries}
    if request.company:
        scope = "(the whole company)"
    elif request.user:
        scope = f"of <@{request.user}>'s"
    else:
        scope = "of yours"
    kind = ""
    if len(kinds) == 1:
        kind = next(iter(kinds)).value
    elif kinds:
        scope += " (company and on-demand)"
    bare = replace(request.filter, order=None, page=None, page_size=None)
    rest = replace(request, filter=bare, kind=None, company=False, user=None)
    return PromptWords(kind, scope, "" if rest.is_empty() else describe_filter(rest, tz=tz))


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def part_labels(queries: Sequence[VbcQuery]) -> list[str]:
    """What each query's zip holds, naming only what tells the parts apart.

    ``on-demand recordings``, ``company recordings of extension 101``, and for a bare number
    (either side of the call) ``… from +1 732-555-0100`` / ``… to +1 732-555-0100``.
    """
    varying = {
        side
        for side in ("caller_id", "dnis")
        if len({getattr(q.filter, side) for q in queries}) > 1
    }
    labels = []
    for query in queries:
        words = [f"{query.kind.value} recordings"]
        if query.kind is RecordingKind.COMPANY and query.filter.extension:
            words.append(f"of extension {esc(query.filter.extension, 40)}")
        if "caller_id" in varying and query.filter.caller_id:
            words.append(f"from {display_number(query.filter.caller_id)}")
        if "dnis" in varying and query.filter.dnis:
            words.append(f"to {display_number(query.filter.dnis)}")
        labels.append(" ".join(words))
    return labels


def job_parts(jobs: Sequence[ExportJobRow]) -> list[str]:
    """What each zip holds, in part order (jobs by VBC job id, as the notice numbers them)."""
    return [part_holds(j) for j in sorted(jobs, key=lambda j: j.vbc_job_id)]


def part_holds(job: ExportJobRow) -> str:
    """What the job's zip holds, as stored when it was made (else named by its kind alone)."""
    return job.holds or kind_label(job.kind)


def kind_label(kind: str) -> str:
    """A zip named by the kind of its job alone: ``company recordings``."""
    return f"{esc(kind, 20)} recordings"


def with_parts(message: Message, holds: Sequence[str], *, left_out: Sequence[str] = ()) -> Message:
    """A reply with a line saying which part holds what (for several zips), and which zips
    were not requested because nothing matched them."""
    if len(holds) >= 2:
        line = "; ".join(f"part {n}: {what}" for n, what in enumerate(holds, 1))
        text = f"It comes in {len(holds)} zip files, {line}."
        message["blocks"].append(context(text, "export_parts"))
    if left_out:
        text = f"No zip for {' or '.join(left_out)}: none match, so I did not ask VBC for one."
        message["blocks"].append(context(text, "export_left_out"))
    return message


def progress_of(jobs: Sequence[ExportJobRow]) -> tuple[int, int]:
    return sum(j.files_completed for j in jobs), sum(j.files_total for j in jobs)


def progress_bucket(jobs: Sequence[ExportJobRow]) -> int:
    """Tenths of the way done, -1 while VBC has not counted: the original is edited per step."""
    done, total = progress_of(jobs)
    return -1 if total == 0 else min(10, done * 10 // total)


def _label(request: ExportRequest) -> str:
    return f"export `{request.id}` ({export_summary(request)})"


def started(request: ExportRequest, *, count: int, exact: bool, parts: int) -> Message:
    about = "" if exact else "about "
    jobs = f" in {parts} zip files" if parts > 1 else ""
    text = f":package: Started {_label(request)}: {about}{plural(count, 'recording')}{jobs}. " + (
        "VBC is building them; I'll tell you here when they're ready."
        if parts > 1
        else "VBC is building the zip; I'll tell you here when it's ready."
    )
    return blocks.render_progress(text, 0.0)


def progress(request: ExportRequest, jobs: Sequence[ExportJobRow]) -> Message:
    done, total = progress_of(jobs)
    if total == 0:
        return blocks.render_progress(f":hourglass: {_label(request)}: queued at VBC…", 0.0)
    text = f":hourglass_flowing_sand: {_label(request)}: {done} of {total} files packed…"
    return blocks.render_progress(text, done / total)


def _part_lines(parts: Sequence[PartResult], valid_until: str | None, where: str) -> list[str]:
    """One line per part: what it holds (kind, extension, count, size) and where it is."""
    many = len(parts) > 1
    lines = []
    for part in parts:
        name = f"part {part.number}" if many else "the zip"
        holds = part.holds or "recordings"
        if part.empty:
            lines.append(
                f"• {name.capitalize()}, {holds}: left out, VBC found no recordings for it"
                " (an empty zip is not worth a download)."
            )
            continue
        facts = [plural(part.count, "recording")] if part.count else []
        if part.size:
            facts.append(blocks.format_size(part.size))
        about = ": " + " · ".join([holds, *facts])
        if part.uploaded:
            lines.append(f"• <{part.url}|Open {name}>{about}, uploaded to {where}")
        else:
            until = f", link valid until {valid_until}" if valid_until else ""
            lines.append(f"• <{part.url}|Download {name}>{about}{until}")
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
    zips = sum(1 for p in parts if not p.empty)
    files = f" in {zips} zip files" if zips > 1 else ""
    head = f":white_check_mark: Your {_label(request)} is ready{files}."
    if zips == 0:
        head = (
            f":white_check_mark: Your {_label(request)} has finished, but VBC found no "
            "recordings for it, so there is no zip."
        )
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

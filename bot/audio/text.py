"""How a call reads in Slack: file name, title, comments, progress and outcome messages (pure).

Kept apart from ``bot.audio.service`` and ``bot.audio.delivery`` (the I/O) so every word a person
sees can be tested without Slack or VBC.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.audio.uploads import SourceError, UploadError
from bot.vbc.errors import VbcError
from bot.vbc.models import Recording

Message = blocks.Message
Notify = Callable[[Message], Awaitable[None]]
Steps = Callable[[float], Awaitable[None]]  # a row's progress: the fraction uploaded

PROGRESS_MIN_BYTES = 8 * 1024 * 1024  # smaller files finish before a bar would help
PROGRESS_STEPS = (1 / 3, 2 / 3)  # a response_url takes 5 posts: start, 2 steps, outcome
NOT_THERE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
TOO_BIG = frozenset({"file_upload_size_restricted", "file_too_large"})
SHARE_NOT_ALLOWED = (
    "Sharing recordings is not allowed in this channel. "
    "A recordings admin can allow it with `/recordings channel allow`."
)
NOT_IN_CHANNEL = (
    "I'm not a member of <#{channel}>, so I sent it to your DM instead. "
    "Invite me with `/invite` for direct delivery there."
)
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
_WHERE = {
    "dm": "is in your DM with me",
    "direct": "is in this channel, in a thread",
    "share": "is shared in <#{channel}>",
}


@dataclass(frozen=True)
class AudioText:
    """One call's names and messages, in the asker's time zone."""

    rec: Recording
    tz: ZoneInfo
    user_id: str

    def _party(self) -> str:
        """The other side: the caller of an inbound or internal call, else the dialed number."""
        outbound = (self.rec.call_direction or "").upper() == "OUTBOUND"
        number = (self.rec.dnis if outbound else self.rec.caller_id) or ""
        return f"+{number}" if number.isdigit() and len(number) >= 8 else number

    def _direction(self) -> str:
        return (self.rec.call_direction or "").lower().replace("intra_pbx", "internal")

    def filename(self) -> str:
        """``2024-05-01 14-03 inbound +17325550100.mp3``; mobile players need the extension."""
        start = self.rec.start.astimezone(self.tz) if self.rec.start else None
        parts = [start.strftime("%Y-%m-%d %H-%M") if start else "", self._direction()]
        name = _UNSAFE.sub("_", " ".join(p for p in [*parts, self._party()] if p)).strip(" ._")
        return f"{name[:120] or f'recording {self.rec.id}'}.mp3"

    def title(self) -> str:
        start = self.rec.start.astimezone(self.tz) if self.rec.start else None
        when = start.strftime("%Y-%m-%d %H:%M %Z") if start else f"Recording {self.rec.id}"
        return " ".join(p for p in (when, self._direction(), "call", self._party()) if p)

    def facts(self) -> str:
        rec = self.rec
        when = blocks.slack_date(rec.start) if rec.start else "unknown time"
        caller = blocks.escape_mrkdwn(blocks.format_number(rec.caller_id))
        if rec.cnam:
            caller = f"{blocks.escape_mrkdwn(rec.cnam)} ({caller})"
        dialed = blocks.escape_mrkdwn(blocks.format_number(rec.dnis))
        return (
            f"{blocks.format_direction(rec.call_direction)} call from {caller} to {dialed}, "
            f"{when}, {blocks.format_duration(rec.duration)} · recording {rec.id} "
            f"({rec.kind.value})"
        )

    def comment(self, mode: str) -> str:
        """The upload's initial comment: the call's metadata, and who asked where it shows."""
        if mode == "share":
            return f"<@{self.user_id}> shared a call recording: {self.facts()}"
        if mode == "direct":
            return f"{self.facts()} · for <@{self.user_id}>"
        return self.facts()

    def parent(self) -> str:
        """The short message a direct-delivery thread hangs under."""
        return f":telephone_receiver: {self.facts()} · requested by <@{self.user_id}>"

    def _link(self, permalink: str) -> str:
        url = quote(permalink, safe=":/?#[]@!$&'()*+,;=%~").replace("&", "&amp;")
        return f"<{url}|{blocks.escape_mrkdwn(self.filename())}>"

    def again(self, mode: str, permalink: str) -> str:
        if mode == "share":
            return f"<@{self.user_id}> shared a call recording: {self._link(permalink)}"
        return f"{self._link(permalink)} (uploaded before; here it is again)"

    def done(self, mode: str, channel: str, permalink: str, *, reused: bool) -> Message:
        return blocks.render_notice(self.done_line(mode, channel, permalink, reused=reused))

    def done_line(self, mode: str, channel: str, permalink: str, *, reused: bool) -> str:
        where = _WHERE[mode].format(channel=channel)
        again = " (uploaded before, so I shared that file again)" if reused else ""
        return f":white_check_mark: Recording {self.rec.id} {where}: {self._link(permalink)}{again}"

    def too_big(self, cap: int) -> str:
        size = blocks.format_size(self.rec.file_size_in_bytes)
        return (
            f":package: Recording {self.rec.id} ({size}) is more than I can upload to Slack "
            f"here (my limit is {blocks.format_size(cap)}). Download it from me instead."
        )


class Progress:
    """``Uploading 45 %…`` in the clicked message for large files, a few times at most.

    The relay (``bot.audio.uploads``) calls it beside the byte stream with the newest count, from
    0 (the start) up; it may skip counts, so each step is said once when first passed.
    """

    def __init__(self, notify: Notify | None, steps: Steps | None = None, *, total: int) -> None:
        """``steps``, where given, gets the fraction instead of ``notify`` a message (a results
        row shows it on its button; its list already said "Uploading" at the click)."""
        big = total >= PROGRESS_MIN_BYTES
        self._notify = notify if big else None
        self._row = steps if big else None
        self._total = total
        self._steps = list(PROGRESS_STEPS)

    async def __call__(self, sent: int, total: int) -> None:
        if sent == 0:
            await self._say(0.0)
            return
        fraction = sent / total
        if not self._steps or fraction < self._steps[0] or sent >= total:
            return
        while self._steps and fraction >= self._steps[0]:
            self._steps.pop(0)
        await self._say(fraction)

    async def _say(self, fraction: float) -> None:
        if self._row is not None:
            if fraction > 0:
                await self._row(fraction)
            return
        if self._notify is not None:
            size = blocks.format_size(self._total)
            text = f":arrow_up: Uploading {round(fraction * 100)} %… ({size})"
            await self._notify(blocks.render_progress(text, fraction))


PLAY_HERE = "play_here"  # the retry kind of a "▶ Play here": it may post into the channel


def retry_value(kind: str, ref_value: str, back: str = "") -> str:
    """``play:c:1 <cursor>:<page>``: all a Retry button needs to do it again."""
    return f"{kind}:{ref_value} {back}".strip()


def parse_retry_value(value: str) -> tuple[str, str, str]:
    """Inverse of ``retry_value``: (kind, recording ref, back); raises ValueError otherwise."""
    head, sep, back = value.partition(" ")
    kind, _, ref = head.partition(":")
    try:
        blocks.parse_recording_ref(ref)
        if sep:
            blocks.parse_page_value(back)
    except ValueError:
        kind = ""
    if kind not in ("play", PLAY_HERE, "share"):
        raise ValueError(f"not a retry button value: {value[:40]!r}")
    return kind, ref, back


def with_back(message: Message, back: str) -> Message:
    """Add "Back to results" when the clicked message was a results page we replaced."""
    if not back:
        return message
    button = {
        "type": "button",
        "action_id": blocks.ACTION_PAGE_NEXT,
        "text": {"type": "plain_text", "text": "◀ Back to results", "emoji": True},
        "value": back,
    }
    extra = {"type": "actions", "block_id": "audio_back", "elements": [button]}
    return {**message, "blocks": [*message["blocks"], extra]}


def with_note(message: Message, note: str) -> Message:
    section = blocks.render_notice(note)["blocks"][0]
    return {**message, "blocks": [*message["blocks"], {**section, "block_id": "audio_note"}]}


def failure_text(exc: BaseException, conversation: str) -> str:
    """Why nothing was shared, in words a person can act on."""
    error = slack_error(exc)
    if error in NOT_THERE:
        return (
            f"I'm not a member of <#{conversation}>, so I can't post the recording there. "
            "Invite me with `/invite` and try again."
        )
    if isinstance(exc, SourceError):
        cause = exc.__cause__
        why = str(cause) if isinstance(cause, VbcError) else "VBC stopped sending it"
        done = round(100 * exc.sent / exc.total) if exc.total else 0
        return f"The download from VBC broke off at {done} % ({why}). Nothing was shared."
    if isinstance(exc, SlackApiError):
        return f"Slack answered `{error or 'an error'}`. Nothing was shared."
    return f"{exc} Nothing was shared."


def slack_error(exc: BaseException) -> str:
    if isinstance(exc, UploadError):
        return exc.slack_error or ""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "")
    return ""

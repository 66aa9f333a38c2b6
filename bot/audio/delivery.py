"""One loaded recording's audio into one Slack conversation, in constant memory.

Audio goes to the person's DM with the bot (Slack cannot attach files to ephemeral messages),
or into a channel where an admin turned on direct delivery (in a thread under a short message
naming the call), or, on "Share to channel", into the channel. A file already uploaded to that
conversation is shared again from Slack rather than downloaded again; a file above the upload
cap becomes a signed link to the bot (``bot.web.links``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.audio.text import (
    NOT_IN_CHANNEL,
    NOT_THERE,
    TOO_BIG,
    AudioText,
    Notify,
    Progress,
    Steps,
    failure_text,
    slack_error,
    with_back,
    with_note,
)
from bot.audio.uploads import SourceError, UploadError, shared_in, upload_stream
from bot.people.asker import Asker
from bot.people.vbc_access import VbcAccess
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.tables import UploadedFile
from bot.vbc.errors import VbcError
from bot.vbc.models import Recording
from bot.web.links import Links, render_link_offer

log = logging.getLogger(__name__)

LINK_KIND = "audio"
_GONE = frozenset({"file_deleted", "file_not_found"})


@dataclass(frozen=True)
class Delivery:
    """Where the audio ended up; ``bytes_moved`` is 0 when an earlier upload was re-shared."""

    conversation_id: str
    file_id: str
    permalink: str
    reused: bool
    bytes_moved: int
    mode: str = "dm"  # dm | direct | share: where it went, as a results row says


@dataclass(frozen=True)
class Outcome:
    """What to show the person, and what happened (for tests and the benchmark)."""

    message: blocks.Message
    delivery: Delivery | None = None
    link: str | None = None
    summary: str = ""  # one mrkdwn line of the same: what a results row says under it


class _TooBigError(Exception):
    """VBC announced more bytes than the cap, or no length at all: offer a link."""


class _NotInChannelError(Exception):
    """Direct delivery failed because the bot is not in the channel: use the DM instead."""


class AudioDelivery:
    """Re-share, upload or offer a link, for a recording whose access was already checked."""

    def __init__(
        self,
        *,
        access: Callable[[Asker], Awaitable[VbcAccess]],
        store: Store,
        slack: SlackClients,
        http: httpx.AsyncClient,
        links: Links,
        upload_cap: int,
        tz_of: Callable[[Asker], Awaitable[ZoneInfo]],
    ) -> None:
        self._access = access
        self._store = store
        self._slack = slack
        self._http = http
        self._links = links
        self._cap = upload_cap
        self._tz_of = tz_of
        self._dms: dict[tuple[str, str], str] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def deliver(
        self,
        asker: Asker,
        recording: Recording,
        notify: Notify | None,
        retry: str | None,
        back: str,
        *,
        here: bool,
        steps: Steps | None = None,
    ) -> Outcome:
        """Play: into the DM, or, when the button said "here", into a direct-delivery channel."""
        run = functools.partial(self._run, asker, recording, notify=notify, steps=steps)
        if here and await self._direct(asker):
            try:
                return await run("direct", retry, back)
            except _NotInChannelError:
                outcome = await run("dm", retry, back)
                note = NOT_IN_CHANNEL.format(channel=asker.channel_id)
                return Outcome(
                    with_note(outcome.message, note),
                    outcome.delivery,
                    outcome.link,
                    f"{outcome.summary} {note}",
                )
        return await run("dm", retry, back)

    async def share(
        self,
        asker: Asker,
        recording: Recording,
        notify: Notify | None,
        retry: str | None,
        back: str,
        steps: Steps | None = None,
    ) -> Outcome:
        """Share to channel: into ``asker``'s channel (the caller checked it is allowed)."""
        return await self._run(asker, recording, "share", retry, back, notify=notify, steps=steps)

    async def _run(
        self,
        asker: Asker,
        rec: Recording,
        mode: str,
        retry: str | None,
        back: str,
        *,
        notify: Notify | None,
        steps: Steps | None,
    ) -> Outcome:
        target = f"{rec.kind.value}:{rec.id}"
        text = AudioText(rec, await self._tz_of(asker), asker.user_id)
        conversation = asker.channel_id or ""
        try:
            client = await self._slack.for_team(asker.team_id)
            if mode == "dm":
                conversation = await self._dm(client, asker)
            async with self._lock(f"{asker.team_id}|{conversation}|{target}"):
                delivery = await self._reshare(client, asker, conversation, target, text, mode)
                if delivery is None:
                    delivery = await self._upload(
                        client, asker, conversation, rec, text, mode, (notify, steps)
                    )
        except _TooBigError:
            return self._offer_link(asker, rec, text, back)
        except (UploadError, SourceError, VbcError, SlackApiError, LookupError) as exc:
            if mode == "direct" and slack_error(exc) in NOT_THERE:
                raise _NotInChannelError from exc
            if slack_error(exc) in TOO_BIG:  # the workspace's own upload limit
                return self._offer_link(asker, rec, text, back)
            action = "share" if mode == "share" else "audio"
            why = failure_text(exc, conversation)
            log.warning("%s of %s for %s failed: %s", action, target, asker.user_id, why)
            await self._store.audit(
                asker.team_id, asker.user_id, action, outcome="failed", target=target, detail=why
            )
            error = with_back(blocks.render_error(why, retry_value=retry), back)
            return Outcome(error, summary=why)
        line = text.done_line(mode, conversation, delivery.permalink, reused=delivery.reused)
        done = with_back(blocks.render_notice(line), back)
        return Outcome(done, dataclasses.replace(delivery, mode=mode), summary=line)

    def _offer_link(self, asker: Asker, rec: Recording, text: AudioText, back: str) -> Outcome:
        url, expires = self._links.url_for(
            LINK_KIND,
            team_id=asker.team_id,
            user_id=asker.user_id,
            subject=blocks.recording_ref(rec),
            filename=text.filename(),
        )
        offer = render_link_offer(text.too_big(self._cap), url, expires)
        return Outcome(with_back(offer, back), link=url, summary=text.too_big(self._cap))

    async def _upload(
        self,
        client: AsyncWebClient,
        asker: Asker,
        conversation: str,
        rec: Recording,
        text: AudioText,
        mode: str,
        listeners: tuple[Notify | None, Steps | None],
    ) -> Delivery:
        """VBC -> Slack in constant memory; a failure deletes the thread parent it posted."""
        self._check_size(rec.file_size_in_bytes or 1)
        parent: str | None = None
        if mode == "direct":
            posted = await client.chat_postMessage(channel=conversation, text=text.parent())
            parent = str(posted["ts"])
        try:
            vbc = (await self._access(asker)).for_recording(rec)
            async with vbc.open_audio(rec) as download:
                # The response's length is what will arrive; the listing's is a fallback.
                length = download.length or rec.file_size_in_bytes or 0
                self._check_size(length)
                file = await upload_stream(
                    client,
                    self._http,
                    filename=text.filename(),
                    length=length,
                    chunks=download.chunks(),
                    title=text.title(),
                    channel_id=conversation,
                    initial_comment=text.comment(mode),
                    thread_ts=parent,
                    on_progress=Progress(*listeners, total=length),
                )
        except BaseException:
            if parent is not None:
                await _delete_quietly(client, conversation, parent)
            raise
        await self._store.save_upload(
            UploadedFile(
                team_id=asker.team_id,
                conversation_id=conversation,
                recording_key=f"{rec.kind.value}:{rec.id}",
                file_id=file.file_id,
                permalink=file.permalink,
                kind="audio",
                # The thread parent it posted offers the file; retention edits it on expiry.
                message_channel=conversation if parent else None,
                message_ts=parent,
                recording_json=rec.model_dump_json(exclude={"download_url", "self_url"}),
            )
        )
        return Delivery(conversation, file.file_id, file.permalink, False, file.size)

    def _check_size(self, length: int) -> None:
        if length <= 0 or length > self._cap:
            raise _TooBigError

    async def _reshare(
        self,
        client: AsyncWebClient,
        asker: Asker,
        conversation: str,
        key: str,
        text: AudioText,
        mode: str,
    ) -> Delivery | None:
        found = await self._store.find_upload(asker.team_id, conversation, key)
        if found is None:
            return None
        try:
            info = await client.files_info(file=found.file_id)
        except SlackApiError as exc:
            if slack_error(exc) in _GONE:
                await self._store.forget_upload(found.file_id)
            else:
                log.warning("files.info %s: %s; uploading again", found.file_id, slack_error(exc))
            return None
        if conversation not in shared_in(info.get("file") or {}):
            # Still there, but no longer in this conversation (its message was deleted or the
            # file unshared): a permalink would show nothing there, so upload it again.
            log.info("file %s is no longer in %s; uploading again", found.file_id, conversation)
            await self._store.forget_upload(found.file_id)
            return None
        # The bot owns the file: its permalink posted with the bot's token shares it again.
        thread: str | None = None
        if mode == "direct":
            posted = await client.chat_postMessage(channel=conversation, text=text.parent())
            thread = str(posted["ts"])
        await client.chat_postMessage(
            channel=conversation, thread_ts=thread, text=text.again(mode, found.permalink)
        )
        return Delivery(conversation, found.file_id, found.permalink, True, 0)

    async def _dm(self, client: AsyncWebClient, asker: Asker) -> str:
        key = (asker.team_id, asker.user_id)
        if key not in self._dms:
            opened = await client.conversations_open(users=asker.user_id)
            self._dms[key] = str(opened["channel"]["id"])
        return self._dms[key]

    async def _direct(self, asker: Asker) -> bool:
        if not asker.channel_id or asker.channel_id.startswith("D"):
            return False
        setting = await self._store.get_channel(asker.team_id, asker.channel_id)
        return setting.delivers_directly

    def _lock(self, key: str) -> asyncio.Lock:
        """Two clicks on one recording: the second waits, then re-shares the first's file."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock


async def _delete_quietly(client: AsyncWebClient, channel: str, ts: str) -> None:
    try:
        await client.chat_delete(channel=channel, ts=ts)
    except SlackApiError as exc:
        log.warning("could not remove the thread parent %s: %s", ts, slack_error(exc))

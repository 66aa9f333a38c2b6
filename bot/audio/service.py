"""Play and Share: a recording's audio into Slack, privately by default, shared on request.

Every request re-checks the clicker's access (``RecordingsService.load``, audited) before
``bot.audio.delivery`` moves the audio; a file above the upload cap becomes a signed link to
the bot, opened here with the access checked again.
"""

from __future__ import annotations

import httpx

from bot import blocks
from bot.audio.delivery import LINK_KIND, AudioDelivery, Outcome
from bot.audio.rows import RowTracker, Trackers
from bot.audio.text import PLAY_HERE, SHARE_NOT_ALLOWED, Notify, Steps, retry_value, with_back
from bot.people.asker import Asker
from bot.people.policy import AccessRefusedError
from bot.search.service import RecordingsService
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.vbc.errors import VbcError
from bot.vbc.models import Recording, RecordingKind
from bot.web.http import Response
from bot.web.links import LinkGrant, Links, streamed_download

__all__ = ["LINK_KIND", "AudioService", "Outcome"]


class AudioService:
    def __init__(
        self,
        *,
        recordings: RecordingsService,
        store: Store,
        slack: SlackClients,
        http: httpx.AsyncClient,
        links: Links,
        upload_cap: int,
    ) -> None:
        self._recordings = recordings
        self._store = store
        self._delivery = AudioDelivery(
            access=recordings.access,
            store=store,
            slack=slack,
            http=http,
            links=links,
            upload_cap=upload_cap,
            tz_of=recordings.tz_of,
        )
        self._trackers = Trackers(
            store=store, redraw=recordings.redraw, shows_list=recordings.shows_list
        )

    async def play(
        self,
        asker: Asker,
        ref_value: str,
        *,
        notify: Notify | None = None,
        steps: Steps | None = None,
        back: str = "",
        here: bool = False,
    ) -> Outcome:
        """Play: into the DM; with ``here`` (the button said "▶ Play here") into a channel
        that delivers directly, as checked now. ``steps`` gets the upload's progress as a
        fraction (a results row), ``notify`` as a message (anything else)."""
        retry = retry_value(PLAY_HERE if here else "play", ref_value, back)
        loaded = await self._load(asker, ref_value, "audio", retry, back)
        if isinstance(loaded, Outcome):
            return loaded
        return await self._delivery.deliver(
            asker, loaded, notify, retry, back, here=here, steps=steps
        )

    async def share(
        self,
        asker: Asker,
        ref_value: str,
        *,
        notify: Notify | None = None,
        steps: Steps | None = None,
        back: str = "",
    ) -> Outcome:
        """Share to channel: only where an admin allowed it, checked here, never on trust."""
        if not await self._recordings.can_share(asker):
            detail = f"sharing not allowed in {asker.channel_id}"
            await self._audit(asker, "share", "refused", ref_value, detail)
            return Outcome(blocks.render_error(SHARE_NOT_ALLOWED), summary=SHARE_NOT_ALLOWED)
        retry = retry_value("share", ref_value, back)
        loaded = await self._load(asker, ref_value, "share", retry, back)
        if isinstance(loaded, Outcome):
            return loaded
        return await self._delivery.share(asker, loaded, notify, retry, back, steps)

    async def track(
        self, asker: Asker, back: str, ref_value: str, action: str, post: Notify
    ) -> RowTracker | None:
        """A Play or Share clicked on a results list, shown on its row (``post`` replaces the
        list); None when that list is not the clicker's own, or not a list at all."""
        return await self._trackers.track(asker, back, ref_value, action, post)

    async def get(
        self, asker: Asker, recording_id: str, kind: RecordingKind | None
    ) -> tuple[blocks.Message, Recording | None]:
        """``/recordings get <id>``: the details message, and the recording to play."""
        try:
            recording = await self._recordings.find(asker, recording_id, kind)
        except (AccessRefusedError, VbcError) as exc:
            return blocks.render_error(str(exc)), None
        can_share, here = await self._recordings.offers(asker)
        can_delete = await self._recordings.can_delete(asker, recording)
        details = blocks.render_details(
            recording, can_share=can_share, play_here=here, can_delete=can_delete
        )
        return details, recording

    async def play_loaded(
        self, asker: Asker, recording: Recording, *, notify: Notify | None = None
    ) -> Outcome:
        """Play a recording ``asker`` was just allowed to load (``/recordings get``): typed in a
        direct-delivery channel, into that channel, as its details' "▶ Play here" says."""
        target = f"{recording.kind.value}:{recording.id}"
        await self._audit(asker, "audio", "allowed", target, "with get")
        retry = retry_value(PLAY_HERE, blocks.recording_ref(recording))
        return await self._delivery.deliver(asker, recording, notify, retry, "", here=True)

    async def open_link(self, grant: LinkGrant) -> Response:
        """The ``audio`` link kind: re-check the person's access now, then stream from VBC."""
        try:
            ref = blocks.parse_recording_ref(grant.subject)
        except ValueError:
            raise AccessRefusedError("This link does not name a recording.") from None
        asker = Asker(grant.team_id, grant.user_id)
        recording = await self._recordings.load(asker, ref, "audio")
        vbc = (await self._recordings.access(asker)).for_recording(recording)
        return await streamed_download(
            vbc.open_audio(recording), filename=grant.filename, content_type="audio/mpeg"
        )

    async def _load(
        self, asker: Asker, ref_value: str, action: str, retry: str, back: str
    ) -> Recording | Outcome:
        try:
            ref = blocks.parse_recording_ref(ref_value)
            return await self._recordings.load(asker, ref, action)
        except ValueError:
            return Outcome(blocks.render_error(blocks.NOT_MY_BUTTON), summary=blocks.NOT_MY_BUTTON)
        except AccessRefusedError as exc:
            return Outcome(blocks.render_error(str(exc)), summary=str(exc))
        except VbcError as exc:
            error = blocks.render_error(str(exc), retry_value=retry)
            return Outcome(with_back(error, back), summary=str(exc))

    async def _audit(
        self, asker: Asker, action: str, outcome: str, target: str, detail: str
    ) -> None:
        await self._store.audit(
            asker.team_id, asker.user_id, action, outcome=outcome, target=target, detail=detail
        )

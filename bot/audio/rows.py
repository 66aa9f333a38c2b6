"""A Play or Share clicked on a results list: each step kept on its row, the list redrawn.

The list stays where the person was reading it: the click's response_url replaces it with
itself, the clicked row's button showing the step. Steps are stored per row (the database,
behind the list's short key), so two actions running at once on one list each redraw both.
A response_url takes 5 posts (platform notes §2): the start, at most two progress steps and
the outcome; the outcome always gets its post.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping

from bot import blocks
from bot.audio.delivery import Outcome
from bot.audio.text import Notify
from bot.blocks.rows import DONE, FAILED, LINK, PLAY, SHARE, WORKING
from bot.people.asker import Asker
from bot.store import Store
from bot.store.tables import RowState

# (asker, list key, fresh download links by recording ref) -> the list, or None if not theirs
Redraw = Callable[[Asker, str, Mapping[str, str]], Awaitable[blocks.Message | None]]
# (asker, list key) -> whether Redraw would draw it: the check before a tracker is made
ShowsList = Callable[[Asker, str], Awaitable[bool]]

MAX_POSTS = 5  # a response_url's uses
PROGRESS_POSTS = 2  # progress edits per action, so start + progress + outcome stay within 5
_WHERE = {"dm": "In your DM", "direct": "In this channel", "share": "Shared"}


class Trackers:
    """Makes a tracker per click; one lock per list keeps its redraws in order."""

    def __init__(self, *, store: Store, redraw: Redraw, shows_list: ShowsList) -> None:
        self._store = store
        self._redraw = redraw
        self._shows_list = shows_list
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def track(
        self, asker: Asker, back: str, ref_value: str, action: str, post: Notify
    ) -> RowTracker | None:
        """None unless ``back`` names ``asker``'s own list with a page on screen (checked on
        the server: the block id that carried it is as untrusted as a button's value)."""
        if action not in (PLAY, SHARE) or not back:
            return None
        try:
            cursor_key, _ = blocks.parse_page_value(back)
            blocks.parse_recording_ref(ref_value)
        except ValueError:
            return None
        if not await self._shows_list(asker, cursor_key):
            return None
        lock = self._locks.get(cursor_key)
        if lock is None:
            lock = self._locks[cursor_key] = asyncio.Lock()
        return RowTracker(
            self._store, self._redraw, lock, asker, cursor_key, ref_value, action, post
        )


class RowTracker:
    """One action on one row: ``begin``, a few ``progress`` steps, ``finish``."""

    def __init__(
        self,
        store: Store,
        redraw: Redraw,
        lock: asyncio.Lock,
        asker: Asker,
        cursor_key: str,
        ref: str,
        action: str,
        post: Notify,
    ) -> None:
        self._store = store
        self._redraw = redraw
        self._lock = lock
        self._asker = asker
        self._key = cursor_key
        self._ref = ref
        self._action = action
        self._post = post
        self._posts = 0
        self._progress = 0
        # A signed download link is a bearer credential: shown, never stored. Redraws by
        # other actions on the list then show Play again, which makes a fresh one.
        self._links: dict[str, str] = {}

    async def begin(self) -> None:
        await self._step(WORKING)

    async def progress(self, fraction: float) -> None:
        if self._progress >= PROGRESS_POSTS:
            return
        self._progress += 1
        await self._step(WORKING, percent=min(99, max(0, round(fraction * 100))))

    async def finish(self, outcome: Outcome) -> None:
        if outcome.delivery is not None:
            label = _WHERE.get(outcome.delivery.mode, "Done")
            url = outcome.delivery.permalink
            await self._step(DONE, label=label, url=url, note=outcome.summary, final=True)
        elif outcome.link is not None:
            self._links[self._ref] = outcome.link
            await self._step(LINK, note=outcome.summary, final=True)
        else:
            note = outcome.summary or "That did not work; try again."
            await self._step(FAILED, note=note, final=True)

    async def _step(
        self,
        status: str,
        *,
        percent: int | None = None,
        label: str = "",
        url: str = "",
        note: str = "",
        final: bool = False,
    ) -> None:
        state = RowState(
            cursor_key=self._key,
            ref=self._ref,
            action=self._action,
            status=status,
            percent=percent,
            label=label or None,
            url=url[:3000] or None,
            note=note[:2000] or None,
        )
        async with self._lock:  # read, draw and post in turn: the last post is the newest
            await self._store.save_row_state(state)
            if self._posts >= MAX_POSTS - (0 if final else 1):
                return
            message = await self._redraw(self._asker, self._key, self._links)
            if message is not None:
                self._posts += 1
                await self._post(message)

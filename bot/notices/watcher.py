"""The notice watcher in every bot process: the poll and the posting, each in its own loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.clock import Clock
from bot.notices.pause import RulePauser
from bot.notices.poller import NoticePoller, NoticeTuning
from bot.notices.sender import NoticeSender
from bot.ops.metrics import Metrics
from bot.people.directory import Directory
from bot.people.vbc_access import AccessFor
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.notices import NoticeRows
from bot.vbc.client import VbcClient

log = logging.getLogger(__name__)


class NoticeWatcher:
    def __init__(
        self,
        *,
        store: Store,
        vbc: VbcClient,
        slack: SlackClients,
        directory: Directory,
        admins: frozenset[str],
        clock: Clock,
        tuning: NoticeTuning,
        owner: str | None = None,
        metrics: Metrics | None = None,
        access_for: AccessFor | None = None,
    ) -> None:
        self.owner = owner or f"n-{secrets.token_hex(6)}"
        self.tuning = tuning
        self._clock = clock
        self._found = asyncio.Event()
        self._rules_changed = asyncio.Event()
        pauser = RulePauser(rows=NoticeRows(store), slack=slack, admins=admins, clock=clock)
        self.poller = NoticePoller(
            store=store,
            vbc=vbc,
            clock=clock,
            pauser=pauser,
            tuning=tuning,
            owner=self.owner,
            admins=admins,
            access_for=access_for,
            found=self._found.set,
        )
        self.sender = NoticeSender(
            store=store,
            slack=slack,
            directory=directory,
            pauser=pauser,
            clock=clock,
            tuning=tuning,
            owner=self.owner,
            admins=admins,
            metrics=metrics,
        )

    def rules_changed(self) -> None:
        """A rule was made or removed here: the poll reads the rules again at once."""
        self.poller.rules_changed()
        self._rules_changed.set()

    async def run(self) -> None:
        await asyncio.gather(
            self._loop("poll", self.poller.tick, self.poller.next_due, self._rules_changed),
            self._loop("post", self.sender.tick, self.sender.next_due, self._found),
        )

    async def _loop(
        self,
        name: str,
        tick: Callable[[], Awaitable[int]],
        next_due: Callable[[], Awaitable[datetime | None]],
        wake: asyncio.Event,
    ) -> None:
        while True:
            wake.clear()
            try:
                busy = await tick()
                delay = 0.0 if busy >= self.tuning.batch else await self._until(next_due)
            except Exception:
                log.exception("notice %s pass failed; trying again shortly", name)
                delay = self.tuning.idle_wait
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), delay)

    async def _until(self, next_due: Callable[[], Awaitable[datetime | None]]) -> float:
        due = await next_due()
        if due is None:
            return self.tuning.idle_wait
        wait = (due - self._clock()).total_seconds()
        return min(max(wait, 0.02), self.tuning.idle_wait)

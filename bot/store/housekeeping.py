"""Background tidying in every bot process: old search cursors and event ids go away."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.store import Store

log = logging.getLogger(__name__)
CURSOR_LIFETIME = timedelta(days=7)  # "these results have expired" after a week
EVENT_MEMORY = timedelta(days=1)  # Slack stops retrying an event after about 5 minutes
INTERVAL_SECONDS = 3600.0


async def tidy_once(store: Store) -> None:
    cursors = await store.prune_cursors(CURSOR_LIFETIME)
    events = await store.prune_seen_events(EVENT_MEMORY)
    if cursors or events:
        log.info("pruned %d search cursors and %d event ids", cursors, events)


async def tidy_forever(store: Store, interval: float = INTERVAL_SECONDS) -> None:
    while True:
        try:
            await tidy_once(store)
        except SQLAlchemyError:
            log.exception("housekeeping failed; trying again in %.0fs", interval)
        await asyncio.sleep(interval)

"""Background tidying in every bot process: old search cursors, event ids and unconfirmed
deletion offers go away."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.store import Store
from bot.store.deletions import DeletionRows

log = logging.getLogger(__name__)
CURSOR_LIFETIME = timedelta(days=7)  # "these results have expired" after a week
EVENT_MEMORY = timedelta(days=1)  # Slack stops retrying an event after about 5 minutes
INTERVAL_SECONDS = 3600.0
OFFER_MEMORY = timedelta(days=1)  # a delete offer is refused after an hour; its ids go after a day


async def tidy_once(store: Store) -> None:
    cursors = await store.prune_cursors(CURSOR_LIFETIME)
    events = await store.prune_seen_events(EVENT_MEMORY)
    offers = await DeletionRows(store).prune_offers(OFFER_MEMORY)
    if cursors or events or offers:
        log.info(
            "pruned %d search cursors, %d event ids and %d delete offers", cursors, events, offers
        )


async def tidy_forever(store: Store, interval: float = INTERVAL_SECONDS) -> None:
    while True:
        try:
            await tidy_once(store)
        except SQLAlchemyError:
            log.exception("housekeeping failed; trying again in %.0fs", interval)
        await asyncio.sleep(interval)

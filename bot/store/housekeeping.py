"""Background tidying in every bot process: old search cursors, event ids and unconfirmed
deletion offers go away, and, with ``AUDIT_RETENTION_DAYS``, audit rows past it once a day
(the pruning itself audited)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock, aware
from bot.store import Store
from bot.store.deletions import DeletionRows
from bot.store.operations import AUDIT_PRUNE_ACTION, AUDIT_PRUNE_ACTOR, AUDIT_PRUNE_TARGET

log = logging.getLogger(__name__)
CURSOR_LIFETIME = timedelta(days=7)  # "these results have expired" after a week
EVENT_MEMORY = timedelta(days=1)  # Slack stops retrying an event after about 5 minutes
INTERVAL_SECONDS = 3600.0
AUDIT_PRUNE_EVERY = timedelta(days=1)
OFFER_MEMORY = timedelta(days=1)  # a delete offer is refused after an hour; its ids go after a day


async def tidy_once(
    store: Store, *, clock: Clock | None = None, audit_retention: timedelta | None = None
) -> None:
    cursors = await store.prune_cursors(CURSOR_LIFETIME)
    events = await store.prune_seen_events(EVENT_MEMORY)
    offers = await DeletionRows(store).prune_offers(OFFER_MEMORY)
    if cursors or events or offers:
        log.info(
            "pruned %d search cursors, %d event ids and %d delete offers", cursors, events, offers
        )
    if audit_retention is not None and clock is not None:
        await prune_audit_daily(store, clock=clock, retention=audit_retention)


async def prune_audit_daily(store: Store, *, clock: Clock, retention: timedelta) -> dict[str, int]:
    """Prune audit rows older than ``retention`` unless some process did within a day."""
    now = clock()
    last = await store.last_audit_prune()
    if last is not None and aware(last) > now - AUDIT_PRUNE_EVERY:
        return {}
    counts = await store.prune_audit(now - retention)
    for team_id, count in counts.items():
        await store.audit(
            team_id,
            AUDIT_PRUNE_ACTOR,
            AUDIT_PRUNE_ACTION,
            outcome="allowed",
            target=AUDIT_PRUNE_TARGET,
            detail=f"pruned {count} audit rows older than {retention.days} days "
            "(AUDIT_RETENTION_DAYS); deletions, holds, releases and retention runs are kept",
        )
        log.info(
            "pruned %d audit rows of team %s older than %d days", count, team_id, retention.days
        )
    return counts


async def tidy_forever(
    store: Store,
    interval: float = INTERVAL_SECONDS,
    *,
    clock: Clock | None = None,
    audit_retention: timedelta | None = None,
) -> None:
    while True:
        try:
            await tidy_once(store, clock=clock, audit_retention=audit_retention)
        except SQLAlchemyError:
            log.exception("housekeeping failed; trying again in %.0fs", interval)
        await asyncio.sleep(interval)

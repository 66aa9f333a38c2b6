"""Has the bot done all that is due at this moment of a still clock? (recorded sessions)

On a ``StillClock`` the bot's background work is set by the clock alone: an export due now is
looked at, a VBC listing due now is read, a notice due now is posted, and after that nothing
happens until time moves. A recorded session waits for that point after each step of time
instead of waiting for the output to stop for a while, so how many notices a step brings, and
in which order, depends on the script, never on how fast the machine ran it.

Every background job the bot works is a leased row with a due time (``bot.store.due``), so
"done" is: no such row is due now, leased (being worked) or not; and the notice poll has read
the rules since they last changed (it makes the listings they need when it does: a listing
made a step late would first be due a step late).
"""

from __future__ import annotations

from datetime import datetime

from bot.notices.match import RuleSet, running_rule
from bot.store import Store
from bot.store.due import notice_source_ids, work_due
from bot.store.notices import NoticeRows


async def idle_at(store: Store, now: datetime, admins: frozenset[str]) -> bool:
    """True once nothing the bot works in the background is due at ``now``."""
    return not await work_due(store, now) and await _listings_made(store, admins)


async def _listings_made(store: Store, admins: frozenset[str]) -> bool:
    """Every listing the running rules need has its row: the poll read the rules since."""
    rows = NoticeRows(store)
    rules = await rows.rules(active=True)
    if not rules:
        return True
    links = await rows.owners((r.team_id, r.slack_user_id) for r in rules if r.kind == "personal")
    live = [made for rule in rules if (made := running_rule(rule, links, admins)) is not None]
    return set(RuleSet(live).sources()) <= await notice_source_ids(store)

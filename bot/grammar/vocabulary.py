"""The grammar's words, keys and examples, and GRAMMAR_HELP, the help text that lists them."""

from __future__ import annotations

from bot.vbc.filter import ORDER_NEWEST, ORDER_OLDEST, Direction
from bot.vbc.models import RecordingKind

DIRECTIONS = {
    "inbound": Direction.INBOUND,
    "outbound": Direction.OUTBOUND,
    "internal": Direction.INTRA_PBX,
}
ORDERS = {"newest": ORDER_NEWEST, "oldest": ORDER_OLDEST}
KINDS = {
    "company": RecordingKind.COMPANY,
    "on-demand": RecordingKind.ON_DEMAND,
    "ondemand": RecordingKind.ON_DEMAND,
    "on_demand": RecordingKind.ON_DEMAND,
}
KEYS = (
    "from",
    "to",
    "name",
    "ext",
    "call",
    "since",
    "until",
    "type",
    "page-size",
    "scope",
    "user",
)
KEY_ALIASES = {"page_size": "page-size", "pagesize": "page-size"}
WORDS = (*DIRECTIONS, *ORDERS, "today", "yesterday", "this week", "last week", "last 7d")
EXAMPLES = {
    "from": "from:+1 732 555 0100",
    "to": "to:+1 732 555 0100",
    "name": 'name:"john smith"',
    "ext": "ext:999",
    "call": "call:c91150a6-8cc4-4e73-9fef-17fd925c6448",
    "type": "type:on-demand",
    "page-size": "page-size:25",
    "scope": "scope:company",
    "user": "user:@person",
}
# One Slack message holds about 25 rows within its block and text limits (bot/blocks/recordings.py).
MAX_PAGE_SIZE = 25

# The filter table of ``/recordings help``, as plain text (the renderer escapes it for mrkdwn).
GRAMMAR_HELP = """\
*Filters* (any order, case-insensitive):
• *Direction:* `inbound`, `outbound`, `internal`
• *Numbers:* `from:+1 (732) 555-0100` (caller), `to:732-555-0100` (dialed), \
or a bare number for either side (`+1 732 555 0100 +1 732 555 0199`: either number); \
short internal numbers: `ext:999`
• *Caller name:* `name:"john smith"` · *call id:* `call:c91150a6-8cc4-4e73-9fef-17fd925c6448`
• *When* (your Slack time zone): `today`, `yesterday`, `monday`, `this week`, `last week`, \
`this month`, `last month`, `last 30min`, `last 24h`, `last 7d`, `last 2w`, `last 3mo`, \
`since:2024-05-01`, `since:2024-05-01 09:30`, `since:yesterday`, `until:2024-05-31 17:00`, \
`until:last week` (in a window, minutes are `last 30min` and months `last 3mo`: m alone is refused)
• *Duration:* `>2m`, `>2 min`, `<30s`, `<45 sec`, `1m..5m`, `30s..`, `>=1h30m`
• *Kind:* `type:company`, `type:on-demand` · *order:* `newest` (default), `oldest` · \
*page size:* `page-size:25` (1-25)"""
ADMIN_FILTERS = "`scope:company`, `user:@person` (pick the person from the autocomplete)"

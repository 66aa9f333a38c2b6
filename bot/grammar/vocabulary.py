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

GRAMMAR_HELP = """\
*Search:* `/recordings [filters]` in any order; no filters opens the search form.
• *Direction:* `inbound`, `outbound`, `internal`
• *Numbers:* `from:+1 (732) 555-0100` (caller), `to:732-555-0100` (dialed), \
or a bare number for either side; short internal numbers: `ext:999`
• *Caller name:* `name:"john smith"` · *call id:* `call:c91150a6-8cc4-4e73-9fef-17fd925c6448`
• *When* (your Slack time zone): `today`, `yesterday`, `this week`, `last week`, `last 24h`, \
`last 7d`, `last 2w`, `since:2024-05-01`, `since:2024-05-01 09:30`, `until:2024-05-31 17:00`
• *Duration:* `&gt;2m`, `&lt;30s`, `1m..5m`, `30s..`, `&gt;=1h30m`
• *Kind:* `type:company`, `type:on-demand` · *order:* `newest` (default), `oldest` · \
*page size:* `page-size:25` (1-25)
• *Admins:* `scope:company`, `user:@person` (pick the person from the autocomplete)
*New recordings:* `/recordings notify me [filters]` DMs you each new recording of yours that \
matches, e.g. `/recordings notify me inbound &gt;1m`; `notify` lists your rules, \
`notify off [rule id]` removes them. A rule takes these filters without time words or order.
*Examples:* `/recordings inbound yesterday from:+1 732 555 0100` · \
`/recordings export last 7d &gt;2m type:on-demand`"""

"""Pausing a channel rule the bot can no longer serve, and telling the admins why."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.blocks.mrkdwn import inline_code
from bot.clock import Clock
from bot.slack_clients import SlackClients
from bot.store.notices import NoticeRows
from bot.store.tables import AuditEvent, NoticeRule

log = logging.getLogger(__name__)

SHARING_DENIED = "sharing recordings is no longer allowed in that channel"
BOT_NOT_THERE = "I can no longer post in that channel (I was removed, or it was archived)"
ACTOR = "bot"  # the audit actor of what the bot did on its own


class RulePauser:
    def __init__(
        self, *, rows: NoticeRows, slack: SlackClients, admins: frozenset[str], clock: Clock
    ) -> None:
        self._rows = rows
        self._slack = slack
        self._admins = admins
        self._clock = clock

    async def pause(self, rule: NoticeRule, reason: str) -> bool:
        """Pause once (audited); the admins get a DM saying which rule, where and why."""
        assert rule.id is not None
        event = AuditEvent(
            at=self._clock(),
            team_id=rule.team_id,
            actor=ACTOR,
            action="notify_pause",
            target=f"rule {rule.id}",
            outcome="allowed",
            detail=f"{rule.channel_id}: {reason}",
        )
        if not await self._rows.pause_rule(rule.id, reason, event):
            return False
        filters = inline_code(rule.search_text, 1500) or "no filters"
        text = (
            f":double_vertical_bar: Notice rule {rule.id} for <#{rule.channel_id}> is paused: "
            f"{reason}. Nothing more is posted there for it. Once that is fixed, make it again "
            f"with `/recordings notify #channel` for <#{rule.channel_id}> and {filters}, and "
            f"remove this one with `/recordings notify remove {rule.id}`."
        )
        for admin in sorted(self._admins):
            try:
                client = await self._slack.for_team(rule.team_id)
                await client.chat_postMessage(channel=admin, text=text, unfurl_links=False)
            except (SlackApiError, LookupError) as exc:
                log.warning("rule %s paused; admin %s was not told: %s", rule.id, admin, exc)
        return True

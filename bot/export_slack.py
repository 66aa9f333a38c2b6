"""Where export messages go: the direct-delivery channel or the DM, posted and edited in place.

The "export started" message is a real message, not an ephemeral one, because only real
messages can be edited later (progress, then the final state).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import Store
from bot.tables import ExportRequest

log = logging.getLogger(__name__)

Message = dict[str, Any]


async def dm_of(client: AsyncWebClient, user_id: str) -> str:
    opened = await client.conversations_open(users=user_id)
    return str(opened["channel"]["id"])


async def delivery_channel(store: Store, client: AsyncWebClient, row: ExportRequest) -> str:
    """The channel the export came from when it allows direct delivery, else the person's DM."""
    if row.channel_id:
        setting = await store.get_channel(row.team_id, row.channel_id)
        if setting.direct_delivery:
            return row.channel_id
    return await dm_of(client, row.slack_user_id)


async def post(
    client: AsyncWebClient, channel: str, row: ExportRequest, message: Message
) -> tuple[str, str] | None:
    """Post to ``channel``, falling back to the DM (the bot may have left the channel)."""
    try:
        posted = await client.chat_postMessage(
            channel=channel, text=message["text"], blocks=message["blocks"]
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        dm = await dm_of(client, row.slack_user_id)
        if channel == dm:
            log.warning("export %s: message not posted: %s", row.id, error)
            return None
        log.info("export %s: %s in %s, using the DM", row.id, error, channel)
        return await post(client, dm, row, message)
    return str(posted["channel"]), str(posted["ts"])


async def edit(
    client: AsyncWebClient,
    row: ExportRequest,
    message: Message,
    *,
    channel: str | None = None,
    ts: str | None = None,
) -> None:
    """Edit in place (not a second notice); a deleted original is no reason to fail."""
    channel, ts = channel or row.message_channel, ts or row.message_ts
    if not channel or not ts:
        return
    try:
        await client.chat_update(
            channel=channel, ts=ts, text=message["text"], blocks=message["blocks"]
        )
    except SlackApiError as exc:
        log.info("export %s: message not updated: %s", row.id, exc.response.get("error"))

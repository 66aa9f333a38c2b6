"""Where export messages go: the direct-delivery channel or the DM, posted and edited in place.

The "export started" message is a real message, not an ephemeral one, because only real
messages can be edited later (progress, then the final state). Export messages carry signed
links and file permalinks, which work like passwords, so Slack is told never to unfurl them.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import Store
from bot.store.tables import ExportRequest

log = logging.getLogger(__name__)

Message = dict[str, Any]

# The channel is no place for the message any more: the DM still is.
_USE_THE_DM = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "no_permission"}
)


async def dm_of(client: AsyncWebClient, user_id: str) -> str:
    opened = await client.conversations_open(users=user_id)
    return str(opened["channel"]["id"])


async def delivery_channel(store: Store, client: AsyncWebClient, row: ExportRequest) -> str:
    """The channel the export came from when it allows direct delivery, else the person's DM."""
    if row.channel_id:
        setting = await store.get_channel(row.team_id, row.channel_id)
        if setting.delivers_directly:
            return row.channel_id
    return await dm_of(client, row.slack_user_id)


async def post(
    client: AsyncWebClient, channel: str, row: ExportRequest, message: Message
) -> tuple[str, str]:
    """Post to ``channel``, or to the DM when the bot may no longer post there.

    Raises ``SlackApiError`` when Slack refused it (rate limits and outages included).
    """
    try:
        posted = await client.chat_postMessage(
            channel=channel,
            text=message["text"],
            blocks=message["blocks"],
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error not in _USE_THE_DM or channel == await dm_of(client, row.slack_user_id):
            raise
        log.info("export %s: %s in %s, using the DM", row.id, error, channel)
        return await post(client, await dm_of(client, row.slack_user_id), row, message)
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


async def delete(client: AsyncWebClient, row: ExportRequest, channel: str, ts: str) -> None:
    """Remove a duplicate notice another process beat us to; best effort."""
    try:
        await client.chat_delete(channel=channel, ts=ts)
    except SlackApiError as exc:
        log.warning("export %s: duplicate notice left: %s", row.id, exc.response.get("error"))

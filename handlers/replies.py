"""Posting replies: through the click's own response_url, checked, never silently dropped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.people.asker import Asker

log = logging.getLogger(__name__)
T = TypeVar("T")

# After this long with no answer from VBC the person is told so, instead of silence.
WAIT_NOTICE_AFTER = 2.0


async def reply(respond: AsyncRespond, message: dict[str, Any], *, replace: bool = False) -> None:
    """Ephemeral reply; ``replace`` swaps the clicked ephemeral message in place.

    Never raises for the network: a response_url that cannot be reached is logged, because
    the work behind the reply (an upload, a search) must not fail with it.
    """
    try:
        response = await respond(
            text=message.get("text", ""),
            blocks=message.get("blocks"),
            response_type="ephemeral",
            replace_original=replace,
        )
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.warning("could not post to the response_url (%s: %s)", type(exc).__name__, exc)
        return
    if response.status_code != 200:
        # respond() does not raise: say so in the log rather than fail silently.
        log.warning("response_url answered %s: %s", response.status_code, response.body[:200])


async def post_ephemeral(client: AsyncWebClient, asker: Asker, message: dict[str, Any]) -> None:
    """Where there is no response_url (modal submissions): ephemeral in the channel, else DM."""
    text, blocks = message.get("text", ""), message.get("blocks")
    if asker.channel_id:
        try:
            await client.chat_postEphemeral(
                channel=asker.channel_id, user=asker.user_id, text=text, blocks=blocks
            )
        except SlackApiError as exc:
            log.info(
                "ephemeral in %s failed (%s); using DM", asker.channel_id, exc.response["error"]
            )
        else:
            return
    opened = await client.conversations_open(users=asker.user_id)
    channel = opened["channel"]["id"]
    await client.chat_postMessage(channel=channel, text=text, blocks=blocks)


async def telling_if_slow(
    work: Awaitable[T],
    respond: AsyncRespond,
    *,
    replace: bool,
    what: str,
    after: float = WAIT_NOTICE_AFTER,
) -> T:
    """``work``'s result; when it takes over ``after`` seconds, say "Still waiting for VBC…".

    ``replace``: a clicked message shows it in place (and the results then replace it); a
    slash command's response_url cannot replace its earlier replies, so it is one extra line.
    Either costs one of the response_url's 5 uses.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=after)
        if not done:
            await reply(respond, blocks.render_waiting(what), replace=replace)
        return await task
    finally:
        if not task.done():
            task.cancel()

"""Export clicks: "Export all matching", the confirm and retry button, and the jobs Refresh."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.exports import ExportService
from bot.search.home import AppHome
from handlers.payloads import action_value, asker_of, clicked_ephemeral
from handlers.replies import reply


def register(app: AsyncApp, *, exports: ExportService, home: AppHome) -> None:
    app.action(blocks.ACTION_EXPORT_ALL)(functools.partial(export_all_matching, exports=exports))
    app.action(blocks.ACTION_EXPORT_CONFIRM)(functools.partial(confirm_export, exports=exports))
    app.action(blocks.ACTION_JOBS_REFRESH)(
        functools.partial(refresh_jobs, exports=exports, home=home)
    )


async def export_all_matching(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, exports: ExportService
) -> None:
    """The button under a result page; its value is the cursor key, re-planned for the clicker."""
    await ack()
    message = await exports.start_from_results(asker_of(body), action_value(body))
    await reply(respond, message)


async def confirm_export(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, exports: ExportService
) -> None:
    """The prompt's "Start export", or "Retry export" on a failed notice (``r:<id>``)."""
    await ack()
    message = await exports.confirm(asker_of(body), action_value(body))
    # The prompt is ephemeral and replaced; a failed notice is a real message and stays.
    await reply(respond, message, replace=clicked_ephemeral(body))


async def refresh_jobs(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    exports: ExportService,
    home: AppHome,
) -> None:
    """Refresh in ``/recordings jobs`` replaces the list; on App Home it republishes the tab."""
    await ack()
    asker = asker_of(body)
    if action_value(body) == "home":
        await client.views_publish(user_id=asker.user_id, view=await home.render(asker))
        return
    await reply(respond, await exports.jobs(asker), replace=True)

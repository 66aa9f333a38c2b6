"""Export clicks: "Export all matching", the confirm and retry button, and the jobs Refresh."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.deps import Deps
from bot.exports import require_exports
from bot.search.home import render_home_for
from handlers.actions import action_value, clicker
from handlers.replies import reply


def register(app: AsyncApp, *, deps: Deps) -> None:
    app.action(blocks.ACTION_EXPORT_ALL)(functools.partial(export_all_matching, deps=deps))
    app.action(blocks.ACTION_EXPORT_CONFIRM)(functools.partial(confirm_export, deps=deps))
    app.action(blocks.ACTION_JOBS_REFRESH)(functools.partial(refresh_jobs, deps=deps))


async def export_all_matching(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, deps: Deps
) -> None:
    """The button under a result page; its value is the cursor key, re-planned for the clicker."""
    await ack()
    message = await require_exports(deps).start_from_results(clicker(body), action_value(body))
    await reply(respond, message)


async def confirm_export(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, deps: Deps
) -> None:
    """The prompt's "Start export", or "Retry export" on a failed notice (``r:<id>``)."""
    await ack()
    message = await require_exports(deps).confirm(clicker(body), action_value(body))
    # The prompt is ephemeral and replaced; a failed notice is a real message and stays.
    container = body.get("container") or {}
    await reply(respond, message, replace=bool(container.get("is_ephemeral")))


async def refresh_jobs(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    deps: Deps,
) -> None:
    """Refresh in ``/recordings jobs`` replaces the list; on App Home it republishes the tab."""
    await ack()
    asker = clicker(body)
    if action_value(body) == "home":
        view = await render_home_for(deps, team_id=asker.team_id, user_id=asker.user_id)
        await client.views_publish(user_id=asker.user_id, view=view)
        return
    await reply(respond, await require_exports(deps).jobs(asker), replace=True)

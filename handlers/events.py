"""Events API: App Home; Slack re-sends unacknowledged events, so each id is handled once."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.home import render_home_for

log = logging.getLogger(__name__)


def register(app: AsyncApp, *, deps: Deps) -> None:
    app.middleware(functools.partial(drop_redelivered_events, deps=deps))
    app.event("app_home_opened")(functools.partial(publish_home, deps=deps))


async def drop_redelivered_events(
    body: dict[str, Any], next: Callable[[], Awaitable[None]], *, deps: Deps
) -> BoltResponse | None:
    """Bolt does not de-duplicate retried events; the first delivery of an event_id wins."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if event_id and not await deps.store.first_delivery(str(event_id)):
        log.info("dropping re-delivered event %s", event_id)
        return BoltResponse(status=200, body="")  # acknowledged, so Slack stops retrying
    await next()
    return None


async def publish_home(
    event: dict[str, Any], client: AsyncWebClient, body: dict[str, Any], *, deps: Deps
) -> None:
    if event.get("tab") not in (None, "home"):
        return
    team = body.get("team_id") or ""
    view = await render_home_for(deps, team_id=team, user_id=event["user"])
    await client.views_publish(user_id=event["user"], view=view)

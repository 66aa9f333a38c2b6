"""Events API: App Home; Slack re-sends unacknowledged events, so each id is handled once."""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.search.home import render_home_for

log = logging.getLogger(__name__)


def register(app: AsyncApp, *, deps: Deps) -> None:
    app.event("app_home_opened")(functools.partial(publish_home, deps=deps))


async def first_delivery(body: dict[str, Any], deps: Deps) -> bool:
    """Bolt does not de-duplicate retried events; the first delivery of an event_id wins.

    Checked inside the listener, after Bolt's automatic ack, so the database write is never
    between Slack and its 200 (a retry is acknowledged and then dropped here).
    """
    event_id = body.get("event_id")
    if event_id and not await deps.store.first_delivery(str(event_id)):
        log.info("dropping re-delivered event %s", event_id)
        return False
    return True


async def publish_home(
    event: dict[str, Any], client: AsyncWebClient, body: dict[str, Any], *, deps: Deps
) -> None:
    if event.get("tab") not in (None, "home") or not await first_delivery(body, deps):
        return
    team = body.get("team_id") or ""
    view = await render_home_for(deps, team_id=team, user_id=event["user"])
    try:
        await client.views_publish(user_id=event["user"], view=view)
    except SlackApiError as exc:  # e.g. not_enabled: the Home tab is off in the app's settings
        log.warning("App Home not published for %s: %s", event["user"], exc.response.get("error"))

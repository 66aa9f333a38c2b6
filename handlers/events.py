"""Events API: App Home; Slack re-sends unacknowledged events, so each id is handled once."""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.search.home import AppHome
from bot.store import Store
from handlers.payloads import asker_of, event_id

log = logging.getLogger(__name__)


def register(app: AsyncApp, *, store: Store, home: AppHome) -> None:
    app.event("app_home_opened")(functools.partial(publish_home, store=store, home=home))


async def first_delivery(body: dict[str, Any], store: Store) -> bool:
    """Bolt does not de-duplicate retried events; the first delivery of an event_id wins.

    Checked inside the listener, after Bolt's automatic ack, so the database write is never
    between Slack and its 200 (a retry is acknowledged and then dropped here).
    """
    event = event_id(body)
    if event and not await store.first_delivery(event):
        log.info("dropping re-delivered event %s", event)
        return False
    return True


async def publish_home(
    event: dict[str, Any],
    client: AsyncWebClient,
    body: dict[str, Any],
    *,
    store: Store,
    home: AppHome,
) -> None:
    if event.get("tab") not in (None, "home") or not await first_delivery(body, store):
        return
    asker = asker_of(body)
    await client.views_publish(user_id=asker.user_id, view=await home.render(asker))

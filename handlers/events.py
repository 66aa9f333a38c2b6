"""Events API: App Home, and forgetting an install's tokens when Slack revokes them.

Slack re-sends unacknowledged events, so App Home handles each id once; forgetting tokens is
idempotent, so a re-sent uninstall simply finds nothing left to delete.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.search.home import AppHome
from bot.store import Store
from bot.store.installations import EncryptedInstallationStore
from handlers.payloads import asker_of, event_id

log = logging.getLogger(__name__)


def register(
    app: AsyncApp,
    *,
    store: Store,
    home: AppHome,
    installations: EncryptedInstallationStore | None,
) -> None:
    app.event("app_home_opened")(functools.partial(publish_home, store=store, home=home))
    app.event("app_uninstalled")(functools.partial(forget_install, installations=installations))
    app.event("tokens_revoked")(functools.partial(forget_tokens, installations=installations))


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
    try:
        await client.views_publish(user_id=asker.user_id, view=await home.render(asker))
    except SlackApiError as exc:  # e.g. not_enabled: the Home tab is off in the app's settings
        log.warning("App Home not published for %s: %s", asker.user_id, exc.response.get("error"))


async def forget_install(
    context: AsyncBoltContext, *, installations: EncryptedInstallationStore | None
) -> None:
    """The app was uninstalled from a workspace: every token stored for it goes."""
    where = context.enterprise_id if context.is_enterprise_install else context.team_id
    if installations is None:
        log.info("uninstalled from %s; a single-workspace bot stores no Slack tokens", where)
        return
    await installations.async_delete_all(
        enterprise_id=context.enterprise_id, team_id=_team_of(context)
    )
    log.warning("uninstalled from %s: its stored Slack tokens are deleted", where)


async def forget_tokens(
    event: dict[str, Any],
    context: AsyncBoltContext,
    *,
    installations: EncryptedInstallationStore | None,
) -> None:
    """Slack revoked some of the app's tokens (``tokens.bot`` / ``tokens.oauth``): only those go."""
    tokens = event.get("tokens")
    revoked: dict[str, Any] = tokens if isinstance(tokens, dict) else {}
    bots = [str(u) for u in revoked.get("bot") or []]
    people = [str(u) for u in revoked.get("oauth") or []]
    where = context.enterprise_id if context.is_enterprise_install else context.team_id
    if installations is None:
        log.info("tokens revoked in %s; a single-workspace bot stores no Slack tokens", where)
        return
    team = _team_of(context)
    if bots:
        await installations.async_forget_bot_token(
            enterprise_id=context.enterprise_id, team_id=team
        )
    await installations.async_forget_user_tokens(
        enterprise_id=context.enterprise_id, team_id=team, user_ids=people
    )
    log.warning(
        "tokens revoked in %s: bot token %s, user tokens of %s deleted",
        where,
        "deleted" if bots else "kept",
        ", ".join(people) or "nobody",
    )


def _team_of(context: AsyncBoltContext) -> str | None:
    """An org-wide install is stored without a team (as slack_sdk's store keys it)."""
    return None if context.is_enterprise_install else context.team_id

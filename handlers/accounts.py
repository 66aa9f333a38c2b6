"""A deactivated Slack account stops at the door: no command, click, form or shortcut of its
is served once the profile cache (at most 5 minutes) has seen ``deleted: true``."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.people.directory import Directory, InactiveAccountError
from bot.store import Store
from handlers.payloads import describe, has_response_url, is_command, team_id_of, user_id_of
from handlers.replies import reply

log = logging.getLogger(__name__)
AUDIT_ACTION = "access"
# The check runs before the ack, which Slack wants within 3 s; a slow users.info is waited for
# this long, then the request goes on (the fetch carries on and fills the cache).
CHECK_TIMEOUT = 1.5


def register(app: AsyncApp, *, directory: Directory, store: Store) -> None:
    app.middleware(functools.partial(only_active_accounts, directory=directory, store=store))


async def only_active_accounts(
    body: dict[str, Any],
    respond: AsyncRespond | None,
    next: Callable[[], Awaitable[None]],
    *,
    directory: Directory,
    store: Store,
) -> BoltResponse | None:
    user = user_id_of(body)
    if user is None:  # uninstalls, token revocations: nobody to check
        await next()
        return None
    team = team_id_of(body)
    try:
        await asyncio.wait_for(directory.require_active(team, user), CHECK_TIMEOUT)
    except InactiveAccountError as exc:
        log.warning("refused %s: Slack account deactivated or a bot", describe(body))
        await store.audit(
            team, user, AUDIT_ACTION, outcome="refused", target=_kind(body), detail=str(exc)
        )
        return await _refuse(body, respond, str(exc))
    except (LookupError, SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        # Only a positive "deactivated" refuses: Slack signed this request just now, and a
        # passing failure to read the profile is no reason to turn the person away.
        log.warning("could not check the Slack account of %s (%s)", describe(body), exc)
    await next()
    return None


async def _refuse(body: dict[str, Any], respond: AsyncRespond | None, text: str) -> BoltResponse:
    """The refusal where the person would have seen an answer; never a traceback."""
    if is_command(body):
        return BoltResponse(status=200, body=text)  # a slash command's ack is shown to them
    if body.get("type") == "view_submission":
        update = {"response_action": "update", "view": blocks.render_notice_view(text)}
        return BoltResponse(status=200, body=update)
    if respond is not None and has_response_url(body):
        await reply(respond, blocks.render_error(text))
    return BoltResponse(status=200, body="")


def _kind(body: dict[str, Any]) -> str:
    """What was refused, for the audit log: the command, or the payload type and action."""
    if is_command(body):
        return str(body.get("command"))
    actions = body.get("actions")
    action = actions[0].get("action_id") if isinstance(actions, list) and actions else None
    kind = str(body.get("type") or "request")
    return f"{kind}:{action}" if action else kind

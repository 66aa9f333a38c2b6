"""Last resort: an unexpected error still gets the person a plain apology, never silence.

Only for a request known to be Slack's: one that came over the socket, or that the HTTP
front verified (it marks the context). Any other request that somehow reached Bolt (its own
verifier raises on a timestamp that is not a number, and lands here) gets neither a reply
to its ``response_url`` nor a log line carrying its fields.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse

from bot import blocks
from bot.web.guards import SIGNATURE_VERIFIED
from handlers.payloads import describe, event_type, is_command, team_id_of
from handlers.replies import reply

log = logging.getLogger(__name__)
APOLOGY = (
    "Sorry, something went wrong on my side and I could not finish that. "
    "Please try again; if it keeps happening, tell your Slack admin."
)
NOT_ENABLED = "The recordings app is not enabled for this workspace."
# Let through from any workspace: they only delete what is stored for the workspace they name.
TOKEN_EVENTS = ("app_uninstalled", "tokens_revoked")


def register(
    app: AsyncApp,
    *,
    allowed_teams: frozenset[str],
    count_error: Callable[[str], None] | None = None,
) -> None:
    app.error(functools.partial(apologise, count_error=count_error))
    if allowed_teams:
        app.middleware(functools.partial(only_allowed_teams, allowed_teams=allowed_teams))


async def apologise(
    error: Exception,
    body: dict[str, Any],
    respond: AsyncRespond | None,
    request: AsyncBoltRequest,
    *,
    count_error: Callable[[str], None] | None = None,
) -> None:
    if count_error is not None:
        count_error("listener")
    if not (request.mode == "socket_mode" or request.context.get(SIGNATURE_VERIFIED)):
        # Neither the body nor the error's text (it may quote the request) can be trusted.
        log.error("error in a request not known to be Slack's (%s)", type(error).__name__)
        return
    log.error("unhandled error for %s", describe(body), exc_info=error)
    # Modal submissions, global shortcuts and events carry no response_url to apologise to.
    if respond is not None and respond.response_url:
        try:
            await reply(respond, blocks.render_error(APOLOGY))
        except Exception:  # the apology itself failed; the log above has the cause
            log.exception("could not send the apology")


async def only_allowed_teams(
    body: dict[str, Any],
    next: Callable[[], Awaitable[None]],
    *,
    allowed_teams: frozenset[str],
) -> BoltResponse | None:
    """In a multi-workspace install, only the company's own workspaces get in."""
    team = team_id_of(body)
    if team and team not in allowed_teams and event_type(body) not in TOKEN_EVENTS:
        log.warning("refusing a request from workspace %s (not in SLACK_ALLOWED_TEAMS)", team)
        return BoltResponse(status=200, body=NOT_ENABLED if is_command(body) else "")
    await next()
    return None

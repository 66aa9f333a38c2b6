"""The OAuth install flow, gated: only the workspaces in ``SLACK_ALLOWED_TEAMS`` may install.

Bolt's flow exchanges the code for tokens and then stores the installation; the gate sits
between the two, so a stranger's install is refused before anything is saved. Its tokens are
revoked at Slack (best effort), so the refused install holds no live token anywhere.
"""

from __future__ import annotations

import html
import logging

import aiohttp
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import AsyncFailureArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation

log = logging.getLogger(__name__)

REFUSED = (
    "This Slack workspace is not allowed to install the recordings bot; ask your Slack admin "
    "to add its team id to SLACK_ALLOWED_TEAMS."
)


class InstallRefusedError(BoltError):
    """An install from a workspace (or org) that SLACK_ALLOWED_TEAMS does not list."""


def installed_into(installation: Installation) -> str:
    """The id the install is for: the org for an org-wide install, else the workspace."""
    if installation.is_enterprise_install:
        return installation.enterprise_id or ""
    return installation.team_id or ""


class GatedOAuthFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow, refusing installs into workspaces not in ``allowed``."""

    def __init__(self, *, settings: AsyncOAuthSettings, allowed: frozenset[str]) -> None:
        super().__init__(settings=settings)
        self._allowed = allowed
        self._bolt_failure = self.failure_handler
        self.failure_handler = self._failure

    async def store_installation(
        self, request: AsyncBoltRequest, installation: Installation
    ) -> None:
        where = installed_into(installation)
        if self._allowed and where not in self._allowed:
            log.warning("refused an install into %s: not in SLACK_ALLOWED_TEAMS", where or "?")
            await self._revoke(installation)
            raise InstallRefusedError(where)
        await super().store_installation(request, installation)

    async def _revoke(self, installation: Installation) -> None:
        for token in (installation.bot_token, installation.user_token):
            if not token:
                continue
            try:
                await self.client.auth_revoke(token=token)
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning("could not revoke a refused install's token: %s", type(exc).__name__)

    async def _failure(self, args: AsyncFailureArgs) -> BoltResponse:
        if not isinstance(args.error, InstallRefusedError):
            return await self._bolt_failure(args)
        body = f"<!doctype html><title>Recordings bot</title><p>{html.escape(REFUSED)}</p>"
        return BoltResponse(
            status=403,
            body=body,
            headers={
                "Content-Type": "text/html; charset=utf-8",
                "Set-Cookie": self.settings.state_utils.build_set_cookie_for_deletion(),
            },
        )

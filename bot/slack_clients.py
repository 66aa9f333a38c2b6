"""Slack Web API clients per workspace, honouring SLACK_API_URL, for work outside a request.

Background jobs (export notices, uploads) run outside Bolt's authorize middleware, so they
look the bot token up themselves: the single-workspace token, or the team's installation.
"""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

SLACK_TIMEOUT = 15


def make_client(token: str | None, base_url: str) -> AsyncWebClient:
    # slack_sdk retries only connection errors by default; 429s should wait Retry-After.
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=SLACK_TIMEOUT,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


class SlackClients:
    def __init__(
        self,
        *,
        base_url: str,
        token: str | None = None,
        installations: AsyncInstallationStore | None = None,
    ) -> None:
        self.base_url = base_url
        self._default = make_client(token, base_url) if token else None
        self._installations = installations
        self._by_token: dict[str, AsyncWebClient] = {}

    @property
    def default(self) -> AsyncWebClient | None:
        return self._default

    async def for_team(self, team_id: str | None) -> AsyncWebClient:
        if self._installations is not None:
            installation = await self._installations.async_find_installation(
                enterprise_id=None, team_id=team_id
            )
            if installation is None or not installation.bot_token:
                raise LookupError(f"The app is not installed in workspace {team_id}.")
            token = installation.bot_token
            client = self._by_token.get(token)
            if client is None:
                client = self._by_token[token] = make_client(token, self.base_url)
            return client
        if self._default is None:
            raise LookupError("No Slack bot token is configured.")
        return self._default

"""Slack profiles behind every request: cached briefly, so a deactivated account is refused
within minutes (signed links ask Slack afresh every time)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.clock import Clock
from bot.people.policy import AccessRefusedError

_PROFILE_CACHE_MAX = 5000
# How long a deactivated Slack account may still be served from the cache; at most 5 minutes.
PROFILE_TTL = timedelta(minutes=5)
DEACTIVATED = (
    "Your Slack account is deactivated, so the recordings bot no longer serves it. "
    "If that is a mistake, ask your Slack admin to reactivate it."
)
NOT_A_PERSON = "Slack apps and bot users cannot use the recordings bot."
T = TypeVar("T")


@dataclass(frozen=True)
class SlackProfile:
    user_id: str
    name: str
    tz: str = "UTC"
    email: str | None = None
    is_bot: bool = False
    deleted: bool = False


# (team_id, user_id) -> profile, built by the app from Slack users.info; LookupError if no user.
ProfileFetcher = Callable[[str, str], Awaitable[SlackProfile]]


class InactiveAccountError(AccessRefusedError):
    """The Slack account is deactivated (or is a bot): it gets no service at all."""


class Profiles:
    """Slack profiles by (team, user), fetched once per person at a time and cached for ``ttl``."""

    def __init__(
        self, fetch: ProfileFetcher, *, clock: Clock, ttl: timedelta = PROFILE_TTL
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[datetime, SlackProfile]] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[SlackProfile]] = {}

    async def profile(self, team_id: str, user_id: str) -> SlackProfile:
        """The person's Slack profile; concurrent callers for one person share one fetch."""
        key = (team_id, user_id)
        cached = self._cache.get(key)
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        return await shared(self._tasks, key, lambda: self._fetch_and_cache(key))

    async def require_active(
        self, team_id: str, user_id: str, *, fresh: bool = False
    ) -> SlackProfile:
        """The profile of a person whose Slack account may use the bot, else
        InactiveAccountError; ``fresh`` asks Slack now instead of the cache (signed links).
        LookupError (Slack knows no such person) and Slack's own errors pass through."""
        if fresh:
            profile = await self._fetch_and_cache((team_id, user_id))
        else:
            profile = await self.profile(team_id, user_id)
        if profile.deleted:
            raise InactiveAccountError(DEACTIVATED)
        if profile.is_bot:
            raise InactiveAccountError(NOT_A_PERSON)
        return profile

    async def _fetch_and_cache(self, key: tuple[str, str]) -> SlackProfile:
        profile = await self._fetch(*key)
        now = self._clock()
        if len(self._cache) >= _PROFILE_CACHE_MAX:
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self._ttl}
        self._cache[key] = (now, profile)
        return profile


async def shared(
    tasks: dict[tuple[str, str], asyncio.Task[T]],
    key: tuple[str, str],
    make: Callable[[], Coroutine[Any, Any, T]],
) -> T:
    """Run ``make()`` once per key at a time; concurrent callers await the same task."""
    task = tasks.get(key)
    if task is None:
        task = asyncio.ensure_future(make())
        tasks[key] = task
        task.add_done_callback(lambda _t: tasks.pop(key, None))
    # Shielded: one caller giving up must not cancel the work the others wait for.
    return await asyncio.shield(task)

"""``/readyz``'s checks: the database answers, a VBC token can be had, Slack takes the token.

The VBC token comes from the auth's cache (no token request per probe; a refused password is
asked again at most every 5 minutes, see ``bot.vbc.auth``); Slack's ``auth.test`` answers are
kept for ``SLACK_TTL``. ``CredentialWatch`` runs the checks from start-up on: a credential
refused is one ERROR line naming the setting, its recovery one INFO line, no restart needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.ops.diagnose import describe, slack_problem, vbc_fix
from bot.store import Store
from bot.store.engine import DatabaseError
from bot.vbc.errors import VbcError

log = logging.getLogger(__name__)

SLACK_TTL = timedelta(seconds=30)
WATCH_BACKOFF = (30.0, 60.0, 120.0, 300.0)  # seconds between checks while one fails
WATCH_INTERVAL = 300.0  # between checks while all pass

TokenSource = Callable[[], Awaitable[object]]
# Each workspace with its client, or why there is none (an install that cannot be opened).
SlackTeams = Callable[[], Awaitable[list[tuple[str, AsyncWebClient | LookupError]]]]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, object]:
        answer: dict[str, object] = {"ok": self.ok, "detail": self.detail}
        if self.fix:
            answer["fix"] = self.fix
        return answer


class Readiness:
    """Runs the three checks; ``slack_teams`` gives a client per workspace to ``auth.test``."""

    def __init__(
        self,
        *,
        store: Store,
        vbc_token: TokenSource,
        slack_teams: SlackTeams,
        slack_setting: str,
        oauth: bool,
        clock: Clock,
    ) -> None:
        self._store = store
        self._vbc_token = vbc_token
        self._slack_teams = slack_teams
        self._token_setting = slack_setting
        self._oauth = oauth
        self._clock = clock
        self._slack: tuple[datetime, Check] | None = None

    async def run(self) -> list[Check]:
        return list(await asyncio.gather(self.database(), self.vbc(), self.slack()))

    async def database(self) -> Check:
        try:
            await self._store.ping()
        except (DatabaseError, OSError) as exc:
            return Check(
                "database",
                False,
                f"the database did not answer ({type(exc).__name__})",
                "check DATABASE_URL and that the database is up",
            )
        return Check("database", True, "answers")

    async def vbc(self) -> Check:
        try:
            await self._vbc_token()
        except VbcError as exc:
            return Check("vbc", False, describe(exc), vbc_fix(exc))
        return Check("vbc", True, "token available")

    async def slack(self) -> Check:
        now = self._clock()
        if self._slack is not None and now - self._slack[0] < SLACK_TTL:
            return self._slack[1]
        check = await self._slack_check()
        self._slack = (now, check)
        return check

    async def _slack_check(self) -> Check:
        try:
            teams = await self._slack_teams()
        except (LookupError, DatabaseError) as exc:
            detail, fix = slack_problem(exc, setting=self._token_setting)
            return Check("slack", False, detail, fix)
        if self._oauth and not teams:
            return Check("slack", True, "no workspace has installed the app yet")
        failures: list[tuple[str, str, str]] = []
        for team, client in teams:
            try:
                if isinstance(client, LookupError):
                    raise client
                await client.auth_test()
            except (SlackApiError, OSError, TimeoutError, LookupError) as exc:
                failures.append((team, *slack_problem(exc, setting=self._token_setting)))
        healthy = len(teams) - len(failures)
        if not self._oauth:
            if failures:
                return Check("slack", False, failures[0][1], failures[0][2])
            return Check("slack", True, "auth.test passes")
        detail = f"{healthy} of {len(teams)} workspaces healthy"
        if failures:
            detail += "; " + "; ".join(f"{team}: {what}" for team, what, _ in failures)
        # One workspace that removed the app must not take the bot out of rotation for all.
        fix = failures[0][2] if failures else ""
        return Check("slack", healthy > 0, detail, fix)


class CredentialWatch:
    """Checks from start-up on; logs each check's turn to failing (ERROR) and back (INFO)."""

    def __init__(self, readiness: Readiness, *, sleep: Callable[[float], Awaitable[None]]) -> None:
        self._readiness = readiness
        self._sleep = sleep
        self._failing: dict[str, str] = {}
        self.checked = asyncio.Event()  # set once the first round of checks is done

    async def check_once(self) -> list[Check]:
        checks = await self._readiness.run()
        for check in checks:
            before = self._failing.get(check.name)
            if not check.ok and before != check.fix:  # a new problem, not the same one again
                log.error("readiness: %s check failed: %s; %s", check.name, check.detail, check.fix)
                self._failing[check.name] = check.fix
            elif check.ok and before is not None:
                log.info("readiness: %s check passes again (%s)", check.name, check.detail)
                del self._failing[check.name]
        self.checked.set()
        return checks

    async def run(self) -> None:
        failures = 0
        while True:
            checks = await self.check_once()
            failing = any(not c.ok for c in checks)
            failures = failures + 1 if failing else 0
            delay = WATCH_BACKOFF[min(failures, len(WATCH_BACKOFF)) - 1] if failing else 0.0
            await self._sleep(delay or WATCH_INTERVAL)

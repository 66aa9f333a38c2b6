"""Directory.require_active: deactivated accounts and bots are refused; the cache lives 5 minutes
at most, and a fresh check asks Slack past it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.people.directory import Directory, InactiveAccountError, SlackProfile
from bot.people.policy import AccessRefusedError
from bot.store import Store
from bot.vbc.client import VbcClient

TEAM = "T1"


class Slack:
    """users.info as the directory sees it: what Slack says now, and how often it was asked."""

    def __init__(self) -> None:
        self.profiles = {
            "UADA": SlackProfile("UADA", "Ada"),
            "UBOT": SlackProfile("UBOT", "Bot", is_bot=True),
        }
        self.asked = 0

    async def fetch(self, team_id: str, user_id: str) -> SlackProfile:
        self.asked += 1
        return self.profiles[user_id]

    def deactivate(self, user_id: str) -> None:
        self.profiles[user_id] = SlackProfile(user_id, "Ada", deleted=True)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def no_vbc(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no VBC call expected: {request.url}")


@pytest.fixture
def slack() -> Slack:
    return Slack()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(store: Store, slack: Slack, clock: Clock) -> Directory:
    vbc = VbcClient(httpx.AsyncClient(transport=httpx.MockTransport(no_vbc)))
    return Directory(store, vbc, admins=frozenset(), fetch_profile=slack.fetch, clock=clock)


async def test_a_deactivated_account_is_refused_once_the_cache_has_expired(
    directory: Directory, slack: Slack, clock: Clock
) -> None:
    assert (await directory.require_active(TEAM, "UADA")).name == "Ada"
    slack.deactivate("UADA")
    clock.now += timedelta(minutes=4, seconds=59)
    await directory.require_active(TEAM, "UADA")  # still Slack's earlier answer
    clock.now += timedelta(seconds=1)
    with pytest.raises(InactiveAccountError, match="Your Slack account is deactivated"):
        await directory.require_active(TEAM, "UADA")
    assert slack.asked == 2


async def test_a_fresh_check_asks_slack_past_the_cache_and_refreshes_it(
    directory: Directory, slack: Slack
) -> None:
    await directory.require_active(TEAM, "UADA")
    slack.deactivate("UADA")
    with pytest.raises(InactiveAccountError):
        await directory.require_active(TEAM, "UADA", fresh=True)
    with pytest.raises(AccessRefusedError):  # the cache now holds the deactivated profile
        await directory.require_active(TEAM, "UADA")
    assert slack.asked == 2


async def test_bot_users_are_refused(directory: Directory) -> None:
    with pytest.raises(InactiveAccountError, match="bot users"):
        await directory.require_active(TEAM, "UBOT")

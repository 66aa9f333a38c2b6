"""manifest.yml creates the whole app the code expects, asks least scopes, fits Slack's schema.

Everything the bot relies on is checked here from the code itself; Slack's public manifest
schema, which lives in ``../shared``, is an extra check where it is present.
"""

from __future__ import annotations

import inspect
import json
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any, cast

import jsonschema
import pytest
import yaml
from slack_bolt.async_app import AsyncApp

from bot import blocks
from bot.app import BOT_SCOPES
from handlers import commands, events, shortcuts, views
from tests.paths import MANIFEST_SCHEMA, REPO, shared_file

EVENTS_PATH = "/slack/events"  # where Bolt takes commands, events and interactivity
# Slack's rule for a bot user's display name (api.slack.com/reference/manifests#features).
BOT_NAME = re.compile(r"^[a-z0-9._-]{1,80}$")


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "manifest.yml").read_text())
    return data


class Listening:
    """Stands in for AsyncApp: hears what each handler module registers for."""

    def __init__(self) -> None:
        self.heard: dict[str, set[str]] = defaultdict(set)

    def _hear(self, kind: str, name: str) -> Callable[[Any], Any]:
        self.heard[kind].add(name)
        return lambda listener: listener

    def command(self, name: str) -> Callable[[Any], Any]:
        return self._hear("command", name)

    def shortcut(self, callback_id: str) -> Callable[[Any], Any]:
        return self._hear("shortcut", callback_id)

    def event(self, name: str) -> Callable[[Any], Any]:
        return self._hear("event", name)

    def view(self, callback_id: str) -> Callable[[Any], Any]:
        return self._hear("view", callback_id)


def listened_for() -> dict[str, set[str]]:
    app = Listening()
    for module in (commands, shortcuts, events, views):
        # Registration only binds services; none is called, so each may stand in as None.
        services = {
            name: None
            for name, parameter in inspect.signature(module.register).parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        }
        module.register(cast(AsyncApp, app), **services)
    return app.heard


def test_the_slash_commands_are_those_the_code_handles() -> None:
    slash = manifest()["features"]["slash_commands"]
    assert {c["command"] for c in slash} == listened_for()["command"] == {"/recordings"}
    (recordings,) = slash
    assert recordings["should_escape"] is True  # user:<@U…> arrives as a mention with its id
    assert recordings["url"].endswith(EVENTS_PATH)


def test_the_shortcuts_are_those_the_code_handles_of_the_right_kind() -> None:
    declared = {s["callback_id"]: s["type"] for s in manifest()["features"]["shortcuts"]}
    assert declared == {
        blocks.CALLBACK_SHORTCUT_SEARCH: "global",
        blocks.CALLBACK_MESSAGE_SHORTCUT: "message",  # it reads the numbers in a message
    }
    assert set(declared) == listened_for()["shortcut"]


def test_the_bot_events_are_those_the_code_handles() -> None:
    subscription = manifest()["settings"]["event_subscriptions"]
    assert set(subscription["bot_events"]) == listened_for()["event"]
    assert listened_for()["event"] == {"app_home_opened", "app_uninstalled", "tokens_revoked"}
    assert subscription["request_url"].endswith(EVENTS_PATH)


def test_interactivity_is_on_for_buttons_shortcuts_and_the_search_modal() -> None:
    assert listened_for()["view"] == {blocks.CALLBACK_SEARCH_MODAL}
    interactivity = manifest()["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith(EVENTS_PATH)


def test_app_home_has_the_home_tab_and_the_dm_the_bot_delivers_to() -> None:
    app_home = manifest()["features"]["app_home"]
    assert app_home["home_tab_enabled"] is True  # app_home_opened publishes it
    assert app_home["messages_tab_enabled"] is True  # audio and export notices arrive there


def test_manifest_asks_exactly_the_scopes_the_code_uses() -> None:
    assert sorted(manifest()["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_bot_scopes_come_with_a_bot_user() -> None:
    # Slack refuses a manifest that asks for bot scopes without a bot user.
    assert BOT_NAME.match(manifest()["features"]["bot_user"]["display_name"])


def test_the_oauth_redirect_is_the_one_the_app_serves() -> None:
    redirects = manifest()["oauth_config"]["redirect_urls"]
    assert [url.endswith("/slack/oauth_redirect") for url in redirects] == [True]


def test_manifest_validates_against_slacks_public_schema() -> None:
    schema = json.loads(shared_file(MANIFEST_SCHEMA).read_text())
    jsonschema.validate(manifest(), schema)


@pytest.mark.parametrize("broken", [{"features": "none"}, {"display_information": {}}])
def test_the_schema_check_can_fail(broken: dict[str, Any]) -> None:
    schema = json.loads(shared_file(MANIFEST_SCHEMA).read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**manifest(), **broken}, schema)

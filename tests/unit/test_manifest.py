"""manifest.yml creates the whole app, validates against the public schema, asks least scopes."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import yaml

from bot import blocks
from bot.app import BOT_SCOPES
from tests.paths import MANIFEST_SCHEMA, REPO


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "manifest.yml").read_text())
    return data


def test_manifest_validates_against_the_schema() -> None:
    schema = json.loads(MANIFEST_SCHEMA.read_text())
    jsonschema.validate(manifest(), schema)


def test_manifest_declares_every_surface_the_code_listens_for() -> None:
    features = manifest()["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/recordings"]
    assert features["slash_commands"][0]["should_escape"] is True  # <@U…> mentions for user:
    callbacks = {s["callback_id"]: s["type"] for s in features["shortcuts"]}
    assert callbacks == {
        blocks.CALLBACK_SHORTCUT_SEARCH: "global",
        blocks.CALLBACK_MESSAGE_SHORTCUT: "message",
    }
    assert features["app_home"]["home_tab_enabled"] is True
    settings = manifest()["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]


def test_manifest_asks_exactly_the_scopes_the_code_uses() -> None:
    assert sorted(manifest()["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)

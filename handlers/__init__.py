"""Slack listeners: thin adapters from Bolt payloads to the services in ``bot``."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers import actions, commands, events, shortcuts, views


def register_all(app: AsyncApp, *, deps: Deps) -> None:
    for module in (commands, actions, views, shortcuts, events):
        module.register(app, deps=deps)

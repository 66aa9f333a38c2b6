"""Slack listeners: thin adapters from Bolt payloads to the services in ``bot``."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers import actions, audio, commands, errors, events, exports, shortcuts, views


def register_all(app: AsyncApp, *, deps: Deps) -> None:
    # audio before actions: its Retry listener takes only play/share retries.
    for module in (errors, commands, audio, actions, exports, views, shortcuts, events):
        module.register(app, deps=deps)

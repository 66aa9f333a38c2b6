"""The "Skip this run" button on a retention run's notice (any admin; re-checked, audited)."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import blocks
from bot.lifecycle.retention import RetentionService
from handlers.payloads import action_value, asker_of
from handlers.replies import reply


def register(app: AsyncApp, *, retention: RetentionService) -> None:
    app.action(blocks.ACTION_RETENTION_SKIP)(functools.partial(skip_run, retention=retention))


async def skip_run(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, retention: RetentionService
) -> None:
    await ack()
    message = await retention.skip(asker_of(body), action_value(body))
    await reply(respond, message, replace=False)

"""Search modal submissions: field errors in the modal, results as an ephemeral message."""

from __future__ import annotations

import functools
import json
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks.modal import ModalErrors, parse_search_modal
from bot.deps import Deps
from bot.people.asker import Asker, zone
from handlers.replies import post_ephemeral


def register(app: AsyncApp, *, deps: Deps) -> None:
    app.view(blocks.CALLBACK_SEARCH_MODAL)(functools.partial(submit_search, deps=deps))


def _metadata(raw: str) -> dict[str, str]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {"channel": raw}  # a plain channel id
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


async def submit_search(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, deps: Deps
) -> None:
    view = body["view"]
    metadata = _metadata(view.get("private_metadata") or "")
    asker = Asker(
        team_id=(body.get("team") or {}).get("id") or body["user"].get("team_id") or "",
        user_id=body["user"]["id"],
        channel_id=metadata.get("channel") or None,
    )
    # No Slack call before the ack: the zone travelled with the view when it was opened.
    tz = zone(metadata.get("tz")) if metadata.get("tz") else await deps.recordings.tz_of(asker)
    try:
        request = parse_search_modal(
            view["state"]["values"], tz=tz, region=deps.settings.phone_region
        )
    except ModalErrors as exc:
        await ack(response_action="errors", errors=exc.errors)
        return
    await ack()
    await post_ephemeral(client, asker, await deps.recordings.search(asker, request))

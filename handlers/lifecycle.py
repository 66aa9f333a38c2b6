"""Deletion clicks and forms: Details' "Delete…", its modal, the bulk count modal, Cancel."""

from __future__ import annotations

import functools
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.blocks.lifecycle import ACTION_DELETE_FIELD, BLOCK_DELETE_COUNT, BLOCK_DELETE_REASON
from bot.lifecycle.jobs import DeletionJobService
from bot.lifecycle.single import SingleDelete
from handlers.modals import open_delete_modal
from handlers.payloads import (
    action_value,
    asker_of,
    has_response_url,
    trigger_id,
    view_metadata,
    view_values,
)
from handlers.replies import post_ephemeral, reply


def register(app: AsyncApp, *, single: SingleDelete, jobs: DeletionJobService) -> None:
    app.action(blocks.ACTION_DELETE_OPEN)(functools.partial(open_delete, single=single))
    app.view(blocks.CALLBACK_DELETE_ONE)(functools.partial(submit_delete, single=single))
    app.action(blocks.ACTION_BULK_DELETE_OPEN)(functools.partial(open_bulk_delete, jobs=jobs))
    app.view(blocks.CALLBACK_DELETE_BULK)(functools.partial(submit_bulk_delete, jobs=jobs))
    app.action(blocks.ACTION_DELETE_CANCEL)(functools.partial(cancel_deletion, jobs=jobs))


def _field(body: dict[str, Any], block_id: str) -> str:
    state = view_values(body).get(block_id, {}).get(ACTION_DELETE_FIELD, {})
    return str(state.get("value") or "") if isinstance(state, dict) else ""


async def open_delete(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    single: SingleDelete,
) -> None:
    """Details' "Delete…": the button's reference is re-checked for the clicker."""
    await ack()
    asker, value = asker_of(body), action_value(body)
    await open_delete_modal(
        client,
        trigger_id(body),
        asker,
        functools.partial(single.look_up_ref, asker, value),
        respond=respond if has_response_url(body) else None,
    )


async def submit_delete(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, single: SingleDelete
) -> None:
    """The confirmed modal: closed at once, the deletion's outcome posted after."""
    await ack()
    asker = asker_of(body)
    ref = view_metadata(body).get("ref", "")
    message = await single.delete(asker, ref, _field(body, BLOCK_DELETE_REASON))
    await post_ephemeral(client, asker, message)


async def open_bulk_delete(
    ack: AsyncAck,
    body: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    jobs: DeletionJobService,
) -> None:
    await ack()
    opened = await jobs.open_confirm(asker_of(body), action_value(body))
    if opened.view is not None:
        await client.views_open(trigger_id=trigger_id(body), view=opened.view)
    elif opened.message is not None:
        await reply(respond, opened.message)


async def submit_bulk_delete(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, *, jobs: DeletionJobService
) -> None:
    """A count typed wrong stays in the modal as a field error; the right one starts the job."""
    asker = asker_of(body)
    job = view_metadata(body).get("job", "")
    typed = _field(body, BLOCK_DELETE_COUNT)
    error = await jobs.check_count(asker, job, typed)
    if error is not None:
        await ack(response_action="errors", errors={BLOCK_DELETE_COUNT: error})
        return
    await ack()
    message = await jobs.begin(asker, job, typed, _field(body, BLOCK_DELETE_REASON))
    await post_ephemeral(client, asker, message)


async def cancel_deletion(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, *, jobs: DeletionJobService
) -> None:
    """Cancel on the progress message: the requester or an admin (checked on the server)."""
    await ack()
    await reply(respond, await jobs.cancel(asker_of(body), action_value(body)))

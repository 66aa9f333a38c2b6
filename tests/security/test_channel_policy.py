"""Channel policies are consistent: direct delivery only where sharing is allowed.

``channel deny`` turns direct delivery off, ``channel direct`` needs sharing allowed first, and a
stored row from before that rule (direct on, sharing off) delivers nothing into the channel.
Play and export results are followed to where the fake Slack saw them land.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot import blocks
from bot.store.engine import alembic_config, create_engine, migrate
from bot.store.tables import ChannelSetting
from tests.fakes import Message, render_text
from tests.integration.access import latest_reply, seen_count
from tests.integration.conftest import (
    ADMIN,
    CHANNEL,
    MEMBER,
    TEAM,
    Stack,
)

DEADLINE = 20.0


async def say(stack: Stack, user: str, words: str) -> str:
    before = seen_count(stack, user)
    await stack.driver.command(user, words, channel_id=CHANNEL)
    return (await latest_reply(stack, user, before)).text


async def play_first_result(stack: Stack) -> str:
    """Search in CHANNEL as MEMBER, press the first row's Play (whatever its label), and wait."""
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.command(MEMBER, "type:company last 7d", channel_id=CHANNEL)
    [results] = await stack.slack.wait_for(lambda: stack.slack.messages_for(MEMBER)[before:])
    action_id, value = first_play(results)
    edits = results.edits
    await stack.driver.click(MEMBER, action_id, value, message=results)

    def outcome() -> str | None:
        shown = render_text(results.blocks)
        return (
            shown
            if results.edits > edits and "⏳" not in shown and ":white_check_mark:" in shown
            else None
        )

    return await stack.slack.wait_for(outcome, timeout=DEADLINE)


def first_play(message: Message) -> tuple[str, str]:
    for block in message.blocks:
        for element in block.get("elements") or []:
            if str(element.get("action_id", "")).startswith(blocks.ACTION_PLAY):
                return str(element["action_id"]), str(element["value"])
    raise AssertionError(f"no Play button in {render_text(message.blocks)}")


async def export_from_channel(stack: Stack) -> None:
    """Start a small export in CHANNEL and wait for its one notice."""
    await say(stack, MEMBER, "export type:company last 7d")
    exports = stack.bot.runtime.services.exports
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while not [r for r, _ in await exports.jobs_for(TEAM, MEMBER) if r.notified_at]:
        assert asyncio.get_running_loop().time() < deadline, "the export did not finish in time"
        await asyncio.sleep(0.05)
    await stack.bot.runtime.services.export_watcher.drain()


def landed_in_channel(stack: Stack) -> list[str]:
    """Everything the bot put into CHANNEL itself: messages and file uploads."""
    posts = [m.text for m in stack.slack.messages_for(CHANNEL) if not m.ephemeral]
    files = [u.filename for u in stack.slack.uploads.values() if CHANNEL in u.channels]
    return posts + files


def landed_in_dm(stack: Stack) -> list[str]:
    dm = stack.slack.dm_channel(MEMBER)
    return [u.filename for u in stack.slack.uploads.values() if dm in u.channels]


async def test_channel_deny_turns_direct_delivery_off(stack: Stack) -> None:
    assert "is *allowed*" in await say(stack, ADMIN, "channel allow")
    assert "direct delivery" in (await say(stack, ADMIN, "channel direct")).lower()
    status = await say(stack, ADMIN, "channel deny")
    assert "*not allowed*" in status
    assert "direct delivery of Play and export results is *off*" in status
    stored = await stack.bot.runtime.services.store.get_channel(TEAM, CHANNEL)
    assert (stored.allow_share, stored.direct_delivery) == (False, False)

    assert "is in your DM with me" in await play_first_result(stack)
    await export_from_channel(stack)
    assert landed_in_channel(stack) == [], "nothing was posted or uploaded into the channel"
    assert len(landed_in_dm(stack)) == 2, "the audio and the zip went to the DM"


async def test_direct_is_refused_where_sharing_is_not_allowed(stack: Stack) -> None:
    refused = await say(stack, ADMIN, "channel direct")
    assert ":warning:" in refused
    assert "`/recordings channel allow`" in refused
    stored = await stack.bot.runtime.services.store.get_channel(TEAM, CHANNEL)
    assert not stored.direct_delivery
    status = await say(stack, ADMIN, "channel status")
    assert "*not allowed*" in status
    assert "is *off*" in status


async def test_a_stored_direct_row_without_sharing_delivers_to_the_dm(stack: Stack) -> None:
    """A row written before the rule (direct on, sharing off) is treated as not direct."""
    store = stack.bot.runtime.services.store
    await store.save_channel(
        ChannelSetting(team_id=TEAM, channel_id=CHANNEL, allow_share=False, direct_delivery=True)
    )
    assert "is *off*" in await say(stack, MEMBER, "channel status")
    assert "is in your DM with me" in await play_first_result(stack)
    await export_from_channel(stack)
    assert landed_in_channel(stack) == []
    # Allowing sharing later does not wake the old direct flag up: direct is asked for anew.
    status = await say(stack, ADMIN, "channel allow")
    assert "is *allowed*" in status
    assert "is *off*" in status


@pytest.mark.parametrize("allowed", [False, True])
async def test_the_migration_clears_direct_delivery_where_sharing_was_not_allowed(
    sqlite_url: str, allowed: bool
) -> None:
    engine = create_engine(sqlite_url)

    def upgrade_to(revision: str) -> Callable[[Connection], None]:
        def run(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

        return run

    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to("0002"))
            await conn.execute(
                text(
                    "INSERT INTO channel_settings (team_id, channel_id, allow_share, "
                    "direct_delivery, updated_at) VALUES (:t, :c, :a, :d, CURRENT_TIMESTAMP)"
                ),
                {"t": TEAM, "c": CHANNEL, "a": allowed, "d": True},
            )
        await migrate(engine)
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT allow_share, direct_delivery FROM channel_settings")
                )
            ).one()
    finally:
        await engine.dispose()
    assert (bool(row[0]), bool(row[1])) == (allowed, allowed)

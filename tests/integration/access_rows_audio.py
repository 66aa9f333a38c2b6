"""The access matrix's play and share rows (see ``tests/integration/access.py`` for ``Row``).

Play is audited as ``audio``, Share to channel as ``share``; each row's click is made for the
actor whatever the button said, so "other" rows are forged clicks the server must refuse.
"""

from __future__ import annotations

from bot import blocks
from bot.store.tables import ChannelSetting
from bot.vbcsim.data import SimRecording
from tests.fakes import Message, render_text
from tests.integration.access import (
    Outcome,
    Row,
    Whose,
    member_recording,
    other_recording,
    own_or_others_rows,
    ref_value,
    seen_count,
)
from tests.integration.conftest import CHANNEL, MEMBER, OTHER, TEAM, Stack

# How a finished play or share reads: done, refused or failed, or a link for big files.
FINAL = (":white_check_mark:", ":warning:", ":package:")


def _recording_for(stack: Stack, actor: str, whose: Whose) -> SimRecording:
    owner = actor if whose == "own" else (OTHER if actor == MEMBER else MEMBER)
    return other_recording(stack) if owner == OTHER else member_recording(stack)


async def _click_and_wait(stack: Stack, actor: str, action_id: str, value: str) -> Outcome:
    before = seen_count(stack, actor)
    await stack.driver.click(actor, action_id, value, channel_id=CHANNEL)

    def finished() -> list[Message] | None:
        new = stack.slack.messages_for(actor)[before:]
        return new if any(render_text(m.blocks).startswith(FINAL) for m in new) else None

    messages = await stack.slack.wait_for(finished, timeout=30)
    return Outcome(text="\n".join(m.text + "\n" + render_text(m.blocks) for m in messages))


async def do_play(stack: Stack, actor: str, whose: Whose) -> Outcome:
    value = ref_value(_recording_for(stack, actor, whose))
    return await _click_and_wait(stack, actor, blocks.ACTION_PLAY, value)


async def do_share(stack: Stack, actor: str, whose: Whose) -> Outcome:
    """Share in a channel an admin allowed: only access to the recording decides."""
    await stack.bot.runtime.services.store.save_channel(
        ChannelSetting(team_id=TEAM, channel_id=CHANNEL, allow_share=True)
    )
    value = ref_value(_recording_for(stack, actor, whose))
    return await _click_and_wait(stack, actor, blocks.ACTION_SHARE, value)


ROWS: list[Row] = [*own_or_others_rows("audio", do_play), *own_or_others_rows("share", do_share)]

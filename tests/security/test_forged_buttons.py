"""A signed click carrying a value no button of ours has gets a clear answer, for every kind
of button: no traceback, no apology, and nothing asked of VBC with what it carried."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot import blocks
from bot.store.tables import ChannelSetting
from tests.fakes import render_text
from tests.integration.conftest import ADMIN, CHANNEL, MEMBER, TEAM, Stack

RECORDING_API = "/t/vbc.prod/call_recording/api"
APOLOGY = "something went wrong on my side"
# int() reads the first two as 123; isdigit() accepts the third; int() refuses the fourth.
NOT_ASCII = ["١٢٣", "\uff11\uff12\uff13", "²", "9" * 5000]
ODD = ["-1", ""]


@dataclass(frozen=True)
class Kind:
    action_id: str
    shape: Callable[[str], str]  # where the number sits in this button's value
    user: str = MEMBER


KINDS = {
    "page": Kind(blocks.ACTION_PAGE_NEXT, lambda n: f"Kx7_abc-123:{n}"),
    "details": Kind(blocks.ACTION_DETAILS, lambda n: f"c:{n}"),
    "play": Kind(blocks.ACTION_PLAY, lambda n: f"o:745249:{n}"),
    "share": Kind(blocks.ACTION_SHARE, lambda n: f"c:{n}"),
    "row menu": Kind(blocks.ACTION_ROW_MENU, lambda n: f"{blocks.ACTION_PLAY}|c:{n}"),
    "play retry": Kind(blocks.ACTION_RETRY, lambda n: f"play:c:{n}"),
    "page retry": Kind(blocks.ACTION_RETRY, lambda n: f"page:Kx7:{n}"),
    "audit page": Kind(blocks.ACTION_AUDIT_NEXT, lambda n: f"outcome:refused:{n}", ADMIN),
    "export all": Kind(blocks.ACTION_EXPORT_ALL, lambda n: f"Kx7_abc-123:{n}"),
    "export retry": Kind(blocks.ACTION_EXPORT_CONFIRM, lambda n: f"r:{n}"),
}


async def click(stack: Stack, kind: Kind, value: str) -> dict[str, Any]:
    """Press a button that says ``value`` (one we never showed); the reply to it."""
    before = len(stack.slack.responses)
    await stack.driver.click(kind.user, kind.action_id, value)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, timeout=15)
    return dict(stack.slack.responses[-1].args)


@pytest.mark.parametrize("name", KINDS)
async def test_a_forged_value_gets_a_clear_answer(
    stack: Stack, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    kind = KINDS[name]
    shared = ChannelSetting(team_id=TEAM, channel_id=CHANNEL, allow_share=True)
    await stack.bot.runtime.services.store.save_channel(shared)  # Share gets to its value
    stack.sim.state.requests.clear()
    answers: dict[str, str] = {}
    for number in [*NOT_ASCII, *ODD]:
        reply = await click(stack, kind, kind.shape(number))
        answers[number[:12]] = f"{reply.get('text')} {render_text(reply.get('blocks') or [])}"
    for number, text in answers.items():
        assert text.startswith(":warning:"), (number, text)
        assert APOLOGY not in text, (number, text)
    for number in NOT_ASCII:
        assert "not one of mine" in answers[number[:12]], (number[:12], answers[number[:12]])
    assert not [e for e in stack.sim.state.requests if e["path"].startswith(RECORDING_API)]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

"""When Slack will not open the search form, the person is told so, wherever they asked.

A trigger expires 3 seconds after the click; a slow network or a busy bot loses it. The App
Home and the global shortcut have no response_url, so the answer goes to the person's DM.
"""

from __future__ import annotations

import logging

import pytest

from bot import blocks
from tests.fakes import render_text
from tests.integration.conftest import MEMBER, Stack

TOLD = "couldn't open the search form"


def dm_texts(stack: Stack, before: int) -> list[str]:
    dm = stack.slack.dm_channel(MEMBER)
    return [render_text(m.blocks) for m in stack.slack.messages[before:] if m.channel == dm]


async def told_in_dm(stack: Stack, before: int) -> str:
    [text] = await stack.slack.wait_for(lambda: dm_texts(stack, before) or None, timeout=15)
    return text


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_app_home_search_button(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    event = {"type": "app_home_opened", "user": MEMBER, "channel": "D0001", "tab": "home"}
    await stack.driver.event(event, event_id="Ev0HOME1")
    home = await stack.slack.wait_for(lambda: stack.slack.homes.get(MEMBER), timeout=15)
    for error in ("expired_trigger_id", "invalid_arguments"):
        stack.slack.fail_next("views.open", error)
        before = len(stack.slack.messages)
        await stack.driver.click(MEMBER, blocks.ACTION_OPEN_MODAL, "home", view=home)
        told = await told_in_dm(stack, before)
        assert TOLD in told
        assert error in told
    no_errors_logged(caplog)


async def test_the_global_shortcut(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    stack.slack.fail_next("views.open", "expired_trigger_id")
    before = len(stack.slack.messages)
    await stack.driver.shortcut(MEMBER, blocks.CALLBACK_SHORTCUT_SEARCH)
    assert TOLD in await told_in_dm(stack, before)
    no_errors_logged(caplog)


async def test_the_command_without_filters(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    stack.slack.fail_next("views.open", "expired_trigger_id")
    before = len(stack.slack.responses)
    await stack.driver.command(MEMBER, "")
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, timeout=15)
    told = render_text(stack.slack.responses[-1].args["blocks"])
    assert TOLD in told
    assert "/recordings inbound last 7d" in told
    no_errors_logged(caplog)


async def test_open_search_form_under_results(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """ "Open search form" in help is pressed in a channel: the reply replaces nothing there."""
    await stack.driver.command(MEMBER, "help")
    await stack.slack.wait_for(lambda: stack.slack.responses or None, timeout=15)
    shown = stack.slack.messages_for(MEMBER)[-1]
    stack.slack.fail_next("views.open", "expired_trigger_id")
    before = len(stack.slack.responses)
    await stack.driver.click(MEMBER, blocks.ACTION_OPEN_MODAL, "help", message=shown)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None, timeout=15)
    assert TOLD in render_text(stack.slack.responses[-1].args["blocks"])
    no_errors_logged(caplog)

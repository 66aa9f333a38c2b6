"""Cheap fakes for tests: the Slack Web API server and request driver, Block Kit checks, a VBC
transport router, and a deadline poll.

The Slack server and driver live in `bot.demo` (the demo runs them); these names stay
importable here.
"""

from bot.demo.driver import SlackDriver
from bot.demo.fake_slack import Call, FakeSlack, Message, SlackError, Upload
from tests.fakes.blockkit import assert_valid_message, assert_valid_view, render_text
from tests.fakes.vbc_router import UnexpectedRequestError, VbcRouter, hal_page
from tests.fakes.waiting import wait_until

__all__ = [
    "Call",
    "FakeSlack",
    "Message",
    "SlackDriver",
    "SlackError",
    "UnexpectedRequestError",
    "Upload",
    "VbcRouter",
    "assert_valid_message",
    "assert_valid_view",
    "hal_page",
    "render_text",
    "wait_until",
]

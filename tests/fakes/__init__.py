"""Cheap fakes for the Slack side of the app: Web API server, request driver, Block Kit checks.

The server and driver live in `bot.demo` (the demo runs them); these names stay importable here.
"""

from bot.demo.driver import SlackDriver
from bot.demo.fake_slack import Call, FakeSlack, Message, SlackError, Upload
from tests.fakes.blockkit import assert_valid_message, assert_valid_view, render_text

__all__ = [
    "Call",
    "FakeSlack",
    "Message",
    "SlackDriver",
    "SlackError",
    "Upload",
    "assert_valid_message",
    "assert_valid_view",
    "render_text",
]

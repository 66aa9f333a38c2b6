"""What the request fuzzer found, one regression test each.

Signed requests (Slack's signature is right) whose content Slack never sends used to crash
Bolt or our listeners: a 500, a traceback, an apology to a response_url that may not exist.
Now such a payload is refused with 400 before Bolt; and the value-level bugs (digits that
``str.isdigit`` takes and ``int`` refuses, Slack refusing a trigger or the App Home, a person
Slack will not show) are handled where they happen.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.app import profile_fetcher
from bot.blocks import modal
from bot.slack_clients import SlackClients
from bot.web.serve import LocalServer
from tests.fakes import render_text
from tests.integration.conftest import ADMIN, MEMBER, Stack
from tests.security.conftest import logged, signed_headers, tracebacks

FORM = b"application/x-www-form-urlencoded"
JSON = b"application/json"


async def post(
    url: str, body: bytes, content_type: bytes, *extra: tuple[bytes, bytes]
) -> httpx.Response:
    headers = [(b"content-type", content_type), *signed_headers(body), *extra]
    async with httpx.AsyncClient() as http:
        return await http.post(url, content=body, headers=headers)


def interactive(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def command(text: str, **fields: str) -> dict[str, str]:
    return {
        "command": "/recordings",
        "text": text,
        "user_id": MEMBER,
        "team_id": "T0001",
        "channel_id": "C0001",
        "trigger_id": "1.T0001.x",
        **fields,
    }


def user(user_id: str = MEMBER) -> dict[str, str]:
    return {"id": user_id, "team_id": "T0001"}


SHAPES: dict[str, tuple[bytes, bytes]] = {
    "body not UTF-8": (b"command=/recordings&text=\xff\xfe&user_id=U0MEMBER1", FORM),
    "JSON that does not parse": (b'{"type": "event_callback", "event": {', JSON),
    "JSON nested 50,000 deep": (b"[" * 50_000 + b"]" * 50_000, JSON),
    "a 5,000-digit number": (
        b'{"type": "event_callback", "event_time": ' + b"9" * 5000 + b"}",
        JSON,
    ),
    "a JSON array": (b"[1, 2]", JSON),
    "block_actions without actions": (
        interactive({"type": "block_actions", "user": user(), "actions": [], "trigger_id": "1"}),
        FORM,
    ),
    "block_actions without a trigger_id": (
        interactive(
            {
                "type": "block_actions",
                "user": user(),
                "actions": [{"action_id": blocks.ACTION_OPEN_MODAL, "value": "x"}],
            }
        ),
        FORM,
    ),
    "shortcut by a user that is a string": (
        interactive({"type": "shortcut", "user": MEMBER, "callback_id": "x", "trigger_id": "1"}),
        FORM,
    ),
    "message_action in a team that is a string": (
        interactive({"type": "message_action", "user": user(), "team": "T1", "trigger_id": "1"}),
        FORM,
    ),
    "command without user_id": (
        urlencode({"command": "/recordings", "text": "help"}).encode(),
        FORM,
    ),
    "view_submission without state": (
        interactive({"type": "view_submission", "user": user(), "view": {"callback_id": "x"}}),
        FORM,
    ),
    "app_home_opened without a user": (
        json.dumps({"type": "event_callback", "event": {"type": "app_home_opened"}}).encode(),
        JSON,
    ),
    "app_home_opened by a user that is an object": (
        json.dumps(
            {"type": "event_callback", "event": {"type": "app_home_opened", "user": user()}}
        ).encode(),
        JSON,
    ),
    "a lone surrogate in a page button": (
        interactive(
            {
                "type": "block_actions",
                "user": user(),
                "actions": [{"action_id": blocks.ACTION_PAGE_NEXT, "value": "\ud800:2"}],
                "trigger_id": "1",
            }
        ),
        FORM,
    ),
    "a user id of 10,000 characters": (
        urlencode(command("help", user_id="U" * 10_000)).encode(),
        FORM,
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_a_signed_payload_slack_never_sends_is_a_400_not_a_crash(
    stack: Stack, caplog: pytest.LogCaptureFixture, shape: str
) -> None:
    body, content_type = SHAPES[shape]
    calls = len(stack.slack.calls)

    response = await post(stack.driver.app_url, body, content_type)

    assert response.status_code == 400
    assert tracebacks(caplog) == []
    assert len(stack.slack.calls) == calls
    assert stack.slack.responses == []


async def test_oauth_mode_refuses_a_team_id_that_is_not_an_id(
    oauth_bot: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt looked the installation up by whatever ``authorizations[0].team_id`` held: SQLite
    refused an object as a parameter, and the answer was a 500."""
    event = {
        "type": "event_callback",
        "team_id": "T0001",
        "event": {"type": "app_home_opened", "user": MEMBER, "tab": "home"},
        "authorizations": [{"team_id": {"id": "T0001"}, "user_id": "U0BOT0001"}],
    }
    response = await post(f"{oauth_bot.url}/slack/events", json.dumps(event).encode(), JSON)
    assert response.status_code == 400
    assert tracebacks(caplog) == []


async def test_header_values_beyond_ascii_are_no_500(stack: Stack) -> None:
    odd = (b"x-forwarded-for", b"\xff\xfe caf\xe9")
    async with httpx.AsyncClient() as http:
        health = await http.get(f"{stack.bot.url}/healthz", headers=[odd])
    assert health.status_code == 200
    body = urlencode(command("help")).encode()
    assert (await post(stack.driver.app_url, body, FORM, odd)).status_code == 400


# ---- value-level bugs in listeners ----------------------------------------------------------
@pytest.mark.parametrize("page", ["²", "9" * 5000])
async def test_an_audit_page_button_with_odd_digits_shows_page_one(
    stack: Stack, caplog: pytest.LogCaptureFixture, page: str
) -> None:
    await stack.driver.click(ADMIN, blocks.ACTION_AUDIT_NEXT, f"action:audio:{page}")
    [shown] = await stack.slack.wait_for("response_url")
    assert "went wrong" not in shown.args["text"]
    assert tracebacks(caplog) == []


async def test_a_refused_trigger_on_a_command_says_so(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack.slack.fail_next("views.open", "expired_trigger_id")
    await stack.driver.command(MEMBER, "")
    [shown] = await stack.slack.wait_for("response_url")
    assert "couldn't open the search form" in render_text(shown.args["blocks"])
    assert tracebacks(caplog) == []


async def test_a_refused_trigger_on_a_shortcut_is_a_warning_not_a_traceback(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """A global shortcut has no response_url: there is no one to apologise to either."""
    stack.slack.fail_next("views.open", "expired_trigger_id")
    await stack.driver.shortcut(MEMBER, blocks.CALLBACK_SHORTCUT_SEARCH)
    await logged(caplog, "views.open failed for")
    assert tracebacks(caplog) == []


async def test_app_home_refused_by_slack_is_a_warning_not_a_traceback(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack.slack.fail_next("views.publish", "not_enabled")
    event = {"type": "app_home_opened", "user": MEMBER, "channel": "D0MEMBER1", "tab": "home"}
    await stack.driver.event(event, event_id="Ev0HOME1")
    await logged(caplog, "App Home not published")
    assert tracebacks(caplog) == []


async def test_an_export_by_a_person_slack_will_not_show_reads_times_in_utc(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """users.info says user_not_visible (a Slack Connect guest, say): searches already read
    times in UTC then; exports crashed."""
    stack.slack.fail_next("users.info", "user_not_visible")
    await stack.driver.command(MEMBER, "export last 7d")
    [shown] = await stack.slack.wait_for("response_url", timeout=15)
    assert "went wrong" not in shown.args["text"]
    assert tracebacks(caplog) == []


async def test_a_caller_name_longer_than_its_input_is_a_field_error_not_a_vbc_url(
    stack: Stack,
) -> None:
    """The form's name input takes 100 characters; a submission with 10,000 went to VBC in the
    query string (the simulator refused the URL: too long)."""
    await stack.driver.command(MEMBER, "")
    await stack.slack.wait_for("views.open")
    view = stack.slack.current_view(MEMBER)
    assert view is not None
    stack.sim.state.requests.clear()
    response = await stack.driver.submit_view(
        MEMBER, view, {modal.BLOCK_NAME: {modal.ACTION_FIELD: "x" * 10_000}}
    )
    assert response.json()["response_action"] == "errors"
    assert list(response.json()["errors"]) == [modal.BLOCK_NAME]
    assert list(stack.sim.state.requests) == []


async def test_a_slack_error_page_that_is_not_json_stays_a_slack_error() -> None:
    """A plain-text error (a proxy's 502, or the 400 of a server refusing a URL too long):
    slack_sdk hands it over as a string, and reading an error code from it raised
    AttributeError, hiding the Slack error."""

    async def gateway(_request: web.Request) -> web.Response:
        return web.Response(status=502, text="Bad Gateway", content_type="text/plain")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", gateway)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        slack = SlackClients(
            base_url=f"http://127.0.0.1:{runner.addresses[0][1]}/api/", token="xoxb-x"
        )
        with pytest.raises(SlackApiError):
            await profile_fetcher(slack)("T0001", MEMBER)
    finally:
        await runner.cleanup()

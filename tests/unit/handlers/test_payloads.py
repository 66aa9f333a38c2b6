"""Every Bolt body shape we listen to becomes the same Asker by one rule.

The payloads are Slack's shapes as Bolt hands them to listeners (the form fields of a slash
command; the parsed ``payload=`` JSON of interactivity; the Events API envelope), trimmed to the
keys Slack always sends, as ``bot.demo.driver`` sends them in the integration tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.people.asker import Asker
from handlers.payloads import (
    PayloadError,
    action_value,
    asker_of,
    clicked_ephemeral,
    command_text,
    describe,
    first_action,
    has_response_url,
    message_text,
    modal_metadata,
    trigger_id,
    view_metadata,
    view_values,
)

Body = dict[str, Any]
TEAM, USER, CHANNEL = "T0001", "U0001", "C0001"
USER_OBJECT = {"id": USER, "username": "ana", "name": "ana", "team_id": TEAM}
RESPONSE_URL = "https://hooks.slack.com/actions/T0001/1/abc"
BUTTON = {"action_id": "rec_details", "block_id": "b1", "type": "button", "value": "call:1"}


def slash_command(**fields: str) -> Body:
    return {
        "token": "verification-token",
        "team_id": TEAM,
        "team_domain": "acme",
        "channel_id": CHANNEL,
        "channel_name": "support",
        "user_id": USER,
        "user_name": "ana",
        "command": "/recordings",
        "text": "  from:today  ",
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0001/1/abc",
        "trigger_id": "1.2.abc",
        **fields,
    }


def block_actions(**fields: Any) -> Body:
    return {
        "type": "block_actions",
        "user": USER_OBJECT,
        "api_app_id": "A0001",
        "token": "verification-token",
        "team": {"id": TEAM, "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": CHANNEL,
            "is_ephemeral": True,
        },
        "channel": {"id": CHANNEL, "name": "support"},
        "trigger_id": "1.2.abc",
        "response_url": RESPONSE_URL,
        "actions": [BUTTON],
        "state": {"values": {}},
        **fields,
    }


def home_view(**fields: Any) -> Body:
    return {
        "id": "V0001",
        "type": "home",
        "team_id": TEAM,
        "private_metadata": "",
        "callback_id": "",
        "state": {"values": {}},
        "app_installed_team_id": TEAM,
        **fields,
    }


def view_submission(metadata: str, **fields: Any) -> Body:
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "acme"},
        "user": USER_OBJECT,
        "api_app_id": "A0001",
        "token": "verification-token",
        "trigger_id": "1.2.abc",
        "view": {
            "id": "V0002",
            "type": "modal",
            "team_id": TEAM,
            "callback_id": "search_modal",
            "private_metadata": metadata,
            "state": {"values": {"q": {"text": {"type": "plain_text_input", "value": "x"}}}},
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
        **fields,
    }


def global_shortcut() -> Body:
    return {
        "type": "shortcut",
        "token": "verification-token",
        "action_ts": "1700000000.000200",
        "team": {"id": TEAM, "domain": "acme"},
        "user": USER_OBJECT,
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "search_recordings",
        "trigger_id": "1.2.abc",
    }


def message_shortcut() -> Body:
    return {
        "type": "message_action",
        "token": "verification-token",
        "action_ts": "1700000000.000300",
        "team": {"id": TEAM, "domain": "acme"},
        "user": USER_OBJECT,
        "channel": {"id": "C0003", "name": "sales"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "find_number",
        "trigger_id": "1.2.abc",
        "message_ts": "1700000000.000100",
        # The message's author is someone else: the shortcut is checked for who used it.
        "message": {"type": "message", "text": "call +1 732 555 0100", "user": "U0099"},
        "response_url": RESPONSE_URL,
    }


def event_callback(event: Body, *, team_id: str = TEAM, installed_in: str = TEAM) -> Body:
    return {
        "token": "verification-token",
        "team_id": team_id,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": "Ev0001",
        "event_time": 1700000000,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": installed_in,
                "user_id": "U0BOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


HOME_OPENED = {"type": "app_home_opened", "user": USER, "channel": "D0001", "tab": "home"}


@pytest.mark.parametrize(
    ("body", "asker"),
    [
        pytest.param(slash_command(), Asker(TEAM, USER, CHANNEL), id="slash command"),
        pytest.param(
            slash_command(channel_id="D0001"), Asker(TEAM, USER, "D0001"), id="slash command, DM"
        ),
        pytest.param(block_actions(), Asker(TEAM, USER, CHANNEL), id="click on a message"),
        pytest.param(
            {k: v for k, v in block_actions().items() if k != "channel"},
            Asker(TEAM, USER, CHANNEL),
            id="click, channel only in the container",
        ),
        pytest.param(
            block_actions(
                container={"type": "view", "view_id": "V0001"},
                channel=None,
                response_url=None,
                view=home_view(),
            ),
            Asker(TEAM, USER, None),
            id="click on App Home",
        ),
        pytest.param(
            block_actions(team=None, user={**USER_OBJECT, "team_id": "T0002"}),
            Asker("T0002", USER, CHANNEL),
            id="click, org-wide install (team is null)",
        ),
        pytest.param(
            view_submission('{"channel": "C0002", "tz": "America/New_York"}'),
            Asker(TEAM, USER, "C0002"),
            id="modal submitted, opened in a channel",
        ),
        pytest.param(
            view_submission('{"channel": "", "tz": "UTC"}'),
            Asker(TEAM, USER, None),
            id="modal submitted, opened from a global shortcut",
        ),
        pytest.param(
            view_submission("C0002"), Asker(TEAM, USER, "C0002"), id="modal, bare channel id"
        ),
        pytest.param(view_submission(""), Asker(TEAM, USER, None), id="modal, no metadata"),
        pytest.param(
            view_submission(
                "",
                view={**view_submission("")["view"], "app_installed_team_id": "T0009"},
            ),
            Asker("T0009", USER, None),
            id="modal opened via a Slack Connect channel",
        ),
        pytest.param(global_shortcut(), Asker(TEAM, USER, None), id="global shortcut"),
        pytest.param(message_shortcut(), Asker(TEAM, USER, "C0003"), id="message shortcut"),
        pytest.param(event_callback(HOME_OPENED), Asker(TEAM, USER, "D0001"), id="app_home_opened"),
        pytest.param(
            event_callback(HOME_OPENED, team_id="T0002", installed_in=TEAM),
            Asker(TEAM, USER, "D0001"),
            id="event, the installation's team wins",
        ),
    ],
)
def test_every_shape_becomes_an_asker_by_one_rule(body: Body, asker: Asker) -> None:
    assert asker_of(body) == asker


def test_a_payload_without_a_user_is_refused_by_name() -> None:
    body = {k: v for k, v in block_actions().items() if k != "user"}
    with pytest.raises(PayloadError, match="block_actions payload without a user id"):
        asker_of(body)


def test_a_payload_without_a_team_still_names_the_person() -> None:
    assert asker_of({"user_id": USER}) == Asker("", USER, None)


@pytest.mark.parametrize(
    ("action", "value"),
    [
        pytest.param(BUTTON, "call:1", id="button"),
        pytest.param(
            {
                "type": "overflow",
                "action_id": "rec_menu",
                "block_id": "rec:k:1:0",
                "selected_option": {"text": {"type": "plain_text", "text": "Play"}, "value": "p|1"},
            },
            "p|1",
            id="overflow menu",
        ),
        pytest.param(
            {
                "type": "static_select",
                "action_id": "pick",
                "block_id": "b2",
                "selected_option": {"text": {"type": "plain_text", "text": "A"}, "value": "a"},
            },
            "a",
            id="static select",
        ),
        pytest.param(
            {"type": "static_select", "action_id": "pick", "selected_option": None},
            "",
            id="select cleared",
        ),
    ],
)
def test_action_value_is_the_button_value_or_the_picked_option(action: Body, value: str) -> None:
    body = block_actions(actions=[action])
    assert action_value(body) == value
    assert first_action(body) == action


def test_a_body_without_actions_has_no_value() -> None:
    assert action_value(global_shortcut()) == ""
    assert first_action(global_shortcut()) == {}


def test_what_a_click_says_about_where_to_reply() -> None:
    assert has_response_url(block_actions())
    assert clicked_ephemeral(block_actions())
    home_click = block_actions(container={"type": "view", "view_id": "V1"}, response_url=None)
    assert not has_response_url(home_click)
    assert not clicked_ephemeral(home_click)
    assert not has_response_url(view_submission(""))


def test_command_and_shortcut_text() -> None:
    assert command_text(slash_command()) == "from:today"
    assert command_text(slash_command(text="")) == ""
    assert message_text(message_shortcut()) == "call +1 732 555 0100"
    assert message_text(global_shortcut()) == ""
    assert trigger_id(slash_command()) == "1.2.abc"


def test_the_modal_carries_its_channel_and_zone_to_the_submission() -> None:
    metadata = modal_metadata(channel_id="C0002", tz="Europe/Paris")
    body = view_submission(metadata)
    assert view_metadata(body) == {"channel": "C0002", "tz": "Europe/Paris"}
    assert asker_of(body).channel_id == "C0002"
    assert view_values(body) == {"q": {"text": {"type": "plain_text_input", "value": "x"}}}
    assert view_metadata(view_submission("[1, 2]")) == {}, "JSON, but not ours"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (slash_command(), "U0001 (/recordings)"),
        (block_actions(), "U0001 (block_actions)"),
        (event_callback(HOME_OPENED), "U0001 (event_callback)"),
        ({}, "someone (request)"),
        ({"user": None, "team": 5, "view": "x", "actions": "y"}, "someone (request)"),
    ],
)
def test_describe_never_raises(body: Body, text: str) -> None:
    assert describe(body) == text

"""Bolt bodies -> what listeners read: who is asking, where, what they clicked or submitted.

Every payload shape (slash command, block_actions, view_submission, global and message
shortcuts, Events API callbacks) becomes an ``Asker`` by one rule, so a click, a command and a
modal from the same person in the same place are checked alike.
"""

from __future__ import annotations

import json
from typing import Any

from bot.people.asker import Asker

Body = dict[str, Any]


class PayloadError(ValueError):
    """A body without the person in it: Slack never sends one, a broken or forged request might."""


def asker_of(body: Body) -> Asker:
    """The person the request is checked for (the clicker, not whoever searched), and where."""
    user = user_id_of(body)
    if user is None:
        raise PayloadError(f"a Slack {_kind(body)} payload without a user id")
    return Asker(team_id=team_id_of(body), user_id=user, channel_id=channel_id_of(body))


def team_id_of(body: Body) -> str:
    """The workspace, in Bolt's own order (``slack_bolt.request.internals.extract_team_id``).

    So it is the team whose installation Bolt authorised the request for: a modal opened from
    a Slack Connect channel names it in ``view.app_installed_team_id``, an org-wide install
    leaves ``team`` null in interactivity payloads, and events name it in ``authorizations``.
    """
    view = _dict(body.get("view"))
    authorizations = body.get("authorizations")
    first_authorization = _dict(authorizations[0]) if isinstance(authorizations, list) else {}
    candidates = (
        view.get("app_installed_team_id"),
        _id(body.get("team")),
        first_authorization.get("team_id"),
        body.get("team_id"),
        _dict(body.get("user")).get("team_id"),
        view.get("team_id"),
    )
    return next((str(team) for team in candidates if team), "")


def user_id_of(body: Body) -> str | None:
    """``user`` (interactivity), ``user_id`` (commands), else the event's ``user``."""
    for user in (
        _id(body.get("user")),
        body.get("user_id"),
        _id(_dict(body.get("event")).get("user")),
    ):
        if user:
            return str(user)
    return None


def channel_id_of(body: Body) -> str | None:
    """Where replies go: the payload's channel, else the one a modal was opened from.

    A click on a message names its channel (``container`` too); App Home clicks and global
    shortcuts have none (replies then go to the DM); a view submission has only what the
    modal carried in ``private_metadata`` (``modal_metadata``).
    """
    candidates = (
        _id(body.get("channel")),
        body.get("channel_id"),
        _dict(body.get("container")).get("channel_id"),
        view_metadata(body).get("channel"),
        _id(_dict(body.get("event")).get("channel")),
    )
    return next((str(channel) for channel in candidates if channel), None)


def action_value(body: Body) -> str:
    """The clicked button's value, or the option picked in a menu (overflow, select)."""
    action = first_action(body)
    option = _dict(action.get("selected_option"))
    if option:
        return str(option.get("value") or "")
    return str(action.get("value") or "")


def first_action(body: Body) -> dict[str, Any]:
    """A block_actions payload's action (Slack sends one per click); ``{}`` if none."""
    actions = body.get("actions")
    return _dict(actions[0]) if isinstance(actions, list) and actions else {}


def clicked_ephemeral(body: Body) -> bool:
    """Whether the click came from an ephemeral message (which its response_url can replace)."""
    return bool(_dict(body.get("container")).get("is_ephemeral"))


def has_response_url(body: Body) -> bool:
    """App Home clicks and view submissions carry no response_url; ``respond`` would raise."""
    return bool(body.get("response_url"))


def command_text(body: Body) -> str:
    return str(body.get("text") or "").strip()


def is_command(body: Body) -> bool:
    return bool(body.get("command"))


def message_text(body: Body) -> str:
    """The text of the message a message shortcut was used on."""
    return str(_dict(body.get("message")).get("text") or "")


def trigger_id(body: Body) -> str:
    """Good for one ``views.open`` within 3 seconds."""
    return str(body.get("trigger_id") or "")


def event_id(body: Body) -> str:
    return str(body.get("event_id") or "")


def event_type(body: Body) -> str:
    """An Events API callback's event type (``app_uninstalled``, ...); ``""`` for the rest."""
    return str(_dict(body.get("event")).get("type") or "")


def view_values(body: Body) -> dict[str, Any]:
    """A view submission's input values, ``{block_id: {action_id: state}}``."""
    return _dict(_dict(_dict(body.get("view")).get("state")).get("values"))


def modal_metadata(*, channel_id: str | None, tz: str) -> str:
    """What the search modal carries to its submission, which must be answered within 3 s."""
    return json.dumps({"channel": channel_id or "", "tz": tz})


def view_metadata(body: Body) -> dict[str, str]:
    """``private_metadata`` as ``modal_metadata`` wrote it; a bare string is a channel id."""
    raw = str(_dict(body.get("view")).get("private_metadata") or "")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {"channel": raw}  # a plain channel id
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def describe(body: Body) -> str:
    """Who and what, for logs: never raises, whatever the body."""
    return f"{user_id_of(body) or 'someone'} ({_kind(body)})"


def _kind(body: Body) -> str:
    return str(body.get("type") or body.get("command") or "request")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _id(value: Any) -> Any:
    """Slack names a user, team or channel either as a bare id or as an object with ``id``."""
    return _dict(value).get("id") if isinstance(value, dict) else value

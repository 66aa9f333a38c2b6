"""The shape of Slack's payloads, as Bolt and our listeners read them.

Slack's signature says who sent a request, not that its payload makes sense. Bolt indexes
into payloads before any listener runs (``body["actions"][0]``, ``payload.get`` on what should
be objects) and so do our listeners (``body["user"]["id"]``): a signed payload of another shape
would crash there, with a 500, a traceback and an apology to nobody. So it is refused first
(400), naming the field. Only the fields read anywhere are checked; others pass untouched.
Ids are short in Slack: one of 10,000 characters would end up in a Web API URL too long for
any server to take.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Required

from pydantic import StringConstraints, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

ID_LENGTH = 64
Id = Annotated[str, StringConstraints(max_length=ID_LENGTH)]  # U0MEMBER1, T0001, C0001, E1...
Name = Annotated[str, StringConstraints(max_length=255)]  # Slack's limit on ids we choose


class _Ref(TypedDict, total=False):
    id: Id


class _User(TypedDict, total=False):
    id: Required[Id]
    team_id: Id


class _Option(TypedDict, total=False):
    value: str


class _Action(TypedDict, total=False):
    action_id: Required[Name]
    block_id: Name
    value: str
    selected_option: _Option | None


class _State(TypedDict):
    values: dict[str, dict[str, dict[str, Any]]]


class _View(TypedDict, total=False):
    id: Id
    callback_id: Name
    private_metadata: str
    state: _State


class _Message(TypedDict, total=False):
    text: str
    ts: str


class _Event(TypedDict, total=False):
    type: Required[str]
    user: Id | dict[str, Any]  # an object in user_change and the like
    tab: str


class _Payload(TypedDict, total=False):
    type: str
    command: str
    text: str
    user_id: Id
    team_id: Id | None
    channel_id: Id
    trigger_id: Name
    response_url: str
    callback_id: Name
    event_id: Name
    user: _User | Id  # a string in some legacy payloads; an object where we read it
    team: _Ref | None
    enterprise: _Ref | str | None
    channel: _Ref | None
    container: dict[str, Any]
    actions: list[_Action]
    view: _View
    message: _Message
    event: _Event
    authorizations: list[dict[str, Any]]


_PAYLOAD = TypeAdapter(_Payload)

# What each kind of payload must carry besides: our listeners read these without a default.
_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "block_actions": (("user", "id"), ("actions",), ("trigger_id",)),
    "interactive_message": (("actions",),),
    "view_submission": (("user", "id"), ("view", "state")),
    "shortcut": (("user", "id"), ("trigger_id",)),
    "message_action": (("user", "id"), ("trigger_id",)),
    "event_callback": (("event",),),
}


# What Bolt picks out of a payload (from any of a dozen places) to authorize and route it;
# the installation store looks these up in SQL.
_CONTEXT_IDS = (
    "enterprise_id",
    "team_id",
    "user_id",
    "channel_id",
    "actor_enterprise_id",
    "actor_team_id",
    "actor_user_id",
)


def payload_problem(body: Any, context: Mapping[str, Any]) -> str | None:
    """What is wrong with a parsed Slack payload, or None when Bolt and we can read it.

    ``context`` is what Bolt extracted from it (``AsyncBoltRequest.context``).
    """
    if not isinstance(body, dict):
        return f"the payload is a {type(body).__name__}, not an object"
    for key in _CONTEXT_IDS:
        value = context.get(key)
        if value is not None and not (isinstance(value, str) and len(value) <= ID_LENGTH):
            return f"its {key} is not an id"
    try:
        # Slack sends UTF-8; a lone surrogate (a JSON escape can carry one) is not text.
        json.dumps(body, ensure_ascii=False).encode()
    except (UnicodeEncodeError, ValueError, RecursionError):
        return "the payload holds text that is not UTF-8"
    try:
        _PAYLOAD.validate_python(body, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    kind = "command" if "command" in body else str(body.get("type"))
    if kind == "command":
        required: tuple[tuple[str, ...], ...] = (("user_id",),)
    else:
        required = _REQUIRED.get(kind, ())
    for path in required:
        found: Any = body
        for key in path:
            found = found.get(key) if isinstance(found, dict) else None
        if not found:
            return f"a {kind} payload without {'.'.join(path)}"
    event = body.get("event") or {}
    home = kind == "event_callback" and event["type"] == "app_home_opened"
    if home and not (event.get("user") and isinstance(event["user"], str)):
        return "an app_home_opened event without a user id"
    return None

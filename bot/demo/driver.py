"""Drives a running Bolt app over real HTTP with Slack-shaped, signed requests.

Payload shapes follow Slack's (bolt-python tests/scenario_tests_async). Clicks and submissions
are built from the blocks the app actually rendered (``bot.demo.payloads``), so a test (or the
demo console) cannot press a button or fill an input that the app never showed.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.demo.fake_slack import APP_ID, BOT_USER_ID, FakeSlack, Json, Message
from bot.demo.payloads import action_for, find_element, view_state

_FORM = "application/x-www-form-urlencoded"


class SlackDriver:
    """Plays Slack's part toward the app at `app_url` (e.g. http://127.0.0.1:PORT/slack/events)."""

    def __init__(
        self, app_url: str, signing_secret: str, fake: FakeSlack, *, team_id: str = "T0001"
    ) -> None:
        self.app_url = app_url
        self.fake = fake
        self.team_id = team_id
        self._verifier = SignatureVerifier(signing_secret)
        self._http = httpx.AsyncClient(timeout=10.0)
        self._seq = itertools.count(1)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ---- transport -----------------------------------------------------------------------------
    def sign(self, body: bytes, timestamp: int) -> dict[str, str]:
        signature = self._verifier.generate_signature(timestamp=str(timestamp), body=body)
        assert signature is not None  # only None when timestamp or body is None
        return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature}

    async def raw(self, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
        """POST exactly these bytes and headers (bad-signature and stale-timestamp tests)."""
        return await self._http.post(self.app_url, content=body, headers=dict(headers))

    async def _post(
        self, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
    ) -> httpx.Response:
        headers = {
            "Content-Type": content_type,
            **self.sign(body, int(time.time())),
            **(extra or {}),
        }
        return await self.raw(body, headers)

    async def _interactive(self, payload: Json) -> httpx.Response:
        return await self._post(urlencode({"payload": json.dumps(payload)}).encode(), _FORM)

    # ---- requests ------------------------------------------------------------------------------
    async def command(
        self,
        user_id: str,
        text: str,
        *,
        command: str = "/recordings",
        channel_id: str = "C0001",
    ) -> httpx.Response:
        form = {
            "token": "verification-token",
            "team_id": self.team_id,
            "team_domain": "fake",
            "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": self._user(user_id)["username"],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self._response_url("command", user_id, channel_id),
            "trigger_id": self.fake.new_trigger_id(user_id),
        }
        return await self._post(urlencode(form).encode(), _FORM)

    async def click(
        self,
        user_id: str,
        action_id: str,
        value: str,
        *,
        block_id: str | None = None,
        container: Json | None = None,
        channel_id: str = "C0001",
        message: Message | None = None,
        view: Json | None = None,
    ) -> httpx.Response:
        """Press a button (or pick the option with `value`) in `message` or `view`."""
        blocks = message.blocks if message else view["blocks"] if view else []
        found_block, element = find_element(blocks, action_id, value)
        if (message or view) and element is None:
            raise AssertionError(f"no element {action_id!r} with value {value!r} to click")
        action = action_for(element or {"type": "button", "action_id": action_id}, value)
        action["block_id"] = block_id or found_block or "block"
        payload: Json = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": "verification-token",
            "team": {"id": self.team_id, "domain": "fake"},
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
            "state": {"values": {}},
        }
        if view is not None:
            payload["container"] = container or {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
            payload["trigger_id"] = self.fake.new_trigger_id(user_id, view_id=view.get("id"))
            return await self._interactive(payload)
        channel = message.channel if message else channel_id
        ts = message.ts if message else None
        payload["container"] = container or {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": bool(message and message.ephemeral),
        }
        payload["trigger_id"] = self.fake.new_trigger_id(user_id)
        payload["channel"] = {"id": channel, "name": self._channel_name(channel)}
        payload["response_url"] = self._response_url("action", user_id, channel, ts)
        if message is not None and not message.ephemeral:
            # Slack copies the message into the payload only when it is not ephemeral.
            payload["message"] = {
                "type": "message",
                "user": BOT_USER_ID,
                "ts": message.ts,
                "text": message.text,
                "blocks": message.blocks,
            }
        return await self._interactive(payload)

    async def submit_view(
        self, user_id: str, view: Json, values: Mapping[str, Mapping[str, Any]]
    ) -> httpx.Response:
        """Submit `view` with `values` as {block_id: {action_id: value or Slack state dict}}."""
        state = view_state(view, values)
        submitted = {**view, "state": {"values": state}}
        payload: Json = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "fake"},
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": "verification-token",
            "trigger_id": self.fake.new_trigger_id(user_id, view_id=view.get("id")),
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self._interactive(payload)

    async def shortcut(self, user_id: str, callback_id: str) -> httpx.Response:
        payload: Json = {
            "type": "shortcut",
            "token": "verification-token",
            "action_ts": self._ts(),
            "team": {"id": self.team_id, "domain": "fake"},
            "user": self._user(user_id),
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.fake.new_trigger_id(user_id),
        }
        return await self._interactive(payload)

    async def message_shortcut(
        self, user_id: str, callback_id: str, message_text: str, channel_id: str = "C0001"
    ) -> httpx.Response:
        ts = self._ts()
        payload: Json = {
            "type": "message_action",
            "token": "verification-token",
            "action_ts": self._ts(),
            "team": {"id": self.team_id, "domain": "fake"},
            "user": self._user(user_id),
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.fake.new_trigger_id(user_id),
            "message_ts": ts,
            "message": {
                "type": "message",
                "text": message_text,
                "user": user_id,
                "ts": ts,
                "team": self.team_id,
            },
            "response_url": self._response_url("shortcut", user_id, channel_id),
        }
        return await self._interactive(payload)

    async def event(
        self, event: Json, *, event_id: str, retry_num: int | None = None
    ) -> httpx.Response:
        """Deliver an Events API callback; `retry_num` adds Slack's retry headers."""
        envelope: Json = {
            "token": "verification-token",
            "team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self._post(json.dumps(envelope).encode(), "application/json", extra)

    # ---- helpers -------------------------------------------------------------------------------
    def _user(self, user_id: str) -> Json:
        name = self.fake.users.get(user_id, {}).get("name", user_id.lower())
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _channel_name(self, channel_id: str) -> str:
        if channel_id.startswith("D"):
            return "directmessage"
        return str(self.fake.channels.get(channel_id, {}).get("name", channel_id.lower()))

    def _response_url(
        self, kind: str, user_id: str, channel_id: str, message_ts: str | None = None
    ) -> str:
        key = f"{kind}:{user_id}:{next(self._seq)}"
        return self.fake.response_url(
            key, user_id=user_id, channel_id=channel_id, message_ts=message_ts
        )

    def _ts(self) -> str:
        return f"{time.time():.6f}"

"""The fake Slack's records: what the app called, what people would see, what was uploaded.

Shared by `bot.demo.fake_slack` (the server) and `bot.demo.fake_slack_methods` (the Web API
methods), and read by tests and the demo console to show or assert what happened.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

TEAM_ID = "T0001"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0001"
MAX_RESPONSE_URL_USES = 5
PERMALINK_BASE = "https://fake.slack.test/files"
Json = dict[str, Any]


@dataclass
class Call:
    """One request the app made: a Web API method, or `response_url` for response_url POSTs."""

    method: str
    args: Json
    headers: Mapping[str, str]
    key: str | None = None
    status: int = 200
    answer: Json = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ")
        token = self.args.get("token")
        return token if isinstance(token, str) else None


@dataclass
class Message:
    """What a person would see: kind is message, ephemeral, response (ephemeral) or file."""

    channel: str
    ts: str
    text: str
    blocks: list[Json]
    kind: str = "message"
    user: str | None = None
    thread_ts: str | None = None
    files: list[str] = field(default_factory=list)
    edits: int = 0
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        return self.kind in ("ephemeral", "response")


@dataclass
class Upload:
    """Bytes received at one upload URL, and what files.completeUploadExternal made of them."""

    file_id: str
    filename: str
    length: int
    size: int = 0
    sha256: str = ""
    chunks: int = 0
    content_length: int | None = None
    content_type: str = ""
    head: bytes = b""
    received: bool = False
    completed: bool = False
    deleted: bool = False
    title: str = ""
    channels: list[str] = field(default_factory=list)
    initial_comment: str | None = None
    thread_ts: str | None = None

    @property
    def streamed(self) -> bool:
        """True when the body arrived in more than one read, i.e. it was not buffered whole."""
        return self.chunks > 1


@dataclass
class QueuedFailure:
    error: str
    status: int
    retry_after: int | None
    when: Callable[[Json], bool] | None = None  # only calls whose arguments it accepts


@dataclass
class Trigger:
    user_id: str
    issued: float
    view_id: str | None
    used: bool = False


@dataclass
class ResponseTarget:
    key: str
    user_id: str | None
    channel_id: str | None
    message_ts: str | None
    uses: int = 0


class SlackError(Exception):
    """Raised inside a method handler; becomes `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


def flag(value: Any) -> bool:
    return value is True or value in ("true", "1", 1)


def message_json(message: Message) -> Json:
    return {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "ts": message.ts,
        "text": message.text,
        "blocks": message.blocks,
    }


def with_block_ids(blocks: list[Json]) -> list[Json]:
    """Slack gives every block without a block_id a random one; so does the fake."""
    return [b if "block_id" in b else {**b, "block_id": uuid.uuid4().hex[:5]} for b in blocks]


def blocks_of(payload: Json) -> list[Json]:
    blocks = payload.get("blocks")
    return with_block_ids(blocks) if isinstance(blocks, list) else []

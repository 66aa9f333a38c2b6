"""A local fake of Slack's Web API, upload URLs and response_urls that records every request.

Like bolt-python's tests/mock_web_api_server, but async (aiohttp on 127.0.0.1, port 0), stateful
(messages can be updated, views stacked, files uploaded then shared) and strict: every payload
carrying blocks or a view goes through bot.blocks.limits, and problems are both recorded in
`FakeSlack.problems` and answered with Slack's own error codes. It lives in the package, not
under tests/, because `recordings-bot demo` runs the bot against it. Past 300 lines as one
class on purpose: its HTTP routes and the hooks tests drive it with (`fail_next`, `response_url`,
`wait_for`) share its failure queues, response targets and change event; the Web API methods
are `bot.demo.fake_slack_methods`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar, overload
from zoneinfo import ZoneInfo

from aiohttp import BodyPartReader, web
from multidict import CIMultiDict

from bot.demo.fake_slack_methods import SlackWorkspace
from bot.demo.fake_slack_records import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    MAX_RESPONSE_URL_USES,
    PERMALINK_BASE,
    TEAM_ID,
    Call,
    Json,
    Message,
    QueuedFailure,
    ResponseTarget,
    SlackError,
    Trigger,
    Upload,
    blocks_of,
    flag,
)

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "MAX_RESPONSE_URL_USES",
    "PERMALINK_BASE",
    "TEAM_ID",
    "Call",
    "FakeSlack",
    "Json",
    "Message",
    "SlackError",
    "Upload",
]

# What manifest.yml asks for (bot.app.BOT_SCOPES): an install grants exactly these.
GRANTED_SCOPES = (
    "commands",
    "chat:write",
    "files:read",
    "files:write",
    "im:write",
    "users:read",
    "users:read.email",
)
_JSON_ARGS = ("blocks", "view", "files", "attachments", "metadata")
_T = TypeVar("_T")


class FakeSlack(SlackWorkspace):
    """The Slack side of integration tests: pass `url` as the app's Web API base URL."""

    def __init__(self, *, trigger_ttl: float | None = 3.0) -> None:
        super().__init__(trigger_ttl=trigger_ttl)
        self.url = ""
        self.calls: list[Call] = []
        self.responses: list[Call] = []
        self._failures: defaultdict[str, deque[QueuedFailure]] = defaultdict(deque)
        self._upload_failures: deque[tuple[int, int]] = deque()
        self._targets: dict[str, ResponseTarget] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        # Tokens answered ``invalid_auth`` (revoked or mistyped), and the scopes every answer
        # names in its ``x-oauth-scopes`` header, as Slack's do.
        self.refused_tokens: set[str] = set()
        self.granted_scopes: list[str] = list(GRANTED_SCOPES)
        self.add_user(BOT_USER_ID, "recordings-bot", is_bot=True)
        self.add_channel("C0001", "general")

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_post("/response/{target}", self._response)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/api/"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- test setup ------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        tz: str = "America/New_York",
        email: str | None = None,
        is_admin: bool = False,
        is_bot: bool = False,
    ) -> Json:
        """Add a users.info answer; `email=None` mimics a token without users:read.email."""
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset() or timedelta()
        profile: Json = {"real_name": name, "display_name": name}
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": name,
            "deleted": False,
            "tz": tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()),
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": is_bot,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "profile": profile,
        }
        return self.users[user_id]

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        is_member: bool = True,
        members: set[str] | None = None,
    ) -> Json:
        """Add a channel; `members=None` lets everyone in, `is_member` is the bot's membership."""
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_im": False,
            "is_private": is_private,
            "is_member": is_member,
            "members": members,
        }
        return self.channels[channel_id]

    def deactivate_user(self, user_id: str) -> None:
        """A Slack admin deactivated the account: users.info now says ``deleted: true``."""
        self.users[user_id]["deleted"] = True

    def fail_next(
        self,
        method: str,
        error: str,
        status: int = 200,
        retry_after: int | None = None,
        *,
        when: Callable[[Json], bool] | None = None,
    ) -> None:
        """Answer the next call to `method` (or "response_url") with `ok: false, error`;
        with `when`, the next call whose arguments it accepts (one channel, say)."""
        self._failures[method].append(QueuedFailure(error, status, retry_after, when))

    def fail_next_upload(self, after_bytes: int, status: int = 500) -> None:
        """Answer the next upload with `status` once `after_bytes` have arrived."""
        self._upload_failures.append((after_bytes, status))

    def delete_file(self, file_id: str) -> None:
        """A person deleted the file in Slack: files.info now answers file_deleted."""
        self.uploads[file_id].deleted = True

    def new_trigger_id(self, user_id: str, *, view_id: str | None = None) -> str:
        trigger_id = f"{next(self._ids)}.{TEAM_ID}.{time.monotonic_ns():x}"
        self._triggers[trigger_id] = Trigger(user_id, time.monotonic(), view_id)
        return trigger_id

    def response_url(
        self,
        key: str,
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A fresh response_url; `message_ts` is the message that replace_original replaces."""
        target = str(next(self._ids))
        self._targets[target] = ResponseTarget(key, user_id, channel_id, message_ts)
        return f"{self.base}/response/{target}"

    # ---- assertions ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        if method == "response_url":
            return list(self.responses)
        return [call for call in self.calls if call.method == method]

    def messages_for(self, target: str, *, include_deleted: bool = False) -> list[Message]:
        """A user's DM plus what only they saw, or a channel's visible messages, in order."""
        if target in self.users:
            dm = self.dm_channel(target)
            found = [
                m for m in self.messages if m.channel == dm or (m.ephemeral and m.user == target)
            ]
        else:
            found = [m for m in self.messages if m.channel == target and not m.ephemeral]
        return [m for m in found if include_deleted or not m.deleted]

    def current_view(self, user_id: str) -> Json | None:
        """The modal most recently opened, pushed or updated for `user_id`."""
        mine = [v for vid, v in self.views.items() if self._view_users.get(vid) == user_id]
        return mine[-1] if mine else None

    @overload
    async def wait_for(self, what: str, timeout: float = 5.0, *, count: int = 1) -> list[Call]: ...
    @overload
    async def wait_for(
        self, what: Callable[[], _T | None], timeout: float = 5.0, *, count: int = 1
    ) -> _T: ...
    async def wait_for(
        self, what: str | Callable[[], Any], timeout: float = 5.0, *, count: int = 1
    ) -> Any:
        """Wait for `count` calls to a method, or for a predicate to return something truthy."""
        if isinstance(what, str):
            method = what

            def check() -> Any:
                calls = self.calls_to(method)
                return calls if len(calls) >= count else None

        else:
            check = what
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._changed.clear()
            value = check()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [c.method for c in self.calls[-10:]]
                raise TimeoutError(f"waited {timeout}s for {what!r}; last calls: {seen}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    # ---- HTTP plumbing ---------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = Call(method, await _read_args(request), CIMultiDict(request.headers))
        self.calls.append(call)
        headers: dict[str, str] = {}
        failure = self._take_failure(method, call.args)
        if failure is not None:
            call.status, call.answer = failure.status, {"ok": False, "error": failure.error}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
        elif call.token is None and method != "oauth.v2.access":  # client id and secret
            call.answer = {"ok": False, "error": "not_authed"}
        elif call.token in self.refused_tokens:
            call.answer = {"ok": False, "error": "invalid_auth"}
        else:
            headers["x-oauth-scopes"] = ",".join(self.granted_scopes)
            call.answer = self._dispatch_method(method, call.args)
        self._changed.set()
        return web.json_response(call.answer, status=call.status, headers=headers)

    def _take_failure(self, method: str, args: Json) -> QueuedFailure | None:
        """The first failure queued for `method` that applies to a call with `args`."""
        queued = self._failures[method]
        found = next((f for f in queued if f.when is None or f.when(args)), None)
        if found is not None:
            queued.remove(found)
        return found

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="not found")
        fail_after, fail_status = (
            self._upload_failures.popleft() if self._upload_failures else (-1, 0)
        )
        upload.content_length = request.content_length
        upload.content_type = request.content_type
        digest, upload.size, upload.chunks, upload.head = hashlib.sha256(), 0, 0, b""
        async for chunk in _body_chunks(request):
            digest.update(chunk)
            upload.head = (upload.head + chunk)[:64] if len(upload.head) < 64 else upload.head
            upload.size += len(chunk)
            upload.chunks += 1
            if 0 <= fail_after <= upload.size:
                self._changed.set()
                return web.Response(status=fail_status, text="upload failed")
        upload.sha256, upload.received = digest.hexdigest(), True
        if upload.size != upload.length:
            self.problems.append(
                f"upload {upload.file_id}: {upload.size} bytes, declared length {upload.length}"
            )
        self._changed.set()
        return web.Response(text=f"OK - {upload.size}")

    async def _response(self, request: web.Request) -> web.Response:
        target = self._targets.get(request.match_info["target"])
        if target is None:
            return web.Response(status=404, text="no_service")
        try:
            body = await request.json()
        except ValueError:
            body = None
        call = Call("response_url", body if isinstance(body, dict) else {}, request.headers.copy())
        call.key = target.key
        self.responses.append(call)
        call.status, call.answer = self._respond(target, call)
        self._changed.set()
        return web.json_response(call.answer, status=call.status)

    def _respond(self, target: ResponseTarget, call: Call) -> tuple[int, Json]:
        failure = self._take_failure("response_url", call.args)
        if failure is not None:
            return failure.status, {"ok": False, "error": failure.error}
        target.uses += 1
        if target.uses > MAX_RESPONSE_URL_USES:
            self.problems.append(f"response_url {target.key}: used more than 5 times")
            return 404, {"ok": False, "error": "used_url"}
        if not call.args:
            return 400, {"ok": False, "error": "invalid_payload"}
        try:
            self._check_message("response_url", call.args)
        except SlackError as exc:
            return 400, {"ok": False, "error": exc.error}
        self._apply_response(target, call.args)
        return 200, {"ok": True}

    def _apply_response(self, target: ResponseTarget, body: Json) -> None:
        original = next(
            (m for m in self.messages if target.message_ts and m.ts == target.message_ts), None
        )
        if original is not None and flag(body.get("delete_original")):
            original.deleted = True
        elif original is not None and flag(body.get("replace_original")):
            original.text, original.blocks = body.get("text", ""), blocks_of(body)
            original.edits += 1
        elif body.get("text") or body.get("blocks"):
            public = body.get("response_type") == "in_channel"
            self.messages.append(
                Message(
                    channel=target.channel_id or "",
                    ts=self._next_ts(),
                    text=body.get("text", ""),
                    blocks=blocks_of(body),
                    kind="message" if public else "response",
                    user=target.user_id,
                    thread_ts=body.get("thread_ts"),
                )
            )


async def _read_args(request: web.Request) -> Json:
    """Merge query and body: slack_sdk sends JSON, form fields or query params per method."""
    args: Json = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            args.update(body if isinstance(body, dict) else {})
        else:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in _JSON_ARGS:
        if isinstance(args.get(key), str):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(args[key])
    return args


async def _body_chunks(request: web.Request) -> AsyncIterator[bytes]:
    """The upload body as it streams in: raw bytes, or the first file part of a multipart form."""
    if not request.content_type.startswith("multipart/"):
        async for chunk in request.content.iter_any():
            yield chunk
        return
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and part.filename is not None:
            while chunk := await part.read_chunk():
                yield chunk
            return

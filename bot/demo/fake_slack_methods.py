"""The fake Slack's Web API methods and the workspace state they read and change.

Each `_api_<method>` (dots become underscores) returns the answer's fields or raises
`SlackError`; `FakeSlack` in `bot.demo.fake_slack` serves them over HTTP. Past 300 lines on
purpose: one short method per Web API method the bot calls, all found by name on one workspace
state; split by family (chat, views, files) they would be mixins sharing that state.
"""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.blocks.limits import (
    CUMULATIVE_TEXT_PROBLEM,
    MISSING_FALLBACK_PROBLEM,
    message_problems,
    view_problems,
)
from bot.demo.fake_slack_records import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    PERMALINK_BASE,
    TEAM_ID,
    Json,
    Message,
    SlackError,
    Trigger,
    Upload,
    blocks_of,
    message_json,
    with_block_ids,
)


class SlackWorkspace:
    """People, channels, messages, views and files, changed only through Web API methods."""

    def __init__(self, *, trigger_ttl: float | None = 3.0) -> None:
        self.trigger_ttl = trigger_ttl
        self.base = ""
        self.uploads: dict[str, Upload] = {}
        self.problems: list[str] = []
        self.users: dict[str, Json] = {}
        self.channels: dict[str, Json] = {}
        self.messages: list[Message] = []
        self.views: dict[str, Json] = {}
        self.homes: dict[str, Json] = {}
        self._view_users: dict[str, str] = {}
        self._triggers: dict[str, Trigger] = {}
        self._install_codes: dict[str, tuple[str, str]] = {}
        self._ids = itertools.count(1)

    @staticmethod
    def dm_channel(user_id: str) -> str:
        return f"D{user_id}"

    def approve_install(self, team_id: str, user_id: str) -> str:
        """The ``code`` Slack sends to the app's redirect URL once ``user_id`` approves it."""
        code = f"{next(self._ids)}.{secrets.token_hex(8)}"
        self._install_codes[code] = (team_id, user_id)
        return code

    def _dispatch_method(self, method: str, args: Json) -> Json:
        handler: Callable[[Json], Json] | None = getattr(
            self, "_api_" + method.replace(".", "_"), None
        )
        if handler is None:
            self.problems.append(f"{method}: not implemented by FakeSlack")
            return {"ok": False, "error": "unknown_method"}
        try:
            return {"ok": True, **handler(args)}
        except SlackError as exc:
            answer: Json = {"ok": False, "error": exc.error}
            if exc.messages:
                answer["response_metadata"] = {"messages": exc.messages}
            return answer

    # ---- helpers shared by the method handlers ---------------------------------------------
    def _next_ts(self) -> str:
        n = next(self._ids)
        return f"{1_700_000_000 + n}.{n:06d}"

    def _check_message(self, method: str, args: Mapping[str, Any]) -> None:
        problems = message_problems(args)
        self.problems += [f"{method}: {p}" for p in problems]
        rejected = [p for p in problems if p != MISSING_FALLBACK_PROBLEM]
        if any("invalid_blocks_format" in p for p in rejected):
            raise SlackError("invalid_blocks_format")
        if any(p.startswith(CUMULATIVE_TEXT_PROBLEM) for p in rejected):
            raise SlackError("msg_blocks_too_long", rejected)
        if rejected:
            raise SlackError("invalid_blocks", [f"[ERROR] {p}" for p in rejected])

    def _check_view(self, method: str, view: Any, kind: str = "modal") -> Json:
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        problems = view_problems(view)
        if view.get("type") != kind:
            problems.append(f"/type: {method} takes a {kind} view")
        self.problems += [f"{method}: {p}" for p in problems]
        if any("view_too_large" in p for p in problems):
            raise SlackError("view_too_large")
        if problems:
            raise SlackError("invalid_arguments", [f"[ERROR] {p}" for p in problems])
        return view

    def _channel(self, channel: Any, *, need_member: bool = True) -> str:
        """Resolve a channel argument like Slack: user IDs mean the DM with the bot."""
        if isinstance(channel, str) and channel in self.users:
            return self.dm_channel(channel)
        if isinstance(channel, str) and channel.startswith("D") and channel[1:] in self.users:
            return channel
        info = self.channels.get(channel) if isinstance(channel, str) else None
        if info is None or (info["is_private"] and not info["is_member"]):
            raise SlackError("channel_not_found")
        if need_member and not info["is_member"]:
            raise SlackError("not_in_channel")
        return str(channel)

    def _consume_trigger(self, trigger_id: Any) -> Trigger:
        trigger = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self.trigger_ttl is not None and time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _store_view(
        self,
        view: Json,
        user_id: str,
        *,
        view_id: str | None = None,
        root: str | None = None,
        previous: str | None = None,
    ) -> Json:
        view_id = view_id or f"V{next(self._ids):08d}"
        stored = {
            "callback_id": "",
            "external_id": "",
            "private_metadata": "",
            **view,
            "blocks": with_block_ids(view.get("blocks") or []),
            "id": view_id,
            "team_id": TEAM_ID,
            "state": {"values": {}},
            "hash": f"{time.time():.6f}.{next(self._ids)}",
            "root_view_id": root or view_id,
            "previous_view_id": previous,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
        }
        self.views.pop(view_id, None)
        self.views[view_id] = stored
        self._view_users[view_id] = user_id
        return stored

    def _find_view(self, args: Json) -> Json:
        if args.get("view_id"):
            found = self.views.get(args["view_id"])
        else:
            ext = args.get("external_id")
            found = next((v for v in self.views.values() if ext and v["external_id"] == ext), None)
        if found is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != found["hash"]:
            raise SlackError("hash_conflict")
        return found

    def file_object(self, upload: Upload) -> Json:
        ext = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        return {
            "id": upload.file_id,
            "created": int(time.time()),
            "name": upload.filename,
            "title": upload.title or upload.filename,
            "mimetype": mimetypes.guess_type(upload.filename)[0] or "application/octet-stream",
            "filetype": ext,
            "user": BOT_USER_ID,
            "size": upload.size,
            "url_private": f"{self.base}/files-pri/{TEAM_ID}-{upload.file_id}/{upload.filename}",
            "permalink": f"{PERMALINK_BASE}/{BOT_USER_ID}/{upload.file_id}/{upload.filename}",
            "channels": [c for c in upload.channels if c.startswith("C")],
            "ims": [c for c in upload.channels if c.startswith("D")],
            "groups": [c for c in upload.channels if c.startswith("G")],
        }

    # ---- Web API methods: each returns the answer's fields or raises SlackError ---------------
    def _api_auth_test(self, _args: Json) -> Json:
        return {
            "url": "https://fake.slack.test/",
            "team": "Fake Team",
            "user": "recordings-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _api_auth_revoke(self, _args: Json) -> Json:
        return {"revoked": True}  # the call itself (and its token) is what tests read

    def _api_oauth_v2_access(self, args: Json) -> Json:
        """An install's tokens as Slack issues them with token rotation on (as long, too)."""
        found = self._install_codes.pop(str(args.get("code")), None)
        if found is None:
            raise SlackError("invalid_code")
        team_id, user_id = found

        def token(prefix: str) -> str:
            return f"{prefix}-{team_id}-{secrets.token_urlsafe(96)}"

        return {
            "app_id": APP_ID,
            "authed_user": {
                "id": user_id,
                "scope": "users:read",
                "token_type": "user",
                "access_token": token("xoxe.xoxp-1"),
                "refresh_token": token("xoxe-1"),
                "expires_in": 43200,
            },
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": token("xoxe.xoxb-1"),
            "bot_user_id": BOT_USER_ID,
            "refresh_token": token("xoxe-1"),
            "expires_in": 43200,
            "team": {"id": team_id, "name": f"Workspace {team_id}"},
            "enterprise": None,
            "is_enterprise_install": False,
            "incoming_webhook": {
                "channel": "#general",
                "channel_id": "C0001",
                "configuration_url": f"https://fake.slack.test/services/{team_id}",
                "url": f"https://hooks.slack.com/services/{team_id}/{secrets.token_urlsafe(24)}",
            },
        }

    def _api_users_info(self, args: Json) -> Json:
        user = self.users.get(args.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _api_chat_postMessage(self, args: Json) -> Json:
        channel = self._channel(args.get("channel"))
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise SlackError("no_text")
        self._check_message("chat.postMessage", args)
        message = Message(channel, self._next_ts(), args.get("text", ""), blocks_of(args))
        message.thread_ts = args.get("thread_ts")
        self.messages.append(message)
        return {"channel": channel, "ts": message.ts, "message": message_json(message)}

    def _api_chat_update(self, args: Json) -> Json:
        channel = self._channel(args.get("channel"), need_member=False)
        message = next(
            (
                m
                for m in self.messages
                if m.channel == channel and m.ts == args.get("ts") and not m.ephemeral
            ),
            None,
        )
        if message is None or message.deleted:
            raise SlackError("message_not_found")
        self._check_message("chat.update", args)
        if "text" in args:
            message.text = args["text"]
        if "blocks" in args:
            message.blocks = blocks_of(args)
        message.edits += 1
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": message_json(message),
        }

    def _api_chat_postEphemeral(self, args: Json) -> Json:
        channel = self._channel(args.get("channel"), need_member=False)
        user = args.get("user")
        if user not in self.users:
            raise SlackError("user_not_found")
        members = self.channels.get(channel, {}).get("members")
        if members is not None and user not in members:
            raise SlackError("user_not_in_channel")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise SlackError("no_text")
        self._check_message("chat.postEphemeral", args)
        message = Message(
            channel,
            self._next_ts(),
            args.get("text", ""),
            blocks_of(args),
            kind="ephemeral",
            user=user,
        )
        self.messages.append(message)
        return {"message_ts": message.ts}

    def _api_chat_delete(self, args: Json) -> Json:
        channel = self._channel(args.get("channel"), need_member=False)
        for message in self.messages:
            if message.channel == channel and message.ts == args.get("ts") and not message.deleted:
                message.deleted = True
                return {"channel": channel, "ts": message.ts}
        raise SlackError("message_not_found")

    def _api_views_open(self, args: Json) -> Json:
        trigger = self._consume_trigger(args.get("trigger_id"))
        view = self._check_view("views.open", args.get("view"))
        return {"view": self._store_view(view, trigger.user_id)}

    def _api_views_push(self, args: Json) -> Json:
        trigger = self._consume_trigger(args.get("trigger_id"))
        below = self.views.get(trigger.view_id or "")
        if below is None:
            raise SlackError("not_found")
        root = below["root_view_id"]
        if sum(1 for v in self.views.values() if v["root_view_id"] == root) >= 3:
            raise SlackError("push_limit_reached")
        view = self._check_view("views.push", args.get("view"))
        stored = self._store_view(view, trigger.user_id, root=root, previous=below["id"])
        return {"view": stored}

    def _api_views_update(self, args: Json) -> Json:
        current = self._find_view(args)
        view = self._check_view("views.update", args.get("view"))
        user_id = self._view_users[current["id"]]
        stored = self._store_view(
            view,
            user_id,
            view_id=current["id"],
            root=current["root_view_id"],
            previous=current["previous_view_id"],
        )
        return {"view": stored}

    def _api_views_publish(self, args: Json) -> Json:
        user_id = args.get("user_id", "")
        if user_id not in self.users:
            raise SlackError("user_not_found")
        view = self._check_view("views.publish", args.get("view"), "home")
        home = {**view, "id": f"VH{user_id}", "team_id": TEAM_ID, "hash": f"{next(self._ids)}"}
        self.homes[user_id] = home
        return {"view": home}

    def _api_conversations_open(self, args: Json) -> Json:
        users = args.get("users")
        names = users.split(",") if isinstance(users, str) else list(users or [])
        if not names:
            raise SlackError("users_list_not_supplied")
        if len(names) > 1 or names[0] not in self.users:
            raise SlackError("user_not_found")
        return {"channel": {"id": self.dm_channel(names[0])}}

    def _api_conversations_info(self, args: Json) -> Json:
        channel = args.get("channel", "")
        if channel.startswith("D") and channel[1:] in self.users:
            return {"channel": {"id": channel, "is_im": True, "user": channel[1:]}}
        info = self.channels.get(channel)
        if info is None or (info["is_private"] and not info["is_member"]):
            raise SlackError("channel_not_found")
        return {"channel": {k: v for k, v in info.items() if k != "members"}}

    def _api_files_getUploadURLExternal(self, args: Json) -> Json:
        filename = args.get("filename")
        if not filename:
            raise SlackError("invalid_arguments")
        try:
            length = int(args.get("length", 0))
        except ValueError:
            raise SlackError("invalid_arguments") from None
        if length <= 0:
            raise SlackError("missing_argument")
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = Upload(file_id, filename, length)
        return {"upload_url": f"{self.base}/upload/v1/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, args: Json) -> Json:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        uploads = [
            self.uploads.get(f.get("id", "")) if isinstance(f, dict) else None for f in files
        ]
        if any(u is None or not u.received or u.deleted for u in uploads):
            raise SlackError("file_not_found")
        targets = [args["channel_id"]] if args.get("channel_id") else []
        targets += [c for c in str(args.get("channels") or "").split(",") if c]
        channels = [self._channel(c) for c in targets]
        if args.get("blocks") and not args.get("initial_comment"):
            self._check_message("files.completeUploadExternal", {"text": "file", **args})
        done: list[Upload] = [u for u in uploads if u is not None]
        for upload, spec in zip(done, files, strict=True):
            upload.completed, upload.title = True, spec.get("title") or upload.filename
            upload.channels += channels
            upload.initial_comment = args.get("initial_comment")
            upload.thread_ts = args.get("thread_ts")
        for channel in channels:
            message = Message(
                channel,
                self._next_ts(),
                args.get("initial_comment") or "",
                [],
                kind="file",
                files=[u.file_id for u in done],
            )
            message.thread_ts = args.get("thread_ts")
            self.messages.append(message)
        return {"files": [self.file_object(u) for u in done]}

    def _api_files_info(self, args: Json) -> Json:
        return {"file": self.file_object(self._shared_file(args.get("file")))}

    def _api_files_delete(self, args: Json) -> Json:
        self._shared_file(args.get("file")).deleted = True
        return {}

    def _shared_file(self, file_id: Any) -> Upload:
        upload = self.uploads.get(file_id) if isinstance(file_id, str) else None
        if upload is None or not upload.completed:
            raise SlackError("file_not_found")
        if upload.deleted:
            raise SlackError("file_deleted")
        return upload

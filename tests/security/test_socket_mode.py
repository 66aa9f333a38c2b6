"""No built-in signing secret, and no Slack route over HTTP in Socket Mode.

Slack's traffic then arrives over the socket only: ``POST /slack/events`` (and every other
Slack path) answers 404 whatever secret signed it, the old built-in constant included, and
nothing is posted anywhere. HTTP and OAuth modes refuse to start without a signing secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import WSMsgType, web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.app import build_runtime
from bot.demo.fake_slack import Json
from bot.demo.stack import free_port
from bot.settings import Settings
from bot.vbcsim import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    RunningSimulator,
    start_simulator,
)
from bot.web.serve import LocalServer
from tests.fakes import FakeSlack
from tests.fakes.sink import Sink
from tests.integration.conftest import MEMBER, SIGNING_SECRET, make_settings, settle_startup
from tests.security.conftest import OLD_SOCKET_SECRET, forged_command, now

APP_TOKEN = "xapp-1-A0001-socket-test"
SECRETS = {"the old constant": OLD_SOCKET_SECRET, "the configured one": SIGNING_SECRET}
SLACK_PATHS = [
    ("POST", "/slack/events"),
    ("GET", "/slack/events"),
    ("POST", "/slack/actions"),
    ("GET", "/slack/install"),
    ("GET", "/slack/oauth_redirect"),
    ("POST", "/slack/commands"),
]


def signed(body: bytes, secret: str) -> dict[str, str]:
    timestamp = now()
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }


class SocketSlack(FakeSlack):
    """The fake Web API plus Slack's end of Socket Mode: ``apps.connections.open`` hands out
    a WebSocket URL, where this fake says hello, sends envelopes and keeps the acks."""

    def __init__(self) -> None:
        super().__init__(trigger_ttl=None)
        self.acks: list[Json] = []
        self.connected = asyncio.Event()
        self._socket: web.WebSocketResponse | None = None
        self._ws_runner: web.AppRunner | None = None
        self._ws_url = ""

    async def start(self) -> None:
        await super().start()
        app = web.Application()
        app.router.add_get("/link", self._link)
        self._ws_runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._ws_runner.setup()
        await web.TCPSite(self._ws_runner, "127.0.0.1", 0).start()
        self._ws_url = f"ws://127.0.0.1:{self._ws_runner.addresses[0][1]}/link"

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._ws_runner is not None:
            await self._ws_runner.cleanup()
        await super().close()

    def _api_apps_connections_open(self, _args: Json) -> Json:
        return {"url": self._ws_url}

    async def send_envelope(self, envelope: Json) -> None:
        assert self._socket is not None
        await self._socket.send_json(envelope)

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"type": "hello", "num_connections": 1})
        self.connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
                self._changed.set()
        return socket


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    running = await start_simulator()
    try:
        yield running
    finally:
        await running.close()


def socket_settings(sim: RunningSimulator, slack: FakeSlack, sqlite_url: str) -> Settings:
    settings = dataclasses.replace(
        make_settings(sim.url, slack.url, sqlite_url), slack_app_token=APP_TOKEN
    )
    assert settings.mode == "socket"
    return settings


@pytest.mark.parametrize("secret", list(SECRETS))
async def test_socket_mode_serves_no_slack_path_over_http(
    sim: RunningSimulator, sink: Sink, sqlite_url: str, secret: str
) -> None:
    async with FakeSlack(trigger_ttl=None) as slack:
        runtime = await build_runtime(socket_settings(sim, slack, sqlite_url))
        bot = await LocalServer(runtime).start()
        await settle_startup(runtime, sim, slack)  # its own token and auth.test checks
        try:
            body = forged_command(sink.url_for("forged"), text="help")
            async with httpx.AsyncClient(base_url=bot.url) as http:
                for method, path in SLACK_PATHS:
                    headers = signed(body, SECRETS[secret])
                    answer = await http.request(method, path, content=body, headers=headers)
                    assert answer.status_code == 404, (method, path, answer.text)
                assert (await http.get("/healthz")).status_code == 200
        finally:
            await bot.close()
    assert slack.calls == []
    assert slack.responses == []
    assert sink.requests == []
    assert list(sim.state.requests) == []


async def test_socket_mode_app_verifies_against_no_known_secret(
    sim: RunningSimulator, sink: Sink, sqlite_url: str
) -> None:
    """Were the Socket Mode app ever handed an HTTP request, no known secret would pass."""
    async with FakeSlack(trigger_ttl=None) as slack:
        runtime = await build_runtime(socket_settings(sim, slack, sqlite_url))
        try:
            body = forged_command(sink.url_for("forged"), text="help")
            for secret in SECRETS.values():
                headers: dict[str, str | Sequence[str]] = {
                    k.lower(): v for k, v in signed(body, secret).items()
                }
                answer = await runtime.app.async_dispatch(
                    AsyncBoltRequest(body=body.decode(), headers=headers)
                )
                assert answer.status == 401
        finally:
            await runtime.close()
    assert slack.calls == []
    assert sink.requests == []


def process_env(
    sim: RunningSimulator, slack: FakeSlack, sqlite_url: str, port: int
) -> dict[str, str]:
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-socket",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_CLIENT_ID": "",
        "SLACK_CLIENT_SECRET": "",
        "SLACK_API_URL": slack.url,
        "VBC_API_URL": sim.url,
        "VBC_CLIENT_ID": DEMO_CLIENT_ID,
        "VBC_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "VBC_USERNAME": DEMO_USERNAME,
        "VBC_PASSWORD": DEMO_PASSWORD,
        "DATABASE_URL": sqlite_url,
        "BOT_SECRET_KEY": "socket-test-secret-key-0123456789abcdef",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
    }


async def wait_for_health(base: str) -> None:
    async with httpx.AsyncClient() as http:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    pytest.fail("the bot did not start listening")


async def test_recordings_bot_run_in_socket_mode_answers_404_over_http(
    sim: RunningSimulator, sink: Sink, sqlite_url: str, tmp_path: Path
) -> None:
    """The real process: connected to Slack over the socket, it takes a command there, while
    a signed POST /slack/events over HTTP (old constant or real secret) is a 404."""
    slack = SocketSlack()
    await slack.start()
    slack.add_user(MEMBER, "Hannah Kowalski", email=sim.state.users[0].email)
    port = free_port()
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=process_env(sim, slack, sqlite_url, port),
            cwd=str(tmp_path),
            stderr=log_file,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.wait_for(slack.connected.wait(), timeout=20)
        await wait_for_health(base)
        body = forged_command(sink.url_for("forged"), text="help")
        async with httpx.AsyncClient(base_url=base) as http:
            for secret in SECRETS.values():
                answer = await http.post(
                    "/slack/events", content=body, headers=signed(body, secret)
                )
                assert answer.status_code == 404

        await slack.send_envelope(socket_command(slack, "help"))
        await slack.wait_for(lambda: slack.acks or None, timeout=15)
        await slack.wait_for("response_url", timeout=15)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=15)
        await slack.close()
    assert code == 0
    assert slack.acks[0]["envelope_id"] == "env-1"
    assert sink.requests == []
    log = log_path.read_text()
    assert "Traceback" not in log
    assert "U0FORGED9" not in log


def socket_command(slack: FakeSlack, text: str) -> Json:
    payload: dict[str, Any] = {
        "token": "verification-token",
        "team_id": "T0001",
        "team_domain": "fake",
        "channel_id": "C0001",
        "channel_name": "general",
        "user_id": MEMBER,
        "user_name": "hannah",
        "command": "/recordings",
        "text": text,
        "api_app_id": "A0001",
        "is_enterprise_install": "false",
        "response_url": slack.response_url("socket", user_id=MEMBER, channel_id="C0001"),
        "trigger_id": slack.new_trigger_id(MEMBER),
    }
    return {
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payload,
    }


@pytest.mark.parametrize("mode", ["http", "oauth"])
async def test_http_and_oauth_modes_refuse_to_start_without_a_signing_secret(
    sim: RunningSimulator, sqlite_url: str, tmp_path: Path, mode: str
) -> None:
    async with FakeSlack() as slack:
        env = process_env(sim, slack, sqlite_url, free_port())
        env.update(SLACK_APP_TOKEN="", SLACK_SIGNING_SECRET="")
        if mode == "oauth":
            env.update(
                SLACK_BOT_TOKEN="",
                SLACK_CLIENT_ID="111.222",
                SLACK_CLIENT_SECRET="oauth-secret",
                SLACK_ALLOWED_TEAMS="T0001",
            )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=str(tmp_path),
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode != 0
    assert b"SLACK_SIGNING_SECRET is not set" in stderr
    assert slack.calls == []

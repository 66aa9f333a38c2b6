"""Body cap: a body over 1 MiB on any route gets 413 without being read whole.

A declared Content-Length over the cap is refused before a byte of the body is read; a
chunked body is refused as soon as what was received passes the cap, so at most the cap
plus one chunk is ever read. Counted where the bytes enter the app (ASGI ``receive``), both
with a scripted receive and over real HTTP from a client that streams 50 MB.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.web.guards import LINGER_BYTES, MAX_BODY_BYTES, App, Message, Receive, Scope, Send
from bot.web.serve import build_front, uvicorn_server
from tests.integration.conftest import Stack

MB = 1024 * 1024
CHUNK = 64 * 1024
ROUTES = [
    ("POST", "/slack/events"),
    ("GET", "/healthz"),
    ("GET", "/links/token/file.mp3"),
    ("GET", "/vbc/oauth/callback"),
    ("POST", "/nowhere"),
]


@dataclass
class Counted:
    """Wraps an ASGI app and counts the body bytes it pulls through ``receive``."""

    app: App
    pulled: int = 0
    largest: int = 0
    before_answer: int | None = None  # what had been pulled when the answer started
    statuses: list[int] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counting() -> Message:
            message = await receive()
            size = len(message.get("body", b""))
            self.pulled += size
            self.largest = max(self.largest, size)
            return message

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])
                self.before_answer = self.pulled
            await send(message)

        await self.app(scope, counting, noting)


def scope_for(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"bot"), *headers],
    }


async def drive(app: App, scope: Scope, total: int) -> tuple[int, list[Message]]:
    """Offer ``total`` bytes in 64 KiB chunks; (bytes the app had pulled when it started its
    answer, what it sent). After the answer a refusal may read on briefly and drop it."""
    offered = 0
    at_answer = -1
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal offered
        if offered >= total:
            return {"type": "http.disconnect"}
        size = min(CHUNK, total - offered)
        offered += size
        return {"type": "http.request", "body": b"a" * size, "more_body": offered < total}

    async def send(message: Message) -> None:
        nonlocal at_answer
        if not sent:
            at_answer = offered
        sent.append(message)

    await app(scope, receive, send)
    return at_answer, sent


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_declared_length_over_the_cap_is_refused_before_reading(
    stack: Stack, method: str, path: str
) -> None:
    front = build_front(stack.bot.runtime)
    headers = [(b"content-length", str(50 * MB).encode())]
    pulled, sent = await drive(front, scope_for(method, path, headers), 50 * MB)
    assert pulled == 0
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_chunked_body_over_the_cap_is_refused_after_at_most_the_cap_and_a_chunk(
    stack: Stack, method: str, path: str
) -> None:
    front = build_front(stack.bot.runtime)
    headers = [(b"transfer-encoding", b"chunked")]
    pulled, sent = await drive(front, scope_for(method, path, headers), 50 * MB)
    assert MAX_BODY_BYTES < pulled <= MAX_BODY_BYTES + CHUNK
    assert sent[0]["status"] == 413


async def test_a_body_of_exactly_the_cap_is_read_and_judged_on_its_merits(stack: Stack) -> None:
    front = build_front(stack.bot.runtime)
    scope = scope_for("POST", "/slack/events", [(b"content-length", str(MAX_BODY_BYTES).encode())])
    pulled, sent = await drive(front, scope, MAX_BODY_BYTES)
    assert pulled == MAX_BODY_BYTES
    assert sent[0]["status"] == 401  # within the cap, so on to the signature check


# ---- over real HTTP ----------------------------------------------------------------------
@contextlib.asynccontextmanager
async def serving(app: App) -> AsyncIterator[int]:
    server = uvicorn_server(app, "127.0.0.1", 0)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.01)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task


async def stream(
    port: int, method: str, path: str, *, total: int, chunked: bool, stop_at_answer: bool = True
) -> tuple[bytes, int]:
    """Send ``total`` bytes in 64 KiB writes until the server answers (``stop_at_answer``) or
    hangs up; (the status line, b"" if the connection was reset first, and bytes written)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: bot\r\n{framing}\r\n\r\n".encode())
    answer = asyncio.create_task(reader.readline())
    written, block = 0, b"a" * CHUNK
    with contextlib.suppress(ConnectionError):
        while written < total and not (stop_at_answer and answer.done()):
            writer.write(f"{CHUNK:x}\r\n".encode() + block + b"\r\n" if chunked else block)
            await writer.drain()
            written += CHUNK
            await asyncio.sleep(0)  # let a response in between writes
    try:
        status = await asyncio.wait_for(answer, timeout=10)
    except ConnectionError:
        status = b""
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    return status, written


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("method", "path"), [("POST", "/slack/events"), ("GET", "/healthz")])
async def test_over_http_a_50_mb_body_gets_413_after_at_most_the_cap_and_a_chunk(
    stack: Stack, method: str, path: str, chunked: bool
) -> None:
    counted = Counted(build_front(stack.bot.runtime))
    async with serving(counted) as port:
        status, written = await stream(port, method, path, total=50 * MB, chunked=chunked)
    assert status.startswith(b"HTTP/1.1 413"), status
    assert counted.statuses == [413]
    assert counted.before_answer is not None
    if chunked:
        assert counted.before_answer - counted.largest <= MAX_BODY_BYTES
    else:
        assert counted.before_answer == 0
    assert counted.pulled <= counted.before_answer + LINGER_BYTES + counted.largest
    assert written < 50 * MB  # the client was stopped well before the end
    assert stack.slack.calls == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_client_that_keeps_writing_still_reads_its_413(stack: Stack, chunked: bool) -> None:
    """Hanging up with unread bytes resets the connection; the short lingering close before
    it lets a client that never stops writing read the 413 all the same."""
    counted = Counted(build_front(stack.bot.runtime))
    async with serving(counted) as port:
        # The client in a loop of its own, as a real one: it writes while the bot answers.
        status, written = await asyncio.to_thread(
            asyncio.run,
            stream(
                port, "POST", "/slack/events", total=50 * MB, chunked=chunked, stop_at_answer=False
            ),
        )
    assert status.startswith(b"HTTP/1.1 413"), status
    assert written < 50 * MB
    assert counted.pulled <= MAX_BODY_BYTES + LINGER_BYTES + 2 * counted.largest

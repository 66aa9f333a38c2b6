"""The streamed relay: exact bytes, a streamed body with Content-Length, and every failure."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.audio import uploads
from bot.audio.uploads import Progress, SourceError, UploadError, upload_stream

UPLOAD_URL = "https://files.slack.test/upload/v1/F1"
CHUNK = 64 * 1024


class RecordingWebClient(AsyncWebClient):
    """The Web API seam: answers per method, records every call; no sockets."""

    def __init__(self, answers: dict[str, dict[str, Any]] | None = None) -> None:
        super().__init__(token="xoxb-test")
        self.answers = answers or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def api_call(
        self, api_method: str, *, params: dict[str, Any] | None = None, **_: Any
    ) -> AsyncSlackResponse:
        args = {k: v for k, v in (params or {}).items() if v is not None}
        self.calls.append((api_method, args))
        default: dict[str, Any] = {"ok": True}
        if api_method == "files.getUploadURLExternal":
            default = {"ok": True, "upload_url": UPLOAD_URL, "file_id": "F1"}
        if api_method == "files.completeUploadExternal":
            default = {"ok": True, "files": [{"id": "F1", "permalink": "https://x.test/F1"}]}
        data = self.answers.get(api_method, default)
        response = AsyncSlackResponse(
            client=self,
            http_verb="POST",
            api_url=f"https://slack.test/api/{api_method}",
            req_args={},
            data=data,
            headers={},
            status_code=200,
        )
        if not data.get("ok"):
            raise SlackApiError(f"Slack said: {data}", response)  # type: ignore[no-untyped-call]
        return response

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]


class Receiver(httpx.AsyncBaseTransport):
    """The upload URL as a transport that reads the body as it streams, chunk by chunk.

    (``httpx.MockTransport`` reads the whole body first, which would hide buffering.)
    """

    def __init__(self, status: int = 200, fail: Exception | None = None) -> None:
        self.status = status
        self.fail = fail
        self.digest = hashlib.sha256()
        self.size = 0
        self.chunks = 0
        self.largest = 0
        self.headers: httpx.Headers | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == UPLOAD_URL
        self.headers = request.headers
        assert isinstance(request.stream, httpx.AsyncByteStream)
        async for chunk in request.stream:
            self.digest.update(chunk)
            self.size += len(chunk)
            self.chunks += 1
            self.largest = max(self.largest, len(chunk))
            if self.fail is not None and self.size > CHUNK:
                raise self.fail
        return httpx.Response(self.status, text=f"OK - {self.size}")


def body(size: int, *, stop_after: int | None = None, extra: int = 0) -> bytes:
    return bytes(i % 251 for i in range(size + extra))[: stop_after or size + extra]


async def chunks_of(data: bytes, *, error: Exception | None = None) -> AsyncIterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]
    if error is not None:
        raise error


async def run(
    client: RecordingWebClient,
    receiver: Receiver,
    chunks: AsyncIterator[bytes],
    length: int,
    progress: list[tuple[int, int]] | None = None,
) -> Any:
    async def on_progress(sent: int, total: int) -> None:
        if progress is not None:
            progress.append((sent, total))

    async with httpx.AsyncClient(transport=receiver) as http:
        return await upload_stream(
            client,
            http,
            filename="2024-05-01 14-03 inbound +17325550100.mp3",
            length=length,
            chunks=chunks,
            title="A call",
            channel_id="D1",
            initial_comment="comment",
            on_progress=on_progress,
        )


async def test_streams_exact_bytes_with_content_length_then_completes() -> None:
    data = body(5 * CHUNK + 123)
    client, receiver = RecordingWebClient(), Receiver()
    progress: list[tuple[int, int]] = []
    uploaded = await run(client, receiver, chunks_of(data), len(data), progress)
    assert receiver.digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert receiver.chunks > 1
    assert receiver.largest <= CHUNK
    assert receiver.headers is not None
    assert receiver.headers["content-length"] == str(len(data))
    assert "transfer-encoding" not in receiver.headers
    assert client.methods() == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    prepared, completed = client.calls[0][1], client.calls[1][1]
    assert prepared["length"] == len(data)
    assert prepared["filename"].endswith(".mp3")
    assert json.loads(completed["files"]) == [{"id": "F1", "title": "A call"}]
    assert completed["channel_id"] == "D1"
    assert completed["initial_comment"] == "comment"
    assert (uploaded.file_id, uploaded.permalink, uploaded.size) == (
        "F1",
        "https://x.test/F1",
        len(data),
    )
    assert progress[-1] == (len(data), len(data))
    assert [sent for sent, _ in progress] == sorted(sent for sent, _ in progress)


async def test_a_source_failure_is_a_source_error_and_nothing_is_completed() -> None:
    data = body(3 * CHUNK)
    client = RecordingWebClient()
    broken = chunks_of(data, error=httpx.ReadError("connection reset"))
    with pytest.raises(SourceError) as caught:
        await run(client, Receiver(), broken, len(data) + CHUNK)
    assert isinstance(caught.value.__cause__, httpx.ReadError)
    assert (caught.value.sent, caught.value.total) == (len(data), len(data) + CHUNK)
    assert "files.completeUploadExternal" not in client.methods()


@pytest.mark.parametrize(("announced", "actual"), [(4 * CHUNK, 3 * CHUNK), (CHUNK, 2 * CHUNK)])
async def test_a_source_of_the_wrong_length_is_refused(announced: int, actual: int) -> None:
    client = RecordingWebClient()
    with pytest.raises(SourceError):
        await run(client, Receiver(), chunks_of(body(actual)), announced)
    assert "files.completeUploadExternal" not in client.methods()


async def test_slack_refusing_the_bytes_is_an_upload_error() -> None:
    client = RecordingWebClient()
    with pytest.raises(UploadError) as caught:
        await run(client, Receiver(status=500), chunks_of(body(CHUNK)), CHUNK)
    assert caught.value.stage == "transfer"
    assert "500" in str(caught.value)
    assert "files.completeUploadExternal" not in client.methods()


async def test_a_broken_upload_connection_is_an_upload_error() -> None:
    client = RecordingWebClient()
    receiver = Receiver(fail=httpx.WriteError("broken pipe"))
    with pytest.raises(UploadError) as caught:
        await run(client, receiver, chunks_of(body(4 * CHUNK)), 4 * CHUNK)
    assert caught.value.stage == "transfer"
    assert "files.completeUploadExternal" not in client.methods()


@pytest.mark.parametrize(
    ("method", "stage"),
    [("files.getUploadURLExternal", "prepare"), ("files.completeUploadExternal", "complete")],
)
async def test_slack_api_errors_name_the_step(method: str, stage: str) -> None:
    client = RecordingWebClient({method: {"ok": False, "error": "not_in_channel"}})
    receiver = Receiver()
    with pytest.raises(UploadError) as caught:
        await run(client, receiver, chunks_of(body(CHUNK)), CHUNK)
    assert (caught.value.stage, caught.value.slack_error) == (stage, "not_in_channel")
    assert "not_in_channel" in str(caught.value)
    assert receiver.size == (0 if stage == "prepare" else CHUNK)


async def test_an_empty_file_is_refused_before_calling_slack() -> None:
    client = RecordingWebClient()
    with pytest.raises(UploadError):
        await run(client, Receiver(), chunks_of(b""), 0)
    assert client.calls == []


# -- progress beside the stream ----------------------------------------------------------------


async def upload_with(on_progress: Progress, data: bytes, receiver: Receiver) -> Any:
    async with httpx.AsyncClient(transport=receiver) as http:
        return await asyncio.wait_for(
            upload_stream(
                RecordingWebClient(),
                http,
                filename="a.mp3",
                length=len(data),
                chunks=chunks_of(data),
                title="A call",
                channel_id="D1",
                initial_comment=None,
                on_progress=on_progress,
            ),
            timeout=10,
        )


async def test_failing_progress_posts_never_break_the_upload(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data, receiver = body(6 * CHUNK), Receiver()
    calls: list[int] = []

    async def unreachable(sent: int, _total: int) -> None:
        calls.append(sent)
        raise aiohttp.ClientConnectionError("response_url unreachable")

    uploaded = await upload_with(unreachable, data, receiver)
    assert uploaded.file_id == "F1"
    assert receiver.digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert calls
    assert "a progress update failed" in caplog.text


async def test_a_stuck_progress_post_never_stalls_the_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first post never answers: every byte still reaches Slack, then the post is dropped."""
    monkeypatch.setattr(uploads, "PROGRESS_SETTLE", 0.05)
    data, receiver = body(8 * CHUNK), Receiver()
    seen_by_slack: list[int] = []
    cancelled = asyncio.Event()

    async def stuck(_sent: int, _total: int) -> None:
        try:
            await asyncio.Event().wait()  # a response_url that never answers
        except asyncio.CancelledError:
            seen_by_slack.append(receiver.size)
            cancelled.set()
            raise

    uploaded = await upload_with(stuck, data, receiver)
    assert uploaded.size == len(data)
    assert cancelled.is_set()  # cancelled at the end, not left running after the outcome
    assert seen_by_slack == [len(data)]  # the bytes all went through while it hung


async def test_progress_reports_skip_to_the_newest_count_while_a_post_is_slow() -> None:
    data = body(8 * CHUNK)
    posted: list[int] = []
    gate = asyncio.Event()

    async def slow(sent: int, _total: int) -> None:
        posted.append(sent)
        if sent == 0:
            await gate.wait()

    async def chunks_then_open_gate() -> AsyncIterator[bytes]:
        async for chunk in chunks_of(data):
            await asyncio.sleep(0)  # as a socket read would: the first post starts and hangs
            yield chunk
        gate.set()

    async with httpx.AsyncClient(transport=Receiver()) as http:
        await upload_stream(
            RecordingWebClient(),
            http,
            filename="a.mp3",
            length=len(data),
            chunks=chunks_then_open_gate(),
            title="t",
            channel_id="D1",
            initial_comment=None,
            on_progress=slow,
        )
    assert posted == [0, len(data)]  # the counts in between were replaced, not queued

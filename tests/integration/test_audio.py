"""Play and Share through the real endpoint: VBC simulator -> bot -> fake Slack, byte for byte."""

from __future__ import annotations

import contextlib
import hashlib
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bot import blocks
from bot.app import Runtime, build_runtime
from bot.demo.fake_slack import FakeSlack
from bot.settings import Settings
from bot.store import AuditQuery
from bot.store.tables import ChannelSetting
from bot.vbc.client import DOWNLOAD_CHUNK
from bot.vbcsim.data import SimRecording
from bot.vbcsim.mp3 import iter_mp3
from tests.fakes import Message, Upload, render_text, wait_until
from tests.integration import conftest
from tests.integration.conftest import ADMIN, CHANNEL, MEMBER, OTHER, TEAM, Stack, stop_stack

MB = 1024 * 1024
FINAL = (":white_check_mark:", ":warning:", ":package:")


# -- helpers ---------------------------------------------------------------------------------


def add_recording(stack: Stack, size: int, **fields: Any) -> SimRecording:
    """A company recording of MEMBER's extension, newest of all, ``size`` bytes of MP3."""
    member = stack.sim.state.users[0]
    return stack.sim.state.add_recording(size_bytes=size, user_id=member.id, **fields)


def sha256_of(rec: SimRecording) -> str:
    digest = hashlib.sha256()
    for chunk in iter_mp3(rec.id, rec.file_size_in_bytes):
        digest.update(chunk)
    return digest.hexdigest()


def text_of(message: Message) -> str:
    return render_text(message.blocks)


async def results_with(
    stack: Stack, user: str, rec: SimRecording, channel: str = CHANNEL, text: str = "last 7d"
) -> Message:
    """Search, and return the ephemeral results message that lists ``rec``."""
    before = len(stack.slack.messages_for(user))
    await stack.driver.command(user, text, channel_id=channel)

    def listed() -> Message | None:
        new = stack.slack.messages_for(user)[before:]
        return next((m for m in new if f"c:{rec.id}" in str(m.blocks)), None)

    return await stack.slack.wait_for(listed, timeout=10)


def outcome_of(message: Message) -> str | None:
    """The outcome a message shows, or None while it shows progress.

    A results list stays: its rows' outcome lines come first, then the whole list.
    """
    text = text_of(message)
    if text.startswith(FINAL):
        return text
    if "⏳" in text:
        return None
    lines = [line for line in text.splitlines() if line.startswith(FINAL)]
    return "\n".join([*lines, text]) if lines else None


async def finished(stack: Stack, message: Message, timeout: float = 30) -> str:
    """Wait until the clicked message shows an outcome (done, error or link), not progress."""

    def final() -> str | None:
        return outcome_of(message)

    return await stack.slack.wait_for(final, timeout=timeout)


async def click(
    stack: Stack, user: str, action_id: str, value: str, message: Message, **kw: Any
) -> str:
    edits = message.edits
    await stack.driver.click(user, action_id, value, message=message, **kw)
    await stack.slack.wait_for(lambda: message.edits > edits, timeout=30)
    return await finished(stack, message)


async def forged_click(stack: Stack, user: str, action_id: str, value: str) -> str:
    """A click on a button the app never showed this person: the reply is a new message."""
    before = len(stack.slack.messages_for(user))
    await stack.driver.click(user, action_id, value)
    [reply] = await stack.slack.wait_for(lambda: stack.slack.messages_for(user)[before:])
    return text_of(reply)


async def play(
    stack: Stack, rec: SimRecording, user: str = MEMBER, action_id: str = blocks.ACTION_PLAY
) -> tuple[Message, str]:
    results = await results_with(stack, user, rec)
    outcome = await click(stack, user, action_id, f"c:{rec.id}", results)
    return results, outcome


def upload_permalink(stack: Stack, upload: Upload) -> str:
    [call] = [
        c
        for c in stack.slack.calls_to("files.completeUploadExternal")
        if upload.file_id in str(c.args)
    ]
    return str(call.answer["files"][0]["permalink"])


def retry_of(message: Message) -> str:
    """The Retry button's value: play (or share), the recording, and the results page."""
    for block in message.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == blocks.ACTION_RETRY:
                value = str(element["value"])
                assert value.startswith("play:c:")
                return value
    raise AssertionError(f"no Retry button in {text_of(message)!r}")


def completed(stack: Stack) -> list[Upload]:
    return [u for u in stack.slack.uploads.values() if u.completed]


def audio_requests(stack: Stack, rec: SimRecording) -> int:
    return sum(1 for r in stack.sim.state.requests if r["path"].endswith(f"/recording/{rec.id}"))


async def audit(stack: Stack, user: str, action: str) -> list[str]:
    events, _ = await stack.bot.runtime.services.store.audit_events(
        TEAM, AuditQuery(actor=user, action=action), offset=0, limit=50
    )
    return [e.outcome for e in events]


async def set_channel(stack: Stack, channel: str, **flags: bool) -> None:
    store = stack.bot.runtime.services.store
    setting = await store.get_channel(TEAM, channel)
    await store.save_channel(ChannelSetting(**{**setting.model_dump(), **flags}))


def assert_no_vbc_url_leaked(stack: Stack) -> None:
    sent = str([c.args for c in stack.slack.calls]) + str([c.args for c in stack.slack.responses])
    assert "/audio/recording/" not in sent
    assert stack.sim.url not in sent


# -- a stack with a VBC transport or an upload cap of our choosing ----------------------------

Starter = Callable[..., Awaitable[Stack]]


@pytest.fixture
async def tuned_stack(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Starter]:
    started: list[Stack] = []

    async def start(
        *, transport: httpx.AsyncBaseTransport | None = None, cap: int | None = None
    ) -> Stack:
        async def build(settings: Settings, **_: Any) -> Runtime:
            if cap is not None:
                settings = replace(settings, upload_cap_bytes=cap)
            return await build_runtime(settings, vbc_transport=transport)

        monkeypatch.setattr(conftest, "build_runtime", build)
        stack = await conftest.start_stack(sqlite_url)
        started.append(stack)
        return stack

    yield start
    for stack in started:
        await stop_stack(stack)
        assert stack.slack.problems == [], stack.slack.problems


class CutAudio(httpx.AsyncBaseTransport):
    """Real HTTP to the simulator, but audio bodies break off after ``after`` bytes (once)."""

    def __init__(self, after: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.after: int | None = after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if "/audio/recording/" not in request.url.path or self.after is None:
            return response
        after, self.after = self.after, None
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Cut(response.stream, after),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Cut(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, after: int) -> None:
        self.inner, self.after = inner, after

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self.inner:
            seen += len(chunk)
            if seen > self.after:
                raise httpx.ReadError("connection reset by the simulator's peer")
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class HoldLastChunk(httpx.AsyncBaseTransport):
    """Real HTTP to the simulator; before an audio body's last chunk, see what Slack has.

    It waits (bounded) until the fake Slack has received all that VBC sent so far, less the
    one chunk the VBC client may be assembling, and records what it saw. A relay that read
    the whole file before uploading has sent Slack nothing at that point: the wait runs out.
    """

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.slack: FakeSlack | None = None
        self.vbc_sent_before_last = 0
        self.slack_had = -1

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if "/audio/recording/" not in request.url.path:
            return response
        assert isinstance(response.stream, httpx.AsyncByteStream)
        total = int(response.headers["Content-Length"])
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Held(self, response.stream, total),
            extensions=response.extensions,
        )

    def received(self) -> int:
        assert self.slack is not None
        return max((u.size for u in self.slack.uploads.values()), default=0)

    def slack_has(self, size: int) -> Callable[[], bool]:
        return lambda: self.received() >= size

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Held(httpx.AsyncByteStream):
    def __init__(self, owner: HoldLastChunk, inner: httpx.AsyncByteStream, total: int) -> None:
        self.owner, self.inner, self.total = owner, inner, total

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self.inner:
            if chunk and seen + len(chunk) >= self.total:
                # Hold the last chunk until Slack has most of the file; if it never gets
                # there, let go anyway and leave the verdict to the test's assertions.
                with contextlib.suppress(TimeoutError):
                    await wait_until(self.owner.slack_has(seen - DOWNLOAD_CHUNK), 5, interval=0.01)
                self.owner.vbc_sent_before_last, self.owner.slack_had = seen, self.owner.received()
            seen += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


def unreachable_url() -> str:
    """A loopback URL nothing listens on: posting there fails at once (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/response/gone"


# -- Play ------------------------------------------------------------------------------------


async def test_play_streams_the_exact_bytes_into_the_dm(stack: Stack) -> None:
    rec = add_recording(stack, 3 * MB + 17, caller_id="17325550100")
    results, outcome = await play(stack, rec)
    [upload] = completed(stack)
    assert upload.sha256 == sha256_of(rec)
    assert upload.streamed
    assert upload.content_length == upload.length == rec.file_size_in_bytes
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d-\d\d inbound \+17325550100\.mp3", upload.filename)
    assert upload.channels == [stack.slack.dm_channel(MEMBER)]
    assert upload.initial_comment is not None
    assert f"recording {rec.id}" in upload.initial_comment
    assert "+1 732-555-0100" in upload.initial_comment
    assert "is in your DM with me" in outcome
    dm = stack.slack.messages_for(stack.slack.dm_channel(MEMBER))
    assert [m.files for m in dm if m.kind == "file"] == [[upload.file_id]]
    assert "allowed" in await audit(stack, MEMBER, "audio")
    assert results.edits == 2  # small file: "Uploading" at the click, then the outcome
    # The list stays; the row's Play became a link to the file.
    assert "[Details]" in outcome
    assert "[✓ In your DM]" in outcome
    assert _link_in(stack) == upload_permalink(stack, upload)
    assert_no_vbc_url_leaked(stack)


async def test_large_files_show_progress_then_the_outcome(stack: Stack) -> None:
    rec = add_recording(stack, 20 * MB)
    results, outcome = await play(stack, rec)
    posts = [render_text(c.args.get("blocks") or []) for c in stack.slack.responses]
    progress = [p for p in posts if "⏳ Uploading" in p]
    assert "[⏳ Uploading…]" in progress[0]
    assert len(progress) == 3, progress  # at the click, about a third, about two thirds
    assert re.search(r"\[⏳ Uploading [0-9]{1,2} %\]", progress[1])
    assert all(c.status == 200 for c in stack.slack.responses)
    assert "is in your DM with me" in outcome
    [upload] = completed(stack)
    assert upload.sha256 == sha256_of(rec)
    assert results.edits == 4


async def test_the_relay_uploads_while_vbc_is_still_sending(tuned_stack: Starter) -> None:
    """Streamed, not buffered: Slack holds nearly every byte before VBC sends its last chunk."""
    hold = HoldLastChunk()
    stack = await tuned_stack(transport=hold)
    hold.slack = stack.slack
    rec = add_recording(stack, 6 * MB + 5)
    _, outcome = await play(stack, rec)
    assert "is in your DM with me" in outcome
    assert hold.vbc_sent_before_last > 5 * MB
    assert hold.slack_had >= hold.vbc_sent_before_last - DOWNLOAD_CHUNK
    [upload] = completed(stack)
    assert upload.sha256 == sha256_of(rec)


async def test_the_upload_completes_when_every_progress_post_fails(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A response_url that cannot be reached: no one sees progress, but the file arrives."""
    monkeypatch.setattr(stack.driver, "_response_url", lambda *_a, **_k: unreachable_url())
    rec = add_recording(stack, 20 * MB)
    await stack.driver.click(MEMBER, blocks.ACTION_PLAY, f"c:{rec.id}")
    [upload] = await stack.slack.wait_for(lambda: completed(stack), timeout=30)
    assert upload.sha256 == sha256_of(rec)
    assert upload.channels == [stack.slack.dm_channel(MEMBER)]
    assert stack.slack.responses == []


async def test_a_second_play_reshares_without_downloading_again(stack: Stack) -> None:
    rec = add_recording(stack, 2 * MB)
    await play(stack, rec)
    _, again = await play(stack, rec)
    assert "uploaded before" in again
    assert len(stack.slack.uploads) == 1
    assert audio_requests(stack, rec) == 1
    [upload] = completed(stack)
    dm = stack.slack.messages_for(stack.slack.dm_channel(MEMBER))
    assert upload.file_id in dm[-1].text


async def test_a_file_deleted_in_slack_is_uploaded_again(stack: Stack) -> None:
    rec = add_recording(stack, MB)
    await play(stack, rec)
    [first] = completed(stack)
    stack.slack.delete_file(first.file_id)
    _, outcome = await play(stack, rec)
    assert "uploaded before" not in outcome
    assert audio_requests(stack, rec) == 2
    assert [u.sha256 for u in completed(stack)] == [sha256_of(rec)] * 2


async def test_a_file_no_longer_in_the_conversation_is_uploaded_again(stack: Stack) -> None:
    rec = add_recording(stack, MB)
    await play(stack, rec)
    [first] = completed(stack)
    dm = stack.slack.dm_channel(MEMBER)
    first.channels.remove(dm)  # e.g. its message was deleted: files.info no longer lists the DM
    _, outcome = await play(stack, rec)
    assert "uploaded before" not in outcome
    assert audio_requests(stack, rec) == 2
    second = completed(stack)[1]
    assert second.channels == [dm]
    # The stale row is gone: the next Play shares the new file, not the old one.
    _, again = await play(stack, rec)
    assert "uploaded before" in again
    assert second.file_id in stack.slack.messages_for(dm)[-1].text
    assert audio_requests(stack, rec) == 2


async def test_the_overflow_menu_plays_and_shows_details(stack: Stack) -> None:
    rec = add_recording(stack, MB)
    results = await results_with(stack, MEMBER, rec, text="last 90d page-size:25")
    menu = f"{blocks.ACTION_PLAY}|c:{rec.id}"
    outcome = await click(stack, MEMBER, blocks.ACTION_ROW_MENU, menu, results)
    assert "is in your DM with me" in outcome
    assert f"{blocks.ACTION_DETAILS}|c:{rec.id}" in str(results.blocks)  # the list stayed
    before = len(stack.slack.messages_for(MEMBER))
    await stack.driver.click(MEMBER, blocks.ACTION_ROW_MENU, f"{blocks.ACTION_DETAILS}|c:{rec.id}")
    [details] = await stack.slack.wait_for(lambda: stack.slack.messages_for(MEMBER)[before:])
    assert f"Recording {rec.id}" in text_of(details)


async def test_get_command_shows_details_and_plays(stack: Stack) -> None:
    rec = add_recording(stack, MB)
    await stack.driver.command(MEMBER, f"get {rec.id}")
    await stack.slack.wait_for(lambda: completed(stack), timeout=20)

    def outcome() -> list[str] | None:
        texts = [text_of(m) for m in stack.slack.messages_for(MEMBER) if m.ephemeral]
        return texts if any("in your DM" in t for t in texts) else None

    texts = await stack.slack.wait_for(outcome, timeout=10)
    assert any(f"Recording {rec.id}" in t for t in texts)
    assert completed(stack)[0].sha256 == sha256_of(rec)
    assert await audit(stack, MEMBER, "audio") == ["allowed"]


async def test_get_command_shows_progress_for_a_large_file(stack: Stack) -> None:
    rec = add_recording(stack, 20 * MB)
    await stack.driver.command(MEMBER, f"get {rec.id}")

    def outcome() -> list[str] | None:
        texts = [text_of(m) for m in stack.slack.messages_for(MEMBER) if m.ephemeral]
        return texts if any("in your DM" in t for t in texts) else None

    texts = await stack.slack.wait_for(outcome, timeout=30)
    progress = [t for t in texts if "Uploading" in t]
    assert progress
    assert progress[0].startswith(":arrow_up: Uploading 0 %")
    assert texts.index(progress[-1]) < next(i for i, t in enumerate(texts) if "in your DM" in t)
    assert len(stack.slack.responses) <= 5  # a command's response_url takes 5 posts
    assert completed(stack)[0].sha256 == sha256_of(rec)


# -- failures --------------------------------------------------------------------------------


async def test_vbc_breaking_off_mid_stream_shares_nothing_and_retry_works(
    tuned_stack: Starter,
) -> None:
    stack = await tuned_stack(transport=CutAudio(after=MB))
    rec = add_recording(stack, 4 * MB)
    results, outcome = await play(stack, rec)
    assert outcome.startswith(":warning:")
    assert "broke off" in outcome
    assert "Nothing was shared" in outcome
    assert completed(stack) == []
    assert not [m for m in stack.slack.messages if m.kind == "file"]
    assert "failed" in await audit(stack, MEMBER, "audio")
    retry = await click(stack, MEMBER, blocks.ACTION_PLAY, f"c:{rec.id}", results)
    assert "is in your DM with me" in retry
    [upload] = completed(stack)
    assert upload.sha256 == sha256_of(rec)


async def test_slack_failing_mid_upload_shares_nothing_and_retry_works(stack: Stack) -> None:
    rec = add_recording(stack, 4 * MB)
    stack.slack.fail_next_upload(after_bytes=MB, status=500)
    results, outcome = await play(stack, rec)
    assert outcome.startswith(":warning:")
    assert "Nothing was shared" in outcome
    assert completed(stack) == []
    retry = await click(stack, MEMBER, blocks.ACTION_PLAY, f"c:{rec.id}", results)
    assert "is in your DM with me" in retry
    assert [u.sha256 for u in completed(stack)] == [sha256_of(rec)]


@pytest.mark.parametrize(
    "method",
    ["conversations.open", "files.getUploadURLExternal", "files.completeUploadExternal"],
)
async def test_a_slack_api_failure_at_each_step_is_reported(stack: Stack, method: str) -> None:
    rec = add_recording(stack, MB)
    stack.slack.fail_next(method, "internal_error")
    _, outcome = await play(stack, rec)
    assert outcome.startswith(":warning:")
    assert "internal_error" in outcome
    assert "[▶ Play]" in outcome  # the row's Play is back: clicking it tries again
    assert completed(stack) == []
    assert not [m for m in stack.slack.messages if m.kind == "file"]


async def test_vbc_refusing_the_download_is_reported(stack: Stack) -> None:
    rec = add_recording(stack, MB)
    stack.sim.state.faults.update(
        {"fail_next": [{"status": 404, "path_prefix": "/t/vbc.prod/call_recording/api/audio"}]}
    )
    _, outcome = await play(stack, rec)
    assert outcome.startswith(":warning:")
    assert "could not find" in outcome
    assert completed(stack) == []


# -- direct delivery and sharing -------------------------------------------------------------


async def test_direct_delivery_uploads_into_a_thread_in_the_channel(stack: Stack) -> None:
    await set_channel(stack, CHANNEL, allow_share=True, direct_delivery=True)
    rec = add_recording(stack, MB)
    _, outcome = await play(stack, rec, action_id=blocks.ACTION_PLAY_HERE)
    assert "is in this channel, in a thread" in outcome
    [upload] = completed(stack)
    [parent] = [m for m in stack.slack.messages_for(CHANNEL) if m.kind == "message"]
    assert upload.channels == [CHANNEL]
    assert upload.thread_ts == parent.ts
    assert f"recording {rec.id}" in parent.text
    assert f"<@{MEMBER}>" in parent.text


async def test_direct_delivery_failure_removes_the_thread_parent(stack: Stack) -> None:
    await set_channel(stack, CHANNEL, allow_share=True, direct_delivery=True)
    rec = add_recording(stack, MB)
    stack.slack.fail_next("files.completeUploadExternal", "internal_error")
    _, outcome = await play(stack, rec, action_id=blocks.ACTION_PLAY_HERE)
    assert outcome.startswith(":warning:")
    assert stack.slack.messages_for(CHANNEL) == []


async def test_direct_delivery_where_the_bot_is_not_a_member_falls_back_to_the_dm(
    stack: Stack,
) -> None:
    stack.slack.add_channel("C0002", "sales", is_member=False)
    await set_channel(stack, "C0002", allow_share=True, direct_delivery=True)
    rec = add_recording(stack, MB)
    results = await results_with(stack, MEMBER, rec, channel="C0002")
    outcome = await click(stack, MEMBER, blocks.ACTION_PLAY_HERE, f"c:{rec.id}", results)
    assert "is in your DM with me" in outcome
    assert "not a member of" in outcome
    assert completed(stack)[0].channels == [stack.slack.dm_channel(MEMBER)]


async def test_share_is_refused_where_no_admin_allowed_it(stack: Stack) -> None:
    rec = add_recording(stack, MB)
    results = await results_with(stack, MEMBER, rec)
    assert "Share to channel" not in text_of(results)
    # A forged Share click (the button was never shown) is refused on the server.
    outcome = await forged_click(stack, MEMBER, blocks.ACTION_SHARE, f"c:{rec.id}")
    assert "not allowed in this channel" in outcome
    assert stack.slack.uploads == {}
    assert await audit(stack, MEMBER, "share") == ["refused"]


async def test_share_to_an_allowed_channel_uploads_there_and_is_audited(stack: Stack) -> None:
    await stack.driver.command(ADMIN, "channel allow")
    await stack.slack.wait_for(
        lambda: any("is *allowed*" in m.text for m in stack.slack.messages_for(ADMIN))
    )
    rec = add_recording(stack, MB)
    results = await results_with(stack, MEMBER, rec)
    assert "[Share to channel]" in text_of(results)
    outcome = await click(stack, MEMBER, blocks.ACTION_SHARE, f"c:{rec.id}", results)
    assert f"is shared in <#{CHANNEL}>" in outcome
    [upload] = completed(stack)
    assert upload.channels == [CHANNEL]
    assert upload.sha256 == sha256_of(rec)
    assert upload.initial_comment is not None
    assert upload.initial_comment.startswith(f"<@{MEMBER}> shared a call recording")
    assert "allowed" in await audit(stack, MEMBER, "share")
    assert "[✓ Shared]" in outcome  # the list stays, its row says so
    # Sharing again from a new search re-shares the file.
    results = await results_with(stack, MEMBER, rec)
    again = await click(stack, MEMBER, blocks.ACTION_SHARE, f"c:{rec.id}", results)
    assert "uploaded before" in again
    assert len(stack.slack.uploads) == 1


async def test_another_persons_recording_cannot_be_shared(stack: Stack) -> None:
    await set_channel(stack, CHANNEL, allow_share=True)
    other = stack.sim.state.users[1]
    rec = stack.sim.state.add_recording(size_bytes=MB, user_id=other.id)
    outcome = await forged_click(stack, MEMBER, blocks.ACTION_SHARE, f"c:{rec.id}")
    assert "not yours" in outcome
    assert stack.slack.uploads == {}


# -- above the cap: a signed link to the bot -------------------------------------------------


async def test_files_above_the_cap_get_a_signed_link_that_streams(tuned_stack: Starter) -> None:
    stack = await tuned_stack(cap=2 * MB)
    rec = add_recording(stack, 3 * MB)
    _, outcome = await play(stack, rec)
    assert outcome.startswith(":package:")
    assert stack.slack.uploads == {}
    link = _link_in(stack)
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(_on_bot(stack, link))
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == sha256_of(rec)
        assert ".mp3" in response.headers["content-disposition"]
        assert response.headers["cache-control"] == "private, no-store"
        tampered = await http.get(_on_bot(stack, link.replace(".", ".x", 1)))
        assert tampered.status_code == 403
    assert await audit(stack, MEMBER, "signed_link") == ["allowed"]
    assert "allowed" in await audit(stack, MEMBER, "audio")


async def test_the_workspace_upload_limit_also_gets_a_link(stack: Stack) -> None:
    rec = add_recording(stack, MB)
    stack.slack.fail_next("files.getUploadURLExternal", "file_upload_size_restricted")
    _, outcome = await play(stack, rec)
    assert outcome.startswith(":package:")
    assert "[⬇ Download]" in outcome
    assert completed(stack) == []


async def test_two_quick_plays_upload_once(stack: Stack) -> None:
    rec = add_recording(stack, 8 * MB)
    before = len(stack.slack.messages_for(MEMBER))
    for _ in range(2):
        await stack.driver.click(MEMBER, blocks.ACTION_PLAY, f"c:{rec.id}")

    def outcomes() -> list[str] | None:
        new = [text_of(m) for m in stack.slack.messages_for(MEMBER)[before:] if m.ephemeral]
        done = [t for t in new if t.startswith(FINAL)]
        return done if len(done) == 2 else None

    done = await stack.slack.wait_for(outcomes, timeout=30)
    assert sum("uploaded before" in t for t in done) == 1
    assert len(stack.slack.uploads) == 1
    assert audio_requests(stack, rec) == 1


async def test_a_link_rechecks_access_and_expires(stack: Stack) -> None:
    rec = add_recording(stack, MB)
    links = stack.bot.runtime.services.links
    assert links is not None

    def url(user: str, ttl: timedelta | None = None) -> str:
        found, _ = links.url_for(
            "audio", team_id=TEAM, user_id=user, subject=f"c:{rec.id}", filename="x.mp3", ttl=ttl
        )
        return found

    async with httpx.AsyncClient(timeout=30) as http:
        refused = await http.get(_on_bot(stack, url(OTHER)))
        expired = await http.get(_on_bot(stack, url(MEMBER, timedelta(seconds=-1))))
        allowed = await http.get(_on_bot(stack, url(MEMBER)))
    assert refused.status_code == 403
    assert "not yours" in refused.text
    assert expired.status_code == 410
    assert allowed.status_code == 200
    assert await audit(stack, OTHER, "signed_link") == ["refused"]
    assert "refused" in await audit(stack, OTHER, "audio")


def _link_in(stack: Stack) -> str:
    for call in reversed(stack.slack.responses):
        for block in call.args.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("url"):
                    return str(element["url"])
    raise AssertionError("no link button was shown")


def _on_bot(stack: Stack, url: str) -> str:
    """Settings say PUBLIC_URL http://localhost:0 in tests; the bot really listens here."""
    return stack.bot.url + urlsplit(url).path

"""The streamed relay into Slack's external upload flow: bytes in, a Slack file out.

``files_upload_v2`` reads a whole file into memory (and its async client gives the whole
upload a 30 s total timeout), so the three steps are done here by hand: ask Slack for an
upload URL of the exact length, POST a generator body with an explicit ``Content-Length``
(Slack documents no chunked uploads), then complete the upload into a conversation. Until
the last step succeeds nothing is shared, so a failure leaves no partial file behind.
Progress is reported beside the byte stream, never inside it: a slow or failing progress
post (a response_url) must neither stall the upload nor break it.
Generic on purpose: audio and export zips both come through here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

Progress = Callable[[int, int], Awaitable[None]]  # (bytes sent, total bytes)

# How long the end of an upload waits for a progress post still in flight before cancelling
# it, so that a late progress message cannot land after (and hide) the outcome.
PROGRESS_SETTLE = 5.0

# Timeouts for a body of hundreds of MB: each read and write may wait, the whole may not end.
UPLOAD_TIMEOUT = httpx.Timeout(connect=10.0, read=300.0, write=300.0, pool=30.0)


@dataclass(frozen=True)
class SlackFile:
    """A completed upload: what the cache keeps to share the file again."""

    file_id: str
    permalink: str
    size: int


class UploadError(Exception):
    """Slack refused or broke off the upload; ``str()`` is safe to show, nothing was shared.

    ``stage`` is ``prepare`` (getUploadURLExternal), ``transfer`` (the POST of the bytes) or
    ``complete`` (completeUploadExternal); ``slack_error`` is Slack's error code, if any.
    """

    def __init__(self, message: str, *, stage: str, slack_error: str | None = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.slack_error = slack_error


class SourceError(Exception):
    """The bytes' source failed mid-stream (its exception is ``__cause__``); nothing shared."""

    def __init__(self, message: str, *, sent: int, total: int) -> None:
        super().__init__(message)
        self.sent = sent
        self.total = total


async def upload_stream(
    client: AsyncWebClient,
    http: httpx.AsyncClient,
    *,
    filename: str,
    length: int,
    chunks: AsyncIterator[bytes],
    title: str,
    channel_id: str | None,
    initial_comment: str | None,
    thread_ts: str | None = None,
    on_progress: Progress | None = None,
) -> SlackFile:
    """Stream exactly ``length`` bytes from ``chunks`` into Slack as ``filename``.

    ``channel_id=None`` leaves the file private to the bot. Raises ``UploadError`` (Slack)
    or ``SourceError`` (the iterator failed or sent a different number of bytes).
    ``on_progress`` gets (0, length) first, then the newest count, in a task of its own; its
    errors are logged, and it has settled (or been cancelled) when this returns.
    """
    if length <= 0:
        raise UploadError("There is nothing to upload (the file is empty).", stage="prepare")
    reporter = _Reporter(on_progress)
    reporter.report(0, length)
    try:
        file_id = await _transfer(client, http, filename, length, chunks, reporter)
        completed = await _call(
            "complete",
            client.files_completeUploadExternal(
                files=[{"id": file_id, "title": title}],
                channel_id=channel_id,
                initial_comment=initial_comment,
                thread_ts=thread_ts,
            ),
        )
    except asyncio.CancelledError:
        reporter.abort()
        raise
    except BaseException:
        await reporter.close(flush=False)
        raise
    await reporter.close(flush=True)
    files = completed.get("files") or [{}]
    permalink = str(files[0].get("permalink") or "")
    return SlackFile(file_id=file_id, permalink=permalink, size=length)


def shared_in(file: Mapping[str, Any]) -> set[str]:
    """The conversations a files.info ``file`` object says it is shared in.

    Slack lists them in ``channels`` / ``groups`` / ``ims`` and, in more detail, under
    ``shares.public`` / ``shares.private`` (keyed by conversation id); either will do.
    """
    found: set[str] = set()
    for key in ("channels", "groups", "ims"):
        listed = file.get(key)
        if isinstance(listed, list):
            found.update(str(c) for c in listed)
    shares = file.get("shares")
    if isinstance(shares, Mapping):
        for scope in ("public", "private"):
            where = shares.get(scope)
            if isinstance(where, Mapping):
                found.update(str(c) for c in where)
    return found


async def _transfer(
    client: AsyncWebClient,
    http: httpx.AsyncClient,
    filename: str,
    length: int,
    chunks: AsyncIterator[bytes],
    reporter: _Reporter,
) -> str:
    """Steps one and two: an upload URL, then the bytes; returns Slack's file id."""
    prepared = await _call(
        "prepare", client.files_getUploadURLExternal(filename=filename, length=length)
    )
    upload_url, file_id = str(prepared["upload_url"]), str(prepared["file_id"])
    body = _exactly(chunks, length, reporter)
    headers = {"Content-Length": str(length), "Content-Type": "application/octet-stream"}
    try:
        response = await http.post(upload_url, content=body, headers=headers)
    except SourceError:
        raise
    except httpx.TimeoutException as exc:
        raise UploadError("Slack stopped taking the upload (timed out).", stage="transfer") from exc
    except httpx.HTTPError as exc:
        raise UploadError(
            f"The upload to Slack broke off ({type(exc).__name__}).", stage="transfer"
        ) from exc
    finally:
        await body.aclose()
    if response.status_code != 200:
        raise UploadError(
            f"Slack refused the upload (HTTP {response.status_code}).", stage="transfer"
        )
    return file_id


async def _call(stage: str, pending: Awaitable[Any]) -> Any:
    try:
        return await pending
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown_error")
        what = "prepare" if stage == "prepare" else "finish"
        raise UploadError(
            f"Slack would not {what} the upload (`{error}`).", stage=stage, slack_error=error
        ) from exc


class _Reporter:
    """Progress beside the stream: the newest value wins, errors are logged, nothing waits.

    ``report`` only records the count and makes sure one task is posting; while a post is in
    flight newer counts replace older ones, so a slow callback skips values instead of
    queueing them or holding up the bytes.
    """

    def __init__(self, on_progress: Progress | None) -> None:
        self._callback = on_progress
        self._latest: tuple[int, int] | None = None
        self._task: asyncio.Task[None] | None = None

    def report(self, sent: int, total: int) -> None:
        if self._callback is None:
            return
        self._latest = (sent, total)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._post(self._callback))

    async def _post(self, callback: Progress) -> None:
        while self._latest is not None:
            (sent, total), self._latest = self._latest, None
            try:
                await callback(sent, total)
            except Exception:
                log.warning("a progress update failed; the upload goes on", exc_info=True)

    async def close(self, *, flush: bool) -> None:
        """Let the last post finish (briefly), so no progress lands after the outcome.

        ``flush=False`` (the upload failed) drops counts not yet posted.
        """
        if not flush:
            self._latest = None
        task, self._task = self._task, None
        if task is None:
            return
        try:
            done, _ = await asyncio.wait({task}, timeout=PROGRESS_SETTLE)
        finally:
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
        if not done:
            log.warning("a progress update took over %ss; cancelled it", PROGRESS_SETTLE)

    def abort(self) -> None:
        """The upload itself is being cancelled: stop posting at once."""
        self._latest = None
        if self._task is not None:
            self._task.cancel()


async def _exactly(
    chunks: AsyncIterator[bytes], length: int, reporter: _Reporter
) -> AsyncGenerator[bytes, None]:
    """Pass chunks through, counting: never more than declared, and a short source is an error.

    The source's own exceptions are re-raised as ``SourceError``, so a caller can tell a VBC
    failure from a Slack one even when both speak httpx.
    """
    sent = 0
    while True:
        try:
            chunk = await anext(chunks)
        except StopAsyncIteration:
            break
        except Exception as exc:
            raise SourceError(
                f"The source broke off after {sent} of {length} bytes.", sent=sent, total=length
            ) from exc
        if not chunk:
            continue
        if sent + len(chunk) > length:
            raise SourceError(
                f"The source sent more than the {length} bytes it announced.",
                sent=sent,
                total=length,
            )
        sent += len(chunk)
        yield bytes(chunk)
        reporter.report(sent, length)
    if sent != length:
        raise SourceError(
            f"The source ended after {sent} of {length} bytes.", sent=sent, total=length
        )

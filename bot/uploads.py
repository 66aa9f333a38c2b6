"""The streamed relay into Slack's external upload flow: bytes in, a Slack file out.

``files_upload_v2`` reads a whole file into memory (and its async client gives the whole
upload a 30 s total timeout), so the three steps are done here by hand: ask Slack for an
upload URL of the exact length, POST a generator body with an explicit ``Content-Length``
(Slack documents no chunked uploads), then complete the upload into a conversation. Until
the last step succeeds nothing is shared, so a failure leaves no partial file behind.
Generic on purpose: audio and export zips both come through here.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

Progress = Callable[[int, int], Awaitable[None]]  # (bytes sent, total bytes)

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
    """
    if length <= 0:
        raise UploadError("There is nothing to upload (the file is empty).", stage="prepare")
    prepared = await _call(
        "prepare", client.files_getUploadURLExternal(filename=filename, length=length)
    )
    upload_url, file_id = str(prepared["upload_url"]), str(prepared["file_id"])
    body = _exactly(chunks, length, on_progress)
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
    completed = await _call(
        "complete",
        client.files_completeUploadExternal(
            files=[{"id": file_id, "title": title}],
            channel_id=channel_id,
            initial_comment=initial_comment,
            thread_ts=thread_ts,
        ),
    )
    files = completed.get("files") or [{}]
    permalink = str(files[0].get("permalink") or "")
    return SlackFile(file_id=file_id, permalink=permalink, size=length)


async def _call(stage: str, pending: Awaitable[Any]) -> Any:
    try:
        return await pending
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown_error")
        what = "prepare" if stage == "prepare" else "finish"
        raise UploadError(
            f"Slack would not {what} the upload (`{error}`).", stage=stage, slack_error=error
        ) from exc


async def _exactly(
    chunks: AsyncIterator[bytes], length: int, on_progress: Progress | None
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
        if on_progress is not None:
            await on_progress(sent, length)
    if sent != length:
        raise SourceError(
            f"The source ended after {sent} of {length} bytes.", sent=sent, total=length
        )

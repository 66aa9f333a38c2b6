"""Unverified means untouched: a request without a valid, fresh Slack signature gets 401 and
nothing else: no reply to its response_url, no log line with its fields, no row, no call."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import httpx
import pytest
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from tests.fakes.sink import Sink
from tests.integration.conftest import MEMBER, SIGNING_SECRET, Stack
from tests.security.conftest import (
    FORGED_TEXT,
    FORGED_USER,
    Outbound,
    forged_command,
    now,
    row_counts,
)

FORM = "application/x-www-form-urlencoded"
Headers = dict[str, str]


def _signed(_stack: Stack, body: bytes, timestamp: str) -> Headers:
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


def _with(**changes: str | None) -> Callable[[Stack, bytes], Headers]:
    """Correctly signed headers, then ``changes`` (None drops the header)."""

    def build(stack: Stack, body: bytes) -> Headers:
        headers = _signed(stack, body, now())
        for key, value in changes.items():
            name = {"ts": "X-Slack-Request-Timestamp", "sig": "X-Slack-Signature"}[key]
            if value is None:
                headers.pop(name)
            else:
                headers[name] = value
        return headers

    return build


def _signed_at(timestamp: Callable[[], str]) -> Callable[[Stack, bytes], Headers]:
    """Signed with the real secret over an unusable timestamp: stale, future or not ASCII."""
    return lambda stack, body: _signed(stack, body, timestamp())


CASES: dict[str, Callable[[Stack, bytes], Headers]] = {
    "no timestamp": _with(ts=None),
    "timestamp abc": _with(ts="abc"),
    "empty timestamp": _with(ts=""),
    "timestamp 1e3": _with(ts="1e3"),
    "no signature": _with(sig=None),
    "wrong signature": _with(sig="v0=" + "0" * 64),
    "signature of another secret": _with(sig="v0=" + "ab" * 32),
    "non-ascii signature": _with(sig="v0=é"),
    "stale (6 minutes)": _signed_at(lambda: str(int(time.time()) - 360)),
    "from the future (6 minutes)": _signed_at(lambda: str(int(time.time()) + 360)),
    "timestamp with a plus sign": _signed_at(lambda: "+" + now()),
    "timestamp with underscores": _signed_at(lambda: f"{now()[:4]}_{now()[4:]}"),
    "arabic-indic digits": _signed_at(
        lambda: now().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_unverified_request_gets_401_and_nothing_else(
    stack: Stack, sink: Sink, sqlite_url: str, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level(logging.DEBUG)
    await stack.driver.command(MEMBER, "help")  # warm: the member is linked, pools are open
    await stack.slack.wait_for("response_url")
    body = forged_command(sink.url_for("forged"))
    rows, before = await row_counts(sqlite_url), Outbound.of(stack, sink)

    headers = {"Content-Type": FORM, **CASES[case](stack, body)}
    async with httpx.AsyncClient() as http:  # bytes: header values need not be ASCII
        response = await http.post(
            stack.driver.app_url,
            content=body,
            headers=[(k.encode(), v.encode()) for k, v in headers.items()],
        )

    assert response.status_code == 401
    assert FORGED_USER not in response.text
    assert Outbound.of(stack, sink) == before
    # A signed command afterwards is answered; by then any late reply to the forgery is too.
    await stack.driver.command(MEMBER, "help")
    await stack.slack.wait_for("response_url", count=2)
    assert sink.requests == []
    assert FORGED_USER not in caplog.text
    assert FORGED_TEXT not in caplog.text
    assert "refused a request without a valid, fresh Slack signature" in caplog.text
    assert (await row_counts(sqlite_url))["audit_events"] == rows["audit_events"]


async def test_bolt_reached_without_our_front_still_neither_replies_nor_logs_fields(
    stack: Stack, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    """Defence in depth: should anything hand Bolt an unverified request (its verifier raises
    on a non-integer timestamp and calls the error handler), the apology goes nowhere and the
    log carries none of the request's fields."""
    caplog.set_level(logging.DEBUG)
    body = forged_command(sink.url_for("forged")).decode()
    headers: dict[str, str | Sequence[str]] = {
        "content-type": FORM,
        "x-slack-request-timestamp": "abc",
        "x-slack-signature": "v0=" + "0" * 64,
    }
    before = Outbound.of(stack, sink)

    response = await stack.bot.runtime.app.async_dispatch(
        AsyncBoltRequest(body=body, headers=headers)
    )

    assert response.status >= 400
    assert Outbound.of(stack, sink) == before
    assert FORGED_USER not in caplog.text
    assert FORGED_TEXT not in caplog.text


async def test_a_verified_request_that_fails_still_gets_the_apology(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """The other side of the rule above: a signed request whose handling breaks is answered
    with the apology on its own response_url, and the log names who it was for."""

    async def broken(ack: AsyncAck) -> None:
        await ack()
        raise RuntimeError("a bug of ours")

    stack.bot.runtime.app.command("/broken")(broken)
    # (No check of the HTTP answer: Bolt loses an ack when the listener fails within its 10 ms
    # poll of it, and answers 404 after 3 s. Bolt's race, not the point here.)
    await stack.driver.command(MEMBER, "anything", command="/broken")

    [apology] = await stack.slack.wait_for("response_url")
    assert "went wrong on my side" in apology.args["text"]
    assert f"unhandled error for {MEMBER} (/broken)" in caplog.text

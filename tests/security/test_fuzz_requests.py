"""Request fuzzer: 3,000 hostile requests over every route of the real bot over HTTP.

The bot runs as in production (HTTP mode, plus a second one in OAuth mode for Slack's
install pages) against the VBC simulator and the fake Slack. First the warm-up: real,
signed flows, whose buttons and modal become templates. Then the unsigned requests (no,
stale, garbled or duplicated signatures; every route): they must leave no trace, so no
call to Slack, no post to any response_url (they name a sink), no VBC request. Then the signed
ones: Slack's signature is right, the content is not. Over all of them: no answer >= 500 and
no traceback in the log. Seeded: ``FUZZ_SEED=<n>`` replays a run, ``FUZZ_REQUESTS`` resizes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest

from bot.demo.fake_slack import Json, Message
from bot.web.serve import LocalServer
from tests.fakes.sink import Sink
from tests.integration.conftest import ADMIN, MEMBER, SIGNING_SECRET, Stack
from tests.security.conftest import Outbound
from tests.security.fuzz_payloads import RAW_REQUESTS, Fuzzer, Probe, Templates

SEED = int(os.environ.get("FUZZ_SEED", "20240501"))
TOTAL = int(os.environ.get("FUZZ_REQUESTS", "3000"))
UNSIGNED_SHARE = 0.4
CONCURRENCY = 6


@dataclass(frozen=True)
class Outcome:
    probe: Probe
    target: str
    status: int | None  # None: no HTTP answer (the client refused to send it, or a hang-up)
    error: str = ""

    def describe(self) -> str:
        p = self.probe
        head = b" ".join(k + b"=" + v[:80] for k, v in p.headers)
        return f"{self.status} {p.family} {p.method} {p.path[:80]} {head!r} body={p.body[:160]!r}"


async def test_fuzzed_requests_never_crash_and_unsigned_ones_touch_nothing(
    stack: Stack, oauth_bot: LocalServer, sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    templates = await warm_up(stack)
    await settle(stack, sink)
    before = Outbound.of(stack, sink)
    unsigned_count = int(TOTAL * UNSIGNED_SHARE)
    targets = {"http": stack.bot.url, "oauth": oauth_bot.url}

    unsigned = Fuzzer(
        SEED, SIGNING_SECRET, dataclasses.replace(templates, response_url=sink_url(sink))
    )
    outcomes = await run_all(targets, (unsigned.probe(signed=False) for _ in range(unsigned_count)))
    outcomes += await run_raw(stack.bot.url, RAW_REQUESTS)
    await settle(stack, sink)
    leaked = [o.describe() for o in outcomes for r in sink.requests if carries(o.probe, r.path)]
    assert sink.requests == [], f"seed {SEED}: unsigned requests answered:\n" + "\n".join(leaked)
    assert Outbound.of(stack, sink) == before, f"seed {SEED}: an unsigned request reached out"

    signed = Fuzzer(SEED + 1, SIGNING_SECRET, templates)
    outcomes += await run_all(
        targets, (signed.probe(signed=True) for _ in range(TOTAL - unsigned_count))
    )
    await settle(stack, sink)

    crashed = [o.describe() for o in outcomes if o.status is not None and o.status >= 500]
    tracebacks = [
        f"{r.name}: {r.getMessage()[:300]}"
        for r in caplog.records
        if r.exc_info or "Traceback" in r.getMessage()
    ]
    unsigned_passed = [
        o.describe()
        for o in outcomes[:unsigned_count]
        if o.probe.path.startswith("/slack/events")
        and o.status not in (None, 400, 401, 404, 405, 413, 431)
    ]
    assert crashed == [], f"seed {SEED}: {len(crashed)} answers >= 500:\n" + "\n".join(crashed[:20])
    assert tracebacks == [], f"seed {SEED}: tracebacks in the log:\n" + "\n".join(tracebacks[:20])
    assert unsigned_passed == [], "\n".join(unsigned_passed[:20])
    assert stack.slack.problems == [], stack.slack.problems[:20]


# ---- the warm-up: real flows whose output becomes templates ------------------------------
async def warm_up(stack: Stack) -> Templates:
    driver, slack = stack.driver, stack.slack
    flows = [(MEMBER, "last 30d"), (ADMIN, "scope:company last 30d"), (ADMIN, "audit")]
    for answered, (user, text) in enumerate(flows, start=1):
        await driver.command(user, text)
        await slack.wait_for("response_url", timeout=15, count=answered)
    await driver.command(MEMBER, "")
    await slack.wait_for("views.open", timeout=10)
    values = sorted(set(itertools.chain.from_iterable(button_values(m) for m in slack.messages)))
    assert values, "the warm-up rendered no buttons"
    counter = itertools.count()

    def fake_response_url(user: str) -> str:
        return slack.response_url(f"fuzz:{next(counter)}", user_id=user, channel_id="C0001")

    return Templates(
        values=values, modal=slack.current_view(MEMBER), response_url=fake_response_url
    )


def carries(probe: Probe, path: str) -> bool:
    return path.encode() in probe.body or quote(path, safe="").encode() in probe.body


def sink_url(sink: Sink) -> Callable[[str], str]:
    """Fresh response_urls on the sink, for unsigned requests: none may ever be posted to."""
    counter = itertools.count()
    return lambda _user: sink.url_for(f"unsigned/{next(counter)}")


def button_values(message: Message) -> Iterable[tuple[str, str]]:
    def elements(block: Json) -> Iterable[Json]:
        inner = [block.get("accessory"), block.get("element"), *(block.get("elements") or [])]
        return (e for e in inner if isinstance(e, dict) and "action_id" in e)

    for block in message.blocks:
        for element in elements(block):
            if "value" in element:
                yield element["action_id"], str(element["value"])
            for option in element.get("options") or []:
                yield element["action_id"], str(option.get("value"))


# ---- sending ------------------------------------------------------------------------------
async def run_all(targets: dict[str, str], probes: Iterable[Probe]) -> list[Outcome]:
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:

        async def one(probe: Probe, target: str) -> Outcome:
            async with gate:
                try:
                    answer = await http.request(
                        probe.method,
                        targets[target] + probe.path,
                        headers=probe.headers,
                        content=probe.body,
                    )
                except httpx.HTTPError as exc:
                    return Outcome(probe, target, None, repr(exc)[:200])
                return Outcome(probe, target, answer.status_code)

        tasks = []
        for i, probe in enumerate(probes):
            target = "oauth" if probe.family.startswith("oauth") or i % 7 == 0 else "http"
            tasks.append(one(probe, target))
        return list(await asyncio.gather(*tasks))


async def run_raw(base: str, requests: Iterable[bytes]) -> list[Outcome]:
    host, port = base.removeprefix("http://").split(":")
    outcomes = []
    for raw in requests:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(raw)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
            writer.write_eof()
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=5)
        except (ConnectionError, TimeoutError):
            line = b""
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
        parts = line.split()
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        outcomes.append(
            Outcome(Probe("raw", "RAW", raw[:40].decode("latin-1"), body=raw), "http", status)
        )
    return outcomes


async def settle(stack: Stack, sink: Sink, timeout: float = 60.0) -> None:
    """Wait until no listener is running and nothing has gone out for a few polls."""
    deadline = time.monotonic() + timeout
    last, quiet = None, 0
    while quiet < 5:
        assert time.monotonic() < deadline, "the bot never went quiet"
        busy = any("run_ack_function" in repr(t.get_coro()) for t in asyncio.all_tasks())
        now = Outbound.of(stack, sink)
        quiet = quiet + 1 if (not busy and now == last) else 0
        last = now
        await asyncio.sleep(0.1)

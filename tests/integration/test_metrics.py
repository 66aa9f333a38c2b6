"""``GET /metrics`` over the real HTTP front: only with METRICS_TOKEN, only for its bearer, and
its counters move after a search, a Play and an export made over signed requests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import blocks
from tests.fakes import Message, render_text
from tests.integration.conftest import MEMBER, Stack, start_stack, stop_stack
from tests.security.test_debug_log import elements

METRICS_TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
async def metered(sqlite_url: str) -> AsyncIterator[Stack]:
    running = await start_stack(sqlite_url, metrics_token=METRICS_TOKEN)
    try:
        yield running
    finally:
        await stop_stack(running)


async def scrape(stack: Stack, token: str | None = METRICS_TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx.AsyncClient() as http:
        return await http.get(f"{stack.bot.url}/metrics", headers=headers)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def total(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in found.items() if n == name and wanted <= ls)


async def test_metrics_need_the_bearer_token(metered: Stack) -> None:
    assert (await scrape(metered, token=None)).status_code == 401
    wrong = await scrape(metered, token="metrics-token-0123456789abcdeX")
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert METRICS_TOKEN not in wrong.text
    ok = await scrape(metered)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/plain")


async def test_no_metrics_route_without_a_token(stack: Stack) -> None:
    assert (await scrape(stack)).status_code == 404


async def test_counters_move_after_a_search_a_play_and_an_export(metered: Stack) -> None:
    stack = metered
    before = samples((await scrape(stack)).text)
    assert total(before, "recordings_bot_ack_seconds_count") == 0

    await stack.driver.command(MEMBER, "last 30d")

    def results() -> Message | None:
        return next(
            (m for m in stack.slack.messages_for(MEMBER) if "Page 1 of" in render_text(m.blocks)),
            None,
        )

    message = await stack.slack.wait_for(results, timeout=15)
    play = next(
        e["value"] for e in elements(message.blocks) if e["action_id"] == blocks.ACTION_PLAY
    )
    await stack.driver.click(MEMBER, blocks.ACTION_PLAY, play, message=message)
    await stack.slack.wait_for(
        lambda: [u for u in stack.slack.uploads.values() if u.completed] or None, timeout=15
    )
    await stack.driver.command(MEMBER, "export type:company last 7d")
    await stack.slack.wait_for(lambda: stack.slack.calls_to("chat.postMessage") or None, 15)

    after = samples((await scrape(stack)).text)
    assert total(after, "recordings_bot_ack_seconds_count", kind="command") == 2
    assert total(after, "recordings_bot_ack_seconds_count", kind="block_actions") == 1
    assert total(after, "recordings_bot_vbc_calls_total") > 0
    assert total(after, "recordings_bot_vbc_calls_total", status="200") > 0
    assert total(after, "recordings_bot_vbc_calls_total", operation="download", status="200") == 1
    assert total(after, "recordings_bot_vbc_call_seconds_count") > 0
    assert (
        total(after, "recordings_bot_vbc_token_grants_total", grant="password", outcome="200") == 1
    )
    assert total(after, "recordings_bot_uploads_total", outcome="ok") == 1
    upload = next(u for u in stack.slack.uploads.values() if u.completed)
    assert total(after, "recordings_bot_bytes_relayed_total") == upload.size
    assert total(after, "recordings_bot_export_requests") >= 1
    # Ready for the capabilities still being built: present, at zero.
    text = (await scrape(stack)).text
    for name in ("delete_jobs", "deletions", "notices"):
        assert f"# TYPE recordings_bot_{name}_total counter" in text

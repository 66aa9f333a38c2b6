"""Bulk exports end to end: Slack in, VBC jobs through their states, exactly one notice out.

In-process tests use the ``stack`` fixture (simulator jobs finish in 1 s). Restart and
multi-process tests run the bot as real subprocesses (``tests.integration.bot_process``)
against a simulator and fake Slack in this process, and kill them with SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import os
import re
import signal
import sys
import time
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlmodel import select

from bot import blocks
from bot.app import build_runtime
from bot.people.crypto import LinkExpiredError
from bot.store.tables import ChannelSetting, ExportJobRow, ExportRequest
from bot.vbcsim import start_simulator
from bot.web.serve import LocalServer
from tests.fakes import Call, FakeSlack, Message, SlackDriver, render_text, wait_until
from tests.integration.conftest import (
    ADMIN,
    CHANNEL,
    MEMBER,
    OTHER,
    SIGNING_SECRET,
    TEAM,
    Stack,
    make_settings,
    start_stack,
    stop_stack,
)

ROOT = Path(__file__).resolve().parents[2]
EXPORT_PATH = "/export"
DEADLINE = 20.0
SLOW = 40.0  # several bot processes starting and polling on a busy machine


# -- helpers ------------------------------------------------------------------------------


def button_value(message_blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in message_blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {render_text(message_blocks)}")


def export_posts(stack_sim: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in stack_sim.state.requests
        if e["method"] == "POST" and e["path"].endswith("/export")
    ]


def link_in(notice: Message) -> str:
    found = re.search(r"<(https?://[^|>]+/links/[^|>]+)\|", render_text(notice.blocks))
    assert found, render_text(notice.blocks)
    return found.group(1)


def listings(sim: Any) -> list[dict[str, Any]]:
    """The simulator's log of ``getCCRExportJobs`` calls: one listing of many jobs."""
    return [e for e in sim.state.requests if e["method"] == "GET" and e["path"].endswith("/jobs")]


def single_reads(sim: Any) -> dict[str, int]:
    """``getCCRExportJobs/{job_id}`` calls per job id: one job read on its own."""
    reads: dict[str, int] = {}
    for entry in sim.state.requests:
        if entry["method"] == "GET" and "/call_recordings/jobs/" in entry["path"]:
            job_id = entry["path"].rsplit("/", 1)[1]
            reads[job_id] = reads.get(job_id, 0) + 1
    return reads


def local(stack: Stack, link: str) -> str:
    """The bot's public URL is not served in tests: the same path on its local server."""
    return f"{stack.bot.url}/{link.split('://', 1)[1].split('/', 1)[1]}"


def in_thread(slack: FakeSlack, notice: Message) -> list[Message]:
    return [m for m in slack.messages if m.thread_ts == notice.ts and m.channel == notice.channel]


def assert_never_unfurled(slack: FakeSlack) -> None:
    """Every posted message holding a link or a file permalink asked Slack not to unfurl."""
    for call in slack.calls_to("chat.postMessage"):
        shown = f"{call.args.get('text', '')} {render_text(call.args.get('blocks') or [])}"
        if "/links/" in shown or "http" in shown:
            assert call.args.get("unfurl_links") is False, shown
            assert call.args.get("unfurl_media") is False, shown


async def notices(stack: Stack, user: str) -> list[Message]:
    """Top-level DM messages announcing an end (ready or failed), apart from the originals."""
    originals = {r.message_ts for r, _ in await requests_of(stack, user)}
    dm = stack.slack.dm_channel(user)
    return [
        m
        for m in stack.slack.messages
        if m.channel == dm
        and not m.ephemeral
        and m.thread_ts is None
        and m.ts not in originals
        and ("is ready" in m.text or ":x:" in m.text)
    ]


async def command_reply(slack: FakeSlack, driver: SlackDriver, user: str, text: str) -> str:
    before = len(slack.responses)
    response = await driver.command(user, text)
    assert response.status_code == 200
    await slack.wait_for(lambda: slack.responses[before:] or None, timeout=DEADLINE)
    return render_text(slack.responses[-1].args.get("blocks") or [])


async def requests_of(stack: Stack, user: str) -> list[tuple[ExportRequest, list[ExportJobRow]]]:
    return await stack.bot.runtime.services.exports.jobs_for(TEAM, user)


async def stored(stack: Stack, request_id: str) -> ExportRequest:
    """The row as the database has it (``jobs_for`` shows freshly minted links instead)."""
    async with stack.bot.runtime.services.store.session() as session:
        row = await session.get(ExportRequest, request_id)
    assert row is not None
    return row


async def settled(stack: Stack, user: str, count: int = 1) -> list[ExportRequest]:
    """Wait until ``count`` of the person's exports have ended and their notices are out."""

    async def ended() -> list[ExportRequest] | None:
        found = await requests_of(stack, user)
        done = [r for r, _ in found if r.state in ("complete", "failed", "expired")]
        return done if len(done) >= count else None

    result = await wait_until(ended, DEADLINE)
    watcher = stack.bot.runtime.services.export_watcher
    await watcher.drain()
    return result


# -- in one process -----------------------------------------------------------------------


async def test_small_export_starts_at_once_and_delivers_the_zip_once(stack: Stack) -> None:
    reply = await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    assert "Started export" in reply
    assert "notify you once" in reply
    [(request, jobs)] = await requests_of(stack, MEMBER)
    assert len(jobs) == 1
    assert request.message_channel == stack.slack.dm_channel(MEMBER)
    [done] = await settled(stack, MEMBER)
    [notice] = await notices(stack, MEMBER)
    [attached] = in_thread(stack.slack, notice)
    assert attached.kind == "file", "the zip is uploaded into the one notice's thread"
    upload = stack.slack.uploads[attached.files[0]]
    assert upload.received
    assert upload.head.startswith(b"PK")
    permalink = stack.slack.file_object(upload)["permalink"]
    assert done.result_permalink == permalink
    assert done.notice_ts == notice.ts
    assert done.notified_at is not None
    shown = render_text(notice.blocks)
    assert permalink in shown, "the notice was edited to point at the file"
    assert "uploaded to our DM" in shown
    original = next(m for m in stack.slack.messages if m.ts == request.message_ts)
    assert original.edits >= 1
    assert "is ready" in render_text(original.blocks), "the original shows the final state"
    first = stack.slack.calls_to("chat.postMessage")[0].args["text"]
    assert re.search(r"Started export `\w+` \(company recordings · \w{3} \d{4}-", first), first
    assert re.search(r": \d+ recordings?\. VBC is building", first), "a proper plural"
    assert "since:" not in first + shown, "people read a summary, not canonical filter text"
    assert_never_unfurled(stack.slack)
    async with stack.bot.runtime.services.store.session() as session:
        kept = list(await session.exec(select(ExportJobRow)))
    assert [j.download_url for j in kept] == [None], "VBC's download URL is not kept"
    # Later passes of the watcher find nothing to do and send nothing more.
    watcher = stack.bot.runtime.services.export_watcher
    assert await watcher.tick() == 0
    assert len(await notices(stack, MEMBER)) == 1
    assert len(stack.slack.calls_to("files.completeUploadExternal")) == 1


async def test_many_matches_ask_first_then_one_notice_for_several_jobs(stack: Stack) -> None:
    reply = await command_reply(stack.slack, stack.driver, MEMBER, "export last 90d")
    assert re.search(
        r"Export [\d,]+ recordings of yours \(company and on-demand\) matching ", reply
    )
    assert "I ask first when an export has more than 50 recordings" in reply
    assert " in your recordings" not in reply
    assert "Start export" in reply
    assert export_posts(stack.sim) == [], "nothing is started before the confirmation"
    value = button_value(stack.slack.responses[-1].args["blocks"], blocks.ACTION_EXPORT_CONFIRM)
    before = len(stack.slack.responses)
    double = [stack.driver.click(MEMBER, blocks.ACTION_EXPORT_CONFIRM, value) for _ in range(2)]
    await asyncio.gather(*double)  # a double click on "Start export"
    await stack.slack.wait_for(lambda: stack.slack.responses[before + 1 :] or None)
    replies = sorted(render_text(r.args["blocks"]) for r in stack.slack.responses[before:])
    assert "Started export" in replies[0]
    holds = dict(re.findall(r"part (\d): ([\w-]+) recordings", replies[0]))
    assert sorted(holds.values()) == ["company", "on-demand"], replies[0]
    assert "company recordings of extension " in replies[0]
    assert "already started" in replies[1]
    posted = export_posts(stack.sim)
    assert len(posted) == 2, "a member's export: on-demand and their extension's company job"
    [done] = await settled(stack, MEMBER)
    assert done.state == "complete"
    [notice] = await notices(stack, MEMBER)
    text = render_text(notice.blocks)
    assert "2 zip files" in text
    for number, kind in holds.items():
        assert f"part {number}>: {kind} recordings" in text, "the notice numbers parts alike"
    assert "since:" not in text
    assert len(in_thread(stack.slack, notice)) == 2, "both parts uploaded under the notice"
    assert (await stored(stack, done.id)).result_permalink is None, "no signed link is stored"
    [(listed, _)] = await requests_of(stack, MEMBER)
    assert listed.result_permalink is not None
    assert "/links/" in listed.result_permalink, "the jobs list mints one when it shows it"
    assert done.id in replies[1], "the answer names the export the first click started"


async def test_export_all_matching_from_a_result_page(stack: Stack) -> None:
    await command_reply(stack.slack, stack.driver, ADMIN, "scope:company last 3d")
    key = button_value(stack.slack.responses[-1].args["blocks"], blocks.ACTION_EXPORT_ALL)
    before = len(stack.slack.responses)
    await stack.driver.click(ADMIN, blocks.ACTION_EXPORT_ALL, key)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
    shown = render_text(stack.slack.responses[-1].args["blocks"])
    if "Start export" in shown:
        value = button_value(stack.slack.responses[-1].args["blocks"], blocks.ACTION_EXPORT_CONFIRM)
        await stack.driver.click(ADMIN, blocks.ACTION_EXPORT_CONFIRM, value)
    [done] = await settled(stack, ADMIN)
    assert done.state == "complete"
    assert "scope:company" in done.request_text
    assert next(p["path"] for p in export_posts(stack.sim)).endswith(
        "company_call_recordings/export"
    )
    jobs = await command_reply(stack.slack, stack.driver, ADMIN, "jobs")
    assert "Complete" in jobs
    assert "Your exports" in jobs


async def test_someone_else_cannot_export_a_members_results(stack: Stack) -> None:
    await command_reply(stack.slack, stack.driver, MEMBER, "last 3d")
    key = button_value(stack.slack.responses[-1].args["blocks"], blocks.ACTION_EXPORT_ALL)
    before = len(stack.slack.responses)
    await stack.driver.click(OTHER, blocks.ACTION_EXPORT_ALL, key)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
    await settled(stack, OTHER)
    [(request, _)] = await requests_of(stack, OTHER)
    member = stack.sim.state.users[0]
    other = stack.sim.state.users[1]
    bodies = [p for p in export_posts(stack.sim) if str(member.id) in p["path"]]
    assert bodies == [], "the member's recordings were never exported for someone else"
    assert any(str(other.id) in p["path"] for p in export_posts(stack.sim))
    assert request.slack_user_id == OTHER


async def test_a_failed_job_gets_one_failed_notice_and_retry_works(stack: Stack) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(f"{stack.sim.url}/_sim/faults", json={"next_jobs": ["failed"]})
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    [failed] = await settled(stack, MEMBER)
    assert failed.state == "failed"
    [notice] = await notices(stack, MEMBER)
    assert "failed" in render_text(notice.blocks)
    value = button_value(notice.blocks, blocks.ACTION_EXPORT_CONFIRM)
    await stack.driver.click(MEMBER, blocks.ACTION_EXPORT_CONFIRM, value, message=notice)
    done = await settled(stack, MEMBER, count=2)
    assert sorted(r.state for r in done) == ["complete", "failed"]
    assert len(await notices(stack, MEMBER)) == 2, "one notice per request"
    # A retry button is re-checked for whoever clicks it.
    before = len(stack.slack.responses)
    await stack.driver.click(OTHER, blocks.ACTION_EXPORT_CONFIRM, value)
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
    assert "not yours" in render_text(stack.slack.responses[-1].args["blocks"])


async def test_an_expired_job_says_so_with_a_retry(stack: Stack) -> None:
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    [(_, [job])] = await requests_of(stack, MEMBER)
    async with httpx.AsyncClient() as http:
        forced = await http.post(
            f"{stack.sim.url}/_sim/jobs/{job.vbc_job_id}", json={"status": "expired"}
        )
        assert forced.status_code == 200
    [expired] = await settled(stack, MEMBER)
    assert expired.state == "expired"
    [notice] = await notices(stack, MEMBER)
    assert "expired" in render_text(notice.blocks)
    assert button_value(notice.blocks, blocks.ACTION_EXPORT_CONFIRM) == f"r:{expired.id}"


async def test_direct_delivery_channel_gets_the_notice(stack: Stack) -> None:
    await stack.bot.runtime.services.store.save_channel(
        ChannelSetting(team_id=TEAM, channel_id=CHANNEL, allow_share=True, direct_delivery=True)
    )
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    [done] = await settled(stack, MEMBER)
    [notice] = [m for m in stack.slack.messages_for(CHANNEL) if m.ts == done.notice_ts]
    assert notice.thread_ts is None
    assert "is ready" in notice.text
    assert f"uploaded to <#{CHANNEL}>" in render_text(notice.blocks)
    assert [m.kind for m in in_thread(stack.slack, notice)] == ["file"]
    assert await notices(stack, MEMBER) == []


async def test_a_channel_that_stopped_direct_delivery_gets_no_links(stack: Stack) -> None:
    store = stack.bot.runtime.services.store
    await store.save_channel(
        ChannelSetting(team_id=TEAM, channel_id=CHANNEL, allow_share=True, direct_delivery=True)
    )
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    [(request, _)] = await requests_of(stack, MEMBER)
    assert request.message_channel == CHANNEL, "started while the channel took deliveries"
    await store.save_channel(ChannelSetting(team_id=TEAM, channel_id=CHANNEL))
    await settled(stack, MEMBER)
    [notice] = await notices(stack, MEMBER)
    assert [m.kind for m in in_thread(stack.slack, notice)] == ["file"], "the zip went to the DM"
    original = next(m for m in stack.slack.messages if m.ts == request.message_ts)
    shown = f"{original.text} {render_text(original.blocks)}"
    assert "your DM" in shown
    assert "http" not in shown, "no link or file permalink left in the channel"
    assert [m for m in stack.slack.messages_for(CHANNEL) if m.kind == "file"] == []


async def test_slack_refusing_the_notice_once_still_gives_exactly_one(stack: Stack) -> None:
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    stack.slack.fail_next("chat.postMessage", "internal_error")  # the next post is the notice
    [done] = await settled(stack, MEMBER)
    assert done.notice_attempts == 1, "the first try was refused"
    [notice] = await notices(stack, MEMBER)
    assert [m.kind for m in in_thread(stack.slack, notice)] == ["file"]


async def test_nothing_matching_starts_nothing_and_bad_words_are_named(stack: Stack) -> None:
    reply = await command_reply(stack.slack, stack.driver, MEMBER, "export from:+15550000000")
    assert "No recordings of yours (company and on-demand) match from +1 555" in reply
    assert "nothing to export" in reply
    reply = await command_reply(stack.slack, stack.driver, MEMBER, "export frobnicate")
    assert "frobnicate" in reply
    assert export_posts(stack.sim) == []


# -- the watcher reads VBC's job listing ----------------------------------------------------


@pytest.fixture
async def long_jobs_stack(sqlite_url: str) -> AsyncIterator[Stack]:
    """Jobs take 4 s at the simulator: the watcher looks at them over several intervals."""
    running = await start_stack(sqlite_url, job_seconds=4.0)
    try:
        yield running
    finally:
        await stop_stack(running)
    assert running.slack.problems == [], running.slack.problems


async def six_exports(stack: Stack) -> None:
    """Three exports each for two people (the most one person may have in flight)."""
    for n, user in enumerate((MEMBER, MEMBER, MEMBER, OTHER, OTHER, OTHER)):
        reply = await command_reply(
            stack.slack, stack.driver, user, f"export type:company last {n + 2}d"
        )
        assert "Started export" in reply, reply


async def test_one_listing_per_pass_reads_every_job_in_flight(long_jobs_stack: Stack) -> None:
    stack = long_jobs_stack
    await six_exports(stack)
    await settled(stack, MEMBER, count=3)
    await settled(stack, OTHER, count=3)
    watcher = stack.bot.runtime.services.export_watcher
    sim = stack.sim
    assert len(sim.state.jobs) == 6
    assert watcher.polls == 0, "the watcher read no job on its own"
    assert watcher.looks >= 12, "every job was looked at over several intervals"
    listed = listings(sim)
    assert 0 < len(listed) <= watcher.passes, "at most one listing per pass, whatever it holds"
    assert len(listed) < watcher.looks / 2, "not one read per job per interval"
    assert all(set(e["query"]) <= {"status"} for e in listed), "the listing documents no paging"
    assert all(e["path"].endswith("/users/self/call_recordings/jobs") for e in listed)
    # The notice reads each job once for its zip's URL, never kept in the database.
    assert single_reads(sim) == dict.fromkeys(sim.state.jobs, 1)
    assert len(await notices(stack, MEMBER)) == 3
    assert len(await notices(stack, OTHER)) == 3


async def test_a_job_the_listing_leaves_out_is_read_on_its_own(long_jobs_stack: Stack) -> None:
    stack = long_jobs_stack
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 2d")
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 3d")
    hidden, shown = sorted(sim_job.id for sim_job in stack.sim.state.jobs.values())
    async with httpx.AsyncClient() as http:
        faulted = await http.post(f"{stack.sim.url}/_sim/faults", json={"unlisted_jobs": [hidden]})
        assert faulted.json()["unlisted_jobs"] == [hidden]
    done = await settled(stack, MEMBER, count=2)
    assert [r.state for r in done] == ["complete", "complete"]
    watcher = stack.bot.runtime.services.export_watcher
    reads = single_reads(stack.sim)
    assert reads[hidden] >= 2, "polled on its own (and once more by its notice)"
    assert reads[shown] == 1, "the listed job was read only by its notice"
    assert watcher.polls == reads[hidden] - 1
    assert listings(stack.sim)
    assert len(await notices(stack, MEMBER)) == 2


async def test_a_status_filter_vbc_ignores_still_ends_in_one_notice_each(
    long_jobs_stack: Stack,
) -> None:
    """A listing far beyond the jobs in flight is filtered; VBC ignoring it: single reads."""
    stack = long_jobs_stack
    watcher = stack.bot.runtime.services.export_watcher
    watcher.tuning.list_slack = 0  # two jobs in flight and ten finished ones is "far beyond"
    watcher.tuning.list_growth = 1.0
    async with httpx.AsyncClient() as http:
        await http.post(f"{stack.sim.url}/_sim/faults", json={"ignore_status_filter": True})
    old = [stack.sim.state.create_job(stack.sim.state.admin.id, "company", []) for _ in range(10)]
    for job in old:
        stack.sim.state.force_job(job.id, "complete")
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 2d")
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 3d")
    done = await settled(stack, MEMBER, count=2)
    assert [r.state for r in done] == ["complete", "complete"]
    asked = [e["query"].get("status") for e in listings(stack.sim)]
    assert asked[0] is None, "first the whole listing"
    assert "queued" in asked, "then only unfinished jobs, as the filter is documented"
    assert watcher.polls > 0, "VBC ignored the filter: the jobs were read one by one"
    assert len(await notices(stack, MEMBER)) == 2


# -- parts: none empty, each described -----------------------------------------------------


async def start_export(stack: Stack, user: str, text: str) -> str:
    """Start an export, confirming it when the bot asks first; the "Started" reply."""
    reply = await command_reply(stack.slack, stack.driver, user, text)
    if "Start export" in reply:
        value = button_value(stack.slack.responses[-1].args["blocks"], blocks.ACTION_EXPORT_CONFIRM)
        before = len(stack.slack.responses)
        await stack.driver.click(user, blocks.ACTION_EXPORT_CONFIRM, value)
        await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
        reply = render_text(stack.slack.responses[-1].args["blocks"])
    assert "Started export" in reply, reply
    return reply


def forget_on_demand(stack: Stack, user_index: int) -> int:
    """Delete a simulated user's on-demand recordings at VBC; how many there were."""
    owner = stack.sim.state.users[user_index].id
    mine = [r for r in stack.sim.state.dataset.on_demand if r.owner_user_id == owner]
    return sum(stack.sim.state.delete_recording(r.id, owner) for r in mine)


async def test_a_part_that_matches_nothing_is_not_requested(stack: Stack) -> None:
    assert forget_on_demand(stack, 0) > 0
    reply = await start_export(stack, MEMBER, "export last 3d")
    assert "No zip for on-demand recordings: none match, so I did not ask VBC for one." in reply
    assert "zip files" not in reply, "one part left: nothing to number"
    [posted] = export_posts(stack.sim)
    assert posted["path"].endswith("company_call_recordings/export"), "no on-demand job at all"
    [done] = await settled(stack, MEMBER)
    [(_, [job])] = await requests_of(stack, MEMBER)
    [notice] = await notices(stack, MEMBER)
    text = render_text(notice.blocks)
    [sim_job] = stack.sim.state.jobs.values()
    count = len(sim_job.recording_ids)
    [attached] = in_thread(stack.slack, notice)
    size = blocks.format_size(stack.slack.uploads[attached.files[0]].length)
    extension = stack.sim.state.users[0].extension
    line = (
        f"Open the zip>: company recordings of extension {extension} · "
        f"{count} recording{'s' if count != 1 else ''} · {size}, uploaded to our DM"
    )
    assert line in text, text
    assert done.state == "complete"
    assert job.holds == f"company recordings of extension {extension}"


async def test_a_zip_vbc_built_empty_is_left_out_with_a_line_saying_why(
    long_jobs_stack: Stack,
) -> None:
    stack = long_jobs_stack
    reply = await start_export(stack, MEMBER, "export last 3d")
    holds = dict(re.findall(r"part (\d): ([\w-]+) recordings", reply))
    assert sorted(holds.values()) == ["company", "on-demand"], reply
    forget_on_demand(stack, 0)  # gone at VBC before it built the zip: the zip is empty
    [done] = await settled(stack, MEMBER)
    assert done.state == "complete"
    [notice] = await notices(stack, MEMBER)
    text = render_text(notice.blocks)
    empty = next(n for n, kind in holds.items() if kind == "on-demand")
    full = next(n for n, kind in holds.items() if kind == "company")
    assert (
        f"Part {empty}, on-demand recordings: left out, VBC found no recordings for it" in text
    ), text
    assert f"Open part {empty}>" not in text
    assert f"Download part {empty}>" not in text
    assert re.search(
        rf"Open part {full}>: company recordings of extension \d+ · \d+ recordings? · [\d.]+ \w+,",
        text,
    ), text
    files = in_thread(stack.slack, notice)
    assert [m.kind for m in files] == ["file"], "only the zip with recordings was uploaded"
    assert all(stack.slack.uploads[m.files[0]].length > 22 for m in files)


# -- the signed link ----------------------------------------------------------------------


@pytest.fixture
async def small_cap_stack(sqlite_url: str) -> AsyncIterator[Stack]:
    """A stack whose upload cap is tiny, so every zip becomes a signed link."""
    running = await start_stack(sqlite_url)
    await running.bot.close()
    settings = dataclasses.replace(running.settings, upload_cap_bytes=1000)
    running.bot = await LocalServer(await build_runtime(settings)).start()
    running.driver = SlackDriver(
        f"{running.bot.url}/slack/events", SIGNING_SECRET, running.slack, team_id=TEAM
    )
    running.settings = settings
    try:
        yield running
    finally:
        await stop_stack(running)


async def test_a_zip_over_the_cap_is_a_signed_link_only_its_owner_can_open(
    small_cap_stack: Stack,
) -> None:
    stack = small_cap_stack
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    await settled(stack, MEMBER)
    [notice] = await notices(stack, MEMBER)
    assert notice.kind == "message"
    assert stack.slack.calls_to("files.completeUploadExternal") == []
    assert_never_unfurled(stack.slack)
    url = local(stack, link_in(notice))
    path = url.removeprefix(f"{stack.bot.url}/")
    [(listed, _)] = await requests_of(stack, MEMBER)
    assert listed.result_permalink is not None
    fresh = local(stack, listed.result_permalink)
    assert fresh != url, "/recordings jobs mints its own link"
    secrets = stack.bot.runtime.services.secrets
    fresh_token = fresh.split("/links/", 1)[1].split("/")[0]
    with pytest.raises(LinkExpiredError):
        secrets.verify_link(fresh_token, now=int(time.time()) + 2 * 3600)
    async with httpx.AsyncClient() as http:
        assert (await http.get(fresh)).status_code == 200
        got = await http.get(url)
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/zip"
        assert zipfile.ZipFile(io.BytesIO(got.content)).namelist()
        token = path.split("/")[1]
        tampered = url.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
        assert (await http.get(tampered)).status_code == 403
        payload = secrets.verify_link(token, now=0)
        stale = secrets.sign_link(payload, expires_at=1)
        assert (await http.get(url.replace(token, stale))).status_code == 410
        stolen = secrets.sign_link({**payload, "u": OTHER}, expires_at=2**40)
        refused = await http.get(url.replace(token, stolen))
        assert refused.status_code == 403
        assert "not yours" in refused.text
        # Access is checked at each use: an export made as an admin, by someone who is no
        # longer one, is refused.
        async with stack.bot.runtime.services.store.session() as session:
            session.add(
                ExportRequest(
                    id="formeradmin",
                    team_id=TEAM,
                    slack_user_id=MEMBER,
                    request_text="scope:company",
                )
            )
            await session.commit()
        former = secrets.sign_link({**payload, "s": "formeradmin"}, expires_at=2**40)
        refused = await http.get(url.replace(token, former))
        assert refused.status_code == 403
        assert "only recordings admins" in refused.text.lower()


async def test_a_link_stops_working_when_its_owner_is_linked_to_another_vbc_user(
    small_cap_stack: Stack,
) -> None:
    stack = small_cap_stack
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    await settled(stack, MEMBER)
    [notice] = await notices(stack, MEMBER)
    url = local(stack, link_in(notice))
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).status_code == 200
        shown = await command_reply(
            stack.slack, stack.driver, ADMIN, f"link <@{MEMBER}> {stack.user_email(1)}"
        )
        assert "linked" in shown.lower()
        refused = await http.get(url)
    assert refused.status_code == 403
    assert "access to recordings has changed" in refused.text


# -- across processes ---------------------------------------------------------------------


class BotProcess:
    """A bot in a subprocess, built from the environment by ``bot_process``."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self.owners: list[str] = []  # the export watcher's and the deletion worker's

    async def start(self) -> BotProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.bot_process",
            cwd=str(ROOT),
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        assert line.startswith(b"READY "), f"bot process did not start: {line!r}"
        self.url = line.split()[1].decode()
        self.owners = [part.decode() for part in line.split()[2:]]
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        self.kill()
        if self.proc is not None:
            await asyncio.wait_for(self.proc.wait(), 10)


@contextlib.asynccontextmanager
async def outside(
    database_url: str, *, job_seconds: float, env: dict[str, str] | None = None
) -> AsyncIterator[Any]:
    """Simulator and fake Slack here; ``spawn()`` starts bots pointed at them (``env`` adds
    settings and test knobs)."""
    sim = await start_simulator(job_seconds=job_seconds)
    slack = GatedSlack()
    await slack.start()
    users = sim.state.users
    slack.add_user(MEMBER, "Hannah Kowalski", tz="America/New_York", email=users[0].email)
    slack.add_user(OTHER, "Priya Patel", tz="Europe/London", email=users[1].email)
    slack.add_user(ADMIN, "Ada Admin", tz="America/Chicago", email=sim.state.admin.email)
    settings = make_settings(sim.url, slack.url, database_url)
    process_env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")},
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "VBC_API_URL": sim.url,
        "VBC_CLIENT_ID": settings.vbc_client_id,
        "VBC_CLIENT_SECRET": settings.vbc_client_secret,
        "VBC_USERNAME": settings.vbc_username,
        "VBC_PASSWORD": settings.vbc_password,
        "BOT_ADMINS": ADMIN,
        "DATABASE_URL": database_url,
        "BOT_SECRET_KEY": settings.bot_secret_key or "",
        "EXPORT_POLL_CAP": "1",
        "EXPORT_LEASE_SECONDS": "3",
        **(env or {}),
    }
    bots: list[BotProcess] = []

    async def spawn() -> BotProcess:
        bot = await BotProcess(process_env).start()
        bots.append(bot)
        return bot

    try:
        yield sim, slack, spawn
    finally:
        for bot in bots:
            await bot.stop()
        await slack.close()
        await sim.close()


def ready_notices(slack: FakeSlack) -> list[Call]:
    """Notice messages Slack made (the originals are only ever edited to "is ready")."""
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if call.answer.get("ok") and "is ready" in str(call.args.get("text"))
    ]


class GatedSlack(FakeSlack):
    """Fake Slack that can hold the next ``chat.postMessage`` or upload while a bot is killed.

    A held request is never carried out: after the kill, ``drop()`` answers it with an error,
    as if the bot had died before Slack got it.
    """

    def __init__(self) -> None:
        super().__init__(trigger_ttl=None)
        self._hold: str | None = None
        self.holding = asyncio.Event()
        self._dropped = asyncio.Event()

    def hold(self, what: str) -> None:
        self._hold, self.holding, self._dropped = what, asyncio.Event(), asyncio.Event()

    def drop(self) -> None:
        self._dropped.set()

    async def _api(self, request: web.Request) -> web.Response:
        if self._take(request.match_info["method"]):
            return await self._held()
        return await super()._api(request)

    async def _upload(self, request: web.Request) -> web.Response:
        if self._take("upload"):
            return await self._held()
        return await super()._upload(request)

    def _take(self, what: str) -> bool:
        if self._hold != what:
            return False
        self._hold = None
        return True

    async def _held(self) -> web.Response:
        self.holding.set()
        await self._dropped.wait()
        return web.Response(status=500, text="the caller is gone")


async def kill_when_held(bot: BotProcess, slack: GatedSlack) -> None:
    # Generous: a fresh bot process must start, wait out a lease and poll on a busy machine.
    await asyncio.wait_for(slack.holding.wait(), 90)
    bot.kill()
    await bot.stop()
    slack.drop()


async def test_a_bot_killed_at_any_step_of_an_export_still_notifies_once(sqlite_url: str) -> None:
    """Killed as the export starts, mid-watch, before the notice is posted, and mid-upload."""
    async with outside(sqlite_url, job_seconds=10.0) as (sim, slack, spawn):
        first = await spawn()
        slack.hold("chat.postMessage")  # the "export started" message
        driver = SlackDriver(f"{first.url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM)
        async with driver:
            await driver.command(MEMBER, "export type:company last 7d")
            await kill_when_held(first, slack)
        [job] = sim.state.jobs.values()
        watcher = await spawn()
        await wait_until(lambda: listings(sim) or single_reads(sim), 60)
        watcher.kill()
        await watcher.stop()
        assert job.view(sim.state.clock()).status != "complete", "killed while still running"
        slack.hold("chat.postMessage")  # the notice
        await kill_when_held(await spawn(), slack)
        assert ready_notices(slack) == [], "killed before Slack got the notice"
        slack.hold("upload")
        await kill_when_held(await spawn(), slack)
        [notice] = ready_notices(slack)
        assert slack.calls_to("files.completeUploadExternal") == [], "killed mid-upload"
        await spawn()
        dm = slack.dm_channel(MEMBER)
        ts = notice.answer["ts"]

        def attached() -> bool:
            return any(
                m.kind == "file" and m.thread_ts == ts and m.channel == dm for m in slack.messages
            )

        await wait_until(attached, SLOW)
        await wait_until(
            lambda: "uploaded to our DM" in render_text(message_at(slack, ts).blocks), SLOW
        )
        await asyncio.sleep(2.5)  # a few more poll caps: no second notice may follow
        assert len(ready_notices(slack)) == 1


def message_at(slack: FakeSlack, ts: str) -> Message:
    return next(m for m in slack.messages if m.ts == ts)


async def test_two_processes_on_postgres_notify_each_export_once(postgres_url: str) -> None:
    async with outside(postgres_url, job_seconds=2.0) as (sim, slack, spawn):
        bots = [await spawn(), await spawn()]
        drivers = [
            SlackDriver(f"{b.url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM) for b in bots
        ]
        texts = [f"export type:company last {days}d" for days in (2, 3, 4, 5, 6, 7)]
        for n, text in enumerate(texts):  # two people: at most 3 exports in flight each
            await drivers[n % 2].command((MEMBER, OTHER)[n // 3], text)
        for driver in drivers:
            await driver.aclose()
        await wait_until(lambda: len(ready_notices(slack)) == len(texts), SLOW)
        await asyncio.sleep(2.5)  # a quiet spell of a few poll caps: a second notice shows here
        assert len(ready_notices(slack)) == len(texts), "one notice per export"
        assert len(sim.state.jobs) == len(texts)
        # Jobs take 2 s and the poll cap is 1 s, and two processes watch them: the listings
        # read them all, and a job is read on its own only by the one notice that fetches it.
        assert listings(sim), "the watchers read the jobs from VBC's listing"
        assert sorted(single_reads(sim)) == sorted(sim.state.jobs), "each notice read its job"
        assert max(single_reads(sim).values()) == 1, single_reads(sim)


async def test_the_store_keeps_exports_for_the_jobs_list(stack: Stack) -> None:
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    await settled(stack, MEMBER)
    async with stack.bot.runtime.services.store.session() as s:
        rows = list(await s.exec(select(ExportRequest)))
    assert [r.slack_user_id for r in rows] == [MEMBER]
    listed = await command_reply(stack.slack, stack.driver, MEMBER, "jobs")
    assert "Complete" in listed
    assert "company recordings · " in listed
    assert "since:" not in listed


async def test_refresh_replaces_the_jobs_list_and_republishes_app_home(stack: Stack) -> None:
    await command_reply(stack.slack, stack.driver, MEMBER, "export type:company last 7d")
    await settled(stack, MEMBER)
    await command_reply(stack.slack, stack.driver, MEMBER, "jobs")
    before = len(stack.slack.responses)
    await stack.driver.click(MEMBER, blocks.ACTION_JOBS_REFRESH, "jobs")
    await stack.slack.wait_for(lambda: stack.slack.responses[before:] or None)
    refreshed = stack.slack.responses[-1].args
    assert refreshed["replace_original"] is True
    assert "Complete" in render_text(refreshed["blocks"])
    await stack.driver.click(MEMBER, blocks.ACTION_JOBS_REFRESH, "home")
    await stack.slack.wait_for("views.publish")
    assert "Complete" in render_text(stack.slack.homes[MEMBER]["blocks"])

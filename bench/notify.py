"""Benchmark: new-recording notices with 2,000 rules and 10,000 new recordings an hour.

A simulated hour runs in two minutes: the simulator, the bot's watcher and the timings all
read one compressed clock (``SPEED`` simulated seconds per real second). The VBC simulator
(in this process) makes 10,000 recordings an hour, 5 % of them listed 20 minutes late, 20 %
on-demand; 1,500 personal rules (6 of them people with real VBC users and extensions, whose
rules need their on-demand listing; the others company-only) and 500 channel rules wait for
them. Slack is a small stub that answers chat.postMessage and users.info and records posts.

Figures: VBC reads per poll interval against the baseline of one listing per rule (what a
watcher reading per rule would make), notice delay p95 from the moment VBC lists a recording
to its notice (or digest) in simulated time, duplicates and misses against the simulator's
truth, and the watcher's CPU at idle (real time, production timings, the same 2,000 rules).

Targets: reads per interval = 1 company listing + its pages + 1 per person whose rules need
on-demand recordings, nothing per rule; p95 ≤ interval + 10 s for notices posted one by one
(a digest waits, by design, for the end of its minute); 0 duplicates; 0 missed; idle CPU
< 5 % of one core. Run: ``.venv/bin/python bench/notify.py``; exits 1 on a miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from aiohttp import web

from bot.app import build_vbc, profile_fetcher
from bot.grammar.criteria import Criteria, Owner
from bot.notices import NoticeTuning, NoticeWatcher
from bot.notices.match import live_rule
from bot.people.directory import Directory
from bot.settings import Settings
from bot.slack_clients import SlackClients
from bot.store import Store
from bot.store.engine import create_engine, migrate
from bot.store.notices import NoticeRows
from bot.store.tables import ChannelSetting, Link, NoticeRule
from bot.vbc.filter import Direction, RecordingFilter
from bot.vbc.models import Recording, RecordingKind
from bot.vbcsim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME
from bot.vbcsim.server import build_app
from bot.vbcsim.state import SimConfig, SimState

SPEED = 30.0  # simulated seconds per real second: the hour takes two minutes
HOUR = 3600.0
PER_HOUR = 10_000
INTERVAL = 60.0
OVERLAP_MINUTES = 30  # NOTIFY_OVERLAP_MINUTES: here past the 20-minute late listings
PERSONAL, CHANNELS = 1500, 500
IDLE_SECONDS = 10.0
DRAIN = 150.0  # simulated seconds after the hour for the last notices (late ones included)
TEAM = "T0BENCH"
LONG_CALL = 540_000  # rules take calls over 9 minutes: a few notices a minute per target


class Compressed:
    """Wall time that runs ``speed`` times faster from the moment it starts."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._real0 = time.monotonic()
        self._virtual0 = time.time()

    def seconds(self) -> float:
        return self._virtual0 + (time.monotonic() - self._real0) * self.speed

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.seconds(), UTC)

    def set_speed(self, speed: float) -> None:
        self._virtual0, self._real0, self.speed = self.seconds(), time.monotonic(), speed


class SlackStub:
    """chat.postMessage, chat.delete and users.info: enough for the watcher, and a record."""

    def __init__(self, clock: Compressed) -> None:
        self.clock = clock
        self.posts: list[tuple[str, str, float]] = []  # (channel, text, simulated time)
        self._ts = 0

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            form.update(await request.json())
        elif request.can_read_body:
            form.update(await request.post())
        if method == "chat.postMessage":
            self._ts += 1
            channel = str(form["channel"])
            self.posts.append((channel, str(form.get("text", "")), self.clock.seconds()))
            return web.json_response({"ok": True, "channel": channel, "ts": f"1.{self._ts}"})
        if method == "users.info":
            user = str(form.get("user"))
            return web.json_response(
                {"ok": True, "user": {"id": user, "name": user, "deleted": False, "tz": "UTC"}}
            )
        return web.json_response({"ok": True})


@dataclass
class Served:
    sim: SimState
    sim_url: str
    slack: SlackStub
    slack_url: str
    runners: list[web.AppRunner]


async def serve(clock: Compressed) -> Served:
    sim = SimState(SimConfig(now=clock()), clock=clock.seconds)
    slack = SlackStub(clock)
    stub = web.Application()
    stub.router.add_route("*", "/api/{method}", slack.api)
    urls, runners = [], []
    for app in (build_app(sim), stub):
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        urls.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        runners.append(runner)
    return Served(sim, urls[0], slack, f"{urls[1]}/api/", runners)


def rules_and_links(sim: SimState, now: datetime) -> tuple[list[NoticeRule], list[Link]]:
    members = [u for u in sim.users if not u.is_admin]
    long_inbound = RecordingFilter(call_direction=Direction.INBOUND, duration_gte=LONG_CALL)
    rules: list[NoticeRule] = []
    links: list[Link] = []
    for i in range(PERSONAL):
        person = f"U{i:07d}"
        if i < len(members):  # real people: their own recordings, both kinds
            user, exts, kind = str(members[i].id), (members[i].extension,), None
        else:  # the rest: company recordings of extensions nobody calls in this hour
            user, exts, kind = f"9{i:06d}", (f"7{i:04d}",), RecordingKind.COMPANY
        links.append(
            Link(
                team_id=TEAM,
                slack_user_id=person,
                vbc_user_id=user,
                extensions=",".join(exts),
                linked_how="admin",
                refreshed_at=now,
            )
        )
        criteria = Criteria(filter=long_inbound, kind=kind, owner=Owner(user, exts))
        rules.append(_rule(person, None, criteria, now))
    callers = ["12015550142", "17325550100", "14155550177"]
    for i in range(CHANNELS):
        number = callers[i] if i < len(callers) else f"1212555{i:04d}"
        criteria = Criteria(
            filter=replace(long_inbound, caller_id=number), kind=RecordingKind.COMPANY
        )
        rules.append(_rule("U0ADMIN", f"C{i:07d}", criteria, now))
    return rules, links


def _rule(user: str, channel: str | None, criteria: Criteria, now: datetime) -> NoticeRule:
    return NoticeRule(
        team_id=TEAM,
        kind="channel" if channel else "personal",
        slack_user_id=user,
        channel_id=channel,
        criteria=json.dumps(criteria.to_json()),
        summary="long inbound calls",
        search_text="inbound >9m",
        created_at=now,
    )


async def build(served: Served, database: str, clock: Compressed) -> tuple[Store, NoticeWatcher]:
    engine = create_engine(database)
    await migrate(engine)
    store = Store(engine, clock=clock)
    now = clock()
    rules, links = rules_and_links(served.sim, now)
    async with store.session() as s:
        s.add_all([*rules, *links])
        s.add_all(
            ChannelSetting(team_id=TEAM, channel_id=r.channel_id, allow_share=True)
            for r in rules
            if r.channel_id
        )
        await s.commit()
    settings = Settings(
        vbc_api_url=served.sim_url,
        vbc_client_id=DEMO_CLIENT_ID,
        vbc_client_secret=DEMO_CLIENT_SECRET,
        vbc_username=DEMO_USERNAME,
        vbc_password=DEMO_PASSWORD,
    )
    vbc, _, _ = build_vbc(settings)
    slack = SlackClients(base_url=served.slack_url, token="xoxb-bench")
    directory = Directory(
        store, vbc, admins=frozenset(), fetch_profile=profile_fetcher(slack), clock=clock
    )
    tuning = NoticeTuning(
        interval=INTERVAL,
        overlap=timedelta(minutes=OVERLAP_MINUTES),
        lease_seconds=60.0,
        idle_wait=0.5 / SPEED * 10,  # 5 simulated seconds
        sync_every=INTERVAL,
        spacing=1.0 / SPEED,
    )
    watcher = NoticeWatcher(
        store=store,
        vbc=vbc,
        slack=slack,
        directory=directory,
        admins=frozenset(),
        clock=clock,
        tuning=tuning,
    )
    return store, watcher


def reads_per_interval(sim: SimState, start: float, end: float) -> dict[str, float]:
    """List requests per poll interval over the hour (first pages and later pages)."""
    per: defaultdict[int, Counter[str]] = defaultdict(Counter)
    for entry in sim.requests:
        path, at = str(entry.get("path", "")), float(entry.get("time", 0.0))
        if not path.endswith("call_recordings") or not start <= at < end:
            continue
        page = str((entry.get("query") or {}).get("page", "1"))
        kind = "company" if "company_call_recordings" in path else "on-demand"
        per[int((at - start) // INTERVAL)][f"{kind} {'first' if page == '1' else 'more'}"] += 1
    full = [per[i] for i in range(1, int((end - start) // INTERVAL))]
    return {
        key: statistics.mean(c[key] for c in full)
        for key in ("company first", "company more", "on-demand first", "on-demand more")
    }


async def main() -> int:
    clock = Compressed(SPEED)
    served = await serve(clock)
    directory = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    store, watcher = await build(served, f"sqlite:///{directory}/bench.db", clock)
    sim = served.sim
    begin = clock.seconds()
    sim.arrivals.configure(
        {"per_hour": PER_HOUR, "late_share": 0.05, "late_seconds": 1200, "on_demand_share": 0.2},
        begin,
    )
    task = asyncio.create_task(watcher.run())
    real_start = time.monotonic()
    while clock.seconds() < begin + HOUR and time.monotonic() - real_start < 2 * HOUR / SPEED:
        await asyncio.sleep(0.5)
    sim.arrivals.configure({"per_hour": 0}, clock.seconds())
    end = clock.seconds()
    while clock.seconds() < end + DRAIN and time.monotonic() - real_start < 4 * HOUR / SPEED:
        await asyncio.sleep(0.5)
    # -- the truth: every (rule, recording) the simulator made that a rule takes ---------------
    rows = await NoticeRows(store).deliveries()
    rules, links = rules_and_links(sim, datetime.fromtimestamp(begin, UTC))
    owners = {
        link.slack_user_id: Owner(link.vbc_user_id, tuple(link.extensions.split(",")))
        for link in links
    }
    stored = await NoticeRows(store).rules()
    expected: set[str] = set()
    made = [rec for rec in sim.arrivals.made if sim.arrivals.listed_at[rec.id] <= end]
    for rule, original in zip(stored, rules, strict=True):
        assert rule.id is not None
        live = live_rule(
            rule.id,
            TEAM,
            rule.channel_id or rule.slack_user_id,
            Criteria.from_json(json.loads(original.criteria)),
            rule.created_at,
            owners.get(rule.slack_user_id) if rule.kind == "personal" else None,
        )
        for rec in made:
            model = Recording(
                id=rec.id,
                kind=RecordingKind.COMPANY
                if rec.owner_user_id is None
                else RecordingKind.ON_DEMAND,
                owner_user_id=str(rec.owner_user_id) if rec.owner_user_id else None,
                call_direction=rec.call_direction,
                caller_id=rec.caller_id,
                duration=rec.duration,
                start=rec.start,
                end=rec.end,
                extensions=list(rec.extensions),
            )
            if live.takes(model):
                expected.add(f"{rule.id}:{model.kind.value}:{rec.id}")
    posted = {r.id: r for r in rows if r.state == "posted"}
    missed = expected - posted.keys()
    singles = Counter(
        (channel, text.split()[2])
        for channel, text, _ in served.slack.posts
        if text.startswith("New recording")
    )
    duplicates = sum(n - 1 for n in singles.values() if n > 1)
    delays_single: list[float] = []
    delays_digest: list[float] = []
    ts_count = Counter(r.posted_ts for r in posted.values())
    for row in posted.values():
        rec_id = int(row.id.rsplit(":", 1)[1])
        assert row.posted_at is not None
        delay = row.posted_at.timestamp() - sim.arrivals.listed_at[rec_id]
        (delays_digest if ts_count[row.posted_ts] > 1 else delays_single).append(delay)
    reads = reads_per_interval(sim, begin, end)
    # -- idle: production timings in real time, nothing arriving ---------------------------------
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    clock.set_speed(1.0)
    watcher.tuning.idle_wait = 1.0
    watcher.tuning.sync_every = 10.0
    watcher.tuning.spacing = 1.0
    idle_task = asyncio.create_task(watcher.run())
    await asyncio.sleep(2.0)
    proc = psutil.Process()
    cpu0, wall0 = proc.cpu_times(), time.monotonic()
    await asyncio.sleep(IDLE_SECONDS)
    cpu1, wall1 = proc.cpu_times(), time.monotonic()
    idle_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await idle_task
    idle = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (wall1 - wall0)
    for runner in served.runners:
        await runner.cleanup()
    await store.close()
    # -- report ----------------------------------------------------------------------------------
    people_od = sum(
        1 for r in rules if r.kind == "personal" and "kind" not in json.loads(r.criteria)
    )
    per_interval = sum(reads.values())
    baseline = len(rules)  # one listing per rule and interval, before any page
    p95_single = statistics.quantiles(delays_single, n=20)[-1] if len(delays_single) > 1 else 0.0
    p95_digest = statistics.quantiles(delays_digest, n=20)[-1] if len(delays_digest) > 1 else 0.0
    print(f"rules: {len(rules)} ({PERSONAL} personal, {CHANNELS} channel); made: {len(made)}")
    print(
        "VBC reads per interval: "
        + ", ".join(f"{k} {v:.1f}" for k, v in reads.items())
        + f" = {per_interval:.1f} (baseline, one listing per rule: {baseline}; "
        f"ratio {per_interval / baseline:.4f}x); people needing on-demand listings: {people_od}"
    )
    print(
        f"notices: {len(posted)} posted ({len(delays_single)} one by one, {len(delays_digest)} "
        f"in digests), {len(expected)} expected, missed {len(missed)}, duplicates {duplicates}"
    )
    print(
        f"delay from listing to notice (simulated s): one by one p50 "
        f"{statistics.median(delays_single) if delays_single else 0:.1f} p95 {p95_single:.1f} "
        f"(target ≤ {INTERVAL + 10:.0f}); in digests p95 {p95_digest:.1f}"
    )
    window = (
        statistics.quantiles(watcher.sender.windows, n=100)
        if len(watcher.sender.windows) > 2
        else [0.0]
    )
    windows = watcher.sender.windows
    print(
        "second-post window (Slack's answer -> ts committed): "
        f"p50 {statistics.median(windows) * 1000:.2f} ms, p99 {window[-1] * 1000:.2f} ms, "
        f"max {max(windows, default=0) * 1000:.2f} ms"
    )
    print(f"watcher CPU at idle: {idle * 100:.1f} % of one core (target < 5 %)")
    ok = (
        reads["company first"] <= 1.01
        and reads["on-demand first"] <= people_od + 0.01
        and p95_single <= INTERVAL + 10
        and not missed
        and duplicates == 0
        and idle < 0.05
    )
    print("OK" if ok else "MISSED A TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

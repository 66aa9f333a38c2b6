"""A bulk delete survives SIGKILL: two bot processes on PostgreSQL, the job's holder killed.

The other process takes the job over when the lease runs out, the killed one is started again,
and in the end every confirmed id was deleted exactly once (one 204 each in the simulator's
request log; the DELETEs in flight at the kill are sent again and answered 404) and exactly
one notice was posted.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

from bot import blocks
from bot.blocks.lifecycle import BLOCK_DELETE_COUNT
from bot.clock import system_clock
from bot.store import Store
from bot.store.deletions import DeletionRows
from bot.store.engine import create_engine
from tests.fakes import SlackDriver, render_text, wait_until
from tests.integration.conftest import ADMIN, SIGNING_SECRET, TEAM
from tests.integration.test_delete_jobs import button_value
from tests.integration.test_exports import outside

DEADLINE = 40.0
CONCURRENCY = 3


def statuses(sim_requests: Iterable[dict[str, Any]]) -> dict[int, list[int]]:
    seen: dict[int, list[int]] = {}
    for e in sim_requests:
        if e["method"] == "DELETE":
            seen.setdefault(int(e["path"].rsplit("/", 1)[1]), []).append(e["status"])
    return seen


async def test_sigkill_mid_job_on_postgres_with_two_processes(postgres_url: str) -> None:
    knobs = {"DELETE_LEASE_SECONDS": "2", "DELETE_CONCURRENCY": str(CONCURRENCY)}
    async with outside(postgres_url, job_seconds=1.0, env=knobs) as (sim, slack, spawn):
        bots = [await spawn(), await spawn()]
        store = Store(create_engine(postgres_url), clock=system_clock)
        rows = DeletionRows(store)
        try:
            ext = sim.state.users[0].extension
            driver = SlackDriver(f"{bots[0].url}/slack/events", SIGNING_SECRET, slack, team_id=TEAM)
            async with driver:
                await driver.command(ADMIN, f"delete scope:company ext:{ext} last 14d")
                [prompt] = await slack.wait_for(lambda: slack.responses or None, timeout=DEADLINE)
                shown = render_text(prompt.args["blocks"])
                found = re.search(r"\*([\d,]+) recordings\*", shown)
                assert found, shown
                count = int(found.group(1).replace(",", ""))
                job_id = int(button_value(prompt.args["blocks"], blocks.ACTION_BULK_DELETE_OPEN))
                assert count >= 20, shown
                sim.state.faults.update({"latency": 0.05})  # about 60 deletes a second
                await driver.click(ADMIN, blocks.ACTION_BULK_DELETE_OPEN, str(job_id))
                await slack.wait_for("views.open", timeout=DEADLINE)
                view = slack.current_view(ADMIN)
                assert view is not None
                await driver.submit_view(ADMIN, view, {BLOCK_DELETE_COUNT: {"value": str(count)}})

            def third_done() -> bool:
                done = sum(s.count(204) for s in statuses(sim.state.requests).values())
                return done >= count // 3

            await wait_until(third_done, DEADLINE)
            job = await rows.get(job_id)
            assert job is not None
            assert job.state == "running"
            [holder] = [b for b in bots if job.lease_owner in b.owners]
            holder.kill()
            await holder.stop()
            await spawn()  # the killed one, started again

            async def finished() -> bool:
                found = await rows.get(job_id)
                return found is not None and found.state == "done"

            await wait_until(finished, DEADLINE)
            await asyncio.sleep(1.0)  # a quiet spell: a second notice would show here
            confirmed = {i.recording_id for i in await rows.first_items(job_id, 100_000)}
            seen = statuses(sim.state.requests)
            assert set(seen) == confirmed, "every confirmed id, and nothing else"
            assert all(s.count(204) == 1 for s in seen.values()), "each deleted exactly once"
            resent = [rec for rec, s in seen.items() if len(s) > 1]
            assert all(seen[rec][1:] == [404] for rec in resent), "a repeated DELETE meets 404"
            # In flight at the kill: DELETEs sent, and answered ones not yet written.
            assert len(resent) <= 2 * CONCURRENCY, "only the ones in flight were resent"
            notices = [
                c
                for c in slack.calls_to("chat.postMessage")
                if c.answer.get("ok") and f"Deletion job {job_id} finished" in str(c.args["text"])
            ]
            assert len(notices) == 1
            assert f"{count:,} of {count:,} deleted" in str(notices[0].args["text"])
            tally = await rows.tally(job_id)
            assert tally.of("deleted") + tally.of("gone") == count
        finally:
            await store.close()

"""Holds, bulk delete and retention wired together in one running bot, over signed HTTP.

Each part has its own tests; these prove the seams: a hold placed with `/recordings hold`
stops the bulk delete job, and a retention run reaches the same job service.
"""

from __future__ import annotations

from bot.lifecycle.jobs import DeletionJobService
from bot.ops.metrics import PREFIX
from tests.integration.conftest import ADMIN, Stack
from tests.integration.test_delete_jobs import (
    confirm,
    confirmed_ids,
    deletes,
    ended,
    member_extension,
    notices,
    offer,
    open_modal,
)
from tests.integration.test_holds import say


async def test_a_hold_placed_by_command_stops_the_bulk_delete_job(stack: Stack) -> None:
    count, value = await offer(stack, f"delete scope:company ext:{member_extension(stack)} last 3d")
    held = min(await confirmed_ids(stack, int(value)))
    shown = await say(stack, ADMIN, f'hold {held} reason:"litigation 2024-17"')
    assert "Hold 1" in shown
    job_id = await confirm(stack, await open_modal(stack, ADMIN, value), str(count))
    job = await ended(stack, job_id)
    [notice] = notices(stack, job)
    assert f"{count - 1:,} of {count:,} deleted" in notice.text
    assert f"company:{held} (held by legal hold #1 (litigation 2024-17))" in notice.text
    assert held not in deletes(stack), "a held recording is never sent a DELETE"
    assert stack.sim.state.recording(held) is not None
    registry = stack.bot.runtime.metrics.registry
    counted = {
        outcome: registry.get_sample_value(f"{PREFIX}_deletions_total", {"outcome": outcome})
        for outcome in ("deleted", "held")
    }
    assert counted == {"deleted": count - 1, "held": 1}
    job_total = f"{PREFIX}_delete_jobs_total"
    assert registry.get_sample_value(job_total, {"outcome": "done"}) == 1


async def test_retention_hands_its_runs_to_the_bulk_delete_jobs(stack: Stack) -> None:
    services = stack.bot.runtime.services
    assert isinstance(services.lifecycle.jobs, DeletionJobService)
    assert services.retention._jobs is services.lifecycle.jobs  # the one job runner
    assert services.lifecycle.deleter.holds is services.holds

"""Which recordings a stored hold covers: by id (and kind), or by its stored search."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.blocks.lifecycle_views import (
    RetentionStatus,
    home_lifecycle_blocks,
    render_copy_expired,
    render_holds,
    render_retention,
    render_run_notice,
)
from bot.grammar.criteria import Criteria, Owner
from bot.lifecycle.copies import recording_of
from bot.lifecycle.holds import covers
from bot.store.tables import LegalHold, RetentionPolicy, RetentionRun, UploadedFile
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import Recording, RecordingKind
from tests.fakes import assert_valid_message, assert_valid_view

WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


def hold(**fields: object) -> LegalHold:
    base: dict[str, object] = {
        "id": 1, "team_id": "T1", "description": "d", "reason": "r", "created_by": "U1",
        "created_at": WHEN,
    }  # fmt: skip
    return LegalHold.model_validate({**base, **fields})


def rec(
    rec_id: int = 7, kind: RecordingKind = RecordingKind.COMPANY, **fields: object
) -> Recording:
    return Recording.model_validate({"id": rec_id, "kind": kind, "start": WHEN, **fields})


def test_a_hold_by_id_covers_that_id_of_its_kind_or_of_either() -> None:
    assert covers(hold(recording_id=7, recording_kind="company"), rec())
    assert not covers(hold(recording_id=7, recording_kind="on-demand"), rec())
    assert covers(hold(recording_id=7), rec(kind=RecordingKind.ON_DEMAND, owner_user_id="9"))
    assert not covers(hold(recording_id=8), rec())


def test_a_hold_by_filter_uses_the_one_matcher() -> None:
    criteria = Criteria(
        filter=RecordingFilter(start_lte=WHEN, caller_id="17325550100"),
        owner=Owner("42", ("101",)),
    )
    stored = hold(criteria=json.dumps(criteria.to_json()))
    assert covers(stored, rec(caller_id="17325550100", extensions=["101"]))
    assert not covers(stored, rec(caller_id="17325550100", extensions=["102"]))
    assert not covers(stored, rec(caller_id="17325550199", extensions=["101"]))
    later = rec(caller_id="17325550100", extensions=["101"], start=datetime(2024, 6, 1, tzinfo=UTC))
    assert not covers(stored, later)
    assert not covers(hold(), rec())  # neither an id nor a filter: covers nothing


def test_every_lifecycle_view_is_valid_block_kit() -> None:
    long = "x" * 4000
    holds = [hold(id=n, description=long, reason=long[:1000]) for n in range(1, 60)]
    run = RetentionRun(
        id=3, team_id="T1", days=30, description=long, refs="[]", count=2,
        requested_by="U1", starts_at=WHEN, updated_at=WHEN, state="announced",
    )  # fmt: skip
    policies = [
        RetentionPolicy(team_id="T1", target="slack", days=7, updated_by="U1"),
        RetentionPolicy(team_id="T1", target="vbc", days=30, description=long, updated_by="U1"),
    ]
    status = RetentionStatus(policies=policies, next_run=WHEN, open_run=run, last_run=run)
    for message in (
        render_holds(holds),
        render_holds([]),
        render_retention(status),
        render_retention(RetentionStatus([], None, None, None)),
        render_run_notice(run),
        render_copy_expired("export", days=7),
        render_copy_expired("audio", days=1),
    ):
        assert_valid_message(message)
    assert_valid_view({"type": "home", "blocks": home_lifecycle_blocks(holds, status)})


def test_a_copy_recorded_before_snapshots_is_still_checked_by_id() -> None:
    def row(key: str, kind: str = "audio", snapshot: str | None = None) -> UploadedFile:
        return UploadedFile(
            team_id="T1", conversation_id="D1", recording_key=key, file_id="F1",
            permalink="p", kind=kind, recording_json=snapshot,
        )  # fmt: skip

    old = recording_of(row("on-demand:42"))
    assert old is not None
    assert covers(hold(recording_id=42, recording_kind="on-demand"), old)
    assert recording_of(row("export:abc", kind="export")) is None
    assert recording_of(row("weird")) is None
    full = recording_of(row("company:7", snapshot=rec(caller_id="1").model_dump_json()))
    assert full is not None
    assert full.caller_id == "1"

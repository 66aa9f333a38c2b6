"""The simulator's pure parts: seeded data, MP3 bodies, streamed zips, queries, jobs, tokens."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from bot.vbcsim.data import JOHN_SMITH_NUMBER, build_dataset
from bot.vbcsim.faults import Faults
from bot.vbcsim.jobs import SimJob
from bot.vbcsim.mp3 import FRAME_HEADER, FRAME_SIZE, iter_mp3, mp3_bytes
from bot.vbcsim.query import QueryError, RecordingIndex, parse_filters, parse_list_params
from bot.vbcsim.tokens import TokenStore
from bot.vbcsim.zipstream import ZipMember, iter_zip, zip_length

NOW = datetime(2024, 6, 12, 15, 30, tzinfo=UTC)


def test_dataset_is_deterministic_per_seed() -> None:
    first, again, other = build_dataset(7, NOW), build_dataset(7, NOW), build_dataset(8, NOW)
    assert first == again
    assert [r.call_id for r in first.company[:20]] != [r.call_id for r in other.company[:20]]


def test_dataset_looks_like_a_real_account() -> None:
    data = build_dataset(now=NOW)
    members = [u for u in data.users if not u.is_admin]
    assert len(members) == 6
    assert data.admin.email == "admin@example.com"
    for user in data.users:
        assert re.fullmatch(r"\d{3}", user.extension)
        assert re.fullmatch(r"1732555\d{4}", user.did)
        assert user.email.endswith("@example.com")
    assert len(data.company) == 3000
    assert len(data.on_demand) > 6 * 100
    assert {r.call_direction for r in data.company} == {"INBOUND", "OUTBOUND", "INTRA_PBX"}
    all_ids = [r.id for r in (*data.company, *data.on_demand)]
    assert len(all_ids) == len(set(all_ids))
    extensions = {u.extension for u in members}
    for rec in (*data.company, *data.on_demand):
        assert 5_000 <= rec.duration <= 1_800_000
        assert rec.file_size_in_bytes == rec.duration * 4
        assert NOW - timedelta(days=183) < rec.start < NOW
        assert set(rec.extensions) <= extensions | {data.admin.extension}
        assert rec.caller_id.isdigit()
        assert rec.dnis.isdigit()
    assert all(r.rule_ids for r in data.company)
    assert not any(r.rule_ids for r in data.on_demand)


def test_john_smith_called_yesterday_inbound() -> None:
    data = build_dataset(now=NOW)
    (call,) = [r for r in data.company if r.start == NOW - timedelta(days=1)]
    assert (call.caller_id, call.cnam, call.call_direction) == (
        JOHN_SMITH_NUMBER,
        "JOHN SMITH",
        "INBOUND",
    )
    assert call.extensions == (data.users[0].extension,)
    assert call.dnis == data.users[0].did


@pytest.mark.parametrize("size", [256, 1000, 4096, 100_003, 3_000_000])
def test_mp3_has_the_exact_size_an_id3_tag_and_frames(size: int) -> None:
    body = mp3_bytes(42, size)
    assert len(body) == size
    assert body.startswith(b"ID3\x03\x00")
    tag_end = 10 + sum(b << (7 * (3 - i)) for i, b in enumerate(body[6:10]))
    frames = body[tag_end:]
    assert len(frames) % FRAME_SIZE == 0
    assert len(frames) // FRAME_SIZE == (size - tag_end) // FRAME_SIZE
    assert all(
        frames[i : i + 4] == FRAME_HEADER for i in range(0, min(len(frames), 50_000), FRAME_SIZE)
    )


def test_mp3_is_deterministic_per_recording_and_chunked() -> None:
    assert mp3_bytes(1, 50_000) == mp3_bytes(1, 50_000)
    assert mp3_bytes(1, 50_000) != mp3_bytes(2, 50_000)
    chunks = list(iter_mp3(1, 5_000_000, chunk_size=64 * 1024))
    assert max(len(c) for c in chunks) <= 64 * 1024
    assert sum(len(c) for c in chunks) == 5_000_000
    with pytest.raises(ValueError, match="at least"):
        mp3_bytes(1, 100)


def test_streamed_zip_opens_and_its_length_is_known_up_front() -> None:
    when = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    members = [
        ZipMember(f"rec-{n}.mp3", when, 30_000 + n, partial(iter_mp3, n, 30_000 + n, 4096))
        for n in range(4)
    ]
    data = b"".join(bytes(chunk) for chunk in iter_zip(members))
    assert zip_length(members) == len(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == [f"rec-{n}.mp3" for n in range(4)]
    assert archive.read("rec-2.mp3") == mp3_bytes(2, 30_002)
    assert archive.getinfo("rec-0.mp3").date_time == (2024, 5, 1, 9, 0, 0)


def test_filters_parse_wire_names_and_reject_bad_values() -> None:
    query = parse_filters(
        {"cnam": "John", "duration:gte": 60000, "start:lte": "2024-05-01T00:00:00Z"}
    )
    assert query.cnam == "john"
    assert query.duration_gte == 60000
    assert query.start_lte == datetime(2024, 5, 1, tzinfo=UTC)
    with pytest.raises(QueryError) as bad_time:
        parse_filters({"start:gte": "2024-05-01T00:00:00 0000"})
    assert bad_time.value.name == "start:gte"
    with pytest.raises(QueryError):
        parse_filters({"call_direction": "SIDEWAYS"})
    with pytest.raises(QueryError):
        parse_filters({"caller_id": ["1"]})
    params = parse_list_params({"order": "duration:asc", "page": "3", "page_size": "250"})
    assert (params.order_field, params.descending, params.page, params.page_size) == (
        "duration",
        False,
        3,
        100,
    )


def test_index_selects_like_a_full_scan() -> None:
    data = build_dataset(now=NOW)
    index = RecordingIndex(data.company)
    since = NOW - timedelta(days=30)
    cases = [
        parse_filters({}),
        parse_filters({"extension": "104", "start:gte": since.strftime("%Y-%m-%dT%H:%M:%S+0000")}),
        parse_filters({"caller_id": JOHN_SMITH_NUMBER, "call_direction": "INBOUND"}),
        parse_filters({"cnam": "acme", "duration:lte": "60000"}),
    ]
    for query in cases:
        expected = sorted(
            (r for r in data.company if query.matches(r)), key=lambda r: (r.start, r.id)
        )
        assert list(index.select(query, "start", descending=False)) == expected
        assert list(index.select(query)) == expected[::-1]
    assert index.get(data.company[0].id) == data.company[0]


def test_job_moves_through_its_states_over_time() -> None:
    job = SimJob("j", 1, "company", (1, 2, 3, 4), created_at=100.0, seconds=10.0)
    assert job.view(100.5).status == "queued"
    middle = job.view(106.0)
    assert middle.status == "in_progress"
    assert 0 < middle.files_completed < 4
    done = job.view(110.0)
    assert (done.status, done.files_completed, done.valid_until) == (
        "complete",
        4,
        110.0 + 7 * 86400,
    )
    assert job.view(110.0 + 7 * 86400).status == "expired"
    failing = SimJob("f", 1, "company", (1, 2), created_at=0.0, seconds=1.0, outcome="failed")
    assert failing.view(2.0).status == "failed"
    job.force("failed", 111.0)
    assert job.view(111.0).status == "failed"


def test_fault_rules_are_spent_in_order() -> None:
    faults = Faults()
    faults.update(
        {"fail_next": [{"status": 429, "count": 2, "path_prefix": "/t/"}, {"status": 503}]}
    )
    assert faults.take("GET", "/token") is not None  # the 503 rule matches everything
    spent = [faults.take("GET", "/t/x") for _ in range(2)]
    assert [rule.status for rule in spent if rule] == [429, 429]
    assert faults.take("GET", "/t/x") is None
    with pytest.raises(ValueError, match="malformed"):
        faults.update({"fail_next": [{"malformed": "xml"}]})


def test_tokens_rotate_expire_and_codes_are_single_use() -> None:
    now = [1000.0]
    store = TokenStore(lambda: now[0], access_ttl=60)
    grant = store.issue(7)
    assert store.user_for_access(grant.access_token) == 7
    now[0] += 61
    assert store.user_for_access(grant.access_token) is None
    assert store.redeem_refresh(grant.refresh_token) == 7
    assert store.redeem_refresh(grant.refresh_token) is None
    code = store.create_code(7, "client", "http://x/cb")
    assert store.redeem_code(code, "client", "http://other/cb") is None
    code = store.create_code(7, "client", "http://x/cb")
    assert store.redeem_code(code, "client", "http://x/cb") == 7
    assert store.redeem_code(code, "client", "http://x/cb") is None
    fresh = store.issue(8)
    assert store.expire_access_tokens() >= 1
    assert store.user_for_access(fresh.access_token) is None

"""Everything the simulator remembers: data, tokens, jobs, faults, the request log, its clock."""

from __future__ import annotations

import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.vbcsim.arrivals import Arrivals
from bot.vbcsim.data import (
    DEFAULT_SEED,
    Dataset,
    SimRecording,
    SimUser,
    build_dataset,
    size_for_duration,
)
from bot.vbcsim.faults import Faults
from bot.vbcsim.jobs import JOB_OUTCOMES, SimJob
from bot.vbcsim.mp3 import MIN_MP3_SIZE
from bot.vbcsim.query import RecordingIndex
from bot.vbcsim.tokens import TokenGrant, TokenStore

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 - published demo credentials of the simulator
DEMO_USERNAME = "admin@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105
REQUEST_LOG_LIMIT = 10_000


def demo_password_form() -> dict[str, str]:
    """The ``/token`` form of the integration user's password grant, for raw HTTP callers."""
    return {
        "grant_type": "password",
        "username": DEMO_USERNAME,
        "password": DEMO_PASSWORD,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
    }


@dataclass(frozen=True, slots=True)
class SimConfig:
    seed: int = DEFAULT_SEED
    now: datetime | None = None  # the data's reference "now"; default: start time
    job_seconds: float = 8.0
    token_ttl: int = 86400
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = field(default=DEMO_CLIENT_SECRET, repr=False)
    username: str = DEMO_USERNAME
    password: str = field(default=DEMO_PASSWORD, repr=False)
    demo_user_email: str | None = None  # who /authorize approves; default the first user
    company_count: int = 3000
    on_demand_per_user: int = 200


class SimState:
    """The simulator's model, usable in-process by tests without HTTP."""

    def __init__(self, config: SimConfig | None = None, clock: Callable[[], float] = time.time):
        self.config = config or SimConfig()
        self._wall = clock
        self._offset = 0.0
        # Fixed once, so a reset gives back the very same recordings.
        self.data_now = self.config.now or datetime.fromtimestamp(clock(), UTC)
        # Job ids from the seed too: the same session gets the same ids (the bot lists an
        # export's parts in job-id order, so a recorded demo reads the same every run).
        self._job_ids = random.Random(f"jobs-{self.config.seed}")
        self.tokens = TokenStore(self.clock, self.config.token_ttl)
        self.requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.reset()

    def reset(self) -> None:
        """Back to the seeded data: no jobs, faults or logged requests. Tokens stay valid."""
        cfg = self.config
        self.dataset: Dataset = build_dataset(
            cfg.seed,
            self.data_now,
            admin_login=cfg.username,
            company_count=cfg.company_count,
            on_demand_per_user=cfg.on_demand_per_user,
        )
        self._company = {r.id: r for r in self.dataset.company}
        self._on_demand: dict[int, dict[int, SimRecording]] = {u.id: {} for u in self.users}
        for rec in self.dataset.on_demand:
            self._on_demand[rec.owner_user_id or 0][rec.id] = rec
        self._indexes: dict[int | None, RecordingIndex] = {}
        self._next_id = self.dataset.next_recording_id
        self.arrivals = Arrivals(self.users, self._take_id, cfg.seed)
        self.jobs: dict[str, SimJob] = {}
        self.faults = Faults()
        self.requests.clear()

    # clock -----------------------------------------------------------------------------
    def clock(self) -> float:
        return self._wall() + self._offset

    def advance_clock(self, seconds: float) -> None:
        """Move time forward for tokens and jobs (not the recordings' dates)."""
        self._offset += seconds

    # users -----------------------------------------------------------------------------
    @property
    def users(self) -> tuple[SimUser, ...]:
        return self.dataset.users

    @property
    def admin(self) -> SimUser:
        return self.dataset.admin

    @property
    def demo_user(self) -> SimUser:
        wanted = self.config.demo_user_email
        return (self.user_by_login(wanted) if wanted else None) or self.users[0]

    def user(self, user_id: int) -> SimUser | None:
        return next((u for u in self.users if u.id == user_id), None)

    def user_by_login(self, login: str) -> SimUser | None:
        low = login.lower()
        return next((u for u in self.users if low in {u.email.lower(), u.login_name}), None)

    def issue_token(self, user_id: int | None = None) -> TokenGrant:
        return self.tokens.issue(user_id if user_id is not None else self.admin.id)

    # recordings ------------------------------------------------------------------------
    def _take_id(self) -> int:
        rec_id = self._next_id
        self._next_id += 1
        return rec_id

    def _list_arrivals(self) -> None:
        """Recordings that arrived and are listable by now join the lists."""
        for rec in self.arrivals.due(self.clock()):
            owner = rec.owner_user_id
            table = self._company if owner is None else self._on_demand.setdefault(owner, {})
            table[rec.id] = rec
            self._indexes.pop(owner, None)

    def index(self, owner_user_id: int | None) -> RecordingIndex:
        """Company recordings (``None``) or one user's on-demand recordings, indexed."""
        self._list_arrivals()
        index = self._indexes.get(owner_user_id)
        if index is None:
            rows = (
                self._company.values()
                if owner_user_id is None
                else self._on_demand.get(owner_user_id, {}).values()
            )
            index = self._indexes[owner_user_id] = RecordingIndex(rows)
        return index

    def owned(self, recording_id: int, owner_user_id: int | None) -> SimRecording | None:
        """One company (``None``) or user's recording by id, without building an index: a
        run of deletes (each invalidating the index) stays cheap."""
        table = self._company if owner_user_id is None else self._on_demand.get(owner_user_id)
        return table.get(recording_id) if table is not None else None

    def recording(self, recording_id: int) -> SimRecording | None:
        self._list_arrivals()
        found = self._company.get(recording_id)
        for owned in self._on_demand.values():
            found = found or owned.get(recording_id)
        return found

    def delete_recording(self, recording_id: int, owner_user_id: int | None) -> bool:
        table = self._company if owner_user_id is None else self._on_demand.get(owner_user_id)
        if table is None or table.pop(recording_id, None) is None:
            return False
        self._indexes.pop(owner_user_id, None)
        return True

    def add_recording(
        self,
        *,
        size_bytes: int | None = None,
        owner_user_id: int | None = None,
        user_id: int | None = None,
        start: datetime | None = None,
        **fields: Any,
    ) -> SimRecording:
        """Add a recording (company unless ``owner_user_id``) of ``user_id``'s extension.

        ``fields`` override any other ``SimRecording`` field (``caller_id``, ``duration``...).
        """
        user = self.user(user_id or owner_user_id or self.users[0].id)
        if user is None or (owner_user_id is not None and owner_user_id not in self._on_demand):
            raise ValueError("unknown user")
        duration = int(fields.pop("duration", 60_000))
        size = size_bytes if size_bytes is not None else size_for_duration(duration)
        if size < MIN_MP3_SIZE:
            raise ValueError(f"size_bytes must be at least {MIN_MP3_SIZE}")
        rec_id = self._take_id()
        moment = start or (self.dataset.now - timedelta(minutes=5))
        rec = SimRecording(
            id=rec_id,
            owner_user_id=owner_user_id,
            call_direction="INBOUND",
            call_id=str(uuid.uuid4()),
            caller_id="17325550199",
            cnam="SIM CALLER",
            dnis=user.did,
            duration=duration,
            start=moment.astimezone(UTC).replace(microsecond=0),
            extensions=(user.extension,),
            file_name=f"sim-recording-{rec_id}.mp3",
            file_size_in_bytes=size,
            rule_ids=(),
        )
        rec = replace(rec, **fields)
        table = self._company if owner_user_id is None else self._on_demand[owner_user_id]
        table[rec.id] = rec
        self._indexes.pop(owner_user_id, None)
        return rec

    # jobs ------------------------------------------------------------------------------
    def create_job(self, user_id: int, kind: str, recordings: Iterable[SimRecording]) -> SimJob:
        job = SimJob(
            id=str(uuid.UUID(int=self._job_ids.getrandbits(128), version=4)),
            user_id=user_id,
            kind=kind,
            recording_ids=tuple(r.id for r in recordings),
            created_at=self.clock(),
            seconds=self.config.job_seconds,
            outcome=self.faults.next_job_outcome(),
        )
        self.jobs[job.id] = job
        return job

    def jobs_of(self, user_id: int) -> list[SimJob]:
        return sorted(
            (j for j in self.jobs.values() if j.user_id == user_id),
            key=lambda j: j.created_at,
            reverse=True,
        )

    def force_job(self, job_id: str, status: str) -> SimJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        if status not in JOB_OUTCOMES | {"queued", "in_progress"}:
            raise ValueError(f"unknown job status {status!r}")
        job.force(status, self.clock())
        return job

    # request log -----------------------------------------------------------------------
    def log_request(self, entry: dict[str, Any]) -> None:
        self.requests.append(entry)

"""The simulator's seeded, deterministic account: users, extensions and recordings."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_SEED = 20240501
ACCOUNT_ID = 549825
ACCOUNT_NAME = "Example Corp"
# MPEG-1 Layer III at 32 kbit/s is 4000 bytes a second, so a file's size matches its duration.
BYTES_PER_SECOND = 4000
FIRST_USER_ID = 745249
FIRST_RECORDING_ID = 193228
LOCATION_ID = 145214
JOHN_SMITH_NUMBER = "17325550100"
JOHN_SMITH_CNAM = "JOHN SMITH"
INTEGRATION_FIRST_NAME = "VBC"
INTEGRATION_LAST_NAME = "Integration"

_MEMBER_NAMES = [
    ("Olivia", "Bennett"),
    ("Marcus", "Chen"),
    ("Priya", "Patel"),
    ("Daniel", "Okafor"),
    ("Sofia", "Alvarez"),
    ("Liam", "Murphy"),
    ("Hannah", "Kowalski"),
    ("Ethan", "Brooks"),
]
_CONTACTS = [
    "JOHN SMITH",
    "ACME SUPPLY CO",
    "MARY JOHNSON",
    "GLOBEX CORP",
    "ROBERT BROWN",
    "INITECH",
    "LINDA GARCIA",
    "WIRELESS CALLER",
    "JAMES WILSON",
    "UMBRELLA HEALTH",
    "PATRICIA DAVIS",
    "HOOLI SALES",
    "MICHAEL MILLER",
    "STARK LOGISTICS",
    "BARBARA MOORE",
    "TOLL FREE CALLER",
]
_RULE_IDS = [1989, 2012, 449]


@dataclass(frozen=True, slots=True)
class SimUser:
    """A VBC user with one extension and one DID; ``is_admin`` may read company recordings."""

    id: int
    email: str
    login_name: str
    first_name: str
    last_name: str
    extension: str
    did: str
    extension_id: int
    is_admin: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class SimRecording:
    """One recording, company (``owner_user_id`` None) or on-demand (owned by a user)."""

    id: int
    owner_user_id: int | None
    call_direction: str
    call_id: str
    caller_id: str
    cnam: str
    dnis: str
    duration: int  # milliseconds
    start: datetime
    extensions: tuple[str, ...]
    file_name: str
    file_size_in_bytes: int
    rule_ids: tuple[int, ...]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(milliseconds=self.duration)

    @property
    def is_company(self) -> bool:
        return self.owner_user_id is None


@dataclass(frozen=True, slots=True)
class Dataset:
    now: datetime
    users: tuple[SimUser, ...]
    company: tuple[SimRecording, ...]
    on_demand: tuple[SimRecording, ...]

    @property
    def admin(self) -> SimUser:
        return next(u for u in self.users if u.is_admin)

    @property
    def next_recording_id(self) -> int:
        return max(r.id for r in (*self.company, *self.on_demand)) + 1


def size_for_duration(duration_ms: int) -> int:
    return max(duration_ms * BYTES_PER_SECOND // 1000, 1024)


def build_dataset(
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    *,
    admin_login: str = "admin@example.com",
    company_count: int = 3000,
    on_demand_per_user: int = 200,
) -> Dataset:
    """Build the same account for the same ``seed`` and ``now`` (default: the current time)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    users = _build_users(rng, admin_login)
    members = [u for u in users if not u.is_admin]
    contacts = [(name, _us_number(rng)) for name in _CONTACTS if name != JOHN_SMITH_CNAM]
    contacts.append((JOHN_SMITH_CNAM, JOHN_SMITH_NUMBER))
    ids = iter(range(FIRST_RECORDING_ID, FIRST_RECORDING_ID + 10_000_000))
    # Yesterday at this clock time is "yesterday" in every time zone.
    john = (JOHN_SMITH_CNAM, JOHN_SMITH_NUMBER)
    yesterday = moment - timedelta(days=1)
    anchor = _recording(
        rng, next(ids), None, members[0], members, john, yesterday, direction="INBOUND"
    )
    company = [anchor]
    for _ in range(company_count - 1):
        user = rng.choice(members)
        start = _random_start(rng, moment)
        company.append(_recording(rng, next(ids), None, user, members, rng.choice(contacts), start))
    on_demand: list[SimRecording] = []
    for user in users:
        count = on_demand_per_user if not user.is_admin else on_demand_per_user // 4
        for _ in range(count):
            start = _random_start(rng, moment)
            on_demand.append(
                _recording(rng, next(ids), user.id, user, members, rng.choice(contacts), start)
            )
    return Dataset(moment, tuple(users), tuple(company), tuple(on_demand))


def _build_users(rng: random.Random, admin_login: str) -> list[SimUser]:
    names = rng.sample(_MEMBER_NAMES, 6)
    users = []
    for index, (first, last) in enumerate(names):
        login = f"{first[0]}{last}".lower()
        users.append(
            SimUser(
                id=FIRST_USER_ID + index * 17,
                email=f"{first}.{last}@example.com".lower(),
                login_name=login,
                first_name=first,
                last_name=last,
                extension=str(101 + index),
                did=f"1732555{1001 + index * 7:04d}",
                extension_id=3001001 + index,
            )
        )
    email = admin_login if "@" in admin_login else f"{admin_login}@example.com"
    users.append(
        SimUser(
            id=FIRST_USER_ID + 6 * 17,
            email=email,
            login_name=admin_login.split("@")[0],
            first_name=INTEGRATION_FIRST_NAME,
            last_name=INTEGRATION_LAST_NAME,
            extension="100",
            did="17325551000",
            extension_id=3001000,
            is_admin=True,
        )
    )
    return users


def _us_number(rng: random.Random) -> str:
    area = rng.choice(["201", "212", "415", "512", "646", "732", "908", "973"])
    return f"1{area}555{rng.randrange(100, 200):04d}"


def _random_start(rng: random.Random, now: datetime) -> datetime:
    # Six months back, ending at least 30 minutes ago so no call is still running.
    seconds = rng.randrange(30 * 60, 182 * 86400)
    return now - timedelta(seconds=seconds)


def _duration(rng: random.Random) -> int:
    seconds = min(max(rng.lognormvariate(4.6, 1.0), 5.0), 1800.0)
    return int(seconds * 1000) + rng.randrange(0, 1000) if seconds < 1800 else 1_800_000


def _recording(
    rng: random.Random,
    rec_id: int,
    owner: int | None,
    user: SimUser,
    members: list[SimUser],
    contact: tuple[str, str],
    start: datetime,
    *,
    direction: str | None = None,
) -> SimRecording:
    direction = direction or rng.choices(["INBOUND", "OUTBOUND", "INTRA_PBX"], [5, 4, 1])[0]
    duration = _duration(rng)
    extensions: tuple[str, ...] = (user.extension,)
    if direction == "INBOUND":
        caller_id, cnam, dnis = contact[1], contact[0], user.did
    elif direction == "OUTBOUND":
        caller_id, cnam, dnis = user.did, user.full_name.upper(), contact[1]
    else:
        other = rng.choice([m for m in members if m.id != user.id])
        caller_id, cnam, dnis = user.extension, user.full_name.upper(), other.extension
        extensions = (user.extension, other.extension)
    rules = () if owner is not None else tuple(sorted(rng.sample(_RULE_IDS, rng.randint(1, 2))))
    start_ms = int(start.timestamp() * 1000)
    file_name = f"{ACCOUNT_ID}.{rng.getrandbits(64)}.{rng.getrandbits(128):032x}.{start_ms}.mp3"
    return SimRecording(
        id=rec_id,
        owner_user_id=owner,
        call_direction=direction,
        call_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        caller_id=caller_id,
        cnam=cnam,
        dnis=dnis,
        duration=duration,
        start=start,
        extensions=extensions,
        file_name=file_name,
        file_size_in_bytes=size_for_duration(duration),
        rule_ids=rules,
    )

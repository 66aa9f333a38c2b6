"""SQLModel tables: the bot's whole schema (changed only through Alembic migrations)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Link(SQLModel, table=True):
    """A Slack person's VBC identity: who they are in VBC, how and when we learned it."""

    __tablename__ = "links"

    team_id: str = Field(primary_key=True, max_length=32)
    slack_user_id: str = Field(primary_key=True, max_length=32)
    vbc_user_id: str = Field(index=True, max_length=32)
    login_name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=320)
    display_name: str | None = Field(default=None, max_length=255)
    extensions: str = Field(default="", max_length=2000)  # comma-separated extension numbers
    linked_how: str = Field(max_length=16)  # email | admin | oauth
    linked_by: str | None = Field(default=None, max_length=32)
    linked_at: datetime = Field(default_factory=utcnow)
    refreshed_at: datetime = Field(default_factory=utcnow)
    token_ciphertext: str | None = Field(default=None)  # per-person VBC tokens, Fernet


class Unlinked(SQLModel, table=True):
    """A person an admin unlinked: not linked again by email until an admin links them."""

    __tablename__ = "unlinked_people"

    team_id: str = Field(primary_key=True, max_length=32)
    slack_user_id: str = Field(primary_key=True, max_length=32)
    unlinked_by: str = Field(max_length=32)  # the admin's Slack user id
    unlinked_at: datetime = Field(default_factory=utcnow)


class ConnectNonce(SQLModel, table=True):
    """A started Connect VBC sign-in: the hash of the nonce in its browser's cookie and state.

    Deleted when the callback uses it, so a state works once, in any process.
    """

    __tablename__ = "connect_nonces"

    digest: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(max_length=32)
    slack_user_id: str = Field(max_length=32)
    expires_at: datetime = Field(index=True)


class AuditEvent(SQLModel, table=True):
    """Who did what to which recording or job, when, and whether it was allowed."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    team_id: str = Field(max_length=32, index=True)
    actor: str = Field(max_length=32, index=True)  # Slack user id
    action: str = Field(max_length=32, index=True)  # search, details, audio, export, share, ...
    target: str | None = Field(default=None, max_length=255)  # recording / job / query
    outcome: str = Field(max_length=16)  # allowed | refused | failed
    detail: str | None = Field(default=None, max_length=2000)


class SearchCursor(SQLModel, table=True):
    """Paging state behind a short key: a click on an ephemeral message carries no copy of it."""

    __tablename__ = "search_cursors"

    key: str = Field(primary_key=True, max_length=32)
    team_id: str = Field(max_length=32)
    owner: str = Field(max_length=32)
    request_text: str = Field(max_length=4000)
    tz: str = Field(max_length=64)
    state: str  # JSON: plan fingerprint, page size, offsets per page
    created_at: datetime = Field(default_factory=utcnow, index=True)


class RowState(SQLModel, table=True):
    """What a results row shows after a Play or Share click: the list is re-drawn from these.

    One row per (results message, recording, action), written by each step of that action, so
    two actions running at once on one list never overwrite each other's state.
    """

    __tablename__ = "row_states"

    cursor_key: str = Field(primary_key=True, max_length=32)  # SearchCursor.key
    ref: str = Field(primary_key=True, max_length=64)  # the recording ref, e.g. "c:193228"
    action: str = Field(primary_key=True, max_length=8)  # play | share
    status: str = Field(max_length=16)  # working | done | link | failed
    percent: int | None = None  # uploading: how far
    label: str | None = Field(default=None, max_length=40)  # done: "In your DM", "Shared", ...
    url: str | None = Field(default=None, max_length=3000)  # a Slack permalink; never a signed link
    note: str | None = Field(default=None, max_length=2000)  # mrkdwn: outcome or error
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class ChannelSetting(SQLModel, table=True):
    """Per-channel delivery rules set by admins: sharing allowed, direct delivery."""

    __tablename__ = "channel_settings"

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    allow_share: bool = False
    direct_delivery: bool = False  # read it through ``delivers_directly``
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def delivers_directly(self) -> bool:
        """Direct delivery only where sharing is allowed; a row from before that rule is not."""
        return self.allow_share and self.direct_delivery


class UploadedFile(SQLModel, table=True):
    """A recording already uploaded to a conversation, re-shared instead of re-downloaded."""

    __tablename__ = "uploaded_files"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    conversation_id: str = Field(max_length=32)
    recording_key: str = Field(max_length=64, index=True)  # "company:193228" / "on-demand:42"
    file_id: str = Field(max_length=32)
    permalink: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    # Retention of Slack copies (bot/lifecycle/copies.py): what the file holds ("audio", or
    # "export" for a zip, whose recording_key is then "export:<request id>"), the message
    # the bot posted that offers it (edited once the file expires), the recording as it was
    # uploaded (holds are checked against it) and the sweep's lease.
    kind: str = Field(default="audio", max_length=16, sa_column_kwargs={"server_default": "audio"})
    message_channel: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    recording_json: str | None = Field(default=None)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None


class LegalHold(SQLModel, table=True):
    """A legal hold: while ``released_at`` is empty no path of the bot deletes what it covers.

    By id (``recording_key``, or ``recording_id`` with no kind: either kind) or by a stored
    search (``criteria``: ``bot.grammar.criteria.Criteria`` as JSON, matched at delete time).
    """

    __tablename__ = "legal_holds"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    recording_kind: str | None = Field(default=None, max_length=16)
    recording_id: int | None = Field(default=None, index=True, sa_type=BigInteger)
    criteria: str | None = Field(default=None)  # JSON
    description: str = Field(max_length=4000)  # what the admin typed, as shown in `holds`
    reason: str = Field(max_length=1000)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    released_by: str | None = Field(default=None, max_length=32)
    released_at: datetime | None = Field(default=None, index=True)


class RetentionPolicy(SQLModel, table=True):
    """A workspace's retention policy for Slack copies ("slack") or VBC recordings ("vbc")."""

    __tablename__ = "retention_policies"

    team_id: str = Field(primary_key=True, max_length=32)
    target: str = Field(primary_key=True, max_length=8)  # slack | vbc
    days: int
    criteria: str | None = Field(default=None)  # JSON Criteria (vbc only)
    description: str = Field(default="", max_length=4000)  # the filters as typed
    updated_by: str = Field(max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)
    next_run_at: datetime = Field(default_factory=utcnow, index=True)  # vbc: next announcement
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None


class RetentionRun(SQLModel, table=True):
    """One announced run of the VBC retention policy: the exact recordings it will delete.

    announcing -> announced -> started (handed to the deletion job) | skipped | cancelled;
    ``empty`` when nothing matched. ``due_at`` is when the lease holder has work: the next
    notice to send, then the start, no sooner than 24 h after the notice.
    """

    __tablename__ = "retention_runs"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    state: str = Field(default="announcing", max_length=16, index=True)
    days: int
    description: str = Field(default="", max_length=4000)
    refs: str  # JSON list of [kind, id, owner]
    count: int = 0
    found_at: datetime = Field(default_factory=utcnow)
    notices: str = Field(default="{}")  # JSON {admin: [channel, ts]}: each admin's DM, once
    announced_at: datetime | None = None
    starts_at: datetime | None = None
    due_at: datetime = Field(default_factory=utcnow, index=True)
    requested_by: str = Field(max_length=32)  # the admin who set the policy
    ended_by: str | None = Field(default=None, max_length=32)  # who skipped it
    held: int = 0  # recordings left out because a hold covered them at the start
    job_id: int | None = None
    result: str | None = Field(default=None, max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None


class ExportRequest(SQLModel, table=True):
    """One person's export request; gets exactly one ready/failed notice however many jobs."""

    __tablename__ = "export_requests"

    id: str = Field(primary_key=True, max_length=36)
    team_id: str = Field(max_length=32)
    slack_user_id: str = Field(max_length=32, index=True)
    channel_id: str | None = Field(default=None, max_length=32)  # where it was started
    message_channel: str | None = Field(default=None, max_length=32)  # message we keep updated
    message_ts: str | None = Field(default=None, max_length=32)
    request_text: str = Field(max_length=4000)
    tz: str = Field(default="UTC", max_length=64)
    # starting | running | notifying | complete | failed | expired
    state: str = Field(default="running", max_length=16, index=True)
    notified_at: datetime | None = None  # set once the notice is complete, never before
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    next_poll_at: datetime = Field(default_factory=utcnow, index=True)
    poll_interval: float = 2.0
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None
    result_permalink: str | None = Field(default=None, max_length=2000)  # a Slack file only
    error: str | None = Field(default=None, max_length=2000)
    # The click that made it ("c:<cursor>:<user>", "r:<retried id>"): a double click can't
    # start a second export.
    origin: str | None = Field(default=None, max_length=80, index=True, unique=True)
    plan_digest: str | None = Field(default=None, max_length=64)  # the access it was made with
    notice_channel: str | None = Field(default=None, max_length=32)  # the one notice, once
    notice_ts: str | None = Field(default=None, max_length=32)  # posted: re-claims edit it
    notice_attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ExportJobRow(SQLModel, table=True):
    """One VBC export job belonging to an export request."""

    __tablename__ = "export_jobs"

    vbc_job_id: str = Field(primary_key=True, max_length=64)
    request_id: str = Field(foreign_key="export_requests.id", index=True, max_length=36)
    vbc_user_id: str = Field(max_length=32)  # the user path the job is read under
    kind: str = Field(max_length=16)  # company | on-demand
    status: str = Field(default="queued", max_length=32)
    files_completed: int = 0
    files_total: int = 0
    download_url: str | None = Field(default=None, max_length=2000)
    valid_until: datetime | None = None
    # What its zip holds as the notice says it (mrkdwn): "company recordings of extension 101"
    holds: str | None = Field(default=None, max_length=200)


class SeenEvent(SQLModel, table=True):
    """Slack re-sends events it saw no ack for; the first delivery wins."""

    __tablename__ = "seen_events"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(default_factory=utcnow, index=True)


class AppSecret(SQLModel, table=True):
    """BOT_SECRET_KEY generated on first run, shared by every process of one database."""

    __tablename__ = "app_secrets"

    name: str = Field(primary_key=True, max_length=32)
    value: str = Field(repr=False)


class DeletionJob(SQLModel, table=True):
    """A confirmed bulk deletion (or a retention run): exactly its items, one notice at the end.

    ``pending`` until the person confirms the count, then ``running`` under row leases, then
    ``notifying`` (items all settled) and ``done``; ``expired`` when never confirmed.
    """

    __tablename__ = "deletion_jobs"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    requested_by: str = Field(max_length=32, index=True)  # Slack user: progress and notice
    origin: str = Field(max_length=16)  # bulk | retention
    reason: str = Field(default="", max_length=500)
    request_text: str = Field(default="", max_length=4000)  # what was asked, for people to read
    state: str = Field(default="pending", max_length=16, index=True)
    total: int = 0
    channel_id: str | None = Field(default=None, max_length=32)  # where it was asked
    message_channel: str | None = Field(default=None, max_length=32)  # the progress message
    message_ts: str | None = Field(default=None, max_length=32)
    notice_ts: str | None = Field(default=None, max_length=32)  # the one notice, once posted
    cancel_requested_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    confirmed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    next_run_at: datetime = Field(default_factory=utcnow, index=True)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None


class DeletionItem(SQLModel, table=True):
    """One recording of a deletion job: the exact id it was confirmed for, and what became of it.

    ``state``: pending | deleted | gone (VBC answered 404) | held | failed | cancelled.
    """

    __tablename__ = "deletion_items"

    job_id: int = Field(foreign_key="deletion_jobs.id", primary_key=True)
    seq: int = Field(primary_key=True)
    kind: str = Field(max_length=16)  # company | on-demand
    recording_id: int = Field(sa_type=BigInteger)
    owner_user_id: str | None = Field(default=None, max_length=32)
    data: str | None = None  # the recording as listed (JSON): holds are checked against it
    state: str = Field(default="pending", max_length=16)
    attempts: int = 0
    detail: str | None = Field(default=None, max_length=500)  # the hold, the error


class NoticeRule(SQLModel, table=True):
    """A new-recording rule: a person's DMs (``personal``) or an admin's channel (``channel``).

    ``criteria`` is ``bot.grammar.criteria.Criteria`` as JSON; a personal rule's owner is read
    again from the person's link at every poll, so unlinking them stops it.
    """

    __tablename__ = "notice_rules"
    # Ids name rules in buttons, commands and the audit log: never one of a removed rule.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    kind: str = Field(max_length=16)  # personal | channel
    slack_user_id: str = Field(max_length=32, index=True)  # the person; for channels, the admin
    channel_id: str | None = Field(default=None, max_length=32)  # channel rules only
    criteria: str = Field(max_length=8000)
    summary: str = Field(max_length=1000)  # the filters in words, as the lists show them
    search_text: str = Field(default="", max_length=4000)  # the same as /recordings text
    paused_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class NoticeSource(SQLModel, table=True):
    """One VBC listing the poll reads each interval: ``company`` or ``od:<vbc user id>``.

    Leased like export requests, so one process reads each source per interval.
    """

    __tablename__ = "notice_sources"

    id: str = Field(primary_key=True, max_length=64)
    vbc_user_id: str | None = Field(default=None, max_length=32)  # on-demand sources
    watermark: datetime | None = None  # the latest recording start seen
    next_poll_at: datetime = Field(default_factory=utcnow, index=True)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None


class NoticeDelivery(SQLModel, table=True):
    """One notice of one recording to one target (a DM or a channel), for the first rule that
    took it: the key makes it exactly one per (target, recording), so per (rule, recording)."""

    __tablename__ = "notice_deliveries"

    id: str = Field(primary_key=True, max_length=96)  # "<team>:<target>:<recording key>"
    rule_id: int = Field(index=True)
    team_id: str = Field(max_length=32)
    target: str = Field(max_length=32, index=True)  # a channel id, or a person (their DM)
    recording: str = Field(max_length=8000)  # the Recording as VBC listed it (JSON)
    state: str = Field(default="pending", max_length=16, index=True)
    due_at: datetime = Field(default_factory=utcnow, index=True)
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None
    posted_channel: str | None = Field(default=None, max_length=32)
    posted_ts: str | None = Field(default=None, max_length=32)
    posted_at: datetime | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)

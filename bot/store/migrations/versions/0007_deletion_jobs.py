"""deletion jobs

A bulk deletion (or a retention run) as a durable job: the exact recordings it was confirmed
for, one row each, worked under row leases by any bot process, ending in one notice.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deletion_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("requested_by", AutoString(length=32), nullable=False),
        sa.Column("origin", AutoString(length=16), nullable=False),
        sa.Column("reason", AutoString(length=500), nullable=False),
        sa.Column("request_text", AutoString(length=4000), nullable=False),
        sa.Column("state", AutoString(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("channel_id", AutoString(length=32), nullable=True),
        sa.Column("message_channel", AutoString(length=32), nullable=True),
        sa.Column("message_ts", AutoString(length=32), nullable=True),
        sa.Column("notice_ts", AutoString(length=32), nullable=True),
        sa.Column("cancel_requested_by", AutoString(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", AutoString(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deletion_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deletion_jobs_requested_by"), ["requested_by"])
        batch_op.create_index(batch_op.f("ix_deletion_jobs_state"), ["state"])
        batch_op.create_index(batch_op.f("ix_deletion_jobs_created_at"), ["created_at"])
        batch_op.create_index(batch_op.f("ix_deletion_jobs_next_run_at"), ["next_run_at"])
    op.create_table(
        "deletion_items",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", AutoString(length=16), nullable=False),
        sa.Column("recording_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_user_id", AutoString(length=32), nullable=True),
        sa.Column("data", AutoString(), nullable=True),
        sa.Column("state", AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["deletion_jobs.id"]),
        sa.PrimaryKeyConstraint("job_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("deletion_items")
    with op.batch_alter_table("deletion_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deletion_jobs_next_run_at"))
        batch_op.drop_index(batch_op.f("ix_deletion_jobs_created_at"))
        batch_op.drop_index(batch_op.f("ix_deletion_jobs_state"))
        batch_op.drop_index(batch_op.f("ix_deletion_jobs_requested_by"))
    op.drop_table("deletion_jobs")

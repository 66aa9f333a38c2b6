"""legal holds and retention

Legal holds (by recording or by a stored search), retention policies (Slack copies, VBC
recordings) and the announced VBC retention runs; uploaded files learn their kind, the
message that offered them, the recording as uploaded and a sweep lease.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("recording_kind", AutoString(length=16), nullable=True),
        sa.Column("recording_id", sa.BigInteger(), nullable=True),
        sa.Column("criteria", AutoString(), nullable=True),
        sa.Column("description", AutoString(length=4000), nullable=False),
        sa.Column("reason", AutoString(length=1000), nullable=False),
        sa.Column("created_by", AutoString(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("released_by", AutoString(length=32), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_holds_team_id"), ["team_id"])
        batch_op.create_index(batch_op.f("ix_legal_holds_recording_id"), ["recording_id"])
        batch_op.create_index(batch_op.f("ix_legal_holds_released_at"), ["released_at"])

    op.create_table(
        "retention_policies",
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("target", AutoString(length=8), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("criteria", AutoString(), nullable=True),
        sa.Column("description", AutoString(length=4000), nullable=False),
        sa.Column("updated_by", AutoString(length=32), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", AutoString(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("team_id", "target"),
    )
    with op.batch_alter_table("retention_policies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_policies_next_run_at"), ["next_run_at"])

    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("state", AutoString(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("description", AutoString(length=4000), nullable=False),
        sa.Column("refs", AutoString(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.Column("notices", AutoString(), nullable=False),
        sa.Column("announced_at", UTCDateTime(), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by", AutoString(length=32), nullable=False),
        sa.Column("ended_by", AutoString(length=32), nullable=True),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("result", AutoString(length=2000), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", AutoString(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("retention_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_runs_team_id"), ["team_id"])
        batch_op.create_index(batch_op.f("ix_retention_runs_state"), ["state"])
        batch_op.create_index(batch_op.f("ix_retention_runs_due_at"), ["due_at"])

    with op.batch_alter_table("uploaded_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", AutoString(length=16), nullable=False, server_default="audio")
        )
        batch_op.add_column(sa.Column("message_channel", AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("message_ts", AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("recording_json", AutoString(), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_uploaded_files_created_at"), ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("uploaded_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploaded_files_created_at"))
        for column in (
            "lease_until",
            "lease_owner",
            "recording_json",
            "message_ts",
            "message_channel",
            "kind",
        ):
            batch_op.drop_column(column)
    op.drop_table("retention_runs")
    op.drop_table("retention_policies")
    op.drop_table("legal_holds")

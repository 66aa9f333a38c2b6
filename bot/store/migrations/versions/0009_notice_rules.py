"""notice rules

New-recording notices: the rules, the VBC listings the poll reads (leased), and one delivery
row per (rule, recording), leased while it is posted.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("kind", AutoString(length=16), nullable=False),
        sa.Column("slack_user_id", AutoString(length=32), nullable=False),
        sa.Column("channel_id", AutoString(length=32), nullable=True),
        sa.Column("criteria", AutoString(length=8000), nullable=False),
        sa.Column("summary", AutoString(length=1000), nullable=False),
        sa.Column("search_text", AutoString(length=4000), nullable=False),
        sa.Column("paused_reason", AutoString(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # a removed rule's id is never given to a new one
    )
    with op.batch_alter_table("notice_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_rules_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notice_rules_slack_user_id"), ["slack_user_id"], unique=False
        )
    op.create_table(
        "notice_sources",
        sa.Column("id", AutoString(length=64), nullable=False),
        sa.Column("vbc_user_id", AutoString(length=32), nullable=True),
        sa.Column("watermark", UTCDateTime(), nullable=True),
        sa.Column("next_poll_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", AutoString(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notice_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notice_sources_next_poll_at"), ["next_poll_at"], unique=False
        )
    op.create_table(
        "notice_deliveries",
        sa.Column("id", AutoString(length=96), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("target", AutoString(length=32), nullable=False),
        sa.Column("recording", AutoString(length=8000), nullable=False),
        sa.Column("state", AutoString(length=16), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", AutoString(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("posted_channel", AutoString(length=32), nullable=True),
        sa.Column("posted_ts", AutoString(length=32), nullable=True),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notice_deliveries", schema=None) as batch_op:
        for column in ("rule_id", "target", "state", "due_at", "posted_at"):
            batch_op.create_index(
                batch_op.f(f"ix_notice_deliveries_{column}"), [column], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("notice_deliveries", schema=None) as batch_op:
        for column in ("rule_id", "target", "state", "due_at", "posted_at"):
            batch_op.drop_index(batch_op.f(f"ix_notice_deliveries_{column}"))
    op.drop_table("notice_deliveries")
    with op.batch_alter_table("notice_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_sources_next_poll_at"))
    op.drop_table("notice_sources")
    with op.batch_alter_table("notice_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_rules_slack_user_id"))
        batch_op.drop_index(batch_op.f("ix_notice_rules_team_id"))
    op.drop_table("notice_rules")

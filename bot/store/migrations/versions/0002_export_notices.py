"""export notices, origins and plan digests

The notice of an export is claimed and recorded (``notice_channel``/``notice_ts``, retried
``notice_attempts`` times) instead of being marked sent before it is; ``origin`` makes a double
click find the export it already started; ``plan_digest`` is the access an export was made
with, which its links require still to hold.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 12:32:59.540621
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("export_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", AutoString(length=80), nullable=True))
        batch_op.add_column(sa.Column("plan_digest", AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("notice_channel", AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("notice_ts", AutoString(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("notice_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_export_requests_origin"), ["origin"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("export_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_export_requests_origin"))
        batch_op.drop_column("notice_attempts")
        batch_op.drop_column("notice_ts")
        batch_op.drop_column("notice_channel")
        batch_op.drop_column("plan_digest")
        batch_op.drop_column("origin")

"""connect nonces

One row per started Connect VBC sign-in: the hash of the nonce its browser holds in a cookie
and its OAuth state carries; the callback deletes it, so each state is used once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connect_nonces",
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("slack_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    with op.batch_alter_table("connect_nonces", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connect_nonces_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("connect_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connect_nonces_expires_at"))
    op.drop_table("connect_nonces")

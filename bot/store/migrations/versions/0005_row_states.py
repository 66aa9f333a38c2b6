"""row states

What a results row shows after a Play or Share click (working, done with a link, failed with
why), one row per results message, recording and action, so a results list can be re-drawn
with every action's state however many run at once.

Revision ID: 0005
Revises: 0004
Create Date: 2027-01-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "row_states",
        sa.Column("cursor_key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("cursor_key", "ref", "action"),
    )
    with op.batch_alter_table("row_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_row_states_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("row_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_row_states_updated_at"))
    op.drop_table("row_states")

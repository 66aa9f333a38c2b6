"""admin controls: unlink sticks; direct delivery only where sharing is allowed

``unlinked_people`` holds the people an admin unlinked, whom linking by email leaves alone
until an admin links them again.

A channel setting written before the rule "direct delivery implies sharing allowed" may say
direct delivery is on where sharing is not; such a row is read as not direct
(``ChannelSetting.delivers_directly``) and is cleared here, so a later ``channel allow``
cannot turn a forgotten direct flag back on.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_channels = sa.table(
    "channel_settings",
    sa.column("allow_share", sa.Boolean()),
    sa.column("direct_delivery", sa.Boolean()),
)


def upgrade() -> None:
    op.create_table(
        "unlinked_people",
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("slack_user_id", AutoString(length=32), nullable=False),
        sa.Column("unlinked_by", AutoString(length=32), nullable=False),
        sa.Column("unlinked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "slack_user_id"),
    )
    op.execute(
        _channels.update()
        .where(_channels.c.allow_share == sa.false(), _channels.c.direct_delivery == sa.true())
        .values(direct_delivery=False)
    )


def downgrade() -> None:
    op.drop_table("unlinked_people")
    # The cleared direct-delivery flags were never in effect: there is nothing to restore.

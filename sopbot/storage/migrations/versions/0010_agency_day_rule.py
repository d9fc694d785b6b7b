"""agency: what its SOPs' "hari" means (`day_rule`)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00.000000

Adds `agency.day_rule`: "kerja" (a "hari" is a working day's worth of working time from the
moment a step opens) or "akhir" (by the close of the Nth working day after the day it opens);
see `sopbot.engine.working_calendar.DayRule`. The agencies already there keep the reading they
had, "kerja", the column's server default, filled in by ADD COLUMN itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "agency",
        sa.Column("day_rule", sa.String(length=16), nullable=False, server_default="kerja"),
    )


def downgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_column("day_rule")

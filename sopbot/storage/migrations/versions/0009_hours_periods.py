"""working hours for dated periods (Ramadan)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 14:00:00.000000

Adds `hours_period`: an agency's working hours for a named stretch of days ("Ramadan 1448 H",
first and last day inclusive), over its regular hours (`agency_hours`) on the weekdays it names.
That periods of an agency do not overlap is checked by the service (SQLite has no exclusion
constraint); the name is unique per agency, since commands name the period to change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hours_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "name"),
    )
    with op.batch_alter_table("hours_period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hours_period_agency_id"), ["agency_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hours_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hours_period_agency_id"))
    op.drop_table("hours_period")

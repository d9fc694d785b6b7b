"""One open SOP draft per admin, kept by the database

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-16 09:00:00.000000

A review keeps at most one open draft per admin. Importing a new document cancels the open one
(`SELECT ... FOR UPDATE`), but on PostgreSQL that locks nothing when the admin has no open
draft yet, so two documents sent at once could both be added as open drafts. A partial unique
index on `member_id` where the status is "open" makes the second insert fail; the importer then
reads again, cancels the draft the other transaction added, and adds its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_index(
        "ux_sop_draft_open_member",
        "sop_draft",
        ["member_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ux_sop_draft_open_member", table_name="sop_draft")

"""dispositions say which executing role of the step they are for; a chain's run, where it resumes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 14:00:00.000000

A step may now be done by several roles (together, any one of them, or in turn), so each
disposition records the role it serves (`disposition.role_key`). Rows written before are for a
step with one role: NULL there means that role. An initialling chain sent back within the step
runs again from the role it went back to (`step_run.resume_role`; NULL: from its first role).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("disposition") as batch:
        batch.add_column(sa.Column("role_key", sa.String(length=64), nullable=True))
    with op.batch_alter_table("step_run") as batch:
        batch.add_column(sa.Column("resume_role", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_run") as batch:
        batch.drop_column("resume_role")
    with op.batch_alter_table("disposition") as batch:
        batch.drop_column("role_key")

"""SOP drafts under review in Telegram: an admin's imported document and the review's state

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14 09:00:00.000000

An agency admin sends the bot an SOP document (.docx, .pdf, .yaml); it is imported to a draft
definition and reviewed with buttons (executors, undecided times, the roles' positions) before
it is installed. `sop_draft` keeps each import: the original file's name, digest and place in
the document store, the draft as imported and as decided so far, the review's state, and
whether it is open, installed or cancelled, so that a restart in the middle of a review loses
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sop_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("imported_text", sa.Text(), nullable=False),
        sa.Column("draft_text", sa.Text(), nullable=False),
        sa.Column("review", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_sop_draft_member_status", "sop_draft", ["member_id", "status"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sop_draft_member_status", table_name="sop_draft")
    op.drop_table("sop_draft")

"""the installed SOP catalog: which version of each SOP is current, from where, by whom

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 09:00:00.000000

SOPs become available without a restart: `sop_install` keeps every installation of a version
(a file in sop_defs/, "berkas", or an admin in Telegram, "telegram"; when and by whom; withdrawn
or not), and an SOP's current version is its latest install not withdrawn. `sop_file_sync`
keeps the digest last synced from each SOP's file, so an unchanged file never replaces a newer
version installed from Telegram. `sop_catalog` holds one row whose generation grows with every
change, the number a running bot reads to notice one. The catalog starts empty: `sopbot run`
syncs the folder into it at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sop_install",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.String(length=200), nullable=False),
        sa.Column("sop_version_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("installed_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["sop_version_id"], ["sop_version.id"]),
        sa.ForeignKeyConstraint(["installed_by_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["withdrawn_by_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sop_install_sop", "sop_install", ["sop_id", "id"], unique=False)
    op.create_table(
        "sop_file_sync",
        sa.Column("sop_id", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sop_id"),
    )
    catalog = op.create_table(
        "sop_catalog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(catalog, [{"id": 1, "generation": 0}])


def downgrade() -> None:
    op.drop_table("sop_catalog")
    op.drop_table("sop_file_sync")
    op.drop_index("ix_sop_install_sop", table_name="sop_install")
    op.drop_table("sop_install")

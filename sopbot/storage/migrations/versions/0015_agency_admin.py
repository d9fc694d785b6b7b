"""Running an agency from Telegram: acting terms applied on time, removed positions, deactivated
members, operators, revoked invitations, roster imports

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-17 09:00:00.000000

- `acting_appointment.start_applied_at` / `end_applied_at`: when the start and the end of a
  Plt/Plh term were applied to open work. Work moves on events, and the end of a term is not
  one: a sweep applies every boundary that has passed and marks it, so a restart neither loses
  nor repeats one. Terms that exist already were applied when they were appointed (they always
  started "now"); their ends are left unmarked, so those that have passed return their work at
  the first sweep.
- `position.removed_at`: a removed position keeps its row (dispositions and the audit trail
  name it) but serves no role and takes no one.
- `member.deactivated_at`, `member.is_operator`, `member.telegram_username`: a member who left
  the agency; an operator admin (creates agencies and names their first admins); the Telegram
  username a roster gave, which an invitation for that member then requires.
- `invitation.revoked_at` / `revoked_by_id` / `is_operator`.
- `roster_import`: a roster (CSV/XLSX) an admin sent, as read and as planned, until confirmed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table("acting_appointment") as batch:
        batch.add_column(sa.Column("start_applied_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("end_applied_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_acting_appointment_valid_to", ["valid_to"], unique=False)
    op.execute("UPDATE acting_appointment SET start_applied_at = valid_from")
    with op.batch_alter_table("position") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("is_operator", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("telegram_username", sa.String(length=32), nullable=True))
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("is_operator", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_foreign_key(
            "fk_invitation_revoked_by_id_member", "member", ["revoked_by_id"], ["id"]
        )
    op.create_table(
        "roster_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_roster_import_open_member",
        "roster_import",
        ["member_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ux_roster_import_open_member", table_name="roster_import")
    op.drop_table("roster_import")
    with op.batch_alter_table("invitation") as batch:
        batch.drop_constraint("fk_invitation_revoked_by_id_member", type_="foreignkey")
        batch.drop_column("is_operator")
        batch.drop_column("revoked_by_id")
        batch.drop_column("revoked_at")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("telegram_username")
        batch.drop_column("is_operator")
        batch.drop_column("deactivated_at")
    with op.batch_alter_table("position") as batch:
        batch.drop_column("removed_at")
    with op.batch_alter_table("acting_appointment") as batch:
        batch.drop_index("ix_acting_appointment_valid_to")
        batch.drop_column("end_applied_at")
        batch.drop_column("start_applied_at")

"""audit trail: keyed links (HMAC-SHA256) and the scheme of each row

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00.000000

Adds `audit_event.scheme`: how the row's hash was made. The rows already there keep their plain
SHA-256 links and are marked "sha256" (the column's server default, filled in by ADD COLUMN
itself, so the append-only triggers are not involved); rows written from now on are
"hmac-sha256", keyed with SOPBOT_AUDIT_KEY. `sopbot run` then seals each chain with a keyed row.

Downgrading drops the column: keyed rows then no longer verify under 0004's plain scheme.
On SQLite the drop rebuilds the table, so 0004's triggers are created again afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = "audit_event is append-only"
# As migration 0004 created them.
SQLITE_TRIGGERS = {
    "audit_event_no_update": "UPDATE",
    "audit_event_no_delete": "DELETE",
}


def upgrade() -> None:
    # A plain ADD COLUMN (not batch mode): SQLite keeps the table, and with it its triggers.
    op.add_column(
        "audit_event",
        sa.Column("scheme", sa.String(length=16), nullable=False, server_default="sha256"),
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # The rebuild copies the rows into a new table and drops the old one; the triggers
        # would go with it, and refuse nothing meanwhile.
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("scheme")
    if sqlite:
        for name, event in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON audit_event\n"
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )

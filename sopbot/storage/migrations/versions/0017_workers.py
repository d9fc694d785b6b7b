"""Several workers on one database: the registry of live workers and the inbox's chat leases

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 23:00:00.000000

A province runs several `sopbot run` processes on one PostgreSQL database behind Telegram's
webhook. Each registers in `worker` and beats a heartbeat (the flood limits are shared among the
live ones); a chat's updates are handled by the worker holding the chat's lease, so each update
is handled once and a chat's in order.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "worker",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_worker_heartbeat_at", "worker", ["heartbeat_at"])
    op.create_table(
        "inbox_chat_lease",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("owner", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("inbox_chat_lease")
    op.drop_index("ix_worker_heartbeat_at", table_name="worker")
    op.drop_table("worker")

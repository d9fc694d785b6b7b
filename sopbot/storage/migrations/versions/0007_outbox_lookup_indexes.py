"""outbox indexes for the files a member was sent and for replies to a bot message

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (disposition_id, member_id) serves every lookup the single-column index served, and
    # lets "files this member was sent in this instance" skip the member's older rows.
    op.create_index(
        "ix_outbox_disposition_member", "outbox_message", ["disposition_id", "member_id"]
    )
    op.drop_index("ix_outbox_message_disposition_id", table_name="outbox_message")
    op.create_index("ix_outbox_chat_message", "outbox_message", ["chat_id", "telegram_message_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_message", table_name="outbox_message")
    op.create_index(
        "ix_outbox_message_disposition_id", "outbox_message", ["disposition_id"], unique=False
    )
    op.drop_index("ix_outbox_disposition_member", table_name="outbox_message")

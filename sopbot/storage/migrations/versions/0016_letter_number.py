"""The letter a procedure is about: its number (nomor surat / nomor agenda), date and sender

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-20 09:00:00.000000

Government dispositions revolve around the letter they carry: the agenda number the agency's
e-office (SRIKANDI or its own) gave it, the letter's date and who sent it. All three are
optional: a procedure that is not about a letter has none. The index serves /cari by letter
number within an agency.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instance") as batch:
        batch.add_column(sa.Column("letter_number", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("letter_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("letter_sender", sa.String(length=200), nullable=True))
        batch.create_index(
            "ix_instance_agency_letter", ["agency_id", "letter_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("instance") as batch:
        batch.drop_index("ix_instance_agency_letter")
        batch.drop_column("letter_sender")
        batch.drop_column("letter_date")
        batch.drop_column("letter_number")

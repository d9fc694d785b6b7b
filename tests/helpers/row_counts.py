"""Rows per table, for the tests that check a refusal or a stale press changed nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import SQLModel

from sopbot.storage.database import Database

# Kept for every update whatever it does (the update, its command key, the reply it caused,
# a question asked), and the workers' own state (their registry and the chat they hold now):
# not what a refusal is about.
BOOKKEEPING = (
    "processed_command",
    "outbox_message",
    "pending_input",
    "inbox_update",
    "inbox_chat_lease",
    "worker",
)


def rows_per_table(database: Database) -> dict[str, int]:
    """Rows per table, the bookkeeping left out."""
    with database.transaction() as session:
        return {
            name: int(session.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in SQLModel.metadata.tables.items()
            if name not in BOOKKEEPING
        }

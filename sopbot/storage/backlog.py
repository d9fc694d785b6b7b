"""How much work the bot still owes: messages not yet delivered, updates not yet handled."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.models import OutboxRow


def owed_work(database: Database) -> int:
    """Outbox messages pending or being sent, plus stored updates not yet processed (what the
    demo and the tests wait for before they read the chats)."""
    with database.reading() as session:
        outbox = session.exec(
            select(func.count())
            .select_from(OutboxRow)
            .where(col(OutboxRow.state).in_(["pending", "sending"]))
        ).one()
        inbox = session.exec(
            select(func.count()).select_from(InboxRow).where(col(InboxRow.processed_at).is_(None))
        ).one()
        return int(outbox) + int(inbox)

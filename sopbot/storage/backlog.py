"""How much work the bot still owes: messages not yet delivered, updates not yet handled."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.models import OutboxRow

# An outbox row still owed to its recipient: waiting, or taken by a sender and not yet recorded.
UNSENT_STATES = ("pending", "sending")


def owed_work(database: Database) -> int:
    """Outbox messages pending or being sent, plus stored updates not yet processed (what the
    demo and the tests wait for before they read the chats)."""
    with database.reading() as session:
        outbox = session.exec(
            select(func.count())
            .select_from(OutboxRow)
            .where(col(OutboxRow.state).in_(UNSENT_STATES))
        ).one()
        inbox = session.exec(
            select(func.count()).select_from(InboxRow).where(col(InboxRow.processed_at).is_(None))
        ).one()
        return int(outbox) + int(inbox)


@dataclass(frozen=True, slots=True)
class Backlog:
    """The work waiting right now, for the operations metrics: messages not yet delivered and
    updates not yet handled, each with when its oldest was written (None when none waits)."""

    outbox_unsent: int
    oldest_unsent_at: dt.datetime | None
    inbox_unprocessed: int
    oldest_unprocessed_at: dt.datetime | None


def backlog(database: Database) -> Backlog:
    """Count the unsent outbox rows and the unhandled inbox rows, and find the oldest of each.

    Every read follows an index (`ix_outbox_pending`, `ix_inbox_pending`): the counts walk
    only the waiting rows, and the oldest is the first by id in each state (ids follow the
    order rows were written), so a scrape costs little even with a large history.
    """
    with database.reading() as session:
        unsent = session.exec(
            select(func.count())
            .select_from(OutboxRow)
            .where(col(OutboxRow.state).in_(UNSENT_STATES))
        ).one()
        firsts = [
            session.exec(
                select(OutboxRow.created_at)
                .where(col(OutboxRow.state) == state)
                .order_by(col(OutboxRow.id))
                .limit(1)
            ).first()
            for state in UNSENT_STATES
        ]
        unprocessed = session.exec(
            select(func.count()).select_from(InboxRow).where(col(InboxRow.processed_at).is_(None))
        ).one()
        first_update = session.exec(
            select(InboxRow.received_at)
            .where(col(InboxRow.processed_at).is_(None))
            .order_by(col(InboxRow.id))
            .limit(1)
        ).first()
    return Backlog(
        outbox_unsent=int(unsent),
        oldest_unsent_at=min((at for at in firsts if at is not None), default=None),
        inbox_unprocessed=int(unprocessed),
        oldest_unprocessed_at=first_update,
    )

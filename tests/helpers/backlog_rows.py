"""Outbox and inbox rows as a running bot leaves them, written straight to the tables: for
the backlog's reads and the metrics that show them."""

from __future__ import annotations

import datetime as dt

from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.models import AgencyRow, MemberRow, OutboxRow


def a_member(database: Database, now: dt.datetime) -> int:
    """A member of a new agency (outbox rows need one): its id."""
    with database.transaction() as session:
        agency = AgencyRow(key="uji", name="Dinas Uji", timezone="Asia/Jakarta", created_at=now)
        session.add(agency)
        session.flush()
        assert agency.id is not None
        member = MemberRow(agency_id=agency.id, name="Budi", telegram_user_id=5002, created_at=now)
        session.add(member)
        session.flush()
        assert member.id is not None
        return member.id


def queue_messages(
    database: Database, member_id: int, *written: tuple[dt.datetime, str]
) -> list[int]:
    """Outbox rows written at the given times, in the given states (in this order): their ids."""
    with database.transaction() as session:
        rows = [
            OutboxRow(
                created_at=at,
                member_id=member_id,
                kind="message",
                payload={"text": "halo"},
                state=state,
            )
            for at, state in written
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows if row.id is not None]


def store_updates(database: Database, *received: tuple[dt.datetime, bool]) -> None:
    """Inbox rows received at the given times, handled or not (in this order)."""
    with database.transaction() as session:
        for index, (at, handled) in enumerate(received):
            session.add(
                InboxRow(
                    update_id=700_000 + index,
                    digest=f"digest-{index}",
                    payload={"update_id": 700_000 + index},
                    received_at=at,
                    processed_at=at if handled else None,
                )
            )

"""The inbox's rows: updates stored as they arrive, read back for handling, marked handled.

`sopbot.bot.inbox` decides when (it stores a batch before Telegram is told, hands the updates
out per chat, gives up on an update after a number of tries); these functions are the SQL it
runs. A command marks the update it handles in its own transaction
(`storage.command_keys.mark_processed`); `mark_processed` here marks the rest, in one
statement per group commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, bindparam, func, update
from sqlalchemy import select as select_core
from sqlmodel import col, select

from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.prepared import PreparedQuery
from sopbot.storage.statements import execute, insert_skipping_duplicates, table_of
from sopbot.storage.unit_of_work import UnitOfWork

_INBOX_TABLE = table_of(InboxRow)
# Built once per dialect (ON CONFLICT is each dialect's own): one statement object for every
# batch, so SQLAlchemy compiles it once.
_STORE: dict[str, Executable] = {}
_MARK_PROCESSED = (
    update(_INBOX_TABLE)
    .where(_INBOX_TABLE.c.id.in_(bindparam("ids", expanding=True)))
    .where(_INBOX_TABLE.c.processed_at.is_(None))
    .values(processed_at=bindparam("at"))
)
# Read for every update that was not handed over in memory (storage/prepared.py).
_PAYLOADS = PreparedQuery(
    lambda ids: select_core(_INBOX_TABLE.c.id, _INBOX_TABLE.c.payload).where(
        _INBOX_TABLE.c.id.in_(ids)
    ),
    lists={"ids": _INBOX_TABLE.c.id},
)
_ERROR_LENGTH = 500  # the length of `InboxRow.last_error`


@dataclass(frozen=True, slots=True)
class ArrivedUpdate:
    """An update as it arrived, with what the inbox keeps beside it."""

    update_id: int
    digest: str  # of the content: a redelivery has the same one, a reused update id does not
    chat_id: int | None  # the chat it belongs to, for handling each chat's updates in order
    payload: dict[str, Any]  # the update as Telegram sent it


def store_new(
    uow: UnitOfWork, updates: Sequence[ArrivedUpdate], received_at: dt.datetime
) -> dict[int, int]:
    """Store the updates not stored yet; the new ones' inbox ids by update id.

    One INSERT for the batch: a redelivery (Telegram had not seen the confirmation) or an
    update stored at the same moment by another receiver hits the unique (update id, digest)
    and is skipped by the database.
    """
    if not updates:
        return {}
    session = uow.session
    dialect = session.get_bind().dialect.name
    if dialect not in _STORE:
        _STORE[dialect] = (
            insert_skipping_duplicates(session, _INBOX_TABLE)
            .on_conflict_do_nothing(index_elements=["update_id", "digest"])
            .returning(_INBOX_TABLE.c.update_id, _INBOX_TABLE.c.id)
        )
    rows = [
        {
            "update_id": arrived.update_id,
            "digest": arrived.digest,
            "chat_id": arrived.chat_id,
            "payload": arrived.payload,
            "received_at": received_at,
            "attempts": 0,
        }
        for arrived in updates
    ]
    return {
        int(update_id): int(inbox_id)
        for update_id, inbox_id in execute(session, _STORE[dialect], rows)
    }


def pending(
    uow: UnitOfWork, *, after: int, limit: int, max_attempts: int
) -> list[tuple[int, int | None]]:
    """Unprocessed updates stored after inbox id `after` and tried fewer than `max_attempts`
    times, in arrival order: (inbox id, chat id), without their content."""
    rows = uow.session.exec(
        select(InboxRow.id, InboxRow.chat_id)
        .where(col(InboxRow.processed_at).is_(None))
        .where(InboxRow.attempts < max_attempts)
        .where(col(InboxRow.id) > after)
        .order_by(col(InboxRow.id))
        .limit(limit)
    ).all()
    return [(inbox_id, chat_id) for inbox_id, chat_id in rows if inbox_id is not None]


def payloads(database: Database, inbox_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The stored updates with these ids, by id (a read of a few rows by primary key, made
    for `Database.point_read`: it needs no session)."""
    with database.snapshot() as connection:
        rows = _PAYLOADS.rows(connection, {"ids": list(inbox_ids)})
    return {inbox_id: dict(payload) for inbox_id, payload in rows}


def mark_processed(uow: UnitOfWork, inbox_ids: Sequence[int], at: dt.datetime) -> None:
    """Mark these updates processed at `at`, those not marked yet (a command marks its own)."""
    execute(uow.session, _MARK_PROCESSED, {"ids": list(inbox_ids), "at": at})


def count_failed_attempt(uow: UnitOfWork, inbox_id: int, error: str) -> None:
    """Count a failed attempt at an update, keeping the error (cut to the column's length;
    the caller takes secrets out of it)."""
    row = uow.session.get(InboxRow, inbox_id)
    if row is not None:
        row.attempts += 1
        row.last_error = error[:_ERROR_LENGTH]
        uow.session.add(row)


def unprocessed_count(uow: UnitOfWork, *, max_attempts: int) -> int:
    """How many updates wait to be handled (tried fewer than `max_attempts` times)."""
    count = uow.session.exec(
        select(func.count())
        .select_from(InboxRow)
        .where(col(InboxRow.processed_at).is_(None))
        .where(InboxRow.attempts < max_attempts)
    ).one()
    return int(count)

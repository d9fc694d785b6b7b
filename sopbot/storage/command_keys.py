"""Command keys: each command's idempotency key, stored with its result in its transaction.

A replay finds the key and its stored result (or refusal). The update a command handles is
marked processed in the same transaction (`mark_processed`), so after a crash an update is
either handled with its effects or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.models import CommandRow
from sopbot.storage.prepared import PreparedQuery, PreparedWrite
from sopbot.storage.statements import table_of
from sopbot.storage.unit_of_work import UnitOfWork

_COMMAND = table_of(CommandRow)
_INBOX = table_of(InboxRow)
# Built once: every command runs the first two (see storage.prepared).
_PRIOR_RESULT = PreparedQuery(select(_COMMAND.c.result).where(_COMMAND.c.key == bindparam("key")))
_RECORD = PreparedWrite(insert(_COMMAND))
_MARK_PROCESSED = PreparedWrite(
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("b_id"))
    .where(_INBOX.c.processed_at.is_(None))
    .values(processed_at=bindparam("processed_at"))
)


def prior_result(uow: UnitOfWork, key: str) -> dict[str, Any] | None:
    """What the command under this key stored (its result or refusal), if it ran before."""
    row = _PRIOR_RESULT.first(uow.session, {"key": key})
    return None if row is None else dict(row.result)


def record(
    uow: UnitOfWork, key: str, kind: str, at: dt.datetime, result: Mapping[str, Any]
) -> None:
    """Store the key with the command's result; a key stored already raises ConcurrentUpdate
    when the unit of work ends (a concurrent run of the same command committed first)."""
    _RECORD.run(uow.session, {"key": key, "kind": kind, "at": at, "result": dict(result)})


def mark_processed(uow: UnitOfWork, inbox_id: int, at: dt.datetime) -> None:
    """Mark the stored update a command handles as processed, with the command's effects."""
    _MARK_PROCESSED.run(uow.session, {"b_id": inbox_id, "processed_at": at})

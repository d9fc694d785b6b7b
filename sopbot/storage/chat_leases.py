"""The inbox's chat leases: which worker handles a chat's updates now.

Several workers store updates (each receives some of Telegram's webhook posts) and any of them
may handle any chat; a chat is handled by one worker at a time, the one whose lease on it has
not run out, so each update is handled once and a chat's updates in order. A worker takes the
leases of the chats it is about to handle in one statement, reads their pending updates in the
same transaction (what another worker handled meanwhile is no longer pending), renews them while
it works, and gives them back when the chat has nothing more waiting. A worker that dies keeps
its leases only until they run out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import ColumnElement, bindparam, delete, or_, update
from sqlmodel import col, select

from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.statements import execute, insert_skipping_duplicates, table_of
from sopbot.storage.unit_of_work import UnitOfWork
from sopbot.storage.worker_models import ChatLeaseRow

NO_CHAT = 0  # the lease key of updates that belong to no chat
_LEASES = table_of(ChatLeaseRow)


def lease_key(chat_id: int | None) -> int:
    """The lease a chat's updates are handled under."""
    return NO_CHAT if chat_id is None else chat_id


def claim(
    uow: UnitOfWork,
    chat_ids: Collection[int],
    *,
    owner: int,
    now: dt.datetime,
    until: dt.datetime,
) -> set[int]:
    """Take (or keep) the leases of these chats that no other worker holds now; the chats
    taken. One statement: a lease another worker holds and has not let run out stays its."""
    if not chat_ids:
        return set()
    session = uow.session
    insert = insert_skipping_duplicates(session, _LEASES).values(
        [{"chat_id": chat_id, "owner": owner, "lease_until": until} for chat_id in chat_ids]
    )
    # One statement with every chat: the database reports each row it inserted or updated,
    # and a lease another worker holds is neither.
    statement = insert.on_conflict_do_update(
        index_elements=["chat_id"],
        set_={"owner": insert.excluded.owner, "lease_until": insert.excluded.lease_until},
        where=(_LEASES.c.lease_until < now) | (_LEASES.c.owner == owner),
    ).returning(_LEASES.c.chat_id)
    return {int(chat_id) for (chat_id,) in session.execute(statement)}


def pending_of(
    uow: UnitOfWork, chat_ids: Collection[int], *, max_attempts: int
) -> list[tuple[int, int]]:
    """The unprocessed updates of these chats (lease keys), in arrival order: (inbox id,
    lease key)."""
    if not chat_ids:
        return []
    keys = set(chat_ids)
    chats = [c for c in keys if c != NO_CHAT]
    condition: ColumnElement[bool] = col(InboxRow.chat_id).in_(chats)
    if NO_CHAT in keys:
        condition = or_(condition, col(InboxRow.chat_id).is_(None))
    rows = uow.session.exec(
        select(InboxRow.id, InboxRow.chat_id)
        .where(col(InboxRow.processed_at).is_(None))
        .where(InboxRow.attempts < max_attempts)
        .where(condition)
        .order_by(col(InboxRow.id))
    ).all()
    return [(inbox_id, lease_key(chat_id)) for inbox_id, chat_id in rows if inbox_id is not None]


def renew(uow: UnitOfWork, chat_ids: Collection[int], *, owner: int, until: dt.datetime) -> None:
    """Push out the leases this worker still holds on these chats."""
    if chat_ids:
        execute(
            uow.session,
            update(_LEASES)
            .where(_LEASES.c.chat_id.in_(bindparam("ids", expanding=True)))
            .where(_LEASES.c.owner == owner)
            .values(lease_until=bindparam("until")),
            {"ids": list(chat_ids), "until": until},
        )


def release(uow: UnitOfWork, chat_ids: Collection[int], *, owner: int) -> None:
    """Give back this worker's leases on these chats."""
    if chat_ids:
        execute(
            uow.session,
            delete(_LEASES)
            .where(_LEASES.c.chat_id.in_(bindparam("ids", expanding=True)))
            .where(_LEASES.c.owner == owner),
            {"ids": list(chat_ids)},
        )


def release_all(uow: UnitOfWork, *, owner: int) -> None:
    """Give back every lease of a worker that stops."""
    uow.session.execute(delete(ChatLeaseRow).where(col(ChatLeaseRow.owner) == owner))

"""The outbox's one writer: the messages a change causes become rows in its transaction.

Every outbox row is written here (the notices of a change, direct replies kept for later, the
audit anchors sent to admins); the sender delivers them after the commit, in order of id per
member.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlmodel import col

from sopbot.messaging.outgoing import MessageKind, OutboxMessage
from sopbot.storage.models import OutboxRow
from sopbot.storage.prepared import PreparedQuery, PreparedWrite
from sopbot.storage.statements import table_of
from sopbot.storage.unit_of_work import UnitOfWork

_OUTBOX = table_of(OutboxRow)

_ADD = PreparedWrite(insert(_OUTBOX))
# The message an edit of a disposition changes: the last one queued for it. A disposition's
# message is queued again only when the one before never reached its holder (written while
# they had no Telegram account, see `supersede_unsent`): the last is the one they see.
_LAST_MESSAGES = PreparedQuery(
    lambda dispositions: (
        select(_OUTBOX.c.disposition_id, func.max(_OUTBOX.c.id).label("id"))
        .where(_OUTBOX.c.disposition_id.in_(dispositions))
        .where(_OUTBOX.c.kind == MessageKind.MESSAGE.value)
        .group_by(_OUTBOX.c.disposition_id)
    ),
    lists={"dispositions": _OUTBOX.c.disposition_id},
)


def add_messages(uow: UnitOfWork, messages: Iterable[OutboxMessage]) -> None:
    """Queue the messages, in their order (the sender delivers a member's rows by id).

    An edit refers to the last message queued for its disposition, in an earlier change or
    earlier in these messages; an edit of a disposition that was never shown (e.g. rerouted
    in the change that sent it) is dropped: there is nothing to edit.
    """
    messages = list(messages)
    edited = {m.disposition_id for m in messages if m.kind is MessageKind.EDIT}
    shown = _last_messages(uow, edited)
    rows: list[dict[str, Any]] = []
    # Messages of dispositions queued here, not written yet: an edit of one needs its id.
    queued: set[uuid.UUID] = set()
    for message in messages:
        edits: int | None = None
        if message.kind is MessageKind.EDIT:
            disposition_id = message.disposition_id
            if disposition_id not in shown and disposition_id in queued:
                # Rare: shown and edited in one change. The rows so far go in, and the
                # first messages of what they showed are looked up.
                _write(uow, rows)
                shown.update(_last_messages(uow, queued))
                rows, queued = [], set()
            edits = shown.get(disposition_id)
            if edits is None:
                continue  # never shown: nothing to edit
        elif message.kind is MessageKind.MESSAGE and message.disposition_id is not None:
            queued.add(message.disposition_id)
        rows.append(
            {
                "created_at": message.created_at,
                "member_id": message.member_id,
                "kind": message.kind.value,
                "payload": message.payload,
                "disposition_id": message.disposition_id,
                "edits_outbox_id": edits,
                "state": "pending",
                "attempts": 0,
            }
        )
    _write(uow, rows)


def _last_messages(
    uow: UnitOfWork, dispositions: Collection[uuid.UUID | None]
) -> dict[uuid.UUID | None, int]:
    """The id of the last message queued for each of the dispositions that has one."""
    wanted = [d for d in dispositions if d is not None]
    if not wanted:
        return {}
    rows = _LAST_MESSAGES.rows(uow.session, {"dispositions": wanted})
    return {row.disposition_id: row.id for row in rows}


def _write(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Insert the rows in their order: one executemany (nothing reads their ids back)."""
    if rows:
        _ADD.run(uow.session, rows)


def add_text(
    uow: UnitOfWork, member_id: int, text: str, at: dt.datetime, *, notice: bool = False
) -> None:
    """Queue a plain text message to a member (`notice`: a notice to an admin, which is not
    reported in turn when it cannot be delivered)."""
    payload: dict[str, Any] = {"text": text, "notice": True} if notice else {"text": text}
    add_messages(uow, [OutboxMessage(member_id, MessageKind.MESSAGE, payload, at)])


def pin_chat(uow: UnitOfWork, member_id: int, chat_id: int) -> None:
    """Address the member's undelivered messages to `chat_id` for good, so that they still
    arrive once the member's account is unbound (a deactivation tells them, and takes the
    buttons off their work, in the transaction that unbinds them)."""
    uow.session.execute(
        update(OutboxRow)
        .where(col(OutboxRow.member_id) == member_id)
        .where(col(OutboxRow.state).in_(["pending", "sending"]))
        .where(col(OutboxRow.chat_id).is_(None))
        .values(chat_id=chat_id)
        .execution_options(synchronize_session=False)
    )


def supersede_unsent(uow: UnitOfWork, member_id: int, dispositions: Collection[uuid.UUID]) -> None:
    """The member's rows of these dispositions that were not sent yet (a disposition and its
    documents written while the member had no Telegram account) will not be: they are sent
    again, as new, now that the account is bound. A row a sender holds already is left to it
    (it read the member without an account, and skips it)."""
    if not dispositions:
        return
    uow.session.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.member_id == member_id)
        .where(_OUTBOX.c.disposition_id.in_(sorted(dispositions)))
        .where(_OUTBOX.c.state == "pending")
        .values(state="skipped", last_error="superseded: sent again once bound")
    )

"""The outbox rows as the sender sees them: claiming what is due, leasing, recording outcomes.

`sopbot.delivery.sender` decides (which of the due messages to take so that each chat keeps its
order, when to retry, when to give up, what the admins are told); these functions are the SQL
it runs, each inside the caller's unit of work. A row is "pending" until a sender claims it,
"sending" under that sender's lease, then "sent", "failed" or "skipped".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select

from sopbot.storage.models import MemberRow, OutboxRow
from sopbot.storage.unit_of_work import UnitOfWork

_ERROR_LENGTH = 500  # the length of `OutboxRow.last_error`


@dataclass(frozen=True, slots=True)
class DueMessage:
    """An outbox row that may be sent now, with what sending it needs."""

    id: int
    member_id: int
    kind: str  # message, document or edit
    payload: dict[str, Any]
    chat_id: int | None  # the member's private chat; None while they are not bound
    attempts: int
    state: str  # pending, or sending under a lease that ran out
    not_before: dt.datetime | None
    edit_target: tuple[int, int] | None  # (chat, message_id) of the message an edit changes
    edit_target_state: str | None  # the state of the row of that message
    edit_copies: tuple[int, ...] = ()  # duplicates of that message an edit changes too


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """How one send ended, to be recorded."""

    outbox_id: int
    state: str  # sent, failed or skipped
    message_id: int | None = None
    error: str | None = None  # with no secret in it: it is stored and shown to admins
    blocked: bool = False  # the person blocked the bot
    copies: tuple[int, ...] = ()  # other messages that may show it (see `sender.ChatLedger`)


@dataclass(frozen=True, slots=True)
class Recipient:
    """The member a message was for."""

    member_id: int
    agency_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Undelivered:
    """A message that failed for good: for whom, and why."""

    outbox_id: int
    attempts: int
    error: str
    blocked: bool
    was_notice: bool  # itself a notice to the admins about another message
    recipient: Recipient | None  # None when the member is gone


@dataclass(frozen=True, slots=True)
class AdminContact:
    """An admin to be told, and the language they read."""

    member_id: int
    language: str | None


def claimable(uow: UnitOfWork, now: dt.datetime, limit: int) -> list[DueMessage]:
    """The oldest `limit` rows a sender may claim (pending, or sending under a lease that ran
    out), in id order, with each member's chat and what an edit changes.

    On PostgreSQL they are locked FOR UPDATE SKIP LOCKED until the transaction ends, so
    senders running at once never claim the same row: a row another holds is left out.
    """
    session = uow.session
    claimable_state = (col(OutboxRow.state) == "pending") | (
        (col(OutboxRow.state) == "sending") & (col(OutboxRow.lease_until) < now)
    )
    query = select(OutboxRow).where(claimable_state).order_by(col(OutboxRow.id)).limit(limit)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    rows = session.exec(query).all()
    if not rows:
        return []
    members = {row.member_id for row in rows}
    # Every member's chat in one query: this runs while messages wait to be sent.
    chats: dict[int, int | None] = {
        member_id: telegram_id
        for member_id, telegram_id in session.exec(
            select(MemberRow.id, MemberRow.telegram_user_id).where(col(MemberRow.id).in_(members))
        )
        if member_id is not None
    }
    originals = _originals_of(uow, rows)
    # A row addressed to a chat for good (`outbox.pin_chat`) goes there, bound or not.
    return [
        _due(row, row.chat_id if row.chat_id is not None else chats.get(row.member_id), originals)
        for row in rows
    ]


def _originals_of(uow: UnitOfWork, rows: Sequence[OutboxRow]) -> dict[int, OutboxRow]:
    """The rows of the messages the edits among `rows` change, by id (one query for those
    not among `rows`)."""
    known = {row.id: row for row in rows if row.id is not None}
    wanted = {
        row.edits_outbox_id
        for row in rows
        if row.kind == "edit" and row.edits_outbox_id is not None
    }
    originals = {outbox_id: known[outbox_id] for outbox_id in wanted if outbox_id in known}
    if missing := wanted - originals.keys():
        for row in uow.session.exec(select(OutboxRow).where(col(OutboxRow.id).in_(missing))):
            if row.id is not None:
                originals[row.id] = row
    return originals


def _due(row: OutboxRow, chat_id: int | None, originals: dict[int, OutboxRow]) -> DueMessage:
    assert row.id is not None  # noqa: S101 - a stored row
    target = None
    target_state = None
    copies: tuple[int, ...] = ()
    if row.kind == "edit" and row.edits_outbox_id is not None:
        original = originals.get(row.edits_outbox_id)
        if original is not None:
            target_state = original.state
            if original.telegram_message_id is not None and original.chat_id is not None:
                target = (original.chat_id, original.telegram_message_id)
            copies = tuple(int(c) for c in original.payload.get("copies", ()))
    return DueMessage(
        id=row.id,
        member_id=row.member_id,
        kind=row.kind,
        payload=dict(row.payload),
        chat_id=chat_id,
        attempts=row.attempts,
        state=row.state,
        not_before=row.not_before,
        edit_target=target,
        edit_target_state=target_state,
        edit_copies=copies,
    )


def next_unsent(uow: UnitOfWork, members: Collection[int], per_member: int) -> dict[int, list[int]]:
    """Each member's first `per_member` unsent rows (pending or being sent by anyone), in
    order: rows another sender holds are among them."""
    if not members:
        return {}
    unsent = (
        select(
            col(OutboxRow.member_id).label("member_id"),
            col(OutboxRow.id).label("id"),
            func.row_number()
            .over(partition_by=col(OutboxRow.member_id), order_by=col(OutboxRow.id))
            .label("place"),
        )
        .where(col(OutboxRow.state).in_(["pending", "sending"]))
        .where(col(OutboxRow.member_id).in_(members))
        .subquery()
    )
    result: dict[int, list[int]] = {}
    for member_id, outbox_id in uow.session.exec(
        select(unsent.c.member_id, unsent.c.id)
        .where(unsent.c.place <= per_member)
        .order_by(unsent.c.member_id, unsent.c.id)
    ):
        result.setdefault(member_id, []).append(outbox_id)
    return result


def lease(uow: UnitOfWork, outbox_ids: Sequence[int], owner: str, until: dt.datetime) -> None:
    """Mark rows as being sent by `owner` until `until` (one statement for the lot)."""
    if not outbox_ids:
        return
    uow.session.execute(
        update(OutboxRow)
        .where(col(OutboxRow.id).in_(list(outbox_ids)))
        .values(state="sending", lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )


def release(uow: UnitOfWork, outbox_ids: Sequence[int], owner: str) -> None:
    """Give rows `owner` still holds back to pending, without waiting for the lease."""
    if not outbox_ids:
        return
    for row in uow.session.exec(select(OutboxRow).where(col(OutboxRow.id).in_(outbox_ids))):
        if row.state == "sending" and row.lease_owner == owner:
            _give_back(row)
            uow.session.add(row)


def reclaim_all(uow: UnitOfWork) -> list[int]:
    """Give every row being sent back to pending, whoever holds it; their ids (for SQLite,
    which one process serves: a row still being sent was left by a process that died)."""
    reclaimed: list[int] = []
    for row in uow.session.exec(select(OutboxRow).where(OutboxRow.state == "sending")):
        assert row.id is not None  # noqa: S101 - a stored row
        _give_back(row)
        uow.session.add(row)
        reclaimed.append(row.id)
    return reclaimed


def _give_back(row: OutboxRow) -> None:
    row.state, row.lease_owner, row.lease_until = "pending", None, None


def record_outcomes(
    uow: UnitOfWork, outcomes: Sequence[DeliveryOutcome], now: dt.datetime
) -> list[Undelivered]:
    """Record how sends ended (the member's chat, Telegram's message id, a member who
    blocked the bot), lifting the leases; the messages that failed, for the admins."""
    session = uow.session
    rows = {
        row.id: row
        for row in session.exec(
            select(OutboxRow).where(col(OutboxRow.id).in_([o.outbox_id for o in outcomes]))
        )
    }
    undelivered: list[Undelivered] = []
    for outcome in outcomes:
        row = rows.get(outcome.outbox_id)
        if row is None:
            continue
        member = session.get(MemberRow, row.member_id)
        row.state = outcome.state
        row.attempts += 1
        if row.chat_id is None:  # else pinned: it went to that chat
            row.chat_id = member.telegram_user_id if member else None
        if outcome.message_id is not None:
            row.telegram_message_id = outcome.message_id
        if outcome.copies:
            row.payload = {**row.payload, "copies": list(outcome.copies)}
        row.sent_at = now if outcome.state == "sent" else None
        row.last_error = outcome.error[:_ERROR_LENGTH] if outcome.error else None
        row.lease_owner, row.lease_until = None, None
        session.add(row)
        if outcome.state == "failed":
            if outcome.blocked and member is not None:
                member.blocked_at = now
                session.add(member)
            undelivered.append(_undelivered(row, member, outcome.error or "", outcome.blocked))
    return undelivered


def postpone(
    uow: UnitOfWork,
    outbox_id: int,
    *,
    error: str,
    not_before: dt.datetime,
    counts: bool,
    max_attempts: int,
) -> Undelivered | None:
    """Put a row back to be sent again after `not_before`, lifting its lease; with `counts`
    the try counts, and at `max_attempts` tries it fails for good instead: then the message,
    for the admins."""
    session = uow.session
    row = session.get(OutboxRow, outbox_id)
    if row is None:
        return None
    if counts:
        row.attempts += 1
    row.last_error = error[:_ERROR_LENGTH]
    row.lease_owner, row.lease_until = None, None
    failed = None
    if row.attempts >= max_attempts:
        row.state = "failed"
        failed = _undelivered(row, session.get(MemberRow, row.member_id), error, blocked=False)
    else:
        row.state = "pending"
        row.not_before = not_before
    session.add(row)
    return failed


def _undelivered(
    row: OutboxRow, member: MemberRow | None, error: str, blocked: bool
) -> Undelivered:
    assert row.id is not None  # noqa: S101 - a stored row
    recipient = None
    if member is not None:
        assert member.id is not None  # noqa: S101 - a stored row
        recipient = Recipient(member.id, member.agency_id, member.name)
    return Undelivered(
        outbox_id=row.id,
        attempts=row.attempts,
        error=error,
        blocked=blocked,
        was_notice=bool(row.payload.get("notice")),
        recipient=recipient,
    )


def admins_to_tell(uow: UnitOfWork, recipient: Recipient) -> list[AdminContact]:
    """The admins of the recipient's agency (but the recipient), to be told of a message that
    did not reach them."""
    admins = uow.session.exec(
        select(MemberRow.id, MemberRow.language).where(
            MemberRow.agency_id == recipient.agency_id,
            col(MemberRow.is_admin),
            MemberRow.id != recipient.member_id,
        )
    ).all()
    return [
        AdminContact(admin_id, language) for admin_id, language in admins if admin_id is not None
    ]

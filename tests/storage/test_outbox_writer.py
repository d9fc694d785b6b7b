"""The outbox's one writer: rows in the order given, and each edit pointed at its message."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlmodel import col, select

from sopbot.messaging.outgoing import MessageKind, OutboxMessage
from sopbot.storage.database import Database
from sopbot.storage.models import OutboxRow
from sopbot.storage.outbox import add_messages
from tests.storage.test_prepared_writes import member

AT = dt.datetime(2026, 11, 22, 3, 4, 5, 678901, tzinfo=dt.UTC)


def write(database: Database, *messages: OutboxMessage) -> None:
    with database.unit_of_work() as uow:
        add_messages(uow, messages)


def rows(database: Database) -> list[OutboxRow]:
    with database.reading() as session:
        return list(session.exec(select(OutboxRow).order_by(col(OutboxRow.id))))


def shown(
    member_id: int, text: str, disposition: uuid.UUID | None = None, **payload: Any
) -> OutboxMessage:
    return OutboxMessage(member_id, MessageKind.MESSAGE, {"text": text, **payload}, AT, disposition)


def edit(member_id: int, text: str, disposition: uuid.UUID) -> OutboxMessage:
    return OutboxMessage(member_id, MessageKind.EDIT, {"text": text}, AT, disposition)


def test_rows_hold_the_messages_in_their_order(database: Database) -> None:
    person = member(database)
    disposition = uuid.uuid4()
    document = OutboxMessage(
        person, MessageKind.DOCUMENT, {"storage_key": "ab/cd", "caption": "📎"}, AT, disposition
    )
    write(database, document, shown(person, "satu <b>&</b>", disposition, keyboard=[]))
    write(database, shown(person, "dua"))
    stored = rows(database)
    assert [
        (r.created_at, r.member_id, r.kind, r.payload, r.disposition_id, r.edits_outbox_id)
        for r in stored
    ] == [
        (AT, person, "document", {"storage_key": "ab/cd", "caption": "📎"}, disposition, None),
        (AT, person, "message", {"text": "satu <b>&</b>", "keyboard": []}, disposition, None),
        (AT, person, "message", {"text": "dua"}, None, None),
    ]
    assert {(r.state, r.attempts) for r in stored} == {("pending", 0)}


def test_an_edit_changes_the_first_message_of_its_disposition(database: Database) -> None:
    person = member(database)
    disposition = uuid.uuid4()
    write(database, shown(person, "pertama", disposition))
    # Sent again as new (a resend), then edited: the edit still changes the first message.
    write(database, shown(person, "lagi", disposition), edit(person, "ditutup", disposition))
    first, _, edited = rows(database)
    assert (edited.kind, edited.disposition_id, edited.payload) == (
        "edit",
        disposition,
        {"text": "ditutup"},
    )
    assert edited.edits_outbox_id == first.id


def test_an_edit_of_a_message_queued_in_the_same_change(database: Database) -> None:
    person = member(database)
    one, two, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    write(database, shown(person, "lain", other))
    write(
        database,
        shown(person, "satu", one),
        shown(person, "dua", two),
        edit(person, "satu diubah", one),
        edit(person, "lain diubah", other),
        edit(person, "dua diubah", two),
    )
    stored = rows(database)
    by_text = {str(r.payload["text"]): r for r in stored}
    assert [r.payload["text"] for r in stored] == [
        "lain",
        "satu",
        "dua",
        "satu diubah",
        "lain diubah",
        "dua diubah",
    ]
    assert by_text["satu diubah"].edits_outbox_id == by_text["satu"].id
    assert by_text["dua diubah"].edits_outbox_id == by_text["dua"].id
    assert by_text["lain diubah"].edits_outbox_id == by_text["lain"].id


def test_an_edit_of_a_disposition_never_shown_is_dropped(database: Database) -> None:
    person = member(database)
    never, later = uuid.uuid4(), uuid.uuid4()
    write(
        database,
        shown(person, "sebelum"),
        edit(person, "tidak ada", never),
        # Shown only after the edit: the edit had nothing to change when it came.
        edit(person, "terlalu awal", later),
        shown(person, "sesudah", later),
    )
    assert [r.payload["text"] for r in rows(database)] == ["sebelum", "sesudah"]
    write(database, edit(person, "tetap tidak ada", never))
    assert len(rows(database)) == 2

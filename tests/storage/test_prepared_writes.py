"""Prepared writes store exactly what SQLAlchemy Core stores, on both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    insert,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import AgencyRow, DispositionRow, MemberRow, OutboxRow
from sopbot.storage.prepared import PreparedWrite
from sopbot.storage.statements import execute, table_of
from tests.helpers.agencies import seed_library, staff_agency, start_as

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
_OUTBOX = table_of(OutboxRow)
_DISPOSITION = table_of(DispositionRow)

_ADD = insert(_OUTBOX)
_PREPARED_ADD = PreparedWrite(_ADD)
_RETRY = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"))
    .values(attempts=bindparam("attempts"), state=bindparam("state"))
)
_PREPARED_RETRY = PreparedWrite(_RETRY)
_NOTE = PreparedWrite(
    update(_DISPOSITION)
    .where(_DISPOSITION.c.id == bindparam("b_id"))
    .values(note=bindparam("note"))
)

AT = dt.datetime(2026, 11, 22, 3, 4, 5, 678901, tzinfo=dt.UTC)


def member(database: Database) -> int:
    with database.transaction() as session:
        agency = AgencyRow(key="uji", name="Uji", timezone="Asia/Jakarta", created_at=AT)
        session.add(agency)
        session.flush()
        assert agency.id is not None
        person = MemberRow(agency_id=agency.id, name="P", telegram_user_id=5, created_at=AT)
        session.add(person)
        session.flush()
        assert person.id is not None
        return person.id


def outbox_values(member_id: int, text: str) -> dict[str, Any]:
    # state and attempts are left out: the columns' defaults fill them.
    return {
        "created_at": AT,
        "member_id": member_id,
        "kind": "message",
        "payload": {"text": text, "keyboard": [[{"label": "Selesai ✓", "n": None}]]},
    }


def stored(database: Database) -> list[tuple[Any, ...]]:
    with database.reading() as session:
        return [
            (r.created_at, r.member_id, r.kind, r.payload, r.state, r.attempts, r.not_before)
            for r in session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))
        ]


def test_inserts_store_what_sqlalchemy_stores(database: Database) -> None:
    member_id = member(database)
    texts = ["satu", "dua <b>&</b>", "tiga"]
    with database.transaction() as session:
        execute(session, _ADD, [outbox_values(member_id, t) for t in texts])
    through_sqlalchemy = stored(database)
    with database.transaction() as session:
        session.execute(_OUTBOX.delete())
    with database.transaction() as session:
        assert _PREPARED_ADD.run(session, [outbox_values(member_id, t) for t in texts]) == 3
        assert _PREPARED_ADD.run(session, outbox_values(member_id, "empat")) == 1
        assert _PREPARED_ADD.run(session, []) == 0
    prepared = stored(database)
    assert prepared[:3] == through_sqlalchemy
    assert prepared[3][3]["text"] == "empat"
    assert [row[4:6] for row in prepared] == [("pending", 0)] * 4


def test_updates_count_their_rows_and_set_what_they_are_given(database: Database) -> None:
    member_id = member(database)
    with database.transaction() as session:
        _PREPARED_ADD.run(session, [outbox_values(member_id, t) for t in ("a", "b", "c")])
    with database.reading() as session:
        ids = list(session.exec(select(OutboxRow.id).order_by(col(OutboxRow.id))))
    with database.transaction() as session:
        changes = [
            {"b_id": ids[0], "attempts": 2, "state": "failed"},
            {"b_id": ids[2], "attempts": 1, "state": "sent"},
        ]
        assert _PREPARED_RETRY.run(session, changes) == 2
        assert _PREPARED_RETRY.run(session, {"b_id": -1, "attempts": 9, "state": "x"}) == 0
    assert [(row[4], row[5]) for row in stored(database)] == [
        ("failed", 2),
        ("pending", 0),
        ("sent", 1),
    ]


def test_a_uuid_key_and_pending_orm_changes(database: Database) -> None:
    procedures = ProcedureService(database, LIBRARY)
    agency = staff_agency(OrganizationService(procedures), PENGOLAHAN)
    start_as(procedures, agency, PENGOLAHAN, "Triwulan I")
    with database.transaction() as session:
        disposition = session.exec(select(DispositionRow)).first()
        assert disposition is not None
        disposition.reason = "diubah lewat ORM"
        session.add(disposition)
        # Not flushed yet: the write flushes first, so both changes land.
        assert _NOTE.run(session, {"b_id": disposition.id, "note": "catatan"}) == 1
        disposition_id = disposition.id
    with database.reading() as session:
        again = session.get(DispositionRow, disposition_id)
        assert again is not None
        assert (again.note, again.reason) == ("catatan", "diubah lewat ORM")


def test_a_missing_parameter_is_an_error_and_writes_nothing(database: Database) -> None:
    member_id = member(database)
    values = outbox_values(member_id, "a")
    with pytest.raises(KeyError), database.transaction() as session:
        _PREPARED_ADD.run(session, [values, {k: v for k, v in values.items() if k != "kind"}])
    assert stored(database) == []


def test_a_python_default_is_called_for_each_row(database: Database) -> None:
    calls: list[int] = []

    def stamp() -> int:
        calls.append(1)
        return len(calls)

    table = Table(
        "stamped",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(10)),
        Column("stamp", Integer, default=stamp),
    )
    with database.transaction() as session:
        table.create(session.connection())
        PreparedWrite(insert(table)).run(session, [{"name": "a"}, {"name": "b"}])
        rows = session.execute(select(table.c.name, table.c.stamp).order_by(table.c.id)).all()
    assert [tuple(row) for row in rows] == [("a", 1), ("b", 2)]


def test_a_required_column_without_a_default_is_refused_before_anything_runs(
    database: Database,
) -> None:
    # As a SQLModel `Field(default_factory=uuid4)` column: the database knows no default.
    table = Table(
        "keyed",
        MetaData(),
        Column("id", Uuid, primary_key=True),
        Column("name", String(10)),
    )
    with database.transaction() as session:
        table.create(session.connection())
        with pytest.raises(ValueError, match=r"keyed\.id is required"):
            PreparedWrite(insert(table)).run(session, {"name": "a"})
        assert session.execute(select(table.c.id)).all() == []


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(database: Database) -> None:
    member_id = member(database)
    with database.transaction() as session:
        _PREPARED_ADD.run(session, outbox_values(member_id, "a"))
        first = session.exec(select(OutboxRow.id)).one()
    # The same key again: callers catch SQLAlchemy's IntegrityError (a concurrent command).
    with pytest.raises(IntegrityError), database.transaction() as session:
        _PREPARED_ADD.run(session, {**outbox_values(member_id, "b"), "id": first})
    assert [row[3]["text"] for row in stored(database)] == ["a"]

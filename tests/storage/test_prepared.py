"""Prepared queries read exactly what SQLAlchemy reads, on both databases, and a snapshot is
a read-only, consistent transaction."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.inbox_models import InboxRow
from sopbot.storage.models import DispositionRow
from sopbot.storage.prepared import PreparedQuery, connection_of
from sopbot.storage.statements import table_of
from sopbot.storage.task_lists import _INBOX_QUERY, inbox_of
from tests.helpers.agencies import next_key, seed_library, staff_agency, start_as

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
_DISPOSITION = table_of(DispositionRow)
_INBOX = table_of(InboxRow)

# A UUID parameter, a UTC datetime parameter and an IN list of UUIDs.
_BY_IDS = PreparedQuery(
    lambda ids: (
        select(_DISPOSITION.c.id, _DISPOSITION.c.created_at, _DISPOSITION.c.state)
        .where(_DISPOSITION.c.id.in_(ids))
        .where(_DISPOSITION.c.created_at <= bindparam("until"))
        .order_by(_DISPOSITION.c.created_at, _DISPOSITION.c.id)
    ),
    lists={"ids": _DISPOSITION.c.id},
)
_PAYLOADS = PreparedQuery(
    lambda ids: (
        select(_INBOX.c.id, _INBOX.c.payload, _INBOX.c.chat_id)
        .where(_INBOX.c.id.in_(ids))
        .order_by(_INBOX.c.id)
    ),
    lists={"ids": _INBOX.c.id},
)


def sqlalchemy_rows(
    session: Session, query: PreparedQuery, parameters: dict[str, Any]
) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in session.execute(*query.as_sqlalchemy(parameters))]


def staffed_and_started(database: Database) -> tuple[ProcedureService, int]:
    procedures = ProcedureService(database, LIBRARY)
    agency = staff_agency(OrganizationService(procedures), PENGOLAHAN)
    for title in ("Triwulan I", "Triwulan II", "Triwulan III"):
        start_as(procedures, agency, PENGOLAHAN, title)
    return procedures, agency.person("sekretaris")


def test_reads_match_sqlalchemy_row_for_row(database: Database) -> None:
    procedures, sekretaris = staffed_and_started(database)
    with database.reading() as session:
        ids = [row[0] for row in session.execute(select(_DISPOSITION.c.id))]
    assert len(ids) >= 3
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with database.transaction() as session:
        for number, chat in enumerate((7, None, 9), start=1):
            session.add(
                InboxRow(
                    update_id=number,
                    digest=f"d{number}",
                    chat_id=chat,
                    payload={"update_id": number, "text": "Tugas saya ✓", "n": [1, None]},
                    received_at=later,
                )
            )
    with database.reading() as session:
        inbox_ids = [row[0] for row in session.execute(select(_INBOX.c.id))]

    with database.snapshot() as connection, database.reading() as session:
        inbox = _INBOX_QUERY.rows(connection, {"member_id": sekretaris})
        assert len(inbox) == 3
        assert inbox == sqlalchemy_rows(session, _INBOX_QUERY, {"member_id": sekretaris})
        assert all(isinstance(row[0], uuid.UUID) for row in inbox)
        assert all(row[9].tzinfo is not None for row in inbox)  # received at, in UTC
        for wanted in (ids[:1], ids, ids[1:]):  # lists of different lengths
            parameters = {"ids": wanted, "until": later}
            expected = sqlalchemy_rows(session, _BY_IDS, parameters)
            assert len(expected) == len(wanted)
            assert _BY_IDS.rows(connection, parameters) == expected
        parameters = {"ids": inbox_ids}
        payloads = _PAYLOADS.rows(connection, parameters)
        assert payloads == sqlalchemy_rows(session, _PAYLOADS, parameters)
        assert payloads[0][1] == {"update_id": 1, "text": "Tugas saya ✓", "n": [1, None]}
        assert [row[2] for row in payloads] == [7, None, 9]
        assert _PAYLOADS.rows(connection, {"ids": [max(inbox_ids) + 1]}) == []
        assert _PAYLOADS.first(connection, {"ids": inbox_ids[1:2]}) == payloads[1]
    # The same query inside a session's own transaction.
    with database.reading() as session:
        assert inbox_of(connection_of(session), sekretaris) == procedures.inbox(sekretaris)


def test_a_missing_parameter_is_an_error_not_a_null(database: Database) -> None:
    with database.snapshot() as connection, pytest.raises(KeyError):
        _INBOX_QUERY.rows(connection, {})


def test_a_snapshot_does_not_see_a_commit_made_after_it_began(database: Database) -> None:
    procedures, sekretaris = staffed_and_started(database)
    with database.snapshot() as connection:
        before = inbox_of(connection, sekretaris)
        done = threading.Event()

        def complete_one() -> None:
            # A writer on another connection is not held up by the open snapshot.
            procedures.complete(
                next_key(), member_id=sekretaris, disposition_id=before[0].disposition_id
            )
            done.set()

        writer = threading.Thread(target=complete_one)
        writer.start()
        writer.join(timeout=30)
        assert done.is_set()
        assert inbox_of(connection, sekretaris) == before
    assert len(procedures.inbox(sekretaris)) == len(before) - 1


def test_a_snapshot_refuses_writes(database: Database) -> None:
    with database.snapshot() as connection:
        cursor = connection.dbapi.cursor()
        if database.is_sqlite:
            # SQLite has no read-only transactions; a read snapshot is a deferred BEGIN.
            cursor.execute("SELECT 1")
            assert connection.dbapi.in_transaction
            return
        with pytest.raises(Exception, match="read-only"):
            cursor.execute("DELETE FROM inbox_update")


def test_a_snapshot_gives_its_connection_back_to_the_pool(database: Database) -> None:
    for _ in range(3 * (database.engine.pool.size() + 10)):  # type: ignore[attr-defined]
        with database.snapshot() as connection:
            _PAYLOADS.rows(connection, {"ids": [1]})
    # Nothing left open: a write transaction still gets the database at once.
    try:
        with database.transaction() as session:
            session.execute(_INBOX.delete())
    except OperationalError as error:  # pragma: no cover - the failure this guards against
        pytest.fail(f"a snapshot was left open: {error}")


def test_in_a_session_rows_are_named_and_pending_changes_are_seen(database: Database) -> None:
    with database.transaction() as session:
        session.add(
            InboxRow(
                update_id=77,
                digest="d77",
                chat_id=5,
                payload={"update_id": 77},
                received_at=dt.datetime.now(dt.UTC),
            )
        )
        # Not flushed yet: the query flushes first, as an ORM query would.
        (row,) = _CHATS.rows(session, {"chat_id": 5})
        assert (row.update_id, row.chat_id) == (77, 5)
        assert row == (77, 5)


_CHATS = PreparedQuery(
    select(_INBOX.c.update_id, _INBOX.c.chat_id).where(_INBOX.c.chat_id == bindparam("chat_id"))
)

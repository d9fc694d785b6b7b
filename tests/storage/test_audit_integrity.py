"""The audit trail is append-only in the database and hash-chained: `verify_audit_trail` finds
every edited, removed or inserted row, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from sopbot.services.audit_verify import AuditProblem, ProblemKind, verify_audit_trail
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.audit import record_change
from sopbot.storage.audit_chain import (
    GENESIS_HASH,
    KEYED_SCHEME,
    PLAIN_SCHEME,
    MissingAuditKey,
    chain_of,
    content_hash,
    savepoint,
    seal_plain_chains,
)
from sopbot.storage.audit_key import AuditKey
from sopbot.storage.column_types import UTCDateTime
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import AgencyRow, AuditChainHeadRow, AuditRow, PositionRow
from sopbot.storage.unit_of_work import UnitOfWork
from tests.helpers.agencies import Player, SeedAgency, next_key, seed_library, staff_agency
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.history import assert_complete_history

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
NOW = dt.datetime(2026, 11, 23, 2, 30, 0, 123456, tzinfo=dt.UTC)


def staffed(database: Database) -> tuple[ProcedureService, SeedAgency]:
    procedures = ProcedureService(database, LIBRARY)
    return procedures, staff_agency(OrganizationService(procedures), PENGOLAHAN)


def start(procedures: ProcedureService, agency: SeedAgency, title: str) -> uuid.UUID:
    outcome = procedures.start(
        next_key(),
        agency_id=agency.agency_id,
        sop_id=PENGOLAHAN.id,
        title=title,
        starter_id=agency.person("kepala_dinas"),
        note="Segera",
    )
    return outcome.result.instance_id


def played(database: Database) -> tuple[SeedAgency, uuid.UUID]:
    """A seed procedure run to the end through the services."""
    procedures, agency = staffed(database)
    instance_id = start(procedures, agency, "Triwulan III")
    Player(procedures, agency).play_to_end()
    return agency, instance_id


def chain_rows(database: Database, chain: str) -> list[AuditRow]:
    with database.transaction() as session:
        return list(
            session.exec(
                select(AuditRow).where(AuditRow.chain == chain).order_by(col(AuditRow.seq))
            )
        )


def drop_append_only_triggers(database: Database) -> None:
    """What someone with the database's owner rights could do: the hash chain must still tell."""
    if database.is_sqlite:
        statements = ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"]
    else:
        statements = [
            "DROP TRIGGER audit_event_no_update_delete ON audit_event",
            "DROP TRIGGER audit_event_no_truncate ON audit_event",
        ]
    with database.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def tamper(database: Database, statement: str, **params: Any) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(statement), params)


def assert_intact(database: Database) -> None:
    result = verify_audit_trail(database)
    assert result.problems == ()
    assert result.intact
    with database.transaction() as session:
        assert (
            result.rows == session.execute(select(func.count()).select_from(AuditRow)).scalar_one()
        )


def test_a_seed_run_gives_an_intact_trail(database: Database) -> None:
    agency, instance_id = played(database)
    assert_complete_history(database, instance_id)  # the history helper still folds it
    result = verify_audit_trail(database)
    assert result.intact
    assert result.chains == 1  # everything belongs to the one agency
    rows = chain_rows(database, chain_of(agency.agency_id))
    assert len(rows) == result.rows
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))
    # Within a chain the rows were written in seq order.
    assert [r.id for r in rows] == sorted(r.id for r in rows if r.id is not None)
    with database.transaction() as session:
        head = session.get(AuditChainHeadRow, chain_of(agency.agency_id))
    assert head is not None
    assert (head.last_seq, head.last_hash) == (rows[-1].seq, rows[-1].hash)


def test_the_database_refuses_updates_and_deletes(database: Database) -> None:
    agency, _ = played(database)
    row = chain_rows(database, chain_of(agency.agency_id))[3]
    refused = [
        ("UPDATE audit_event SET after = 'forged' WHERE id = :id", {"id": row.id}),
        ("UPDATE audit_event SET detail = '{}'", {}),
        ("DELETE FROM audit_event WHERE id = :id", {"id": row.id}),
        ("DELETE FROM audit_event", {}),
    ]
    if not database.is_sqlite:
        refused.append(("TRUNCATE audit_event", {}))
    for statement, params in refused:
        with pytest.raises(DBAPIError, match="audit_event is append-only"):
            tamper(database, statement, **params)
    # Nor does the ORM get round it.
    assert row.id is not None
    with pytest.raises(DBAPIError, match="audit_event is append-only"):
        change_through_the_orm(database, row.id, delete=False)
    with pytest.raises(DBAPIError, match="audit_event is append-only"):
        change_through_the_orm(database, row.id, delete=True)
    assert_intact(database)


def change_through_the_orm(database: Database, row_id: int, *, delete: bool) -> None:
    with database.transaction() as session:
        stored = session.get(AuditRow, row_id)
        assert stored is not None
        if delete:
            session.delete(stored)
        else:
            stored.actor_id = 999


def test_an_edited_row_is_found(database: Database) -> None:
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    edited = chain_rows(database, chain)[6]
    drop_append_only_triggers(database)
    tamper(database, "UPDATE audit_event SET actor_id = 424242 WHERE id = :id", id=edited.id)
    result = verify_audit_trail(database)
    assert result.problems == (
        AuditProblem(
            chain,
            edited.seq,
            edited.id,
            ProblemKind.EDITED,
            "its columns do not give its stored hash (edited)",
        ),
    )
    assert not result.intact


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("after", "'forged'"),
        ("detail", '\'{"note": "diubah"}\''),
        ("entity_id", "'x'"),
        ("at", "(SELECT MIN(at) FROM audit_event)"),
        ("prev_hash", "hash"),
    ],
)
def test_any_edited_column_shows(database: Database, column: str, value: str) -> None:
    agency, _ = played(database)
    edited = chain_rows(database, chain_of(agency.agency_id))[5]
    drop_append_only_triggers(database)
    tamper(database, f"UPDATE audit_event SET {column} = {value} WHERE id = :id", id=edited.id)  # noqa: S608 - fixed test values
    problems = verify_audit_trail(database).problems
    assert [(p.row_id, p.kind) for p in problems][:1] == [(edited.id, ProblemKind.EDITED)]


def forged_hash(row: AuditRow, *, key: AuditKey | None, **changes: Any) -> str:
    """The hash someone would compute for the row with some columns changed (no key: plain
    SHA-256, the only kind a database writer without the audit key can make)."""
    values = {column: getattr(row, column) for column in HASHED_COLUMNS} | changes
    return content_hash(**values, key=key)


HASHED_COLUMNS = (
    "chain",
    "seq",
    "prev_hash",
    "at",
    "agency_id",
    "instance_id",
    "actor_id",
    "entity",
    "entity_id",
    "action",
    "before",
    "after",
    "detail",
)


def test_an_edit_with_a_hash_recomputed_without_the_key_is_found(database: Database) -> None:
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    edited = chain_rows(database, chain)[4]
    drop_append_only_triggers(database)
    tamper(
        database,
        "UPDATE audit_event SET after = 'forged', hash = :hash WHERE id = :id",
        hash=forged_hash(edited, key=None, after="forged"),
        id=edited.id,
    )
    problems = verify_audit_trail(database).problems
    assert [(p.chain, p.seq, p.row_id, p.kind) for p in problems][:1] == [
        (chain, edited.seq, edited.id, ProblemKind.EDITED)
    ]


def test_an_edit_with_a_keyed_hash_breaks_the_next_link(database: Database) -> None:
    # Even someone who had the key must re-hash every row after the edit.
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    rows = chain_rows(database, chain)
    edited, following = rows[4], rows[5]
    drop_append_only_triggers(database)
    tamper(
        database,
        "UPDATE audit_event SET after = 'forged', hash = :hash WHERE id = :id",
        hash=forged_hash(edited, key=TEST_AUDIT_KEY, after="forged"),
        id=edited.id,
    )
    (problem,) = verify_audit_trail(database).problems
    assert (problem.chain, problem.seq, problem.row_id, problem.kind) == (
        chain,
        following.seq,
        following.id,
        ProblemKind.UNLINKED,
    )


def test_a_removed_row_is_found(database: Database) -> None:
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    rows = chain_rows(database, chain)
    removed, following = rows[7], rows[8]
    drop_append_only_triggers(database)
    tamper(database, "DELETE FROM audit_event WHERE id = :id", id=removed.id)
    (problem,) = verify_audit_trail(database).problems
    assert (problem.chain, problem.seq, problem.kind) == (chain, removed.seq, ProblemKind.MISSING)
    assert problem.detail == f"seq {removed.seq} missing before row {following.id} (removed)"


def test_removing_the_newest_rows_is_found_through_the_head(database: Database) -> None:
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    rows = chain_rows(database, chain)
    drop_append_only_triggers(database)
    tamper(database, "DELETE FROM audit_event WHERE id IN (:a, :b)", a=rows[-1].id, b=rows[-2].id)
    (problem,) = verify_audit_trail(database).problems
    assert (problem.chain, problem.seq, problem.row_id, problem.kind) == (
        chain,
        rows[-2].seq,
        None,
        ProblemKind.HEAD_AHEAD,
    )
    assert problem.detail == (
        f"seqs {rows[-2].seq}-{rows[-1].seq} missing at the end (the newest rows were removed)"
    )


def test_removing_a_whole_chain_is_found(database: Database) -> None:
    agency, _ = played(database)
    drop_append_only_triggers(database)
    tamper(database, "DELETE FROM audit_event")
    (problem,) = verify_audit_trail(database).problems
    assert (problem.chain, problem.seq, problem.kind) == (
        chain_of(agency.agency_id),
        1,
        ProblemKind.HEAD_AHEAD,
    )


def test_a_row_put_past_the_head_is_found(database: Database) -> None:
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    last = chain_rows(database, chain)[-1]
    forged = AuditRow(
        at=NOW,
        agency_id=agency.agency_id,
        instance_id=None,
        actor_id=None,
        entity="member",
        entity_id="1",
        action="create",
        before=None,
        after="active",
        detail={},
        chain=chain,
        seq=last.seq + 1,
        prev_hash=last.hash,
        hash="",
    )
    # As a writer holding the key but skipping the chain's lock would make it.
    forged.hash = forged_hash(forged, key=TEST_AUDIT_KEY)
    with database.transaction() as session:  # inserting is allowed; the head was not moved
        session.add(forged)
        session.flush()
        forged_id = forged.id
    (problem,) = verify_audit_trail(database).problems
    assert (problem.chain, problem.seq, problem.row_id, problem.kind) == (
        chain,
        last.seq + 1,
        forged_id,
        ProblemKind.HEAD_BEHIND,
    )


def change(session: Session, agency_id: int | None, what: str) -> None:
    record_change(
        UnitOfWork(session),
        at=NOW,
        agency_id=agency_id,
        actor_id=None,
        entity="setting",
        entity_id=what,
        action="set",
        before=None,
        after="on",
        detail={"what": what, "when": None},
    )


def new_agency(database: Database, key: str = "dinas-uji") -> int:
    """An agency row written directly (no audit row yet: its chain does not exist)."""
    with database.transaction() as session:
        agency = AgencyRow(key=key, name="Dinas Uji", timezone="Asia/Jakarta", created_at=NOW)
        session.add(agency)
        session.flush()
        assert agency.id is not None
        return agency.id


def count_head_statements(database: Database) -> dict[str, int]:
    counts = {"select": 0, "update": 0}

    def _count(statement: str, _parameters: Any, _many: bool) -> None:
        words = statement.split()
        if "audit_chain_head" in statement and words[0].lower() in counts:
            counts[words[0].lower()] += 1

    database.observe_statements(_count)

    return counts


def test_one_head_lock_and_update_per_transaction(database: Database) -> None:
    agency_id = new_agency(database)
    with database.transaction() as session:
        change(session, agency_id, "first")  # creates the chain's head
    counts = count_head_statements(database)
    with database.transaction() as session:
        for index in range(5):
            change(session, agency_id, f"setting-{index}")
            session.flush()  # as the stores do between their writes
    assert counts == {"select": 1, "update": 1}
    assert [r.seq for r in chain_rows(database, chain_of(agency_id))] == list(range(1, 7))
    assert_intact(database)


def test_several_chains_and_the_global_one_in_one_transaction(database: Database) -> None:
    first, second = new_agency(database, "dinas-a"), new_agency(database, "dinas-b")
    with database.transaction() as session:
        for agency_id in (second, None, first, second, None):
            change(session, agency_id, "x")
    assert [r.seq for r in chain_rows(database, chain_of(second))] == [1, 2]
    assert [r.seq for r in chain_rows(database, "global")] == [1, 2]
    result = verify_audit_trail(database)
    assert (result.intact, result.rows, result.chains) == (True, 5, 3)


def fail_in_savepoint(session: Session, agency_id: int, what: str, *, flush: bool) -> None:
    """Audit a change in a savepoint that then fails (as one alert of a batch may)."""
    with savepoint(session):
        change(session, agency_id, what)
        if flush:
            session.flush()
        raise RuntimeError("this part fails")


def test_a_rolled_back_savepoint_leaves_no_gap(database: Database) -> None:
    agency_id = new_agency(database)
    with database.transaction() as session:
        change(session, agency_id, "before")
        with pytest.raises(RuntimeError):
            fail_in_savepoint(session, agency_id, "undone", flush=True)
        with pytest.raises(RuntimeError):
            fail_in_savepoint(session, agency_id, "undone before any flush", flush=False)
        change(session, agency_id, "after")
    rows = chain_rows(database, chain_of(agency_id))
    assert [(r.seq, r.entity_id) for r in rows] == [(1, "before"), (2, "after")]
    assert_intact(database)


def test_a_chain_first_used_in_a_rolled_back_savepoint(database: Database) -> None:
    agency_id = new_agency(database)
    with database.transaction() as session:
        with pytest.raises(RuntimeError):
            fail_in_savepoint(session, agency_id, "undone", flush=True)
        change(session, agency_id, "kept")
    rows = chain_rows(database, chain_of(agency_id))
    assert [(r.seq, r.entity_id) for r in rows] == [(1, "kept")]
    assert_intact(database)


def run_together(parties: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run work(0..parties-1) in threads started at the same moment; return what they raised."""
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(parties, timeout=20)

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # every failure is reported to the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_writers_creating_a_chain_at_once(database: Database) -> None:
    agency_id = new_agency(database)
    inside = threading.Barrier(4, timeout=20) if not database.is_sqlite else None

    def write(index: int) -> None:
        with database.transaction() as session:
            if inside is not None:
                inside.wait()  # every transaction is open before any creates the head
            change(session, agency_id, f"writer-{index}")

    assert run_together(4, write) == []
    assert [r.seq for r in chain_rows(database, chain_of(agency_id))] == [1, 2, 3, 4]
    assert_intact(database)


def test_concurrent_commands_on_postgresql_keep_the_chain_whole(
    postgres_database: Database,
) -> None:
    database = postgres_database
    procedures, agency = staffed(database)
    instances = [start(procedures, agency, f"Laporan {n}") for n in range(4)]
    sekretaris, perencana = agency.person("sekretaris"), agency.person("jafung_perencana")

    # Each thread waits at its first lock of the chain's head until all are there, so the
    # commands truly contend for it.
    gate = threading.Barrier(len(instances), timeout=20)
    waited = threading.local()

    def _hold(statement: str, _parameters: Any, _many: bool) -> None:
        locking = "FOR UPDATE" in statement and "audit_chain_head" in statement
        if locking and not getattr(waited, "done", False):
            waited.done = True
            gate.wait()

    database.observe_statements(_hold)

    def advance(index: int) -> None:
        instance_id = instances[index]
        for member in (sekretaris, perencana):
            (item,) = [i for i in procedures.inbox(member) if i.instance_id == instance_id]
            procedures.complete(
                next_key(), member_id=member, disposition_id=item.disposition_id, note="Lanjut"
            )

    assert run_together(len(instances), advance) == []
    assert not gate.broken
    rows = chain_rows(database, chain_of(agency.agency_id))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert [r.id for r in rows] == sorted(r.id for r in rows if r.id is not None)
    for instance_id in instances:
        assert_complete_history(database, instance_id)
    assert_intact(database)


def test_a_change_audited_before_a_row_lock_does_not_deadlock(
    postgres_database: Database,
) -> None:
    # One transaction audits and then waits for a row another holds while that other audits:
    # the head is only locked at commit, so neither waits for the other's head.
    database = postgres_database
    agency_id = new_agency(database)
    holds_the_row, has_audited = threading.Event(), threading.Event()
    lock_row = text("UPDATE agency SET name = name WHERE id = :id")

    def first(_: int) -> None:
        with database.transaction() as session:
            session.execute(lock_row, {"id": agency_id})
            holds_the_row.set()
            assert has_audited.wait(20)
            change(session, agency_id, "first")

    def second(_: int) -> None:
        assert holds_the_row.wait(20)
        with database.transaction() as session:
            change(session, agency_id, "second")
            has_audited.set()
            session.execute(lock_row, {"id": agency_id})  # waits for the first to commit

    assert run_together(2, lambda index: (first, second)[index](index)) == []
    rows = chain_rows(database, chain_of(agency_id))
    assert [(r.seq, r.entity_id) for r in rows] == [(1, "first"), (2, "second")]
    assert_intact(database)


AUDIT_0003 = sa.table(
    "audit_event",
    sa.column("at", UTCDateTime()),
    sa.column("agency_id", sa.Integer()),
    sa.column("instance_id", sa.Uuid()),
    sa.column("actor_id", sa.Integer()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("action", sa.String()),
    sa.column("before", sa.String()),
    sa.column("after", sa.String()),
    sa.column("detail", sa.JSON()),
)


def rows_from_before_the_chains(database: Database) -> None:
    """A database at revision 0003 with six audit rows (four of agency 1, two global),
    then migrated to the newest revision."""
    upgrade(database, "0003")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO agency (id, key, name, timezone, created_at) "
                "VALUES (1, 'dinas-lama', 'Dinas Lama', 'Asia/Makassar', :at)"
            ),
            {"at": NOW.replace(tzinfo=None) if database.is_sqlite else NOW},
        )
        connection.execute(
            AUDIT_0003.insert(),
            [
                {
                    "at": NOW + dt.timedelta(minutes=n),
                    "agency_id": None if n % 3 == 2 else 1,
                    "instance_id": uuid.uuid4() if n % 2 else None,
                    "actor_id": n or None,
                    "entity": "member",
                    "entity_id": str(n),
                    "action": "create",
                    "before": None,
                    "after": "active",
                    "detail": {"name": f"Pegawai {n} — Plt.", "nested": {"b": [1, 2.5], "a": n}},
                }
                for n in range(6)
            ],
        )
    upgrade(database)


def test_upgrading_links_the_rows_already_there(empty_database: Database) -> None:
    database = empty_database
    rows_from_before_the_chains(database)
    result = verify_audit_trail(database)
    # The old rows verify as plain SHA-256 links; nothing protects them by the key yet.
    assert (result.rows, result.chains) == (6, 2)
    assert [(p.chain, p.kind) for p in result.problems] == [
        ("agency:1", ProblemKind.UNSEALED),
        ("global", ProblemKind.UNSEALED),
    ]
    assert {r.scheme for r in chain_rows(database, "agency:1")} == {PLAIN_SCHEME}
    assert [r.seq for r in chain_rows(database, "agency:1")] == [1, 2, 3, 4]
    with database.transaction() as session:
        change(session, 1, "after the upgrade")
        change(session, None, "after the upgrade")
    rows = chain_rows(database, "agency:1")
    assert [(r.seq, r.scheme) for r in rows] == [
        (1, PLAIN_SCHEME),
        (2, PLAIN_SCHEME),
        (3, PLAIN_SCHEME),
        (4, PLAIN_SCHEME),
        (5, KEYED_SCHEME),
    ]
    assert [r.seq for r in chain_rows(database, "global")] == [1, 2, 3]
    assert_intact(database)


def test_chains_from_before_the_keys_are_sealed_and_stay_fixed(empty_database: Database) -> None:
    database = empty_database
    rows_from_before_the_chains(database)
    with database.unit_of_work() as uow:
        assert seal_plain_chains(uow, NOW) == ["agency:1", "global"]
    with database.unit_of_work() as uow:
        assert seal_plain_chains(uow, NOW) == []  # sealed once
    seal = chain_rows(database, "agency:1")[-1]
    assert (seal.seq, seal.scheme, seal.entity, seal.action) == (
        5,
        KEYED_SCHEME,
        "audit_chain",
        "seal",
    )
    assert_intact(database)
    # The plain rows can still be re-hashed without the key, but the seal's keyed hash holds
    # the last one's hash: the edit shows.
    drop_append_only_triggers(database)
    rows = chain_rows(database, "agency:1")
    rehash(database, "agency:1", rows[1], key=None, through=4, after="forged")
    problems = verify_audit_trail(database).problems
    assert [(p.chain, p.seq, p.kind) for p in problems] == [("agency:1", 5, ProblemKind.UNLINKED)]


def rehash(
    database: Database,
    chain: str,
    edited: AuditRow,
    *,
    key: AuditKey | None,
    start: int | None = None,
    through: int | None = None,
    **changes: Any,
) -> None:
    """Edit a row and re-hash the rows from seq `start` (the edited one's by default) up to
    seq `through` (else to the end, moving the head too), as someone with write access to the
    database would."""
    scheme = KEYED_SCHEME if key is not None else PLAIN_SCHEME
    first = edited.seq if start is None else start
    rows = [r for r in chain_rows(database, chain) if r.seq >= first]
    if through is not None:
        rows = [r for r in rows if r.seq <= through]
    prev_hash = rows[0].prev_hash
    with database.engine.begin() as connection:
        for row in rows:
            values = changes if row.seq == edited.seq else {}
            digest = forged_hash(row, key=key, prev_hash=prev_hash, **values)
            connection.execute(
                sa.update(AuditRow)
                .where(col(AuditRow.id) == row.id)
                .values(prev_hash=prev_hash, hash=digest, scheme=scheme, **values)
            )
            prev_hash = digest
        if through is None:
            connection.execute(
                sa.update(AuditChainHeadRow)
                .where(col(AuditChainHeadRow.chain) == chain)
                .values(last_hash=prev_hash)
            )


# Someone who can write to the database, and drops the triggers, re-hashes what they changed.


@pytest.mark.parametrize(
    ("forgery", "expected"),
    [
        # Plain SHA-256 links from the edited row on: plain after keyed.
        ("plain from the edit", ProblemKind.DOWNGRADED),
        # Every row of the chain re-hashed as plain links: no keyed row is left.
        ("plain, the whole chain", ProblemKind.UNSEALED),
        # Keyed links under a key of their own: not the audit key's.
        ("another key", ProblemKind.EDITED),
    ],
)
def test_an_edit_with_the_rest_of_the_chain_recomputed_is_found(
    database: Database, forgery: str, expected: ProblemKind
) -> None:
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    rows = chain_rows(database, chain)
    edited = rows[6]
    drop_append_only_triggers(database)
    rehash(
        database,
        chain,
        edited,
        key=AuditKey.generate() if forgery == "another key" else None,
        start=1 if forgery == "plain, the whole chain" else None,
        actor_id=424242,
    )
    result = verify_audit_trail(database)
    assert not result.intact
    if expected is ProblemKind.UNSEALED:
        assert [(p.chain, p.seq, p.kind) for p in result.problems] == [
            (chain, rows[-1].seq, ProblemKind.UNSEALED)
        ]
    else:
        # Every re-hashed row shows, from the edited one to the newest.
        assert [(p.chain, p.seq, p.row_id, p.kind) for p in result.problems] == [
            (chain, row.seq, row.id, expected) for row in rows[6:]
        ]


def test_a_chain_removed_with_its_head_is_found(database: Database) -> None:
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    drop_append_only_triggers(database)
    tamper(database, "DELETE FROM audit_event WHERE chain = :chain", chain=chain)
    tamper(database, "DELETE FROM audit_chain_head WHERE chain = :chain", chain=chain)
    result = verify_audit_trail(database)
    assert (result.rows, result.chains) == (0, 0)
    assert result.problems == (
        AuditProblem(
            chain,
            0,
            None,
            ProblemKind.NO_CHAIN,
            "the agency has members or procedures but no audit chain (removed)",
        ),
    )


def test_without_the_key_nothing_is_audited_and_nothing_changes(database: Database) -> None:
    agency_id = new_agency(database)
    keyless = Database(database.url.render_as_string(hide_password=False))
    try:
        with pytest.raises(MissingAuditKey, match="SOPBOT_AUDIT_KEY"):
            add_a_position(keyless, agency_id)
        with pytest.raises(MissingAuditKey):
            verify_audit_trail(keyless)
    finally:
        keyless.dispose()
    with database.transaction() as session:
        assert session.exec(select(PositionRow)).all() == []
    assert chain_rows(database, chain_of(agency_id)) == []


def add_a_position(database: Database, agency_id: int) -> None:
    """A change and its audit row, in one transaction."""
    with database.transaction() as session:
        session.add(PositionRow(agency_id=agency_id, key="kaban", name="Kepala Badan"))
        change(session, agency_id, "refused")

"""Two people at the same moment, and the same update delivered twice."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, select

from sopbot.engine.errors import AlreadyDone, DocumentRequired, DomainError
from sopbot.services.commands import Outcome
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import InboxItem, ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, DispositionRow
from tests.helpers.agencies import SeedAgency, fake_upload, next_key, seed_library, staff_agency

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]


def row_counts(database: Database) -> dict[str, int]:
    with database.transaction() as session:
        return {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def staffed(database: Database) -> tuple[ProcedureService, SeedAgency, uuid.UUID]:
    procedures = ProcedureService(database, LIBRARY)
    agency = staff_agency(OrganizationService(procedures), PENGOLAHAN)
    outcome = procedures.start(
        next_key(),
        agency_id=agency.agency_id,
        sop_id=PENGOLAHAN.id,
        title="Triwulan III",
        starter_id=agency.person("kepala_dinas"),
        note="Segera",
    )
    return procedures, agency, outcome.result.instance_id


def only(procedures: ProcedureService, member: int) -> InboxItem:
    (item,) = procedures.inbox(member)
    return item


def advance_to_team_step(procedures: ProcedureService, agency: SeedAgency) -> None:
    """Steps 2 and 3, so that step 4 waits for either of the two team members."""
    for role in ("sekretaris", "jafung_perencana"):
        member = agency.person(role)
        procedures.complete(
            next_key(), member_id=member, disposition_id=only(procedures, member).disposition_id
        )


def test_a_replayed_command_changes_nothing(database: Database) -> None:
    procedures, agency, _ = staffed(database)
    sekretaris = agency.person("sekretaris")
    item = only(procedures, sekretaris)
    key = next_key()
    first = procedures.complete(
        key, member_id=sekretaris, disposition_id=item.disposition_id, note="Diteruskan"
    )
    before = row_counts(database)
    again = procedures.complete(
        key, member_id=sekretaris, disposition_id=item.disposition_id, note="Diteruskan"
    )
    assert again.replayed
    assert not first.replayed
    assert again.result == first.result
    assert row_counts(database) == before


def test_a_replayed_start_starts_nothing_new(database: Database) -> None:
    procedures, agency, _ = staffed(database)
    key = next_key()
    starter = agency.person("kepala_dinas")

    def start() -> Outcome[Any]:
        return procedures.start(
            key,
            agency_id=agency.agency_id,
            sop_id=PENGOLAHAN.id,
            title="Triwulan IV",
            starter_id=starter,
            note=None,
        )

    first = start()
    before = row_counts(database)
    assert start().result == first.result
    assert first.result.number == 2
    assert row_counts(database) == before


def test_a_replayed_refusal_gives_the_same_answer(database: Database) -> None:
    procedures, agency, _ = staffed(database)
    advance_to_team_step(procedures, agency)
    team = agency.person("tim_perencanaan_program")
    procedures.complete(
        next_key(), member_id=team, disposition_id=only(procedures, team).disposition_id
    )
    kabid = agency.person("kepala_bidang")
    item = only(procedures, kabid)
    key = next_key()
    with pytest.raises(DocumentRequired):
        procedures.complete(key, member_id=kabid, disposition_id=item.disposition_id)
    procedures.attach_document(
        next_key(),
        member_id=kabid,
        disposition_id=item.disposition_id,
        document=fake_upload("data-bidang.xlsx"),
    )
    before = row_counts(database)
    # The same update again: the answer it got stands, even though a file is there now.
    with pytest.raises(DocumentRequired):
        procedures.complete(key, member_id=kabid, disposition_id=item.disposition_id)
    assert row_counts(database) == before
    # A new press of the button completes it.
    procedures.complete(next_key(), member_id=kabid, disposition_id=item.disposition_id)
    assert procedures.inbox(kabid) == []


def race(*moves: Callable[[], Outcome[Any]]) -> tuple[list[Outcome[Any]], list[BaseException]]:
    """Run the moves in threads at the same moment; collect what each returned or raised."""
    results: list[Outcome[Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(len(moves))

    def run(move: Callable[[], Outcome[Any]]) -> None:
        start.wait(timeout=20)
        try:
            outcome = move()
        except BaseException as exc:  # every outcome is reported to the test
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(move,)) for move in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def hold_writers_until_all_have_read(database: Database, parties: int) -> threading.Barrier:
    """Make each thread's first guarded UPDATE of an instance wait until every thread reached
    its own: all of them have then loaded the same version, so they truly collide."""
    barrier = threading.Barrier(parties, timeout=20)
    waited = threading.local()

    def _hold(statement: str, _parameters: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("UPDATE INSTANCE") and not getattr(
            waited, "done", False
        ):
            waited.done = True
            barrier.wait()

    database.observe_statements(_hold)

    return barrier


def test_two_team_members_press_selesai_at_once_on_postgresql(
    postgres_database: Database,
) -> None:
    # SQLite takes one writer at a time (BEGIN IMMEDIATE): the double-tap test below covers it.
    database = postgres_database
    procedures, agency, instance_id = staffed(database)
    advance_to_team_step(procedures, agency)
    first, second = agency.people["tim_perencanaan_program"]
    mine, theirs = only(procedures, first), only(procedures, second)
    barrier = hold_writers_until_all_have_read(database, 2)
    results, errors = race(
        lambda: procedures.complete(
            next_key(), member_id=first, disposition_id=mine.disposition_id
        ),
        lambda: procedures.complete(
            next_key(), member_id=second, disposition_id=theirs.disposition_id
        ),
    )
    assert not barrier.broken
    assert len(results) == 1
    assert len(errors) == 1
    (refusal,) = errors
    assert isinstance(refusal, AlreadyDone)
    with database.transaction() as session:
        done = session.exec(
            select(DispositionRow)
            .where(DispositionRow.instance_id == instance_id)
            .where(DispositionRow.state == "done")
            .where(DispositionRow.step_run_id == mine.step_run_id)
        ).all()
        completions = session.execute(
            select(func.count())
            .select_from(AuditRow)
            .where(AuditRow.instance_id == instance_id)
            .where(AuditRow.entity == "step_run", AuditRow.action == "complete")
            .where(AuditRow.entity_id == str(mine.step_run_id))
        ).scalar_one()
    (winner,) = done
    assert refusal.params == {"by_member_id": winner.assignee_id}
    assert completions == 1  # the contested step completed exactly once


def test_a_double_tap_on_both_databases(database: Database) -> None:
    procedures, agency, _ = staffed(database)
    sekretaris = agency.person("sekretaris")
    item = only(procedures, sekretaris)
    results, errors = race(
        *(
            (
                lambda: procedures.complete(
                    next_key(), member_id=sekretaris, disposition_id=item.disposition_id
                )
            )
            for _ in range(4)
        )
    )
    assert len(results) == 1
    assert len(errors) == 3
    assert all(isinstance(e, AlreadyDone) for e in errors)
    assert all(
        isinstance(e, DomainError) and e.params == {"by_member_id": sekretaris} for e in errors
    )
    assert [i.step_number for i in procedures.inbox(agency.person("jafung_perencana"))] == [3]


def test_the_same_update_delivered_twice_at_once(database: Database) -> None:
    procedures, agency, _ = staffed(database)
    sekretaris = agency.person("sekretaris")
    item = only(procedures, sekretaris)
    key = next_key()
    results, errors = race(
        *(
            (
                lambda: procedures.complete(
                    key, member_id=sekretaris, disposition_id=item.disposition_id
                )
            )
            for _ in range(3)
        )
    )
    assert errors == []
    assert sum(1 for r in results if not r.replayed) == 1
    assert len({r.result for r in results}) == 1

"""Each seed SOP run to the end through the services, on SQLite and PostgreSQL, with its
audit trail read back as a complete history."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from sopbot.engine.definition import DecisionAnswer
from sopbot.engine.errors import NotYourStep
from sopbot.engine.library import SopLibrary
from sopbot.engine.organization import ActingKind
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import DispositionRow, DocumentRow, InstanceRow, StepRunRow
from tests.helpers.agencies import (
    Player,
    SeedAgency,
    fake_upload,
    next_key,
    seed_library,
    staff_agency,
)
from tests.helpers.history import assert_complete_history

LIBRARY: SopLibrary = seed_library()
SEED_IDS = sorted(LIBRARY.definitions)
KESBANGPOL = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
PENGOLAHAN = "dinas-kukmp-samarinda/pengolahan-data-kinerja"


def setup(
    database: Database, sop_id: str
) -> tuple[ProcedureService, OrganizationService, SeedAgency]:
    procedures = ProcedureService(database, LIBRARY)
    organization = OrganizationService(procedures)
    agency = staff_agency(organization, LIBRARY.definitions[sop_id])
    return procedures, organization, agency


def start(procedures: ProcedureService, agency: SeedAgency) -> uuid.UUID:
    definition = agency.definition
    outcome = procedures.start(
        next_key(),
        agency_id=agency.agency_id,
        sop_id=definition.id,
        title="Pengolahan Data Kinerja Triwulan III 2026",
        starter_id=agency.person(definition.first_step.role),
        note="Untuk ditindaklanjuti",
    )
    assert outcome.result.number == 1
    return outcome.result.instance_id


def finished_steps(database: Database, instance_id: uuid.UUID) -> list[tuple[int, int, str]]:
    with database.transaction() as session:
        instance = session.get(InstanceRow, instance_id)
        assert instance is not None
        assert instance.state == "finished"
        runs = session.exec(select(StepRunRow).where(StepRunRow.instance_id == instance_id))
        return sorted((r.step_number, r.round, r.state) for r in runs)


@pytest.mark.parametrize("sop_id", SEED_IDS)
def test_each_seed_runs_to_the_end(database: Database, sop_id: str) -> None:
    procedures, _, agency = setup(database, sop_id)
    instance_id = start(procedures, agency)
    Player(procedures, agency).play_to_end()
    steps = finished_steps(database, instance_id)
    numbers = [s.number for s in agency.definition.steps]
    assert [(n, 1, "completed") for n in numbers] == steps
    rows = assert_complete_history(database, instance_id)
    assert rows[0].action == "start"
    assert rows[-1].action == "finish"


def test_kesbangpol_every_tidak_loop(database: Database) -> None:
    procedures, _, agency = setup(database, KESBANGPOL)
    instance_id = start(procedures, agency)
    player = Player(
        procedures,
        agency,
        answers={
            (5, 1): (DecisionAnswer.NO, "Format belum memuat semua IKU"),
            (11, 1): (DecisionAnswer.NO, "Data bidang belum divalidasi"),
            (12, 1): (DecisionAnswer.NO, "Angka capaian tidak konsisten"),
        },
    )
    player.play_to_end()
    steps = finished_steps(database, instance_id)
    assert (4, 2, "completed") in steps  # redone after step 5's "tidak"
    assert (9, 3, "completed") in steps  # redone after 11's and after 12's "tidak"
    assert (11, 3, "completed") in steps
    assert (12, 2, "completed") in steps
    with database.transaction() as session:
        answers = sorted(
            (r.step_number, r.round, r.answer, r.reason)
            for r in session.exec(select(StepRunRow).where(StepRunRow.instance_id == instance_id))
            if r.answer
        )
    assert answers == [
        (5, 1, "tidak", "Format belum memuat semua IKU"),
        (5, 2, "ya", None),
        (11, 1, "tidak", "Data bidang belum divalidasi"),
        (11, 2, "ya", None),
        (11, 3, "ya", None),
        (12, 1, "tidak", "Angka capaian tidak konsisten"),
        (12, 2, "ya", None),
    ]
    # Step 7 went to each of the three Kepala Bidang, and each delivered.
    kabid = set(agency.people["kepala_bidang"])
    assert {m for step, _, m in player.acted if step == 7} == kabid
    assert_complete_history(database, instance_id)


def test_a_plt_acts_for_an_absent_sekretaris(database: Database) -> None:
    procedures, organization, agency = setup(database, PENGOLAHAN)
    sekretaris = agency.person("sekretaris")
    plt = organization.add_member(agency_id=agency.agency_id, name="Plt. Sekretaris")
    organization.appoint_acting(
        next_key(),
        member_id=plt,
        position_id=agency.positions["sekretaris"][0],
        kind=ActingKind.PLT,
        for_member_id=sekretaris,
        decree="800/12/100.14",
    )
    agency.people["plt"] = [plt]
    instance_id = start(procedures, agency)
    (item,) = procedures.inbox(plt)
    assert (item.step_number, item.acting, item.acting_for_id) == (2, "plt", sekretaris)
    assert procedures.inbox(sekretaris) == []
    Player(procedures, agency).play_to_end()
    finished_steps(database, instance_id)
    with database.transaction() as session:
        acted = session.exec(
            select(DispositionRow)
            .where(DispositionRow.instance_id == instance_id)
            .where(DispositionRow.state == "done")
            .where(DispositionRow.acting == "plt")
        ).all()
    assert {(d.assignee_id, d.acting_for_id) for d in acted} == {(plt, sekretaris)}
    assert len(acted) == 4  # steps 2, 8, 10 and 11 belong to the Sekretaris
    assert_complete_history(database, instance_id)


def test_mutasi_mid_step_moves_the_work(database: Database) -> None:
    procedures, organization, agency = setup(database, PENGOLAHAN)
    instance_id = start(procedures, agency)
    old = agency.person("sekretaris")
    (waiting,) = procedures.inbox(old)
    post = agency.positions["sekretaris"][0]
    successor = organization.add_member(agency_id=agency.agency_id, name="Sekretaris Baru")
    organization.end_holding(next_key(), member_id=old, position_id=post)
    outcome = organization.appoint(next_key(), member_id=successor, position_id=post)
    assert outcome.result.instances_rerouted == 1
    assert procedures.inbox(old) == []
    (moved,) = procedures.inbox(successor)
    assert moved.step_number == 2
    with database.transaction() as session:
        row = session.get(DispositionRow, moved.disposition_id)
        assert row is not None
        assert row.handed_from_id == waiting.disposition_id
        assert row.instruction == "Untuk ditindaklanjuti"
    agency.people["sekretaris"] = [successor]
    Player(procedures, agency).play_to_end()
    finished_steps(database, instance_id)
    assert_complete_history(database, instance_id)


def test_a_step_left_vacant_waits_and_then_goes_to_the_new_holder(database: Database) -> None:
    procedures, organization, agency = setup(database, PENGOLAHAN)
    post = agency.positions["sekretaris"][0]
    organization.end_holding(next_key(), member_id=agency.person("sekretaris"), position_id=post)
    instance_id = start(procedures, agency)
    assert Player(procedures, agency).work() == []  # step 2 has nobody
    newcomer = organization.add_member(agency_id=agency.agency_id, name="Sekretaris Definitif")
    organization.appoint(next_key(), member_id=newcomer, position_id=post)
    (item,) = procedures.inbox(newcomer)
    assert item.step_number == 2
    assert_complete_history(database, instance_id)


def test_hand_over_send_back_and_cancel_are_recorded(database: Database) -> None:
    procedures, _, agency = setup(database, PENGOLAHAN)
    instance_id = start(procedures, agency)
    sekretaris, jafung = agency.person("sekretaris"), agency.person("jafung_perencana")
    colleague = agency.person("kepala_bidang", 2)
    (item,) = procedures.inbox(sekretaris)
    procedures.hand_over(
        next_key(),
        member_id=sekretaris,
        disposition_id=item.disposition_id,
        to_member_id=colleague,
        reason="Sedang dinas luar kota",
    )
    (handed,) = procedures.inbox(colleague)
    procedures.complete(next_key(), member_id=colleague, disposition_id=handed.disposition_id)
    (step_3,) = procedures.inbox(jafung)
    procedures.send_back(
        next_key(),
        member_id=jafung,
        disposition_id=step_3.disposition_id,
        reason="Lampiran SK belum ada",
    )
    (back,) = procedures.inbox(sekretaris)
    assert (back.step_number, back.round) == (2, 2)
    procedures.cancel(
        next_key(), member_id=agency.admin_id, instance_id=instance_id, reason="Diganti SOP revisi"
    )
    assert procedures.inbox(sekretaris) == []
    rows = assert_complete_history(database, instance_id)
    assert rows[-1].action == "cancel"
    assert rows[-1].detail == {"reason": "Diganti SOP revisi"}
    assert [
        r.action
        for r in rows
        if r.entity == "disposition" and r.action in ("hand_over", "send_back")
    ] == ["hand_over", "send_back"]


def test_a_refused_upload_leaves_no_trace(database: Database) -> None:
    procedures, _, agency = setup(database, PENGOLAHAN)
    start(procedures, agency)
    (item,) = procedures.inbox(agency.person("sekretaris"))
    stranger = agency.person("jafung_perencana")
    with pytest.raises(NotYourStep):
        procedures.attach_document(
            next_key(),
            member_id=stranger,
            disposition_id=item.disposition_id,
            document=fake_upload("x.pdf"),
        )
    with database.transaction() as session:
        assert session.exec(select(DocumentRow)).all() == []

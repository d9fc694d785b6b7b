"""Cancelling a procedure and moving a stuck step, as services (issue 20): who may, who is told,
what the audit trail says, and that a refusal changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, col, select

from sopbot.engine.errors import (
    InstanceNotRunning,
    NotAllowed,
    NotFound,
    NotServingRole,
    ReasonRequired,
    StepMoved,
)
from sopbot.engine.instance import InstanceState
from sopbot.engine.organization import ActingKind
from sopbot.messaging.notices import Notifier
from sopbot.services.organization import OrganizationService
from sopbot.services.procedure_admin import ProcedureAdmin
from sopbot.services.procedures import ProcedureService
from sopbot.services.views import Views
from sopbot.storage.database import Database
from sopbot.storage.models import ANY_SOP, AuditRow, OutboxRow
from sopbot.storage.notice_writer import NoticeWriter
from tests.helpers.agencies import SeedAgency, next_key, seed_library, staff_agency, start_as

LIBRARY = seed_library()
KESBANGPOL = LIBRARY.definitions["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]


@dataclass
class Office:
    """A staffed Kesbangpol with its first procedure at step 2 (the Sekretaris')."""

    procedures: ProcedureService
    organization: OrganizationService
    agency: SeedAgency
    instance_id: uuid.UUID

    @property
    def admin(self) -> ProcedureAdmin:
        return ProcedureAdmin(self.procedures)

    def live(self, role: str, index: int = 0) -> uuid.UUID:
        """The live disposition of the role's holder (exactly one)."""
        (item,) = self.procedures.inbox(self.agency.person(role, index))
        return item.disposition_id


def office(database: Database) -> Office:
    procedures = ProcedureService(database, LIBRARY, observer=NoticeWriter(Notifier()))
    organization = OrganizationService(procedures)
    agency = staff_agency(organization, KESBANGPOL)
    started = start_as(procedures, agency, KESBANGPOL, "Data Kinerja Triwulan III", note="Segera")
    return Office(procedures, organization, agency, started.result.instance_id)


def row_counts(database: Database) -> dict[str, int]:
    with database.transaction() as session:
        return {
            name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
            # A refusal is remembered under its key; nothing else may change.
            if name != "processed_command"
        }


def outbox(database: Database, member_id: int) -> list[tuple[str, dict[str, Any]]]:
    with database.transaction() as session:
        rows = session.exec(
            select(OutboxRow).where(OutboxRow.member_id == member_id).order_by(col(OutboxRow.id))
        ).all()
        return [(row.kind, dict(row.payload)) for row in rows]


def audit_rows(database: Database, instance_id: uuid.UUID, action: str) -> list[AuditRow]:
    with database.transaction() as session:
        rows = session.exec(
            select(AuditRow)
            .where(AuditRow.instance_id == instance_id, AuditRow.action == action)
            .order_by(col(AuditRow.id))
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def test_the_starter_cancels_and_every_holder_is_told(database: Database) -> None:
    desk = office(database)
    starter = desk.agency.person("kepala_dinas")
    sekretaris = desk.agency.person("sekretaris")
    desk.live("sekretaris")
    before_starter = len(outbox(database, starter))
    outcome = desk.procedures.cancel(
        next_key(), member_id=starter, instance_id=desk.instance_id, reason="Salah pilih SOP"
    )
    assert outcome.result.state is InstanceState.CANCELLED
    assert desk.procedures.inbox(sekretaris) == []
    # The holder's disposition is edited (no buttons, who and why) and they get a message.
    edit, message = outbox(database, sekretaris)[-2:]
    assert edit[0] == "edit"
    assert edit[1]["keyboard"] is None
    assert "⛔ <b>Prosedur dibatalkan</b> oleh Kepala Dinas #1" in edit[1]["text"]
    assert edit[1]["text"].endswith(": Salah pilih SOP")
    assert message == (
        "message",
        {
            "text": "⛔ Prosedur <b>Data Kinerja Triwulan III</b> (No. 1) dibatalkan oleh "
            "Kepala Dinas #1: Salah pilih SOP\nLangkah 2 Anda tidak perlu dikerjakan lagi."
        },
    )
    # The starter did it: no notice to them.
    assert len(outbox(database, starter)) == before_starter
    # The audit trail and the history say who and why; the procedure is kept, cancelled.
    (row,) = audit_rows(database, desk.instance_id, "cancel")[-1:]
    assert (row.entity, row.actor_id, row.detail["reason"]) == (
        "instance",
        starter,
        "Salah pilih SOP",
    )
    history = Views(desk.procedures).history(desk.agency.agency_id, 1)
    assert history.entries[-1].actor == "Kepala Dinas #1"
    assert history.entries[-1].reason == "Salah pilih SOP"
    (status,) = Views(desk.procedures).status(desk.agency.agency_id, 1)
    assert status.state == "cancelled"


def test_an_admin_cancels_anothers_and_the_starter_is_told_by_whom(database: Database) -> None:
    desk = office(database)
    starter = desk.agency.person("kepala_dinas")
    desk.procedures.cancel(
        next_key(),
        member_id=desk.agency.admin_id,
        instance_id=desk.instance_id,
        reason="Dobel dengan No. 2",
    )
    kind, payload = outbox(database, starter)[-1]
    assert (kind, payload["text"]) == (
        "message",
        "⛔ Prosedur <b>Data Kinerja Triwulan III</b> (No. 1) yang Anda mulai dibatalkan oleh "
        "Admin Agency: Dobel dengan No. 2",
    )


def test_who_may_not_cancel_changes_nothing(database: Database) -> None:
    desk = office(database)
    other = ProcedureService(database, LIBRARY)
    stranger_agency = staff_agency(OrganizationService(other), PENGOLAHAN)
    before = row_counts(database)
    refusals: list[tuple[type[Exception], int | None]] = [
        (NotAllowed, desk.agency.person("sekretaris")),  # a member, not the starter
        (NotFound, stranger_agency.admin_id),  # another agency's admin: not found
        (NotFound, 999_999),  # no such member
    ]
    for error, member in refusals:
        with pytest.raises(error):
            desk.procedures.cancel(
                next_key(), member_id=member, instance_id=desk.instance_id, reason="x"
            )
    with pytest.raises(ReasonRequired):
        desk.procedures.cancel(
            next_key(), member_id=desk.agency.admin_id, instance_id=desk.instance_id, reason=" "
        )
    with pytest.raises(NotFound):
        desk.procedures.cancel(
            next_key(), member_id=desk.agency.admin_id, instance_id=uuid.uuid4(), reason="x"
        )
    assert row_counts(database) == before


def test_a_double_tap_and_a_finished_procedure(database: Database) -> None:
    desk = office(database)
    key = next_key()
    first = desk.procedures.cancel(
        key, member_id=desk.agency.admin_id, instance_id=desk.instance_id, reason="Batal"
    )
    before = row_counts(database)
    again = desk.procedures.cancel(
        key, member_id=desk.agency.admin_id, instance_id=desk.instance_id, reason="Batal"
    )
    assert again.replayed
    assert again.result == first.result
    with pytest.raises(InstanceNotRunning):  # the second tap, a key of its own
        desk.procedures.cancel(
            next_key(), member_id=desk.agency.admin_id, instance_id=desk.instance_id, reason="B"
        )
    assert row_counts(database) == before
    with pytest.raises(InstanceNotRunning):
        desk.admin.cancel_target(desk.agency.admin_id, number=1)


def test_the_server_operator_cancels_as_nobody(database: Database) -> None:
    desk = office(database)
    desk.procedures.cancel(None, member_id=None, instance_id=desk.instance_id, reason="Uji coba")
    (row,) = audit_rows(database, desk.instance_id, "cancel")[-1:]
    assert row.actor_id is None
    _, payload = outbox(database, desk.agency.person("kepala_dinas"))[-1]
    assert "dibatalkan oleh operator server: Uji coba" in payload["text"]


def test_what_each_may_cancel(database: Database) -> None:
    desk = office(database)
    start_as(desk.procedures, desk.agency, KESBANGPOL, "Triwulan IV")
    admin = desk.admin
    assert [p.number for p in admin.cancellable(desk.agency.admin_id)] == [1, 2]
    assert [p.number for p in admin.cancellable(desk.agency.person("kepala_dinas"))] == [1, 2]
    assert admin.cancellable(desk.agency.person("sekretaris")) == []
    with pytest.raises(NotAllowed):
        admin.cancel_target(desk.agency.person("sekretaris"), number=1)
    with pytest.raises(NotFound):
        admin.cancel_target(desk.agency.admin_id, number=3)
    target = admin.cancel_target(desk.agency.person("kepala_dinas"), number=2)
    assert (target.title, target.sop_id) == ("Triwulan IV", KESBANGPOL.id)


def serving_elsewhere(desk: Office) -> tuple[int, int]:
    """A Kasubbag Umum mapped to the Sekretaris' role for all SOPs (the SOP maps its own, so
    routing never sends it there), held by a colleague; a vacant Kasubbag Keuangan of the same
    role with the Kassubag Renval as its Plt. Their member ids."""
    organization, agency = desk.organization, desk.agency
    umum = organization.add_position(agency_id=agency.agency_id, key="umum", name="Kasubbag Umum")
    keuangan = organization.add_position(
        agency_id=agency.agency_id, key="keuangan", name="Kasubbag Keuangan"
    )
    for position in (umum, keuangan):
        organization.map_role(
            agency_id=agency.agency_id, role_key="sekretaris", position_id=position, sop_id=ANY_SOP
        )
    colleague = organization.add_member(agency_id=agency.agency_id, name="Rina Umum")
    organization.appoint(None, member_id=colleague, position_id=umum)
    plt = agency.person("kassubag_renval")
    organization.appoint_acting(
        None, member_id=plt, position_id=keuangan, kind=ActingKind.PLT, for_member_id=None
    )
    return colleague, plt


def test_an_admin_moves_a_stuck_step_to_a_colleague_of_its_role(database: Database) -> None:
    desk = office(database)
    colleague, plt = serving_elsewhere(desk)
    sekretaris = desk.agency.person("sekretaris")
    stuck = desk.live("sekretaris")  # routing did not touch it
    choice = desk.admin.move_choice(desk.agency.admin_id, stuck)
    assert [(c.name, c.position, c.acting) for c in choice.candidates] == [
        ("Rina Umum", "Kasubbag Umum", None),
        ("Kassubag Renval #1", "Kasubbag Keuangan", ActingKind.PLT),
    ]
    desk.procedures.reassign(
        next_key(),
        member_id=desk.agency.admin_id,
        disposition_id=stuck,
        to_member_id=colleague,
        reason="Sekretaris cuti, belum ada Plh",
    )
    assert desk.procedures.inbox(sekretaris) == []
    (moved,) = desk.procedures.inbox(colleague)
    assert moved.step_number == 2
    # The old holder: buttons off, who moved it to whom and why, and a message.
    edit, message = outbox(database, sekretaris)[-2:]
    assert edit[1]["keyboard"] is None
    assert "🔀 Dipindahkan oleh admin Admin Agency kepada Rina Umum" in edit[1]["text"]
    assert message[1]["text"] == (
        "🔀 Langkah 2 pada <b>Data Kinerja Triwulan III</b> (No. 1) dipindahkan oleh admin "
        "Admin Agency kepada Rina Umum: Sekretaris cuti, belum ada Plh\n"
        "Anda tidak perlu mengerjakannya lagi."
    )
    # The new holder reads the reason as the instruction, from the admin.
    kind, payload = outbox(database, colleague)[-1]
    assert kind == "message"
    assert "Dari: Admin Agency" in payload["text"]
    assert "Catatan: <i>Sekretaris cuti, belum ada Plh</i>" in payload["text"]
    # The audit trail tells an admin's move from the holder's own Alihkan.
    (row,) = audit_rows(database, desk.instance_id, "hand_over")
    assert (row.actor_id, row.detail["member_id"], row.detail["by_admin"]) == (
        desk.agency.admin_id,
        sekretaris,
        True,
    )
    # The old button is stale.
    with pytest.raises(StepMoved):
        desk.procedures.complete(next_key(), member_id=sekretaris, disposition_id=stuck)
    # The colleague acts on it, and the procedure goes on to step 3.
    desk.procedures.complete(next_key(), member_id=colleague, disposition_id=moved.disposition_id)
    (next_item,) = desk.procedures.inbox(plt)
    assert next_item.step_number == 3


def test_a_step_moves_to_an_acting_official(database: Database) -> None:
    desk = office(database)
    _, plt = serving_elsewhere(desk)
    desk.procedures.reassign(
        None,
        member_id=None,
        disposition_id=desk.live("sekretaris"),
        to_member_id=plt,
        reason="Cuti",
    )
    (item,) = desk.procedures.inbox(plt)
    assert item.step_number == 2
    (row,) = audit_rows(database, desk.instance_id, "hand_over")
    assert row.actor_id is None


def test_a_move_outside_the_role_or_by_a_non_admin_changes_nothing(database: Database) -> None:
    desk = office(database)
    colleague, _ = serving_elsewhere(desk)
    stuck = desk.live("sekretaris")
    other = ProcedureService(database, LIBRARY)
    stranger_agency = staff_agency(OrganizationService(other), PENGOLAHAN)
    before = row_counts(database)
    attempts: list[tuple[type[Exception], int | None, int]] = [
        (NotServingRole, desk.agency.admin_id, desk.agency.person("kepala_dinas")),
        (NotServingRole, desk.agency.admin_id, desk.agency.person("sekretaris")),  # the holder
        (NotServingRole, desk.agency.admin_id, stranger_agency.person("sekretaris")),
        (NotAllowed, desk.agency.person("kepala_dinas"), colleague),  # not an admin
        (NotFound, stranger_agency.admin_id, colleague),  # another agency's admin
    ]
    for error, actor, to in attempts:
        with pytest.raises(error):
            desk.procedures.reassign(
                next_key(), member_id=actor, disposition_id=stuck, to_member_id=to, reason="x"
            )
        if error is not NotServingRole:
            with pytest.raises(error):
                desk.admin.move_choice(actor, stuck)
    assert row_counts(database) == before
    # Once cancelled, nothing moves.
    desk.procedures.cancel(None, member_id=None, instance_id=desk.instance_id, reason="Batal")
    with pytest.raises(InstanceNotRunning):
        desk.procedures.reassign(
            next_key(),
            member_id=desk.agency.admin_id,
            disposition_id=stuck,
            to_member_id=colleague,
            reason="x",
        )


def test_the_running_procedures_with_their_open_steps(database: Database) -> None:
    desk = office(database)
    (found,) = desk.admin.running(desk.agency.agency_id)
    assert found.summary.number == 1
    (step,) = found.open_steps
    assert (step.step_label, [h.holder for h in step.holders]) == ("2", ["Sekretaris #1"])
    assert desk.admin.open_steps(desk.agency.admin_id, 1) == found
    with pytest.raises(NotAllowed):
        desk.admin.open_steps(desk.agency.person("kepala_dinas"), 1)
    with pytest.raises(NotFound):
        desk.admin.open_steps(desk.agency.admin_id, 2)

"""`sopbot procedure list | cancel | reassign`: the twins of /status, /batal and /pindah for the
server's operator. Refusals exit 1 and write nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, col, select

from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.models import ANY_SOP, AuditRow
from tests.helpers.agencies import SeedAgency, next_key, seed_library, staff_agency, start_as
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.command_line import AGENCY, run, use_fresh_database

LIBRARY = seed_library()
KESBANGPOL = LIBRARY.definitions["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]


@dataclass
class Office:
    """The command line's database with Kesbangpol staffed and procedure No. 1 at step 2."""

    database: Database
    procedures: ProcedureService
    agency: SeedAgency
    umum: int  # a Kasubbag Umum, serving the Sekretaris' role for all SOPs

    def counts(self) -> dict[str, int]:
        with self.database.transaction() as session:
            return {
                name: session.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in SQLModel.metadata.tables.items()
            }

    def holder_of(self, step: int) -> list[int]:
        return [
            member
            for members in self.agency.people.values()
            for member in members
            if any(item.step_number == step for item in self.procedures.inbox(member))
        ]


@pytest.fixture
def office(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Office]:
    use_fresh_database(monkeypatch, tmp_path)
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    upgrade(database)
    procedures = ProcedureService(database, LIBRARY)
    organization = OrganizationService(procedures)
    agency = staff_agency(organization, KESBANGPOL)
    position = organization.add_position(
        agency_id=agency.agency_id, key="umum", name="Kasubbag Umum"
    )
    organization.map_role(
        agency_id=agency.agency_id, role_key="sekretaris", position_id=position, sop_id=ANY_SOP
    )
    umum = organization.add_member(agency_id=agency.agency_id, name="Rina Umum")
    organization.appoint(None, member_id=umum, position_id=position)
    start_as(procedures, agency, KESBANGPOL, "Data Kinerja Triwulan III")
    yield Office(database, procedures, agency, umum)
    database.dispose()


def test_the_running_procedures_are_listed(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    sekretaris = office.agency.person("sekretaris")
    code, out, _ = run(capsys, "procedure", "list", AGENCY)
    assert code == 0
    assert out.splitlines() == [
        f"No. 1  Data Kinerja Triwulan III  [{KESBANGPOL.id}]",
        "    step 2 (Memerintahkan Kasubbag Renval untuk mengumpulkan dan mengol…): "
        f"Sekretaris #1 (member {sekretaris})",
        f"1 running procedure(s) in {AGENCY}",
    ]
    code, _, err = run(capsys, "procedure", "list", "tiada")
    assert (code, err.strip()) == (1, "no agency tiada")


def test_the_operator_cancels_a_procedure(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    before = office.counts()
    for argv, problem in [
        (("tiada", "1"), "no agency tiada"),
        ((AGENCY, "7"), f"no procedure No. 7 in {AGENCY}"),
        ((AGENCY, "1", "--reason", " "), "cannot: say why the procedure is cancelled"),
    ]:
        reason = () if "--reason" in argv else ("--reason", "Salah input")
        code, _, err = run(capsys, "procedure", "cancel", *argv, *reason)
        assert code == 1
        assert err.startswith(problem), err
    assert office.counts() == before

    code, out, _ = run(capsys, "procedure", "cancel", AGENCY, "1", "--reason", "Salah input")
    assert (code, out.strip()) == (
        0,
        "procedure No. 1 (Data Kinerja Triwulan III) cancelled: Salah input; "
        "1 holder(s) of open steps told",
    )
    with office.database.transaction() as session:
        row = session.exec(
            select(AuditRow).where(AuditRow.action == "cancel", AuditRow.entity == "instance")
        ).one()
        assert (row.actor_id, row.detail["reason"]) == (None, "Salah input")
    assert office.holder_of(2) == []
    # Again: it is not running any more; nothing is written.
    before = office.counts()
    code, _, err = run(capsys, "procedure", "cancel", AGENCY, "1", "--reason", "Lagi")
    assert (code, err.strip()) == (1, "procedure No. 1 is cancelled, not running; nothing changed")
    assert office.counts() == before
    code, out, _ = run(capsys, "procedure", "list", AGENCY)
    assert out.strip() == f"0 running procedure(s) in {AGENCY}"


def test_the_operator_moves_a_stuck_step(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    sekretaris = office.agency.person("sekretaris")
    kepala = office.agency.person("kepala_dinas")
    before = office.counts()
    for argv, problem in [
        (("3", "--to", str(office.umum)), "step 3 of No. 1 is not open (open steps: 2)"),
        (("2", "--to", str(office.umum), "--from", str(kepala)), f"member {kepala} does not"),
        (("2", "--to", str(kepala)), "cannot: the person does not serve the step's role"),
    ]:
        code, _, err = run(capsys, "procedure", "reassign", AGENCY, "1", *argv, "--reason", "Cuti")
        assert code == 1
        assert err.startswith(problem), err
    assert office.counts() == before
    _, _, err = run(
        capsys, "procedure", "reassign", AGENCY, "1", "2", "--to", str(kepala), "--reason", "x"
    )
    assert err.splitlines()[-1] == (
        f"who may take step 2: member {office.umum} Rina Umum (Kasubbag Umum)"
    )

    code, out, _ = run(
        capsys,
        "procedure",
        "reassign",
        AGENCY,
        "1",
        "2",
        "--to",
        str(office.umum),
        "--reason",
        "Sekretaris cuti",
    )
    assert (code, out.strip()) == (
        0,
        f"step 2 of No. 1 moved from Sekretaris #1 (member {sekretaris}) "
        f"to Rina Umum (member {office.umum})",
    )
    (item,) = office.procedures.inbox(office.umum)
    assert item.step_number == 2
    with office.database.transaction() as session:
        row = session.exec(
            select(AuditRow).where(AuditRow.action == "hand_over").order_by(col(AuditRow.id))
        ).one()
        assert (row.actor_id, row.detail["by_admin"], row.detail["reason"]) == (
            None,
            True,
            "Sekretaris cuti",
        )


def test_a_step_with_several_holders_needs_from(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    # Steps 2 and 3 done: step 4 waits for either of the two data officers.
    for role in ("sekretaris", "kassubag_renval"):
        member = office.agency.person(role)
        (item,) = office.procedures.inbox(member)
        office.procedures.complete(next_key(), member_id=member, disposition_id=item.disposition_id)
    first, second = office.agency.people["petugas_pengelola_data_kinerja"]
    code, _, err = run(
        capsys, "procedure", "reassign", AGENCY, "1", "4", "--to", str(second), "--reason", "x"
    )
    assert code == 1
    assert err.startswith("step 4 has 2 holders; say which with --from: ")
    code, out, _ = run(
        capsys,
        "procedure",
        "reassign",
        AGENCY,
        "1",
        "4",
        "--to",
        str(second),
        "--from",
        str(first),
        "--reason",
        "Cuti",
    )
    assert code == 0, out
    assert [item.step_number for item in office.procedures.inbox(first)] == []


def test_the_operator_shows_sets_and_removes_a_procedures_letter(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "procedure", "letter", AGENCY, "1")
    assert (code, out.strip()) == (0, "procedure No. 1 (Data Kinerja Triwulan III): no letter")
    before = office.counts()
    for argv, problem in [
        (("tiada", "1", "--number", "1/2"), "no agency tiada"),
        ((AGENCY, "7", "--number", "1/2"), f"no procedure No. 7 in {AGENCY}"),
        ((AGENCY, "1", "--number", "Segera"), "cannot: 'Segera' has no digit"),
        ((AGENCY, "1", "--number", "1/2", "--date", "31/02/2026"), "cannot: the date"),
        ((AGENCY, "1", "--date", "3/12/2025"), "cannot: the procedure has no letter number"),
        ((AGENCY, "1", "--clear", "--number", "1/2"), "--clear removes the whole letter"),
    ]:
        code, _, err = run(capsys, "procedure", "letter", *argv)
        assert code == 1
        assert err.startswith(problem), err
    assert office.counts() == before

    code, out, _ = run(
        capsys,
        "procedure",
        "letter",
        AGENCY,
        "1",
        "--number",
        " 005/123/Kesbangpol/2025 ",
        "--date",
        "3 Des 2025",
        "--sender",
        "Sekretariat Daerah",
    )
    assert (code, out.strip()) == (
        0,
        "letter of procedure No. 1 (Data Kinerja Triwulan III) set: "
        "letter 005/123/Kesbangpol/2025 of 2025-12-03 from Sekretariat Daerah",
    )
    # Audited as the server's operator's (no member).
    with office.database.transaction() as session:
        (row,) = session.exec(select(AuditRow).where(AuditRow.action == "letter"))
        assert (row.actor_id, row.detail["letter_number"]) == (None, "005/123/Kesbangpol/2025")
    code, out, _ = run(capsys, "procedure", "letter", AGENCY, "1", "--sender", "-")
    assert out.strip().endswith("set: letter 005/123/Kesbangpol/2025 of 2025-12-03")
    code, out, _ = run(capsys, "procedure", "letter", AGENCY, "1", "--date", "2025-12-03")
    assert out.strip().endswith("unchanged: letter 005/123/Kesbangpol/2025 of 2025-12-03")
    # Cancelled, the record's letter is still the operator's to correct; then removed.
    run(capsys, "procedure", "cancel", AGENCY, "1", "--reason", "Salah input")
    code, out, _ = run(capsys, "procedure", "letter", AGENCY, "1", "--number", "005/124/K/2025")
    assert (code, out.strip().endswith("set: letter 005/124/K/2025 of 2025-12-03")) == (0, True)
    code, out, _ = run(capsys, "procedure", "letter", AGENCY, "1", "--clear")
    assert (code, out.strip()) == (
        0,
        "letter of procedure No. 1 (Data Kinerja Triwulan III) removed: no letter",
    )

"""Plt/Plh terms start and end on time (the sweep of `services.acting_terms`), on SQLite and
PostgreSQL: open work moves at the boundary and not before, the people concerned are told, the
audit trail has it, and two sweeps at once or a restart apply nothing twice."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from sopbot.engine.errors import NotAllowed, NotFound, UnknownMember
from sopbot.engine.organization import ActingKind
from sopbot.services.acting_terms import ActingTerms, TermsApplied
from sopbot.services.organization import InvalidSetup, OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import ActingRow, AuditRow, OutboxRow
from tests.helpers.agencies import SeedAgency, next_key, seed_library, staff_agency, start_as
from tests.helpers.clock import ManualClock

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
WITA = ZoneInfo("Asia/Makassar")
MONDAY = dt.datetime(2026, 7, 6, 9, 0, tzinfo=WITA)


@dataclass
class Office:
    """A staffed agency with a procedure whose step 2 waits for the Sekretaris."""

    database: Database
    clock: ManualClock
    procedures: ProcedureService
    organization: OrganizationService
    agency: SeedAgency
    sekretaris: int
    plh: int

    @property
    def position(self) -> int:
        return self.agency.positions["sekretaris"][0]

    def steps_of(self, member_id: int) -> list[int]:
        return [item.step_number for item in self.procedures.inbox(member_id)]

    def sweep(self) -> TermsApplied:
        """A sweep by a fresh service, as after a restart."""
        return ActingTerms(self.procedures, clock=self.clock).apply_due()

    def appoint_plh(
        self, valid_from: dt.datetime | None, valid_to: dt.datetime | None, **more: object
    ) -> int:
        outcome = self.organization.appoint_acting(
            next_key(),
            member_id=self.plh,
            position_id=self.position,
            kind=ActingKind.PLH,
            for_member_id=self.sekretaris,
            valid_from=valid_from,
            valid_to=valid_to,
            decree="800/12/100.14",
            **more,  # type: ignore[arg-type]
        )
        return outcome.result.acting_id


@pytest.fixture
def office(database: Database) -> Office:
    clock = ManualClock(MONDAY.astimezone(dt.UTC))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    organization = OrganizationService(procedures, clock=clock)
    agency = staff_agency(organization, PENGOLAHAN)
    plh = organization.add_member(agency_id=agency.agency_id, name="Rina Plh")
    start_as(procedures, agency, PENGOLAHAN, "Triwulan III")
    sekretaris = agency.person("sekretaris")
    found = Office(database, clock, procedures, organization, agency, sekretaris, plh)
    assert found.steps_of(sekretaris) == [2]
    return found


def texts_to(database: Database, member_id: int) -> list[str]:
    with database.transaction() as session:
        rows = session.exec(
            select(OutboxRow)
            .where(OutboxRow.member_id == member_id, OutboxRow.kind == "message")
            .where(col(OutboxRow.disposition_id).is_(None))
            .order_by(col(OutboxRow.id))
        ).all()
        return [str(row.payload["text"]) for row in rows]


def term_audit(
    database: Database, acting_id: int
) -> list[tuple[str, int | None, dict[str, object]]]:
    with database.transaction() as session:
        rows = session.exec(
            select(AuditRow)
            .where(AuditRow.entity == "acting", AuditRow.entity_id == str(acting_id))
            .order_by(col(AuditRow.id))
        ).all()
        return [(row.action, row.actor_id, dict(row.detail)) for row in rows]


def applied_at(database: Database, acting_id: int) -> tuple[dt.datetime | None, dt.datetime | None]:
    with database.transaction() as session:
        row = session.get(ActingRow, acting_id)
        assert row is not None
        return row.start_applied_at, row.end_applied_at


def test_a_plh_term_ends_on_time_and_the_work_goes_back(office: Office) -> None:
    database, clock = office.database, office.clock
    acting = office.appoint_plh(None, MONDAY + dt.timedelta(hours=7))  # until 16.00
    assert office.steps_of(office.plh) == [2]
    assert office.steps_of(office.sekretaris) == []
    (appointed,) = texts_to(database, office.plh)
    assert appointed.startswith("📋 Anda ditunjuk sebagai <b>Plh. Sekretaris 1 untuk Sekretaris #1")
    assert "6 Juli 2026 09.00 s.d. 6 Juli 2026 16.00 (WITA)" in appointed
    assert "1 tugas terbuka jabatan ini dialihkan kepada Anda" in appointed

    clock.advance(hours=6, minutes=59)
    assert office.sweep() == TermsApplied()  # 15.59: nothing has passed
    assert office.steps_of(office.plh) == [2]

    clock.advance(minutes=1, seconds=20)
    assert office.sweep() == TermsApplied(agencies=1, starts=0, ends=1)
    assert office.steps_of(office.sekretaris) == [2]
    assert office.steps_of(office.plh) == []
    ended = texts_to(database, office.plh)[-1]
    assert ended.splitlines() == [
        "⏹️ Masa tugas Anda sebagai <b>Plh. Sekretaris 1 untuk Sekretaris #1</b> telah berakhir "
        "(6 Juli 2026 09.00 s.d. 6 Juli 2026 16.00 (WITA)).",
        "↩️ 1 tugas terbuka kembali kepada Sekretaris #1.",
    ]
    assert [(action, actor) for action, actor, _ in term_audit(database, acting)] == [
        ("appoint", None),
        ("term_end", None),
    ]
    detail = term_audit(database, acting)[-1][2]
    assert (detail["moved_out"], detail["kind"]) == (1, "plh")
    start, end = applied_at(database, acting)
    assert start == MONDAY.astimezone(dt.UTC)
    assert end == clock.now

    # A restart, or the next sweep: nothing is applied again.
    clock.advance(minutes=5)
    assert office.sweep() == TermsApplied()
    assert len(term_audit(database, acting)) == 2
    assert len(texts_to(database, office.plh)) == 2


def test_a_term_set_in_advance_moves_nothing_until_it_starts(office: Office) -> None:
    database, clock = office.database, office.clock
    start = MONDAY + dt.timedelta(days=1)  # Tuesday 09.00
    acting = office.appoint_plh(start, start + dt.timedelta(days=2))
    assert office.steps_of(office.sekretaris) == [2]
    assert office.steps_of(office.plh) == []
    assert applied_at(database, acting) == (None, None)
    (appointed,) = texts_to(database, office.plh)
    assert "Masa tugas dimulai 7 Juli 2026 09.00" in appointed
    assert office.sweep() == TermsApplied()

    clock.set(start + dt.timedelta(seconds=10))
    assert office.sweep() == TermsApplied(agencies=1, starts=1, ends=0)
    assert office.steps_of(office.plh) == [2]
    assert office.steps_of(office.sekretaris) == []
    started = texts_to(database, office.plh)[-1].splitlines()
    assert started[0].startswith("▶️ Masa tugas Anda sebagai <b>Plh. Sekretaris 1")
    assert started[1].startswith("📨 1 tugas terbuka jabatan ini dialihkan kepada Anda")
    assert [a for a, _, _ in term_audit(database, acting)] == ["appoint", "term_start"]
    assert office.sweep() == TermsApplied()

    clock.set(start + dt.timedelta(days=2, seconds=1))
    assert office.sweep() == TermsApplied(agencies=1, starts=0, ends=1)
    assert office.steps_of(office.sekretaris) == [2]
    assert [a for a, _, _ in term_audit(database, acting)] == ["appoint", "term_start", "term_end"]


def test_a_term_that_began_and_ended_while_no_sweep_ran_applies_both(office: Office) -> None:
    start = MONDAY + dt.timedelta(hours=1)
    acting = office.appoint_plh(start, start + dt.timedelta(hours=2))
    office.clock.advance(hours=5)  # the bot was down over the whole term
    assert office.sweep() == TermsApplied(agencies=1, starts=1, ends=1)
    assert office.steps_of(office.sekretaris) == [2]
    assert [a for a, _, _ in term_audit(office.database, acting)] == [
        "appoint",
        "term_start",
        "term_end",
    ]


def test_a_plt_of_a_vacant_post_leaves_the_work_waiting_and_the_admins_are_told(
    office: Office,
) -> None:
    database, organization = office.database, office.organization
    organization.end_holding(next_key(), member_id=office.sekretaris, position_id=office.position)
    assert office.steps_of(office.sekretaris) == []
    organization.appoint_acting(
        next_key(),
        member_id=office.plh,
        position_id=office.position,
        kind=ActingKind.PLT,
        for_member_id=None,
        valid_to=MONDAY + dt.timedelta(days=1),
    )
    assert office.steps_of(office.plh) == [2]
    office.clock.advance(days=1, seconds=1)
    assert office.sweep().ends == 1
    assert office.steps_of(office.plh) == []
    told = texts_to(database, office.plh)[-1].splitlines()
    assert told[1] == (
        "⚠️ 1 tugas terbuka kini menunggu pejabat (jabatan kosong); admin instansi sudah "
        "diberi tahu."
    )
    (admins,) = texts_to(database, office.agency.admin_id)
    assert admins.splitlines() == [
        "⚠️ Masa tugas <b>Plt. Sekretaris 1 (jabatan kosong)</b> (Rina Plh) berakhir. 1 langkah "
        "kini tanpa pejabat:",
        "• No. 1 <b>Triwulan III</b>: langkah 2",
        "Tunjuk Plt/Plh dengan /plt, atau undang pemegang jabatannya dengan /undang.",
    ]


@pytest.mark.parametrize("open_work", [True, False], ids=["work_moves", "nothing_moves"])
def test_two_sweeps_at_once_apply_each_end_once(office: Office, open_work: bool) -> None:
    # Without open work to move, no instance's version check stops a second sweep: only the
    # lock on the terms it takes (or SQLite's one writer) does.
    position = office.position if open_work else office.agency.positions["kepala_dinas"][0]
    holder = office.sekretaris if open_work else office.agency.person("kepala_dinas")
    acting = office.organization.appoint_acting(
        next_key(),
        member_id=office.plh,
        position_id=position,
        kind=ActingKind.PLH,
        for_member_id=holder,
        valid_to=MONDAY + dt.timedelta(hours=1),
    ).result.acting_id
    office.clock.advance(hours=2)
    results: list[TermsApplied] = []
    failures: list[BaseException] = []
    gate = threading.Barrier(2)

    def sweep() -> None:
        try:
            gate.wait(timeout=10)
            results.append(office.sweep())
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sorted(r.ends for r in results) == [0, 1]
    assert [a for a, _, _ in term_audit(office.database, acting)] == ["appoint", "term_end"]
    assert len(texts_to(office.database, office.plh)) == 2  # appointed, ended: once each
    assert office.steps_of(office.sekretaris) == [2]


def test_ending_a_term_now_applies_its_end_once(office: Office) -> None:
    database = office.database
    acting = office.appoint_plh(None, MONDAY + dt.timedelta(days=3))
    office.clock.advance(hours=1)
    ended = office.organization.end_acting(
        next_key(), acting_id=acting, actor_id=office.agency.admin_id
    )
    assert ended.result.instances_rerouted == 1
    assert office.steps_of(office.sekretaris) == [2]
    assert applied_at(database, acting)[1] == office.clock.now
    assert texts_to(database, office.plh)[-1].startswith(
        "⏹️ Penunjukan Anda sebagai <b>Plh. Sekretaris 1 untuk Sekretaris #1</b> diakhiri oleh "
        "admin instansi (6 Juli 2026 09.00 s.d. 6 Juli 2026 10.00 (WITA))."
    )
    office.clock.advance(days=5)
    assert office.sweep() == TermsApplied()
    assert [(a, actor) for a, actor, _ in term_audit(database, acting)] == [
        ("appoint", None),
        ("end", office.agency.admin_id),
    ]


def test_a_term_ended_after_it_began_but_before_a_sweep_never_starts_afterwards(
    office: Office,
) -> None:
    """Its start passed with no sweep to apply it; ending it now applies both boundaries, so no
    later sweep announces a start of a term that is over."""
    acting = office.appoint_plh(MONDAY + dt.timedelta(hours=1), MONDAY + dt.timedelta(days=2))
    office.clock.advance(hours=2)  # started, not yet applied
    office.organization.end_acting(next_key(), acting_id=acting, actor_id=office.agency.admin_id)
    told = len(texts_to(office.database, office.plh))
    office.clock.advance(minutes=1)
    assert office.sweep() == TermsApplied()
    assert len(texts_to(office.database, office.plh)) == told
    assert [a for a, _, _ in term_audit(office.database, acting)] == ["appoint", "end"]
    assert office.steps_of(office.sekretaris) == [2]


def test_a_term_called_off_before_it_starts_never_starts(office: Office) -> None:
    acting = office.appoint_plh(MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2))
    office.organization.end_acting(next_key(), acting_id=acting)
    assert (
        "dibatalkan oleh admin instansi sebelum dimulai"
        in texts_to(office.database, office.plh)[-1]
    )
    office.clock.advance(days=1, hours=1)
    assert office.sweep() == TermsApplied()
    assert office.steps_of(office.sekretaris) == [2]
    assert office.steps_of(office.plh) == []


def test_terms_that_cannot_be_are_refused_and_change_nothing(office: Office) -> None:
    organization, agency = office.organization, office.agency
    with pytest.raises(InvalidSetup) as backwards:
        office.appoint_plh(MONDAY + dt.timedelta(days=2), MONDAY + dt.timedelta(days=1))
    assert backwards.value.params["problem"] == "end_not_after_start"
    with pytest.raises(InvalidSetup) as passed:
        office.appoint_plh(MONDAY - dt.timedelta(days=3), MONDAY - dt.timedelta(days=1))
    assert passed.value.params["problem"] == "end_passed"
    with pytest.raises(InvalidSetup) as self_acting:
        organization.appoint_acting(
            next_key(),
            member_id=office.sekretaris,
            position_id=office.position,
            kind=ActingKind.PLH,
            for_member_id=office.sekretaris,
            valid_to=MONDAY + dt.timedelta(days=1),
        )
    assert self_acting.value.params["problem"] == "acts_for_self"
    # Another agency's people and an actor who is no admin of this one.
    other = organization.create_agency(
        key="dinas-lain", name="Dinas Lain", timezone="Asia/Makassar"
    )
    stranger = organization.add_member(agency_id=other, name="Orang Lain", is_admin=True)
    with pytest.raises(UnknownMember):
        organization.appoint_acting(
            next_key(),
            member_id=office.plh,
            position_id=office.position,
            kind=ActingKind.PLH,
            for_member_id=stranger,
            valid_to=MONDAY + dt.timedelta(days=1),
        )
    with pytest.raises(NotAllowed):
        office.appoint_plh(None, MONDAY + dt.timedelta(days=1), actor_id=stranger)
    with pytest.raises(NotAllowed):
        office.appoint_plh(None, MONDAY + dt.timedelta(days=1), actor_id=office.sekretaris)
    acting = office.appoint_plh(None, MONDAY + dt.timedelta(days=1), actor_id=agency.admin_id)
    with pytest.raises(NotFound):
        organization.end_acting(next_key(), acting_id=acting, agency_id=other)
    with pytest.raises(NotAllowed):
        organization.end_acting(next_key(), acting_id=acting, actor_id=stranger)
    assert office.steps_of(office.plh) == [2]
    assert [a for a, _, _ in term_audit(office.database, acting)] == ["appoint"]

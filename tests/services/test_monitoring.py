"""Mutu Baku compliance, the monitoring form and the evaluation figures, from procedures played
through the real services with a clock moved by hand, so that every time is known.

The office: Dinas Pantau in Samarinda (WITA), Monday-Thursday 07.30-16.00 with a break at
12.00-13.00, Friday 07.30-16.30 with a break at 11.30-13.00. Its SOP has three steps:
1 "Memberi disposisi" (Kepala Dinas, 5 Menit), 2 "Menyusun konsep surat" (Sekretaris, 1 Jam, a
document), 3 "Memeriksa konsep surat" (Kepala Dinas, 10 Menit, a keputusan: ya ends, tidak goes
back to 2). The admin starts every procedure, so step 1 waits for the Kepala Dinas.

The period is July and August 2026; its procedures (times WITA):
  P1 Mon 6 Jul: 1 in 3 min; 2 in 2 h (late); 3 in 5 min, ya. Started with its letter (number,
     date and sender).
  P2 Tue 7 Jul: 1 in 4 min; 2 in 1 h exactly (on time); 3 in 6 min, tidak: 2 again in 2.5 h
     (late); 3 again 11.40-13.05 across the lunch break, 25 min (late), ya.
  P3 Fri 31 Jul 16.00: 1 in 2 min; 2 from Fri 16.02 to Mon 3 Aug 08.32, 90 working min over the
     weekend (late); 3 in 3 min, ya. Started in July, finished in August.
  P4 Tue 4 Aug: 1 in 5 min, exactly at its due time; the admin moves 2 to the Staf (/pindah);
     the admin cancels it.
  P5 Fri 14 Aug 16.00: 1 in 3 min; the Sekretaris hands 2 to the Staf ("Alihkan"), who does it
     on Tue 18 Aug 08.00: 57 working min, Monday 17 Aug being a national holiday (on time); 3 in
     7 min, ya. On Thu 20 Aug the admin gives it a letter number (/surat), without date or
     sender.
  P6 Mon 31 Aug 08.00: 1 in 4 min; 2 still open at the period's end, past due; done 1 Sep.
Outside the period: P0 started Tue 30 Jun (done 1 Jul), P7 started 1 Sep.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sopbot.engine.compliance import InvalidPeriod
from sopbot.engine.errors import NotFound
from sopbot.engine.instance import InstanceState
from sopbot.engine.letters import Letter, LetterEdit, LetterPart
from sopbot.engine.library import load_library
from sopbot.engine.monitoring import (
    ComplianceReport,
    HandlingCounts,
    MonthFigures,
    PositionFigures,
    ProcedureCounts,
    ProcedureLine,
    ReportHeader,
    SopFigures,
    TimeFigures,
)
from sopbot.services.monitoring import MonitoringService
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import InboxItem, ProcedureService
from sopbot.storage.database import Database
from tests.helpers.agencies import fake_upload, next_key
from tests.helpers.clock import ManualClock
from tests.helpers.definitions import definition_text, write_definition

WITA = ZoneInfo("Asia/Makassar")
AGENCY = "dinas-pantau"
SURAT = f"{AGENCY}/surat-keluar"
ARSIP = f"{AGENCY}/arsip"
HEADER = """\
sop:
  instansi: Dinas Pantau Kota Samarinda
  unit: Sekretariat
  nomor: 800/12/SEKRE
  nama: Pengelolaan Surat Keluar
  tanggal_pembuatan: 4 Mei 2026
  tanggal_efektif: 4 Mei 2026
  disahkan_oleh:
    jabatan: Kepala Dinas
    nama: Budi
"""
STEPS = """\
  - no: 1
    kegiatan: Memberi disposisi
    pelaksana: kepala_dinas
    waktu: 5 Menit
    jenis_output: catatan
  - no: 2
    kegiatan: Menyusun konsep surat
    pelaksana: sekretaris
    waktu: 1 Jam
    jenis_output: dokumen
  - no: 3
    kegiatan: Memeriksa konsep surat
    pelaksana: kepala_dinas
    waktu: 10 Menit
    jenis_output: catatan
    keputusan:
      ya: selesai
      tidak: 2
"""
ARSIP_TEXT = definition_text(
    header=HEADER.replace("Pengelolaan Surat Keluar", "Pengarsipan").replace(
        "  unit: Sekretariat\n  nomor: 800/12/SEKRE\n", "  nomor: tidak_tercantum\n"
    ),
    roles="  - id: sekretaris\n    nama: Sekretaris\n",
    steps="  - no: 1\n    kegiatan: Mengarsipkan\n    pelaksana: sekretaris\n"
    "    waktu: 1 Hari\n    jenis_output: catatan\n",
)
JULY_AUGUST = (dt.date(2026, 7, 1), dt.date(2026, 8, 31))
P1_LETTER = Letter("005/123/Disdik/2026", dt.date(2026, 7, 3), "Kementerian Dalam Negeri")
P5_LETTER_NUMBER = "B-12/KB/2026"


def wita(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of 2026 in Samarinda."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=WITA)


def minutes(count: float) -> float:
    """Working seconds of so many minutes."""
    return count * 60.0


@dataclass
class Office:
    """Dinas Pantau, staffed, with a hand on the clock."""

    procedures: ProcedureService
    clock: ManualClock
    agency_id: int
    admin: int
    kadis: int
    sekretaris: int
    staf: int
    instance_ids: dict[int, uuid.UUID] = field(default_factory=dict)  # by procedure number

    def start(self, at: dt.datetime, title: str, letter: Letter | None = None) -> int:
        """The admin starts a procedure of the SOP at `at` (about `letter`); its number."""
        self.clock.set(at)
        outcome = self.procedures.start(
            next_key(),
            agency_id=self.agency_id,
            sop_id=SURAT,
            title=title,
            starter_id=self.admin,
            letter=letter,
        )
        self.instance_ids[outcome.result.number] = outcome.result.instance_id
        return outcome.result.number

    def give_letter_number(self, number: int, at: dt.datetime, letter_number: str) -> None:
        """The admin gives procedure `number` a letter number at `at` (/surat)."""
        self.clock.set(at)
        self.procedures.change_letter(
            next_key(),
            member_id=self.admin,
            instance_id=self.instance_ids[number],
            edits=(LetterEdit(LetterPart.NUMBER, letter_number),),
        )

    def task(self, member: int, number: int) -> InboxItem:
        """The member's one open task in procedure `number`."""
        (found,) = [i for i in self.procedures.inbox(member) if i.instance_number == number]
        return found

    def complete(self, member: int, number: int, at: dt.datetime) -> None:
        """The member presses Selesai on their task at `at`."""
        item = self.task(member, number)
        self.clock.set(at)
        self.procedures.complete(next_key(), member_id=member, disposition_id=item.disposition_id)

    def deliver(self, member: int, number: int, at: dt.datetime) -> None:
        """The member uploads the draft and presses Selesai at `at`."""
        item = self.task(member, number)
        self.clock.set(at)
        self.procedures.attach_document(
            next_key(),
            member_id=member,
            disposition_id=item.disposition_id,
            document=fake_upload(f"konsep-{number}-{item.round}.pdf"),
        )
        self.procedures.complete(next_key(), member_id=member, disposition_id=item.disposition_id)

    def decide(self, number: int, at: dt.datetime, answer: str = "ya") -> None:
        """The Kepala Dinas answers step 3 at `at`."""
        item = self.task(self.kadis, number)
        self.clock.set(at)
        self.procedures.decide(
            next_key(),
            member_id=self.kadis,
            disposition_id=item.disposition_id,
            answer=answer,
            reason="Perbaiki nomor surat" if answer == "tidak" else None,
        )

    def hand_over(self, by: int, holder: int, number: int, at: dt.datetime) -> None:
        """`by` (the holder, or the admin) hands the holder's task to the Staf at `at`."""
        item = self.task(holder, number)
        self.clock.set(at)
        self.procedures.hand_over(
            next_key(),
            member_id=by,
            disposition_id=item.disposition_id,
            to_member_id=self.staf,
            reason="Sedang dinas luar",
        )

    def cancel(self, number: int, at: dt.datetime) -> None:
        """The admin cancels procedure `number` at `at`."""
        item = self.task(self.staf, number)
        self.clock.set(at)
        self.procedures.cancel(
            next_key(), member_id=self.admin, instance_id=item.instance_id, reason="Surat ditarik"
        )


def open_office(database: Database, root: Path) -> Office:
    """The agency with its two SOPs, its posts and its people, on 29 June 2026."""
    write_definition(root, SURAT, definition_text(header=HEADER, steps=STEPS))
    write_definition(root, ARSIP, ARSIP_TEXT)
    library = load_library(root)
    assert not library.errors
    clock = ManualClock(wita(6, 29, 7, 0))
    procedures = ProcedureService(database, library, clock=clock)
    organization = OrganizationService(procedures, clock=clock)
    agency_id = organization.create_agency(
        key=AGENCY, name="Dinas Pantau Kota Samarinda", timezone="Asia/Makassar"
    )
    admin = organization.add_member(agency_id=agency_id, name="Admin", is_admin=True)
    people = {}
    for role, name in (("kepala_dinas", "Kepala Dinas"), ("sekretaris", "Sekretaris")):
        position = organization.add_position(agency_id=agency_id, key=role, name=name)
        organization.map_role(agency_id=agency_id, role_key=role, position_id=position)
        people[role] = organization.add_member(agency_id=agency_id, name=f"Pejabat {name}")
        organization.appoint(None, member_id=people[role], position_id=position)
    staf = organization.add_member(agency_id=agency_id, name="Staf Umum")
    return Office(
        procedures, clock, agency_id, admin, people["kepala_dinas"], people["sekretaris"], staf
    )


def play_the_summer(office: Office) -> None:
    """The procedures of the module's docstring, in the order they happened."""
    kadis, sekretaris, staf = office.kadis, office.sekretaris, office.staf
    p0 = office.start(wita(6, 30, 15, 0), "Surat Juni")  # before the period
    office.complete(kadis, p0, wita(6, 30, 15, 5))
    office.deliver(sekretaris, p0, wita(7, 1, 8, 5))
    office.decide(p0, wita(7, 1, 8, 10))

    p1 = office.start(wita(7, 6, 8, 0), "Surat 1", P1_LETTER)
    office.complete(kadis, p1, wita(7, 6, 8, 3))
    office.deliver(sekretaris, p1, wita(7, 6, 10, 3))
    office.decide(p1, wita(7, 6, 10, 8))

    p2 = office.start(wita(7, 7, 8, 0), "Surat 2")
    office.complete(kadis, p2, wita(7, 7, 8, 4))
    office.deliver(sekretaris, p2, wita(7, 7, 9, 4))
    office.decide(p2, wita(7, 7, 9, 10), "tidak")
    office.deliver(sekretaris, p2, wita(7, 7, 11, 40))
    office.decide(p2, wita(7, 7, 13, 5))

    p3 = office.start(wita(7, 31, 16, 0), "Surat 3")
    office.complete(kadis, p3, wita(7, 31, 16, 2))
    office.deliver(sekretaris, p3, wita(8, 3, 8, 32))
    office.decide(p3, wita(8, 3, 8, 35))

    p4 = office.start(wita(8, 4, 8, 0), "Surat 4")
    office.complete(kadis, p4, wita(8, 4, 8, 5))
    office.hand_over(office.admin, sekretaris, p4, wita(8, 4, 8, 30))
    office.cancel(p4, wita(8, 4, 10, 0))

    p5 = office.start(wita(8, 14, 16, 0), "Surat 5")
    office.complete(kadis, p5, wita(8, 14, 16, 3))
    office.hand_over(sekretaris, sekretaris, p5, wita(8, 14, 16, 10))
    office.deliver(staf, p5, wita(8, 18, 8, 0))
    office.decide(p5, wita(8, 18, 8, 7))
    office.give_letter_number(p5, wita(8, 20, 9, 0), P5_LETTER_NUMBER)

    p6 = office.start(wita(8, 31, 8, 0), "Surat 6")
    office.complete(kadis, p6, wita(8, 31, 8, 4))
    office.deliver(sekretaris, p6, wita(9, 1, 8, 0))  # after the period's end
    office.decide(p6, wita(9, 1, 8, 5))

    office.start(wita(9, 1, 10, 0), "Surat 7")  # after the period


@pytest.fixture
def office(database: Database, tmp_path: Path) -> Office:
    """The office after its summer, the clock on 2 September 2026."""
    office = open_office(database, tmp_path / "sop_defs")
    play_the_summer(office)
    office.clock.set(wita(9, 2, 9, 0))
    return office


# Every step's figures over July and August, as the module's docstring works them out.
STEP_1 = TimeFigures(
    measured=6,  # 120, 180, 180, 240, 240, 300 s; P4's 5 minutes end exactly when due
    on_time=6,
    median_seconds=210.0,
    p90_seconds=300.0,  # nearest rank: the ceil(5.4) = 6th
    median_standard_seconds=300.0,
)
STEP_2 = TimeFigures(5, 2, 5400.0, 9000.0, 3600.0)  # 3420, 3600, 5400, 7200, 9000 s
STEP_3 = TimeFigures(5, 4, 360.0, 1500.0, 600.0)  # 180, 300, 360, 420, 1500 s
SOP_TIME = TimeFigures(16, 12, 330.0, 7200.0, 600.0)  # the 16 runs: the 8th, 9th and 15th


def test_the_monitoring_form_measures_each_step_against_its_mutu_baku(office: Office) -> None:
    service = MonitoringService(office.procedures, clock=office.clock)

    form = service.monitoring_form(office.agency_id, SURAT, *JULY_AUGUST)

    assert form.header == ReportHeader(
        agency_name="Dinas Pantau Kota Samarinda",
        timezone="Asia/Makassar",
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 8, 31),
        generated_at=wita(9, 2, 9, 0).astimezone(dt.UTC),
        working_day_seconds=7.5 * 3600,  # the agency's regular working day
    )
    sop = form.sop
    assert (sop.sop_id, sop.name, sop.sop_number, sop.unit) == (
        SURAT,
        "Pengelolaan Surat Keluar",
        "800/12/SEKRE",
        "Sekretariat",
    )
    # P0 started in June and P7 in September: not of the period. P6 still ran at its end.
    assert sop.procedures == ProcedureCounts(started=6, finished=4, cancelled=1, running=1)
    assert sop.rounds_per_procedure == pytest.approx(7 / 6)  # P2 went round twice
    assert sop.max_rounds == 2
    # P1 7680 s, P2 14700 s, P3 5700 s (a weekend), P5 4020 s (a holiday), against 4500, 8700,
    # 4500, 4500 s of standards along their paths: only P5 within.
    assert sop.duration == TimeFigures(4, 1, 6690.0, 14700.0, 4500.0)
    assert sop.time == SOP_TIME
    one, two, three = sop.steps
    assert (one.step_number, one.step_label, one.activity, one.executors, one.standard) == (
        1,
        "1",
        "Memberi disposisi",
        ("Kepala Dinas",),
        "5 Menit",
    )
    assert (two.executors, two.standard, three.standard) == (("Sekretaris",), "1 Jam", "10 Menit")
    assert (one.time, two.time, three.time) == (STEP_1, STEP_2, STEP_3)
    assert (one.repeated_runs, two.repeated_runs, three.repeated_runs) == (0, 1, 1)
    # P6's step 2 was due at 09.04 on 31 August and still open at midnight.
    assert (one.open_late, two.open_late, three.open_late) == (0, 1, 0)
    assert (two.time.late, two.time.on_time_share) == (3, 0.4)


def test_the_compliance_report_adds_positions_months_and_the_slowest_steps(
    office: Office,
) -> None:
    service = MonitoringService(office.procedures, clock=office.clock)

    report = service.compliance(office.agency_id, *JULY_AUGUST)

    assert isinstance(report, ComplianceReport)
    assert report.procedures == ProcedureCounts(6, 4, 1, 1)
    assert report.time == SOP_TIME
    # Both SOPs, by name: the archive's was never run, and says so.
    surat, arsip = sorted(report.sops, key=lambda s: s.sop_id, reverse=True)
    assert [s.name for s in report.sops] == ["Pengarsipan", "Pengelolaan Surat Keluar"]
    assert surat.time == SOP_TIME
    assert arsip == SopFigures(
        sop_id=ARSIP,
        name="Pengarsipan",
        sop_number=None,
        unit=None,
        procedures=ProcedureCounts(0, 0, 0, 0),
        rounds_per_procedure=None,
        max_rounds=0,
        duration=TimeFigures(0, 0, None, None, None),
        time=TimeFigures(0, 0, None, None, None),
        steps=arsip.steps,
    )
    assert [(s.step_label, s.standard, s.time.measured) for s in arsip.steps] == [
        ("1", "1 Hari", 0)
    ]
    # The Kepala Dinas did steps 1 and 3 (11 runs); the Sekretaris's post did step 2, P5's
    # by the Staf it was handed to (a hand-over keeps the post).
    assert report.positions == (
        PositionFigures("Kepala Dinas", TimeFigures(11, 10, 240.0, 420.0, 300.0)),
        PositionFigures("Sekretaris", STEP_2),
    )
    # A procedure counts in the month it started, a run in the month it was completed: P3's
    # step 1 in July, its steps 2 and 3 in August.
    assert report.months == (
        MonthFigures(
            dt.date(2026, 7, 1),
            ProcedureCounts(3, 3, 0, 0),
            TimeFigures(9, 6, 360.0, 9000.0, 600.0),
        ),
        MonthFigures(
            dt.date(2026, 8, 1),
            ProcedureCounts(3, 1, 1, 1),
            TimeFigures(7, 6, 300.0, 5400.0, 600.0),
        ),
    )
    # Only step 2 is slower than its standard (its median 1.5 times it); step 1 and step 3
    # are within theirs.
    (slow,) = report.slowest
    assert (slow.sop_name, slow.step.step_number, slow.step.time) == (
        "Pengelolaan Surat Keluar",
        2,
        STEP_2,
    )

    # One SOP's report is that SOP's part of the agency's.
    (only,) = service.compliance(office.agency_id, *JULY_AUGUST, sop_id=SURAT).sops
    assert only == surat


def test_the_evaluation_counts_how_the_runs_were_handled_and_compares_with_before(
    office: Office,
) -> None:
    service = MonitoringService(office.procedures, clock=office.clock)

    evaluation = service.evaluation(office.agency_id, SURAT, *JULY_AUGUST)

    assert evaluation.sop == service.monitoring_form(office.agency_id, SURAT, *JULY_AUGUST).sop
    assert evaluation.reassigned_runs == 1  # P4's step 2, moved by the admin
    assert evaluation.handed_over_runs == 1  # P5's step 2, handed on by the Sekretaris
    assert evaluation.returned_runs == 1  # P2's first check, answered "tidak"
    # The drafts of P1, P2 (twice), P3 and P5; P6's came on 1 September.
    assert evaluation.documents == 5
    # The two months before, May and June: P0 started then; its step 2 was done in July.
    assert (evaluation.previous_start, evaluation.previous_end) == (
        dt.date(2026, 5, 1),
        dt.date(2026, 6, 30),
    )
    previous = evaluation.previous
    assert previous is not None
    assert previous.procedures == ProcedureCounts(1, 0, 0, 1)
    assert previous.time == TimeFigures(1, 1, 300.0, 300.0, 300.0)
    # Due at 07.35 on 1 July: not late yet when June ended.
    assert [s.open_late for s in previous.steps] == [0, 0, 0]
    # P0 was handled plainly, its draft uploaded only in July.
    assert evaluation.previous_handling == HandlingCounts(0, 0, 0, 0)

    # September against August: P4's step moved by the admin, P5's handed on by the
    # Sekretaris, P5's draft (P6's came on 1 September).
    september = service.evaluation(
        office.agency_id, SURAT, dt.date(2026, 9, 1), dt.date(2026, 9, 30)
    )
    assert (september.previous_start, september.previous_end) == (
        dt.date(2026, 8, 1),
        dt.date(2026, 8, 31),
    )
    assert september.previous_handling == HandlingCounts(
        reassigned_runs=1, handed_over_runs=1, returned_runs=0, documents=1
    )

    # A period before anything started has nothing to compare with.
    earlier = service.evaluation(office.agency_id, SURAT, dt.date(2026, 5, 1), dt.date(2026, 6, 1))
    assert earlier.previous is None
    assert earlier.previous_handling is None
    assert earlier.sop.procedures == ProcedureCounts(0, 0, 0, 0)


def test_a_period_not_over_yet_counts_only_what_is_due_by_now(
    database: Database, tmp_path: Path
) -> None:
    office = open_office(database, tmp_path / "sop_defs")
    number = office.start(wita(8, 31, 8, 0), "Surat")
    office.complete(office.kadis, number, wita(8, 31, 8, 4))
    service = MonitoringService(office.procedures, clock=office.clock)
    last_day = (dt.date(2026, 8, 31), dt.date(2026, 8, 31))

    office.clock.set(wita(8, 31, 9, 0))  # step 2 is due at 09.04
    (_, two, _) = service.monitoring_form(office.agency_id, SURAT, *last_day).sop.steps
    assert two.open_late == 0

    office.clock.set(wita(8, 31, 9, 5))
    form = service.monitoring_form(office.agency_id, SURAT, *last_day)
    assert form.sop.steps[1].open_late == 1
    assert form.sop.procedures == ProcedureCounts(1, 0, 0, 1)


def test_an_unknown_sop_or_agency_and_a_bad_period_are_refused(office: Office) -> None:
    service = MonitoringService(office.procedures, clock=office.clock)
    agency_id = office.agency_id
    assert service.sops_of(agency_id) == [
        (ARSIP, "Pengarsipan"),
        (SURAT, "Pengelolaan Surat Keluar"),
    ]
    with pytest.raises(NotFound):
        service.monitoring_form(agency_id, "dinas-lain/surat-keluar", *JULY_AUGUST)
    with pytest.raises(NotFound):
        service.evaluation(agency_id, f"{AGENCY}/tidak-ada", *JULY_AUGUST)
    with pytest.raises(NotFound):
        service.compliance(agency_id, *JULY_AUGUST, sop_id=f"{AGENCY}/tidak-ada")
    with pytest.raises(NotFound):
        service.compliance(agency_id + 1000, *JULY_AUGUST)
    with pytest.raises(InvalidPeriod):
        service.compliance(agency_id, dt.date(2026, 8, 31), dt.date(2026, 7, 1))
    # Three years are the most; one day more is refused.
    service.compliance(agency_id, dt.date(2025, 1, 1), dt.date(2027, 12, 31))
    with pytest.raises(InvalidPeriod):
        service.compliance(agency_id, dt.date(2025, 1, 1), dt.date(2028, 1, 1))
    with pytest.raises(InvalidPeriod):
        service.evaluation(agency_id, SURAT, dt.date(2024, 2, 29), dt.date(2027, 3, 1))
    service.evaluation(agency_id, SURAT, dt.date(2024, 2, 29), dt.date(2027, 2, 28))


def test_the_figures_are_read_in_a_few_queries_whatever_the_number_of_procedures(
    office: Office, database: Database
) -> None:
    service = MonitoringService(office.procedures, clock=office.clock)
    service.compliance(office.agency_id, *JULY_AUGUST)  # the definitions are parsed once
    statements: list[str] = []

    def record(sql: str, _parameters: object, _many: bool) -> None:
        statements.append(sql)

    database.observe_statements(record)
    try:
        service.compliance(office.agency_id, *JULY_AUGUST)
        one_month = len(statements)
        service.compliance(office.agency_id, dt.date(2026, 8, 1), dt.date(2026, 8, 31))
    finally:
        database.stop_observing(record)
    assert len(statements) == 2 * one_month
    # The agency, its calendar (cached), the SOPs it ran, then the procedures, their runs with
    # their dispositions, and their documents: three reads of the period, whatever its size.
    period_reads = [s for s in statements[:one_month] if "started_at >=" in s]
    assert len(period_reads) == 3, statements


def test_another_agency_sees_none_of_these_procedures(office: Office) -> None:
    organization = OrganizationService(office.procedures, clock=office.clock)
    other = organization.create_agency(key="dinas-lain", name="Dinas Lain", timezone="Asia/Jakarta")
    service = MonitoringService(office.procedures, clock=office.clock)

    report = service.compliance(other, *JULY_AUGUST)

    assert report.procedures == ProcedureCounts(0, 0, 0, 0)
    assert report.sops == ()
    assert report.header.timezone == "Asia/Jakarta"


def test_the_form_lists_each_procedure_of_the_period_with_its_letter(office: Office) -> None:
    service = MonitoringService(office.procedures, clock=office.clock)

    lines = service.monitoring_form(office.agency_id, SURAT, *JULY_AUGUST).sop.procedure_lines

    # P0 (number 1, June) and P7 (September) are not of the period. Standards along each path:
    # 5 + 60 + 10 minutes, P2's second round 70 more; P4 and P6 opened steps 1 and 2 only.
    # P3 finished in August and P6 ran on after the period's end.
    assert lines == (
        ProcedureLine(
            number=2,
            title="Surat 1",
            sop_id=SURAT,
            letter=P1_LETTER,
            state=InstanceState.FINISHED,
            started_at=wita(7, 6, 8, 0),
            finished_at=wita(7, 6, 10, 8),
            working_seconds=minutes(128),
            standard_seconds=minutes(75),
            late_steps=1,  # step 2
            highest_round=1,
        ),
        ProcedureLine(
            3,
            "Surat 2",
            SURAT,
            None,
            InstanceState.FINISHED,
            wita(7, 7, 8, 0),
            wita(7, 7, 13, 5),
            minutes(245),  # 08.00-13.05 less the lunch hour
            minutes(145),
            2,  # step 2 and step 3 of the second round
            2,
        ),
        ProcedureLine(
            4,
            "Surat 3",
            SURAT,
            None,
            InstanceState.FINISHED,
            wita(7, 31, 16, 0),
            wita(8, 3, 8, 35),
            minutes(95),  # Friday 16.00-16.30 and Monday 07.30-08.35
            minutes(75),
            1,
            1,
        ),
        ProcedureLine(
            5,
            "Surat 4",
            SURAT,
            None,
            InstanceState.CANCELLED,
            wita(8, 4, 8, 0),
            wita(8, 4, 10, 0),
            None,  # cancelled: no working duration
            minutes(65),
            0,
            1,
        ),
        ProcedureLine(
            6,
            "Surat 5",
            SURAT,
            Letter(P5_LETTER_NUMBER),  # given after it finished, without date or sender
            InstanceState.FINISHED,
            wita(8, 14, 16, 0),
            wita(8, 18, 8, 7),
            minutes(67),  # Friday 30 minutes, Tuesday 37: Monday 17 August a holiday
            minutes(75),
            0,
            1,
        ),
        ProcedureLine(
            7,
            "Surat 6",
            SURAT,
            None,
            InstanceState.RUNNING,
            wita(8, 31, 8, 0),
            None,  # it finished on 1 September
            None,
            minutes(65),
            0,
            1,
        ),
    )
    assert [line.within_standard for line in lines] == [False, False, False, None, True, None]

    # The compliance report lists the same, under their SOP; the archive's SOP ran none.
    report = service.compliance(office.agency_id, *JULY_AUGUST)
    by_sop = {sop.sop_id: sop.procedure_lines for sop in report.sops}
    assert by_sop == {ARSIP: (), SURAT: lines}

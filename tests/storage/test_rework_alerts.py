"""A rework round with its own standard ('waktu_ulang'): its due time, reminder and late report
count that standard, not the step's first-round time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from sopbot.engine.definition import DecisionAnswer
from sopbot.engine.library import load_library
from sopbot.services.alerts import AlertService
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import OutboxRow, StepRunRow
from tests.helpers.agencies import Player, staff_agency, start_as
from tests.helpers.clock import ManualClock
from tests.helpers.definitions import definition_text, write_definition

WIB = ZoneInfo("Asia/Jakarta")
SOP = "dinas-contoh/surat"
STEPS = (
    "  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menyiapkan konsep\n    pelaksana: sekretaris\n"
    "    waktu: 1 Hari\n    waktu_ulang: 30 menit\n    jenis_output: catatan\n"
    "  - no: 3\n    kegiatan: Memeriksa konsep\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "    keputusan:\n      ya: selesai\n      tidak: 2\n"
)


def wib(hour: int, minute: int = 0) -> dt.datetime:
    """A moment on Monday 6 July 2026 in Jakarta."""
    return dt.datetime(2026, 7, 6, hour, minute, tzinfo=WIB).astimezone(dt.UTC)


def test_the_rework_round_is_reminded_on_its_own_standard(
    database: Database, tmp_path: Path
) -> None:
    write_definition(tmp_path, SOP, definition_text(steps=STEPS), zone="WIB")
    library = load_library(tmp_path)
    definition = library.get(SOP)
    assert definition is not None
    clock = ManualClock(wib(8))
    procedures = ProcedureService(database, library, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), definition)
    start_as(procedures, agency, definition, "Surat edaran")
    player = Player(procedures, agency, {(3, 1): (DecisionAnswer.NO, "Nomor surat belum ada")})
    sekretaris = agency.person("sekretaris")
    (first,) = procedures.inbox(sekretaris)
    player.act(sekretaris, first)
    clock.set(wib(9))
    kepala = agency.person("kepala_dinas")
    (check,) = procedures.inbox(kepala)
    player.act(kepala, check)
    (rework,) = procedures.inbox(sekretaris)
    assert rework.round == 2
    with database.transaction() as session:
        first_run = session.get(StepRunRow, first.step_run_id)
        rework_run = session.get(StepRunRow, rework.step_run_id)
        assert first_run is not None
        assert rework_run is not None
        assert first_run.due_at == dt.datetime(2026, 7, 7, 8, tzinfo=WIB)  # 1 Hari
        assert rework_run.due_at == wib(9, 30)  # waktu_ulang: 30 menit

    alerts = AlertService(procedures, clock=clock)
    plan = alerts.plan(rework.step_run_id)
    assert plan is not None
    assert plan.at == wib(9, 30)
    clock.set(wib(9, 30))
    escalation = alerts.fire(rework.step_run_id)
    assert escalation is not None
    assert escalation.at == wib(10)  # twice the rework round's standard, not two days
    clock.set(wib(10))
    alerts.fire(rework.step_run_id)
    with database.transaction() as session:
        texts = [
            str(row.payload.get("text", ""))
            for row in session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))
        ]
    reminder = next(t for t in texts if t.startswith("⏰"))
    assert "sudah melewati waktu baku 30 menit (batas Senin, 6 Juli 2026 09.30 WIB)" in reminder
    late = next(t for t in texts if t.startswith("🚨"))
    assert "(waktu baku 30 menit)" in late

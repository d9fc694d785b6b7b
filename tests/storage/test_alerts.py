"""Reminders and escalations on the working clock, decided from the database."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from sopbot.engine.alerts import NextAlert, SentAlert
from sopbot.services.alerts import AlertService
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage import step_alerts
from sopbot.storage.database import Database
from sopbot.storage.errors import ConcurrentUpdate
from sopbot.storage.models import OutboxRow, StepAlertRow, StepRunRow
from tests.helpers.agencies import SeedAgency, next_key, seed_library, staff_agency, start_as
from tests.helpers.clock import ManualClock

LIBRARY = seed_library()
PENGOLAHAN = LIBRARY.definitions["dinas-kukmp-samarinda/pengolahan-data-kinerja"]
WITA = ZoneInfo("Asia/Makassar")


def wita(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in July 2026 in Samarinda (6 July is a Monday)."""
    return dt.datetime(2026, 7, day, hour, minute, tzinfo=WITA)


def setup(
    database: Database, start: dt.datetime
) -> tuple[ManualClock, ProcedureService, AlertService, SeedAgency, uuid.UUID]:
    clock = ManualClock(start.astimezone(dt.UTC))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), PENGOLAHAN)
    start_as(procedures, agency, PENGOLAHAN, "Triwulan III", note="Segera")
    (item,) = procedures.inbox(agency.person("sekretaris"))
    return clock, procedures, AlertService(procedures, clock=clock), agency, item.step_run_id


def messages_to(database: Database, member_id: int) -> list[str]:
    with database.transaction() as session:
        rows = session.exec(
            select(OutboxRow).where(OutboxRow.member_id == member_id).order_by(col(OutboxRow.id))
        ).all()
        return [str(r.payload.get("text", "")) for r in rows]


def alerts(database: Database, run_id: uuid.UUID) -> list[tuple[str, int]]:
    with database.transaction() as session:
        return [
            (a.kind, a.seq)
            for a in session.exec(
                select(StepAlertRow)
                .where(StepAlertRow.step_run_id == run_id)
                .order_by(col(StepAlertRow.id))
            )
        ]


def test_the_due_time_is_on_the_working_clock(database: Database) -> None:
    # Step 2 is "5 Menit"; started two minutes before Friday's closing.
    _, _, _, _, run_id = setup(database, wita(3, 16, 28))
    with database.transaction() as session:
        run = session.get(StepRunRow, run_id)
        assert run is not None
        assert run.due_at == wita(6, 7, 33).astimezone(dt.UTC)


def test_remind_then_escalate_then_remind_again(database: Database) -> None:
    clock, _, service, agency, run_id = setup(database, wita(6, 8, 0))
    sekretaris, kadis, admin = (
        agency.person("sekretaris"),
        agency.person("kepala_dinas"),
        agency.admin_id,
    )
    plan = service.plan(run_id)
    assert plan is not None
    assert plan.at == wita(6, 8, 5).astimezone(dt.UTC)
    clock.set(wita(6, 8, 4))
    assert service.fire(run_id) == plan  # too early: nothing sent, look again at 08.05
    assert alerts(database, run_id) == []
    clock.set(wita(6, 8, 5))
    after_reminder = service.fire(run_id)
    assert alerts(database, run_id) == [("reminder", 1)]
    assert messages_to(database, sekretaris)[-1].startswith("⏰ <b>Pengingat</b>: langkah 2")
    # Escalation at twice the standard: 08.10.
    assert after_reminder is not None
    assert after_reminder.at == wita(6, 8, 10).astimezone(dt.UTC)
    clock.set(wita(6, 8, 10))
    after_escalation = service.fire(run_id)
    assert alerts(database, run_id) == [("reminder", 1), ("escalation", 1)]
    assert messages_to(database, kadis)[-1].startswith("🚨 <b>Terlambat</b>: langkah 2")
    assert messages_to(database, admin)[-1].startswith("🚨 <b>Terlambat</b>: langkah 2")
    # The next reminder: 120 working minutes after the first, 10.05.
    assert after_escalation is not None
    assert after_escalation.at == wita(6, 10, 5).astimezone(dt.UTC)


def test_nothing_goes_at_night_and_nothing_twice(database: Database) -> None:
    clock, _, service, agency, run_id = setup(database, wita(6, 15, 0))  # due 15.05
    clock.set(wita(6, 21, 0))  # the bot comes back at night, past the due time
    plan = service.fire(run_id)
    assert alerts(database, run_id) == []
    assert plan is not None
    assert plan.at == wita(7, 7, 30).astimezone(dt.UTC)  # the next opening
    clock.set(wita(7, 7, 30))
    service.fire(run_id)  # the reminder
    service.fire(run_id)  # the escalation, owed since 15.10 yesterday
    service.fire(run_id)  # a third look at the same moment: nothing is owed now
    assert alerts(database, run_id) == [("reminder", 1), ("escalation", 1)]
    reminders = [
        m for m in messages_to(database, agency.person("sekretaris")) if m.startswith("⏰")
    ]
    assert len(reminders) == 1


def test_downtime_sends_what_is_owed_once(database: Database) -> None:
    clock, _, service, _, run_id = setup(database, wita(6, 8, 0))
    clock.set(wita(9, 9, 0))  # three working days later
    nxt = service.fire(run_id)
    assert alerts(database, run_id) == [("reminder", 1)]
    assert nxt is not None
    assert nxt.at <= clock.now  # the escalation is owed too: it goes right after
    service.fire(run_id)
    assert alerts(database, run_id) == [("reminder", 1), ("escalation", 1)]
    following = service.fire(run_id)
    assert following is not None
    assert following.at > clock.now  # the next reminder counts from now, no burst
    assert alerts(database, run_id) == [("reminder", 1), ("escalation", 1)]


def test_completing_the_step_stops_its_alerts(database: Database) -> None:
    clock, procedures, service, agency, run_id = setup(database, wita(6, 8, 0))
    sekretaris = agency.person("sekretaris")
    (item,) = procedures.inbox(sekretaris)
    procedures.complete(next_key(), member_id=sekretaris, disposition_id=item.disposition_id)
    clock.set(wita(6, 9, 0))
    assert service.fire(run_id) is None
    assert alerts(database, run_id) == []


def test_two_schedulers_firing_at_once_send_once(database: Database) -> None:
    clock, _, service, _, run_id = setup(database, wita(6, 8, 0))
    clock.set(wita(6, 8, 6))
    barrier = threading.Barrier(3)

    def fire() -> None:
        barrier.wait(timeout=10)
        service.fire(run_id)

    threads = [threading.Thread(target=fire) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert alerts(database, run_id) == [("reminder", 1)]


def test_the_morning_digest_lists_what_is_late(database: Database) -> None:
    clock, _, service, agency, _ = setup(database, wita(6, 8, 0))
    clock.set(wita(7, 7, 30))
    assert service.digest(agency.agency_id) == 1
    (digest,) = [m for m in messages_to(database, agency.admin_id) if m.startswith("🌅")]
    assert "1 langkah terlambat" in digest
    assert "langkah 2" in digest


def test_a_handed_over_step_reminds_its_new_holder(database: Database) -> None:
    clock, procedures, service, agency, run_id = setup(database, wita(6, 8, 0))
    sekretaris, colleague = agency.person("sekretaris"), agency.person("jafung_perencana")
    (item,) = procedures.inbox(sekretaris)
    procedures.hand_over(
        next_key(),
        member_id=sekretaris,
        disposition_id=item.disposition_id,
        to_member_id=colleague,
        reason="Dinas luar",
    )
    clock.set(wita(6, 8, 5))
    service.fire(run_id)
    assert not any(m.startswith("⏰") for m in messages_to(database, sekretaris))
    assert any(m.startswith("⏰") for m in messages_to(database, colleague))


def test_an_alert_recorded_twice_fails_alone(database: Database) -> None:
    """The unique key stops a second record of an alert; the rest of the batch stays."""
    clock, _, _, _, run_id = setup(database, wita(6, 8, 0))
    owed = NextAlert("reminder", 1, wita(6, 8, 5).astimezone(dt.UTC))
    with database.unit_of_work() as uow:
        with step_alerts.separately(uow):
            step_alerts.record_sent(uow, run_id, owed, clock.now)
        with pytest.raises(ConcurrentUpdate), step_alerts.separately(uow):
            step_alerts.record_sent(uow, run_id, owed, clock.now)
        assert step_alerts.alerts_sent(uow, run_id) == [
            SentAlert("reminder", 1, owed.at, clock.now)
        ]
    assert alerts(database, run_id) == [("reminder", 1)]

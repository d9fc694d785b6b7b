"""The reminder scheduler: jobs rebuilt from the database with fixed ids, surviving restarts."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from sopbot.bot.reminders import ReminderObserver, ReminderScheduler, alert_job_id
from sopbot.delivery import metrics
from sopbot.services.alerts import AlertService
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import StepAlertRow
from tests.helpers.agencies import next_key, seed_library, staff_agency, start_as
from tests.helpers.clock import ManualClock
from tests.storage.test_alerts import PENGOLAHAN, wita

LIBRARY = seed_library()


def sent(database: Database) -> list[tuple[str, int]]:
    with database.transaction() as session:
        return [
            (a.kind, a.seq)
            for a in session.exec(select(StepAlertRow).order_by(col(StepAlertRow.id)))
        ]


async def test_jobs_are_rebuilt_from_the_database_and_survive_a_restart(
    database: Database,
) -> None:
    clock = ManualClock(wita(6, 8, 0).astimezone(dt.UTC))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), PENGOLAHAN)
    start_as(procedures, agency, PENGOLAHAN, "Triwulan III")
    (item,) = procedures.inbox(agency.person("sekretaris"))
    run_id = item.step_run_id

    first = ReminderScheduler(AlertService(procedures, clock=clock))
    first.scheduler.start(paused=True)  # never let real time fire them in a test
    try:
        assert await first.rebuild() == 1
        job = first.scheduler.get_job(alert_job_id(run_id))
        assert job is not None
        assert job.next_run_time == wita(6, 8, 5)
        # It is 08.05: the job runs, sends the reminder, and plans the escalation at 08.10.
        clock.set(wita(6, 8, 5))
        await first._fire(run_id)
        assert sent(database) == [("reminder", 1)]
        assert first.scheduler.get_job(alert_job_id(run_id)).next_run_time == wita(6, 8, 10)
        assert len(first.scheduler.get_jobs()) == 1  # one job per run, replaced in place
    finally:
        first.stop()

    # The bot restarts: the new scheduler knows the reminder went, and only plans what is owed.
    second = ReminderScheduler(AlertService(procedures, clock=clock))
    second.scheduler.start(paused=True)
    try:
        assert await second.rebuild() == 1
        assert second.scheduler.get_job(alert_job_id(run_id)).next_run_time == wita(6, 8, 10)
        clock.set(wita(6, 9, 0))
        await second._fire(run_id)  # the escalation, owed while the bot was down: once
        await second._fire(run_id)  # nothing more is owed at 09.00
        assert sent(database) == [("reminder", 1), ("escalation", 1)]
    finally:
        second.stop()


async def test_a_job_carries_its_planned_time_and_its_lag_is_measured(database: Database) -> None:
    clock = ManualClock(wita(6, 8, 0).astimezone(dt.UTC))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), PENGOLAHAN)
    start_as(procedures, agency, PENGOLAHAN, "Triwulan III")
    (item,) = procedures.inbox(agency.person("sekretaris"))
    reminders = ReminderScheduler(AlertService(procedures, clock=clock))
    reminders.scheduler.start(paused=True)
    try:
        await reminders.rebuild()
        job = reminders.scheduler.get_job(alert_job_id(item.step_run_id))
        assert job.args == (item.step_run_id, wita(6, 8, 5))
        lags = metrics.REGISTRY.get_sample_value("sopbot_reminder_lag_seconds_count") or 0.0
        clock.set(wita(6, 8, 5))
        await job.func(*job.args)  # as the scheduler calls it
        assert metrics.REGISTRY.get_sample_value("sopbot_reminder_lag_seconds_count") == lags + 1
        assert sent(database) == [("reminder", 1)]
    finally:
        reminders.stop()


async def test_a_new_step_gets_its_job_when_it_opens(database: Database) -> None:
    clock = ManualClock(wita(6, 8, 0).astimezone(dt.UTC))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), PENGOLAHAN)
    reminders = ReminderScheduler(AlertService(procedures, clock=clock))
    procedures.reminders = ReminderObserver(reminders)
    reminders.scheduler.start(paused=True)
    try:
        start_as(procedures, agency, PENGOLAHAN, "Triwulan III")
        (item,) = procedures.inbox(agency.person("sekretaris"))
        job = reminders.scheduler.get_job(alert_job_id(item.step_run_id))
        assert job is not None
        assert job.next_run_time == wita(6, 8, 5)
        # Completing it: the job, when it runs, finds nothing owed and plans nothing.
        procedures.complete(
            next_key(), member_id=agency.person("sekretaris"), disposition_id=item.disposition_id
        )
        clock.set(wita(6, 8, 30))
        await reminders._fire(item.step_run_id)
        assert reminders.scheduler.get_job(alert_job_id(item.step_run_id)) is None
        assert sent(database) == []
    finally:
        reminders.stop()


async def test_each_agency_gets_its_morning_digest_job(database: Database) -> None:
    clock = ManualClock(wita(6, 17, 0).astimezone(dt.UTC))
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), PENGOLAHAN)
    reminders = ReminderScheduler(AlertService(procedures, clock=clock))
    reminders.scheduler.start(paused=True)
    try:
        await reminders.plan_digests()
        job = reminders.scheduler.get_job(f"digest:{agency.agency_id}")
        assert job is not None
        assert job.next_run_time == wita(7, 7, 30)  # Tuesday's opening
    finally:
        reminders.stop()

"""An agency changes its calendar: open steps' due times move with it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select

from sopbot.engine.errors import NotFound
from sopbot.engine.working_calendar import WorkingHours
from sopbot.services.calendar_admin import (
    CalendarAdmin,
    DayNotChanged,
    InvalidCalendar,
    ReasonMissing,
)
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, StepRunRow
from tests.helpers.agencies import seed_library, staff_agency, start_as
from tests.helpers.clock import ManualClock
from tests.storage.test_alerts import PENGOLAHAN, wita

LIBRARY = seed_library()


def test_a_regional_holiday_moves_the_due_time(database: Database) -> None:
    clock = ManualClock(wita(3, 16, 28).astimezone(dt.UTC))  # Friday before closing
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), PENGOLAHAN)
    start_as(procedures, agency, PENGOLAHAN, "Triwulan III")
    (item,) = procedures.inbox(agency.person("sekretaris"))
    admin = CalendarAdmin(procedures, clock=clock)

    def due() -> dt.datetime | None:
        with database.transaction() as session:
            run = session.get(StepRunRow, item.step_run_id)
            assert run is not None
            return run.due_at

    assert due() == wita(6, 7, 33).astimezone(dt.UTC)
    assert admin.set_day(agency.agency_id, dt.date(2026, 7, 6), "off", "HUT Kota").moved == 1
    assert due() == wita(7, 7, 33).astimezone(dt.UTC)  # Monday is off now: Tuesday
    assert admin.clear_day(agency.agency_id, dt.date(2026, 7, 6)).moved == 1
    assert due() == wita(6, 7, 33).astimezone(dt.UTC)
    # A shorter Friday: closing at 16.00 means the step started after closing.
    friday = [(dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 0), dt.time(16, 0))]
    assert admin.set_hours(agency.agency_id, 4, friday).moved == 1
    assert due() == wita(6, 7, 35).astimezone(dt.UTC)
    days = admin.days(agency.agency_id, dt.date(2026, 8, 1), dt.date(2026, 8, 31))
    assert [(d.day, d.source) for d in days] == [
        (dt.date(2026, 8, 17), "national"),
        (dt.date(2026, 8, 25), "national"),
    ]


def test_bad_changes_are_refused(database: Database) -> None:
    procedures = ProcedureService(database, LIBRARY)
    agency = staff_agency(OrganizationService(procedures), PENGOLAHAN)
    admin = CalendarAdmin(procedures)
    with pytest.raises(ReasonMissing, match="say why"):
        admin.set_day(agency.agency_id, dt.date(2026, 7, 6), "off", " ")
    with pytest.raises(InvalidCalendar, match="30 working minutes"):
        admin.set_policy(agency.agency_id, repeat_minutes=10, escalate_factor=2)
    with pytest.raises(InvalidCalendar, match="ends before it starts"):
        admin.set_hours(agency.agency_id, 0, [(dt.time(16), dt.time(8))])
    every_day_off = dict.fromkeys(range(7), ())
    assert WorkingHours(every_day_off).by_weekday[0] == ()
    with pytest.raises(DayNotChanged, match="the agency has not changed this day"):
        admin.clear_day(agency.agency_id, dt.date(2026, 7, 6))
    assert issubclass(DayNotChanged, InvalidCalendar)
    assert issubclass(ReasonMissing, InvalidCalendar)


def test_a_change_is_audited_and_the_policy_stored(database: Database) -> None:
    procedures = ProcedureService(database, LIBRARY)
    agency = staff_agency(OrganizationService(procedures), PENGOLAHAN)
    admin = CalendarAdmin(procedures)
    admin.set_day(agency.agency_id, dt.date(2026, 7, 6), "off", "  HUT Kota  ", actor_id=None)
    admin.set_policy(agency.agency_id, sop_id=PENGOLAHAN.id, repeat_minutes=60, escalate_factor=3)
    with database.unit_of_work(read_only=True) as uow:
        policy = procedures.calendars.policy(uow, agency.agency_id, PENGOLAHAN.id)
    assert (policy.repeat_minutes, policy.escalate_factor) == (60, 3)
    days = admin.days(agency.agency_id, dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    assert [(d.day, d.name, d.source) for d in days] == [
        (dt.date(2026, 7, 6), "HUT Kota", "agency_off")
    ]
    with database.transaction() as session:
        audited = session.exec(
            select(AuditRow.entity, AuditRow.action, AuditRow.after).where(
                AuditRow.agency_id == agency.agency_id,
                col(AuditRow.entity).in_(["calendar_day", "alert_policy"]),
            )
        ).all()
    assert sorted(audited) == [("alert_policy", "set", "set"), ("calendar_day", "set", "off")]


def test_the_calendar_of_an_agency_that_does_not_exist_is_not_found(database: Database) -> None:
    procedures = ProcedureService(database, LIBRARY)
    admin = CalendarAdmin(procedures)
    with database.unit_of_work(read_only=True) as uow, pytest.raises(NotFound) as found:
        procedures.calendars.calendar(uow, 999_999)
    assert found.value.params == {"what": "agency", "agency_id": 999_999}
    assert admin.agency_id("no-such-agency") is None

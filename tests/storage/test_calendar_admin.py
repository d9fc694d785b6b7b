"""An agency changes its calendar: open steps' due times move with it."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.engine.working_calendar import WorkingHours
from sopbot.services.calendar_admin import CalendarAdmin, InvalidCalendar
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import StepRunRow
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
    assert admin.set_day(agency.agency_id, dt.date(2026, 7, 6), "off", "HUT Kota") == 1
    assert due() == wita(7, 7, 33).astimezone(dt.UTC)  # Monday is off now: Tuesday
    assert admin.clear_day(agency.agency_id, dt.date(2026, 7, 6)) == 1
    assert due() == wita(6, 7, 33).astimezone(dt.UTC)
    # A shorter Friday: closing at 16.00 means the step started after closing.
    friday = [(dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 0), dt.time(16, 0))]
    assert admin.set_hours(agency.agency_id, 4, friday) == 1
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
    with pytest.raises(InvalidCalendar, match="say why"):
        admin.set_day(agency.agency_id, dt.date(2026, 7, 6), "off", " ")
    with pytest.raises(InvalidCalendar, match="30 working minutes"):
        admin.set_policy(agency.agency_id, repeat_minutes=10, escalate_factor=2)
    with pytest.raises(InvalidCalendar, match="ends before it starts"):
        admin.set_hours(agency.agency_id, 0, [(dt.time(16), dt.time(8))])
    every_day_off = dict.fromkeys(range(7), ())
    assert WorkingHours(every_day_off).by_weekday[0] == ()
    with pytest.raises(InvalidCalendar, match="the agency has not changed this day"):
        admin.clear_day(agency.agency_id, dt.date(2026, 7, 6))

"""An agency's periods of different working hours (Ramadan): stored, audited, refused when they
cannot be, and moving the due times of the steps already open."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select

from sopbot.services.calendar_admin import (
    CalendarAdmin,
    InvalidCalendar,
    PeriodDatesMissing,
    PeriodNotFound,
    PeriodsOverlap,
)
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, StepRunRow
from tests.helpers.agencies import SeedAgency, staff_agency, start_as
from tests.helpers.clock import ManualClock
from tests.storage.test_alerts import LIBRARY, PENGOLAHAN, wita

t = dt.time
RAMADAN_DAY = [(t(8), t(12)), (t(12, 30), t(15))]
RAMADAN_FRIDAY = [(t(8), t(11, 30)), (t(12, 30), t(15, 30))]
MONDAY_TO_THURSDAY = [0, 1, 2, 3]


def setup(database: Database) -> tuple[ProcedureService, SeedAgency, CalendarAdmin, StepRunRow]:
    clock = ManualClock(wita(3, 16, 28).astimezone(dt.UTC))  # Friday, before closing
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), PENGOLAHAN)
    start_as(procedures, agency, PENGOLAHAN, "Triwulan III")
    (item,) = procedures.inbox(agency.person("sekretaris"))
    with database.transaction() as session:
        run = session.get(StepRunRow, item.step_run_id)
        assert run is not None
    return procedures, agency, CalendarAdmin(procedures, clock=clock), run


def due(database: Database, run: StepRunRow) -> dt.datetime | None:
    with database.transaction() as session:
        row = session.get(StepRunRow, run.id)
        assert row is not None
        return row.due_at


def test_a_period_moves_the_open_steps_and_is_audited(database: Database) -> None:
    procedures, agency, admin, run = setup(database)
    # "5 Menit" from Friday 16.28: two minutes on Friday, three from Monday's opening.
    assert due(database, run) == wita(6, 7, 33).astimezone(dt.UTC)
    changed = admin.set_period_hours(
        agency.agency_id,
        "Ramadan 1448 H",
        MONDAY_TO_THURSDAY,
        RAMADAN_DAY,
        first=dt.date(2026, 7, 6),
        last=dt.date(2026, 8, 4),
    )
    assert changed.moved == 1
    assert due(database, run) == wita(6, 8, 3).astimezone(dt.UTC)  # Monday opens at 08.00
    # Friday's hours are added to the same period, named in other letters.
    friday = admin.set_period_hours(agency.agency_id, "ramadan  1448 h", [4], RAMADAN_FRIDAY)
    assert friday.moved == 0
    overview = admin.working_hours(agency.agency_id, ending_from=dt.date(2026, 7, 3))
    (period,) = overview.periods
    assert (period.name, period.first, period.last) == (
        "Ramadan 1448 H",
        dt.date(2026, 7, 6),
        dt.date(2026, 8, 4),
    )
    assert period.by_weekday[4] == tuple(RAMADAN_FRIDAY)
    assert period.by_weekday[0] == tuple(RAMADAN_DAY)
    assert overview.regular.by_weekday[0][0] == (t(7, 30), t(12))
    with database.unit_of_work(read_only=True) as uow:
        calendar = procedures.calendars.calendar(uow, agency.agency_id)
    assert calendar.period_on(dt.date(2026, 7, 10)) == period
    # Moved a week later: Monday 6 July is a regular day again.
    moved = admin.set_period_hours(
        agency.agency_id, "Ramadan 1448 H", [], [], first=dt.date(2026, 7, 13)
    )
    assert moved.moved == 1
    assert due(database, run) == wita(6, 7, 33).astimezone(dt.UTC)
    # Past periods are not in the overview of what is current or upcoming.
    assert admin.working_hours(agency.agency_id, ending_from=dt.date(2026, 8, 5)).periods == ()
    assert admin.remove_period(agency.agency_id, "RAMADAN 1448 H").moved == 0
    assert admin.working_hours(agency.agency_id, ending_from=dt.date(2026, 7, 1)).periods == ()
    with database.transaction() as session:
        audited = session.exec(
            select(AuditRow.entity_id, AuditRow.action, AuditRow.before, AuditRow.after)
            .where(AuditRow.agency_id == agency.agency_id, AuditRow.entity == "hours_period")
            .order_by(col(AuditRow.id))
        ).all()
    assert [tuple(row) for row in audited] == [
        ("Ramadan 1448 H", "set", None, "2026-07-06..2026-08-04"),
        ("Ramadan 1448 H", "set", "2026-07-06..2026-08-04", "2026-07-06..2026-08-04"),
        ("Ramadan 1448 H", "set", "2026-07-06..2026-08-04", "2026-07-13..2026-08-04"),
        ("Ramadan 1448 H", "clear", "2026-07-13..2026-08-04", "cleared"),
    ]


def test_a_period_that_cannot_be_is_refused(database: Database) -> None:
    _, agency, admin, _ = setup(database)
    agency_id = agency.agency_id
    first, last = dt.date(2027, 2, 8), dt.date(2027, 3, 9)
    admin.set_period_hours(
        agency_id, "Ramadan 1448 H", MONDAY_TO_THURSDAY, RAMADAN_DAY, first=first, last=last
    )
    with pytest.raises(PeriodsOverlap, match=r"overlaps Ramadan 1448 H \(2027-02-08 to 2027-03-09"):
        admin.set_period_hours(
            agency_id,
            "Rapat kerja",
            [0],
            RAMADAN_DAY,
            first=dt.date(2027, 3, 9),
            last=dt.date(2027, 3, 12),
        )
    with pytest.raises(InvalidCalendar, match=r"ends .* before it starts"):
        admin.set_period_hours(
            agency_id, "Lain", [0], RAMADAN_DAY, first=dt.date(2027, 5, 2), last=dt.date(2027, 5, 1)
        )
    with pytest.raises(InvalidCalendar, match="ends before it starts"):
        admin.set_period_hours(agency_id, "Ramadan 1448 H", [0], [(t(15), t(8))])
    with pytest.raises(PeriodDatesMissing, match="first and last day"):
        admin.set_period_hours(agency_id, "Rapat kerja", [0], RAMADAN_DAY)
    with pytest.raises(InvalidCalendar, match="no working day"):
        admin.set_period_hours(agency_id, "Ramadan 1448 H", list(range(7)), [])
    with pytest.raises(InvalidCalendar, match="name the period"):
        admin.set_period_hours(agency_id, "  ", [0], RAMADAN_DAY, first=first, last=last)
    with pytest.raises(PeriodNotFound, match="no period of that name"):
        admin.remove_period(agency_id, "Rapat kerja")
    # The day after the period is free; and nothing refused was stored.
    admin.set_period_hours(
        agency_id,
        "Rapat kerja",
        [0],
        RAMADAN_DAY,
        first=dt.date(2027, 3, 10),
        last=dt.date(2027, 3, 12),
    )
    periods = admin.working_hours(agency_id, ending_from=dt.date(2027, 1, 1)).periods
    assert [(p.name, p.by_weekday.get(4)) for p in periods] == [
        ("Ramadan 1448 H", None),
        ("Rapat kerja", None),
    ]


def test_regular_hours_that_would_leave_a_period_without_work_are_refused(
    database: Database,
) -> None:
    _, agency, admin, _ = setup(database)
    agency_id = agency.agency_id
    admin.set_period_hours(
        agency_id,
        "Tanpa Jumat",
        [0, 1, 2, 3],
        [],
        first=dt.date(2027, 2, 8),
        last=dt.date(2027, 3, 9),
    )
    with pytest.raises(InvalidCalendar, match="Tanpa Jumat: the working hours have no working day"):
        admin.set_hours(agency_id, 4, [])
    # Several weekdays at once; Monday now opens at 08.00, so the open step's due time moves.
    assert admin.set_hours(agency_id, [0, 1], [(t(8), t(16))]).moved == 1
    regular = admin.working_hours(agency_id, ending_from=dt.date(2027, 1, 1)).regular
    assert regular.by_weekday[1] == ((t(8), t(16)),)
    assert regular.by_weekday[4] != ()

"""An agency chooses what its SOPs' "hari" means; open steps' due times follow the choice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from sopbot.engine.durations import parse_standard_time
from sopbot.engine.library import load_library
from sopbot.engine.working_calendar import DayRule
from sopbot.services.calendar_admin import CalendarAdmin
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, StepRunRow
from tests.helpers.agencies import staff_agency, start_as
from tests.helpers.clock import ManualClock
from tests.helpers.definitions import definition_text, write_definition

WIB = ZoneInfo("Asia/Jakarta")
SOP = "dinas-contoh/surat"  # step 2: "1 Hari", for the Sekretaris


def wib(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=WIB).astimezone(dt.UTC)


def test_changing_the_reading_moves_open_steps(database: Database, tmp_path: Path) -> None:
    write_definition(tmp_path, SOP, definition_text(), zone="WIB")
    library = load_library(tmp_path)
    definition = library.get(SOP)
    assert definition is not None
    clock = ManualClock(wib(7, 6, 10))  # Monday 10.00
    procedures = ProcedureService(database, library, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), definition)
    start_as(procedures, agency, definition, "Surat edaran")
    (item,) = procedures.inbox(agency.person("sekretaris"))
    admin = CalendarAdmin(procedures, clock=clock)

    def due() -> dt.datetime | None:
        with database.transaction() as session:
            run = session.get(StepRunRow, item.step_run_id)
            assert run is not None
            return run.due_at

    assert admin.day_rule(agency.agency_id) is DayRule.WORKING_TIME  # the default
    assert due() == wib(7, 7, 10)  # a working day's worth of working time: Tuesday 10.00
    assert admin.set_day_rule(agency.agency_id, DayRule.END_OF_DAY).moved == 1
    assert admin.day_rule(agency.agency_id) is DayRule.END_OF_DAY
    assert due() == wib(7, 7, 16)  # by Tuesday's closing
    # The same choice again changes nothing, and is not audited twice.
    assert admin.set_day_rule(agency.agency_id, DayRule.END_OF_DAY).moved == 0
    with database.transaction() as session:
        audited = session.exec(
            select(AuditRow).where(col(AuditRow.entity) == "agency_day_rule")
        ).all()
    assert [(row.before, row.after) for row in audited] == [("kerja", "akhir")]
    assert admin.set_day_rule(agency.agency_id, DayRule.WORKING_TIME).moved == 1
    assert due() == wib(7, 7, 10)


def test_an_agency_created_with_the_end_of_day_reading(database: Database, tmp_path: Path) -> None:
    procedures = ProcedureService(database, load_library(tmp_path))
    agency_id = OrganizationService(procedures).create_agency(
        key="dinas-akhir", name="Dinas", timezone="Asia/Jakarta", day_rule=DayRule.END_OF_DAY
    )
    with database.unit_of_work(read_only=True) as uow:
        calendar = procedures.calendars.calendar(uow, agency_id)
    assert calendar.day_rule is DayRule.END_OF_DAY
    # Opened on Monday five minutes before closing: due at Tuesday's closing.
    assert calendar.due(wib(7, 6, 15, 55), parse_standard_time("1 hari")) == wib(7, 7, 16)

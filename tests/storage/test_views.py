"""/tugas and /status count lateness on the working clock."""

from __future__ import annotations

import datetime as dt

from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.services.views import Views
from sopbot.storage.database import Database
from tests.helpers.agencies import seed_library, staff_agency, start_as
from tests.helpers.clock import ManualClock
from tests.storage.test_alerts import PENGOLAHAN, wita

LIBRARY = seed_library()


def test_a_weekend_does_not_make_a_step_late(database: Database) -> None:
    clock = ManualClock(wita(3, 16, 28).astimezone(dt.UTC))  # Friday, two minutes to closing
    procedures = ProcedureService(database, LIBRARY, clock=clock)
    agency = staff_agency(OrganizationService(procedures, clock=clock), PENGOLAHAN)
    start_as(procedures, agency, PENGOLAHAN, "Triwulan III")
    views = Views(procedures, clock=clock)
    sekretaris = agency.person("sekretaris")

    clock.set(wita(6, 7, 30))  # Monday's opening: 2 of the 5 minutes are spent, not late
    (task,) = views.tasks(sekretaris)
    assert task.due_at == wita(6, 7, 33).astimezone(dt.UTC)
    assert task.late_by is None

    clock.set(wita(6, 9, 33))
    (task,) = views.tasks(sekretaris)
    assert task.late_by == dt.timedelta(hours=2)  # two working hours, not a weekend's worth

    (status,) = views.status(agency.agency_id)
    (open_step,) = status.open_steps
    assert open_step.late
    assert open_step.spent == dt.timedelta(hours=2, minutes=5)  # working time since Friday

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


def test_the_history_names_its_members_by_id_so_a_namesake_is_not_involved(
    database: Database,
) -> None:
    procedures = ProcedureService(database, LIBRARY)
    organization = OrganizationService(procedures)
    agency = staff_agency(organization, PENGOLAHAN)
    start_as(procedures, agency, PENGOLAHAN, "Triwulan III")
    views = Views(procedures)
    kepala, sekretaris = agency.person("kepala_dinas"), agency.person("sekretaris")
    before = views.history(agency.agency_id, 1)
    assert before is not None
    sekretaris_name = next(e.person for e in before.entries if e.person_id == sekretaris)
    # A new member who happens to carry the sekretaris's name.
    namesake = organization.add_member(agency_id=agency.agency_id, name=str(sekretaris_name))

    history = views.history(agency.agency_id, 1)
    assert history is not None
    assert history.started_by_id == kepala
    sent = [e for e in history.entries if e.entity == "disposition" and e.action == "send"]
    assert [e.person_id for e in sent] == [kepala, sekretaris]
    assert history.involves(kepala)
    assert history.involves(sekretaris)
    assert not history.involves(namesake)
    assert views.history(agency.agency_id, 2) is None

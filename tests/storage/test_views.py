"""/tugas and /status count lateness on the working clock."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.engine.errors import NotFound
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.services.views import Views
from sopbot.storage.database import Database
from tests.helpers.agencies import next_key, seed_library, staff_agency, start_as
from tests.helpers.clock import ManualClock
from tests.storage.test_alerts import PENGOLAHAN, wita

LIBRARY = seed_library()
KESBANGPOL = LIBRARY.definitions["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]


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
    sekretaris_name = next(e.person for e in before.entries if e.person_id == sekretaris)
    # A new member who happens to carry the sekretaris's name.
    namesake = organization.add_member(agency_id=agency.agency_id, name=str(sekretaris_name))

    history = views.history(agency.agency_id, 1)
    assert history.started_by_id == kepala
    sent = [e for e in history.entries if e.entity == "disposition" and e.action == "send"]
    assert [e.person_id for e in sent] == [kepala, sekretaris]
    assert history.involves(kepala)
    assert history.involves(sekretaris)
    assert not history.involves(namesake)
    with pytest.raises(NotFound):
        views.history(agency.agency_id, 2)


def test_status_shows_the_agency_s_own_procedures_and_who_is_or_was_on_each_step(
    database: Database,
) -> None:
    procedures = ProcedureService(database, LIBRARY)
    organization = OrganizationService(procedures)
    agency = staff_agency(organization, PENGOLAHAN)
    other = staff_agency(organization, KESBANGPOL)
    for title in ("Triwulan I", "Triwulan II", "Triwulan III"):
        start_as(procedures, agency, PENGOLAHAN, title)
    start_as(procedures, other, KESBANGPOL, "Lain")
    views = Views(procedures)
    kepala, sekretaris = agency.person("kepala_dinas"), agency.person("sekretaris")
    jafung = agency.person("jafung_perencana")
    first, second, _ = procedures.inbox(sekretaris)
    assert (first.instance_number, second.instance_number) == (1, 2)
    procedures.cancel(next_key(), member_id=kepala, instance_id=first.instance_id, reason="Batal")
    procedures.complete(next_key(), member_id=sekretaris, disposition_id=second.disposition_id)

    running = views.status(agency.agency_id)
    assert [(s.number, s.title, s.state) for s in running] == [
        (2, "Triwulan II", "running"),
        (3, "Triwulan III", "running"),
    ]
    assert {s.sop_name for s in running} == {PENGOLAHAN.identity.name}
    names = procedures.member_names([kepala, sekretaris, jafung])
    steps = running[0].steps
    assert [(t.step_number, t.round, t.state, t.people) for t in steps[1:]] == [
        (2, 1, "completed", [names[sekretaris]]),  # who delivered a step stays named on it
        (3, 1, "open", [names[jafung]]),  # the open step names whom it waits for
    ]
    assert [t.step_number for t in running[0].open_steps] == [3]
    # A cancelled procedure is found by its number; its cancelled step names whom it was
    # waiting for (not "no official yet").
    (cancelled,) = views.status(agency.agency_id, 1)
    assert (cancelled.title, cancelled.state, cancelled.open_steps) == (
        "Triwulan I",
        "cancelled",
        [],
    )
    assert [(t.step_number, t.state, t.people) for t in cancelled.steps[1:]] == [
        (2, "cancelled", [names[sekretaris]])
    ]
    # Each agency sees its own procedures only; a number it does not have is not found.
    (theirs,) = views.status(other.agency_id)
    assert (theirs.number, theirs.title) == (1, "Lain")
    with pytest.raises(NotFound):
        views.status(agency.agency_id, 4)
    with pytest.raises(NotFound):
        views.history(other.agency_id, 2)

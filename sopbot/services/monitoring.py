"""Monitoring and evaluation of SOPs (Permenpan RB 35/2012): Mutu Baku compliance over a period,
the monitoring form and the evaluation form's figures, computed from the recorded runs.

Each query reads in one read-only unit of work (the procedures of the period through
`sopbot.storage.monitoring_reading`) and hands the records to `sopbot.engine.compliance`,
which measures them on the agency's working clock; how a period is measured is told there.
The files (XLSX, PDF) are rendered from these values by `sopbot.documents`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from sopbot.engine.compliance import Period, PeriodMeasure, ProcedureRecord
from sopbot.engine.definition import SopDefinition
from sopbot.engine.errors import NotFound
from sopbot.engine.monitoring import (
    ComplianceReport,
    EvaluationFigures,
    MonitoringForm,
    ReportHeader,
)
from sopbot.engine.national_holidays import national_days_off
from sopbot.engine.working_calendar import WorkingCalendar
from sopbot.services.commands import Clock, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies
from sopbot.storage.agencies import Agency
from sopbot.storage.monitoring_reading import definitions_of, procedures_started, sops_run
from sopbot.storage.procedure_reading import calendar_of
from sopbot.storage.unit_of_work import UnitOfWork


class MonitoringService:
    """The figures behind /laporan and `sopbot report`: read-only, one unit of work each.

    A period is given as local dates in the agency's zone, both inclusive; `InvalidPeriod`
    (sopbot.engine.compliance) refuses one that ends before it starts or is longer than three
    years. An agency or an SOP that does not exist (or an SOP of another agency) is `NotFound`.
    """

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.procedures = procedures
        self.database = procedures.database
        self.clock = clock

    def sops_of(self, agency_id: int) -> list[tuple[str, str]]:
        """The agency's SOPs that have a report to give, as (id, name), by name: those that
        can be started now, and those it ran a procedure of (named by the newest version it
        ran)."""
        with self.database.unit_of_work(read_only=True) as uow:
            references, _ = self._sops(uow, self._agency(uow, agency_id))
        return [(definition.id, definition.identity.name) for definition in references]

    def compliance(
        self, agency_id: int, start: dt.date, end: dt.date, sop_id: str | None = None
    ) -> ComplianceReport:
        """Mutu Baku compliance of the agency (or of one of its SOPs) from `start` to `end`:
        every SOP that can be started or was started in the period (or the one asked for),
        the agency's totals, positions, months and slowest steps."""
        period = Period.checked(start, end)
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            agency = self._agency(uow, agency_id)
            references, installed = self._sops(uow, agency)
            if sop_id is not None:
                references = [_reference_of(references, sop_id)]
            calendar = self._calendar(uow, agency_id, period)
            measure = PeriodMeasure(calendar, period, now=now)
            found = procedures_started(uow, agency_id, measure.start, measure.end, sop_id)
            if sop_id is None:
                started = {p.sop_id for p in found}
                references = [d for d in references if d.id in started or d.id in installed]
            versions = definitions_of(uow, self.procedures.definitions, _versions(found))
        return measure.report(_header(agency, period, now, calendar), references, versions, found)

    def monitoring_form(
        self, agency_id: int, sop_id: str, start: dt.date, end: dt.date
    ) -> MonitoringForm:
        """The monitoring form of one SOP from `start` to `end`: its steps as measured."""
        period = Period.checked(start, end)
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            agency = self._agency(uow, agency_id)
            reference = _reference_of(self._sops(uow, agency)[0], sop_id)
            calendar = self._calendar(uow, agency_id, period)
            measure = PeriodMeasure(calendar, period, now=now)
            found = procedures_started(uow, agency_id, measure.start, measure.end, sop_id)
            versions = definitions_of(uow, self.procedures.definitions, _versions(found))
        figures, _ = measure.sop(reference, versions, found)
        return MonitoringForm(_header(agency, period, now, calendar), figures)

    def evaluation(
        self, agency_id: int, sop_id: str, start: dt.date, end: dt.date
    ) -> EvaluationFigures:
        """The evaluation form's figures of one SOP from `start` to `end`, with the same SOP
        over the period just before (`Period.previous`: the same calendar months before, or
        the same number of days; None when no procedure of it started then) for the trend."""
        period = Period.checked(start, end)
        before = period.previous()
        now = self.clock()
        with self.database.unit_of_work(read_only=True) as uow:
            agency = self._agency(uow, agency_id)
            reference = _reference_of(self._sops(uow, agency)[0], sop_id)
            calendar = self._calendar(uow, agency_id, Period(before.start, period.end))
            measure = PeriodMeasure(calendar, period, now=now)
            earlier = PeriodMeasure(calendar, before, now=now)
            found = procedures_started(uow, agency_id, measure.start, measure.end, sop_id)
            found_before = procedures_started(uow, agency_id, earlier.start, earlier.end, sop_id)
            versions = definitions_of(
                uow, self.procedures.definitions, _versions([*found, *found_before])
            )
        figures, handling = measure.sop(reference, versions, found)
        previous, previous_handling = (
            earlier.sop(reference, versions, found_before) if found_before else (None, None)
        )
        return EvaluationFigures(
            header=_header(agency, period, now, calendar),
            sop=figures,
            previous=previous,
            reassigned_runs=handling.reassigned_runs,
            handed_over_runs=handling.handed_over_runs,
            returned_runs=handling.returned_runs,
            documents=handling.documents,
            previous_start=before.start,
            previous_end=before.end,
            previous_handling=previous_handling,
        )

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _agency(uow: UnitOfWork, agency_id: int) -> Agency:
        found = agencies.agency(uow, agency_id)
        if found is None:
            raise NotFound("no such agency", what="agency", agency_id=agency_id)
        return found

    def _sops(self, uow: UnitOfWork, agency: Agency) -> tuple[list[SopDefinition], set[str]]:
        """Each SOP of the agency that can be started or was run, as its current definition
        describes it (or the newest version run, for one that can no longer be started), by
        name; and the ids of those that can be started."""
        current = {d.id: d for d in self.procedures.library.for_agency(agency.key)}
        ran = sops_run(uow, agency.id)
        older = definitions_of(
            uow, self.procedures.definitions, (v for s, v in ran.items() if s not in current)
        )
        references = list(current.values()) + [
            older[version] for sop_id, version in ran.items() if sop_id not in current
        ]
        ordered = sorted(references, key=lambda d: (d.identity.name.casefold(), d.id))
        return ordered, set(current)

    def _calendar(self, uow: UnitOfWork, agency_id: int, period: Period) -> WorkingCalendar:
        """The agency's working calendar, with the national days off of the years around the
        period (the stored calendar knows only the years around now)."""
        calendar = calendar_of(uow, self.procedures.calendars, agency_id)
        years = range(period.start.year - 1, period.end.year + 2)
        return dataclasses.replace(
            calendar, days_off={**national_days_off(years), **calendar.days_off}
        )


def _reference_of(references: list[SopDefinition], sop_id: str) -> SopDefinition:
    """The SOP `sop_id` among the agency's; `NotFound` when it is not one of them."""
    found = next((d for d in references if d.id == sop_id), None)
    if found is None:
        raise NotFound("no such SOP in this agency", what="sop", sop_id=sop_id)
    return found


def _versions(procedures: Iterable[ProcedureRecord]) -> set[int]:
    return {procedure.sop_version_id for procedure in procedures}


def _header(
    agency: Agency, period: Period, now: dt.datetime, calendar: WorkingCalendar
) -> ReportHeader:
    return ReportHeader(
        agency_name=agency.name,
        timezone=agency.timezone,
        period_start=period.start,
        period_end=period.end,
        generated_at=now.astimezone(dt.UTC),
        # "1 hari" in the files is one of the agency's regular working days.
        working_day_seconds=calendar.hours.day_length,
    )

"""Managing an agency's working calendar and alert thresholds.

A change moves the due times of the agency's open steps: a regional holiday declared after a
step opened extends its deadline, as officials expect. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from sopbot.engine.alerts import AlertPolicy
from sopbot.engine.errors import DomainError
from sopbot.engine.instance import InstanceState, StepRunState
from sopbot.engine.national_holidays import national_days_off
from sopbot.engine.working_calendar import Interval, WorkingHours
from sopbot.services.commands import Clock, CommandRunner, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage.audit import record_change
from sopbot.storage.calendars import hours_from_json, hours_to_json
from sopbot.storage.models import (
    ANY_SOP,
    AgencyHoursRow,
    AgencyRow,
    AlertPolicyRow,
    CalendarDayRow,
    InstanceRow,
    StepRunRow,
)
from sopbot.storage.unit_of_work import UnitOfWork


class InvalidCalendar(DomainError):
    """A calendar change that cannot be made as asked."""

    code = "invalid_calendar"


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """A day that differs from an ordinary working day, and why."""

    day: dt.date
    name: str
    source: str  # national | agency_off | agency_working


class CalendarAdmin:
    """An agency's days off, working hours and alert thresholds."""

    def __init__(self, procedures: ProcedureService, *, clock: Clock = utc_now) -> None:
        self.procedures = procedures
        self.runner = CommandRunner(procedures.database, clock)
        self.clock = clock

    def days(self, agency_id: int, start: dt.date, end: dt.date) -> list[CalendarDay]:
        """National days off and the agency's own changes between two dates."""
        with self.procedures.database.reading() as session:
            own = {
                row.day: row
                for row in session.exec(
                    select(CalendarDayRow).where(CalendarDayRow.agency_id == agency_id)
                )
            }
        national = national_days_off(range(start.year, end.year + 1))
        result: list[CalendarDay] = []
        for day in sorted(set(national) | set(own)):
            if not start <= day <= end:
                continue
            if day in own:
                row = own[day]
                source = "agency_off" if row.kind == "off" else "agency_working"
                result.append(CalendarDay(day, row.name, source))
            else:
                result.append(CalendarDay(day, national[day], "national"))
        return result

    def set_day(
        self, agency_id: int, day: dt.date, kind: str, name: str, actor_id: int | None = None
    ) -> int:
        """Make a day a day off (`off`) or a working day (`working`); returns steps moved."""
        if kind not in ("off", "working"):
            raise InvalidCalendar("a day is 'off' or 'working'", kind=kind)
        clean = name.strip()[:200]
        if not clean:
            raise InvalidCalendar("say why (e.g. the decree or the occasion)")

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            row = session.exec(
                select(CalendarDayRow).where(
                    CalendarDayRow.agency_id == agency_id, CalendarDayRow.day == day
                )
            ).first()
            before = row.kind if row else None
            if row is None:
                row = CalendarDayRow(agency_id=agency_id, day=day, kind=kind, name=clean)
            row.kind, row.name = kind, clean
            session.add(row)
            session.flush()
            record_change(
                session,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="calendar_day",
                entity_id=day.isoformat(),
                action="set",
                before=before,
                after=kind,
                detail={"name": clean},
            )
            return {"moved": self._move_due_times(session, agency_id)}

        return int(self.runner.run(None, "calendar_day", work, dict).result["moved"])

    def clear_day(self, agency_id: int, day: dt.date, actor_id: int | None = None) -> int:
        """Undo the agency's own change of a day; returns steps moved."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            row = session.exec(
                select(CalendarDayRow).where(
                    CalendarDayRow.agency_id == agency_id, CalendarDayRow.day == day
                )
            ).first()
            if row is None:
                raise InvalidCalendar("the agency has not changed this day", day=day.isoformat())
            record_change(
                session,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="calendar_day",
                entity_id=day.isoformat(),
                action="clear",
                before=row.kind,
                after="cleared",
                detail={"name": row.name},
            )
            session.delete(row)
            session.flush()
            return {"moved": self._move_due_times(session, agency_id)}

        return int(self.runner.run(None, "calendar_day", work, dict).result["moved"])

    def set_hours(
        self, agency_id: int, weekday: int, intervals: list[Interval], actor_id: int | None = None
    ) -> int:
        """Set one weekday's working intervals ([] makes it a day off); returns steps moved."""

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            row = session.get(AgencyHoursRow, agency_id)
            current = hours_from_json(row.hours) if row else WorkingHours.indonesian_office()
            changed = dict(current.by_weekday)
            changed[weekday] = tuple(intervals)
            try:
                hours = WorkingHours(changed)
                _ = hours.day_length
            except ValueError as exc:
                raise InvalidCalendar(str(exc)) from exc
            if row is None:
                row = AgencyHoursRow(agency_id=agency_id, hours={})
            row.hours = hours_to_json(hours)
            session.add(row)
            session.flush()
            record_change(
                session,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="agency_hours",
                entity_id=agency_id,
                action="set",
                before=None,
                after="set",
                detail={"weekday": weekday, "hours": row.hours[str(weekday)]},
            )
            return {"moved": self._move_due_times(session, agency_id)}

        return int(self.runner.run(None, "agency_hours", work, dict).result["moved"])

    def set_policy(
        self,
        agency_id: int,
        *,
        sop_id: str = ANY_SOP,
        repeat_minutes: int,
        escalate_factor: float,
        actor_id: int | None = None,
    ) -> None:
        """Reminder interval and escalation threshold, for the agency or one SOP."""
        try:
            AlertPolicy(repeat_minutes, escalate_factor)
        except ValueError as exc:
            raise InvalidCalendar(str(exc)) from exc

        def work(uow: UnitOfWork, now: dt.datetime) -> dict[str, Any]:
            session = uow.session
            row = session.exec(
                select(AlertPolicyRow).where(
                    AlertPolicyRow.agency_id == agency_id, AlertPolicyRow.sop_id == sop_id
                )
            ).first()
            if row is None:
                row = AlertPolicyRow(agency_id=agency_id, sop_id=sop_id)
            row.repeat_minutes, row.escalate_factor = repeat_minutes, escalate_factor
            session.add(row)
            session.flush()
            record_change(
                session,
                at=now,
                agency_id=agency_id,
                actor_id=actor_id,
                entity="alert_policy",
                entity_id=row.id,
                action="set",
                before=None,
                after="set",
                detail={
                    "sop_id": sop_id,
                    "repeat_minutes": repeat_minutes,
                    "escalate_factor": escalate_factor,
                },
            )
            return {}

        self.runner.run(None, "alert_policy", work, dict)

    def _move_due_times(self, session: Session, agency_id: int) -> int:
        """Recount the due times of the agency's open steps on the changed calendar."""
        self.procedures.calendars.forget(agency_id)
        if session.get(AgencyRow, agency_id) is None:
            raise InvalidCalendar("no such agency", agency_id=agency_id)
        calendar = self.procedures.calendars.calendar(session, agency_id)
        moved = 0
        for run, instance in session.exec(
            select(StepRunRow, InstanceRow)
            .join(InstanceRow, col(InstanceRow.id) == col(StepRunRow.instance_id))
            .where(InstanceRow.agency_id == agency_id)
            .where(InstanceRow.state == InstanceState.RUNNING.value)
            .where(StepRunRow.state == StepRunState.OPEN.value)
        ).all():
            definition = self.procedures.definitions.load(session, instance.sop_version_id)
            due = calendar.due(run.opened_at, definition.step(run.step_number).standard_time)
            if due != run.due_at:
                run.due_at = due
                session.add(run)
                moved += 1
        return moved

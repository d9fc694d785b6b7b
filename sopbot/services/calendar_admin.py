"""Managing an agency's working calendar and alert thresholds.

A change moves the due times of the agency's open steps: a regional holiday declared after a
step opened extends its deadline, as officials expect. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sopbot.engine.alerts import AlertPolicy
from sopbot.engine.errors import DomainError
from sopbot.engine.national_holidays import national_days_off
from sopbot.engine.working_calendar import DayRule, Interval, WorkingHours
from sopbot.services.commands import Clock, CommandRunner, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies, calendar_days
from sopbot.storage.calendar_days import Changer
from sopbot.storage.models import ANY_SOP
from sopbot.storage.unit_of_work import UnitOfWork


class InvalidCalendar(DomainError):
    """A calendar change that cannot be made as asked."""

    code = "invalid_calendar"


class ReasonMissing(InvalidCalendar):
    """A day was changed without saying why (the occasion or the decree)."""

    code = "calendar_reason_missing"


class DayNotChanged(InvalidCalendar):
    """A day the agency has not changed cannot be put back."""

    code = "calendar_day_not_changed"


@dataclass(frozen=True, slots=True)
class CalendarChanged:
    """What a change of the calendar did: how many open steps got a new due time."""

    moved: int


@dataclass(frozen=True, slots=True)
class PolicyChanged:
    """The alert policy stored, by its id."""

    policy_id: int


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

    def agency_id(self, agency_key: str) -> int | None:
        """The id of the agency with this key (its folder under sop_defs/), or None."""
        with self.procedures.database.unit_of_work(read_only=True) as uow:
            agency = agencies.agency_by_key(uow, agency_key)
            return None if agency is None else agency.id

    def day_rule(self, agency_id: int) -> DayRule:
        """What the agency's SOPs' "hari" means; `InvalidCalendar` for an unknown agency."""
        with self.procedures.database.unit_of_work(read_only=True) as uow:
            agency = agencies.agency(uow, agency_id)
        if agency is None:
            raise InvalidCalendar("no such agency", agency_id=agency_id)
        return agency.day_rule

    def days(self, agency_id: int, start: dt.date, end: dt.date) -> list[CalendarDay]:
        """National days off and the agency's own changes between two dates."""
        with self.procedures.database.unit_of_work(read_only=True) as uow:
            own = calendar_days.own_days(uow, agency_id)
        national = national_days_off(range(start.year, end.year + 1))
        result: list[CalendarDay] = []
        for day in sorted(set(national) | set(own)):
            if not start <= day <= end:
                continue
            if day in own:
                changed = own[day]
                source = "agency_off" if changed.kind == "off" else "agency_working"
                result.append(CalendarDay(day, changed.name, source))
            else:
                result.append(CalendarDay(day, national[day], "national"))
        return result

    def set_day(
        self, agency_id: int, day: dt.date, kind: str, name: str, actor_id: int | None = None
    ) -> CalendarChanged:
        """Make a day a day off (`off`) or a working day (`working`)."""
        if kind not in ("off", "working"):
            raise InvalidCalendar("a day is 'off' or 'working'", kind=kind)
        clean = name.strip()[:200]
        if not clean:
            raise ReasonMissing("say why (e.g. the decree or the occasion)")

        def work(uow: UnitOfWork, now: dt.datetime) -> CalendarChanged:
            calendar_days.set_own_day(uow, agency_id, day, kind, clean, Changer(now, actor_id))
            return CalendarChanged(self._move_due_times(uow, agency_id))

        return self.runner.run(None, "calendar_day", work, CalendarChanged).result

    def clear_day(
        self, agency_id: int, day: dt.date, actor_id: int | None = None
    ) -> CalendarChanged:
        """Undo the agency's own change of a day."""

        def work(uow: UnitOfWork, now: dt.datetime) -> CalendarChanged:
            cleared = calendar_days.clear_own_day(uow, agency_id, day, Changer(now, actor_id))
            if cleared is None:
                raise DayNotChanged("the agency has not changed this day", day=day.isoformat())
            return CalendarChanged(self._move_due_times(uow, agency_id))

        return self.runner.run(None, "calendar_day", work, CalendarChanged).result

    def set_hours(
        self, agency_id: int, weekday: int, intervals: list[Interval], actor_id: int | None = None
    ) -> CalendarChanged:
        """Set one weekday's working intervals ([] makes it a day off)."""

        def work(uow: UnitOfWork, now: dt.datetime) -> CalendarChanged:
            current = calendar_days.working_hours(uow, agency_id)
            hours = _with_weekday(current or WorkingHours.indonesian_office(), weekday, intervals)
            calendar_days.save_working_hours(uow, agency_id, hours, weekday, Changer(now, actor_id))
            return CalendarChanged(self._move_due_times(uow, agency_id))

        return self.runner.run(None, "agency_hours", work, CalendarChanged).result

    def set_day_rule(
        self, agency_id: int, rule: DayRule, actor_id: int | None = None
    ) -> CalendarChanged:
        """Choose what the agency's "hari" means (`DayRule`); the open steps' due times are
        counted again under it."""

        def work(uow: UnitOfWork, now: dt.datetime) -> CalendarChanged:
            if agencies.agency(uow, agency_id) is None:
                raise InvalidCalendar("no such agency", agency_id=agency_id)
            if not calendar_days.save_day_rule(uow, agency_id, rule, Changer(now, actor_id)):
                return CalendarChanged(0)
            return CalendarChanged(self._move_due_times(uow, agency_id))

        return self.runner.run(None, "agency_day_rule", work, CalendarChanged).result

    def set_policy(
        self,
        agency_id: int,
        *,
        sop_id: str = ANY_SOP,
        repeat_minutes: int,
        escalate_factor: float,
        actor_id: int | None = None,
    ) -> PolicyChanged:
        """Reminder interval and escalation threshold, for the agency or one SOP."""
        try:
            policy = AlertPolicy(repeat_minutes, escalate_factor)
        except ValueError as exc:
            raise InvalidCalendar(str(exc)) from exc

        def work(uow: UnitOfWork, now: dt.datetime) -> PolicyChanged:
            changer = Changer(now, actor_id)
            return PolicyChanged(
                calendar_days.save_alert_policy(uow, agency_id, sop_id, policy, changer)
            )

        return self.runner.run(None, "alert_policy", work, PolicyChanged).result

    def _move_due_times(self, uow: UnitOfWork, agency_id: int) -> int:
        """Recount the due times of the agency's open steps on the changed calendar."""
        self.procedures.calendars.forget(agency_id)
        if agencies.agency(uow, agency_id) is None:
            raise InvalidCalendar("no such agency", agency_id=agency_id)
        calendar = self.procedures.calendars.calendar(uow, agency_id)
        moved: dict[uuid.UUID, dt.datetime] = {}
        for step in calendar_days.open_steps(uow, agency_id):
            definition = self.procedures.definitions.load(uow, step.sop_version_id)
            standard = definition.step(step.step_number).standard_for_round(step.round)
            due = calendar.due(step.opened_at, standard)
            if due != step.due_at:
                moved[step.step_run_id] = due
        calendar_days.move_due_times(uow, moved)
        return len(moved)


def _with_weekday(hours: WorkingHours, weekday: int, intervals: list[Interval]) -> WorkingHours:
    """The hours with one weekday's intervals replaced; `InvalidCalendar` when they are not
    working hours (an interval that ends before it starts, a week with no working time)."""
    changed = dict(hours.by_weekday)
    changed[weekday] = tuple(intervals)
    try:
        result = WorkingHours(changed)
        _ = result.day_length
    except ValueError as exc:
        raise InvalidCalendar(str(exc)) from exc
    return result

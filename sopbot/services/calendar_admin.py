"""Managing an agency's working calendar and alert thresholds.

A change moves the due times of the agency's open steps: a regional holiday declared after a
step opened extends its deadline, as officials expect; so does a period of different working
hours (Ramadan) set after a step opened. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sopbot.engine.alerts import AlertPolicy
from sopbot.engine.errors import DomainError, NotAllowed
from sopbot.engine.national_holidays import national_days_off
from sopbot.engine.working_calendar import DayRule, HoursPeriod, Interval, WorkingHours
from sopbot.services.commands import Clock, CommandRunner, utc_now
from sopbot.services.procedures import ProcedureService
from sopbot.storage import agencies, calendar_days, hours_periods, members
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


class PeriodsOverlap(InvalidCalendar):
    """A period of working hours that shares a day with another of the agency's periods."""

    code = "calendar_periods_overlap"


class PeriodNotFound(InvalidCalendar):
    """The agency has no period of working hours of that name."""

    code = "calendar_period_not_found"


class PeriodDatesMissing(InvalidCalendar):
    """A new period of working hours was named without its first and last day."""

    code = "calendar_period_dates_missing"


@dataclass(frozen=True, slots=True)
class WorkingHoursOverview:
    """An agency's regular working hours and its periods of different hours, in date order."""

    regular: WorkingHours
    periods: tuple[HoursPeriod, ...]


@dataclass(frozen=True, slots=True)
class CalendarChanged:
    """What a change of the calendar did: how many open steps got a new due time."""

    moved: int


@dataclass(frozen=True, slots=True)
class PeriodChanged:
    """A period of working hours as stored, and how many open steps got a new due time."""

    moved: int
    name: str
    first: dt.date
    last: dt.date


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
            calendar_days.set_own_day(
                uow, agency_id, day, kind, clean, _changer(uow, agency_id, now, actor_id)
            )
            return CalendarChanged(self._move_due_times(uow, agency_id))

        return self.runner.run(None, "calendar_day", work, CalendarChanged).result

    def clear_day(
        self, agency_id: int, day: dt.date, actor_id: int | None = None
    ) -> CalendarChanged:
        """Undo the agency's own change of a day."""

        def work(uow: UnitOfWork, now: dt.datetime) -> CalendarChanged:
            cleared = calendar_days.clear_own_day(
                uow, agency_id, day, _changer(uow, agency_id, now, actor_id)
            )
            if cleared is None:
                raise DayNotChanged("the agency has not changed this day", day=day.isoformat())
            return CalendarChanged(self._move_due_times(uow, agency_id))

        return self.runner.run(None, "calendar_day", work, CalendarChanged).result

    def set_hours(
        self,
        agency_id: int,
        weekday: int | Sequence[int],
        intervals: list[Interval],
        actor_id: int | None = None,
    ) -> CalendarChanged:
        """Set the regular working intervals of a weekday, or of several alike ([] makes them
        days off)."""
        weekdays = [weekday] if isinstance(weekday, int) else list(weekday)

        def work(uow: UnitOfWork, now: dt.datetime) -> CalendarChanged:
            hours = calendar_days.working_hours(uow, agency_id) or WorkingHours.indonesian_office()
            hours_periods.lock_periods(uow, agency_id)
            for day in weekdays:
                hours = _with_weekday(hours, day, intervals)
                calendar_days.save_working_hours(
                    uow, agency_id, hours, day, _changer(uow, agency_id, now, actor_id)
                )
            for period in hours_periods.periods(uow, agency_id):
                _period_hours(period, hours)
            return CalendarChanged(self._move_due_times(uow, agency_id))

        return self.runner.run(None, "agency_hours", work, CalendarChanged).result

    def working_hours(self, agency_id: int, *, ending_from: dt.date) -> WorkingHoursOverview:
        """The regular working hours and the periods that end on or after a day (the current
        and upcoming ones, when the day is today)."""
        with self.procedures.database.unit_of_work(read_only=True) as uow:
            regular = calendar_days.working_hours(uow, agency_id)
            periods = hours_periods.periods(uow, agency_id)
        return WorkingHoursOverview(
            regular or WorkingHours.indonesian_office(),
            tuple(p for p in periods if p.last >= ending_from),
        )

    def set_period_hours(
        self,
        agency_id: int,
        name: str,
        weekdays: Sequence[int],
        intervals: list[Interval],
        *,
        first: dt.date | None = None,
        last: dt.date | None = None,
        actor_id: int | None = None,
    ) -> PeriodChanged:
        """Set the working intervals of weekdays during a named period (e.g. "Ramadan 1448 H"),
        creating it (`first` and `last` needed, both inclusive) or changing its dates; the
        weekdays the period does not name keep the regular hours."""
        clean = " ".join(name.split())[:200]
        if not clean:
            raise InvalidCalendar("name the period, e.g. Ramadan 1448 H")

        def work(uow: UnitOfWork, now: dt.datetime) -> PeriodChanged:
            hours_periods.lock_periods(uow, agency_id)
            existing = hours_periods.periods(uow, agency_id)
            current = next((p for p in existing if p.name.casefold() == clean.casefold()), None)
            period = _period(clean, current, weekdays, intervals, first, last)
            for other in existing:
                if other is not current and other.overlaps(period):
                    raise PeriodsOverlap(
                        f"the period overlaps {other.name} ({other.first} to {other.last})",
                        name=other.name,
                        first=other.first.isoformat(),
                        last=other.last.isoformat(),
                    )
            regular = calendar_days.working_hours(uow, agency_id)
            _period_hours(period, regular or WorkingHours.indonesian_office())
            hours_periods.save_period(
                uow, agency_id, period, _changer(uow, agency_id, now, actor_id), weekdays=weekdays
            )
            moved = self._move_due_times(uow, agency_id)
            return PeriodChanged(moved, period.name, period.first, period.last)

        return self.runner.run(None, "hours_period", work, PeriodChanged).result

    def remove_period(
        self, agency_id: int, name: str, actor_id: int | None = None
    ) -> CalendarChanged:
        """Remove a period of working hours: its days keep the regular hours again."""
        wanted = " ".join(name.split()).casefold()

        def work(uow: UnitOfWork, now: dt.datetime) -> CalendarChanged:
            hours_periods.lock_periods(uow, agency_id)
            found = next(
                (p for p in hours_periods.periods(uow, agency_id) if p.name.casefold() == wanted),
                None,
            )
            if found is None:
                raise PeriodNotFound("the agency has no period of that name", name=name)
            hours_periods.remove_period(
                uow, agency_id, found.name, _changer(uow, agency_id, now, actor_id)
            )
            return CalendarChanged(self._move_due_times(uow, agency_id))

        return self.runner.run(None, "hours_period", work, CalendarChanged).result

    def set_day_rule(
        self, agency_id: int, rule: DayRule, actor_id: int | None = None
    ) -> CalendarChanged:
        """Choose what the agency's "hari" means (`DayRule`); the open steps' due times are
        counted again under it."""

        def work(uow: UnitOfWork, now: dt.datetime) -> CalendarChanged:
            if agencies.agency(uow, agency_id) is None:
                raise InvalidCalendar("no such agency", agency_id=agency_id)
            if not calendar_days.save_day_rule(
                uow, agency_id, rule, _changer(uow, agency_id, now, actor_id)
            ):
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
            changer = _changer(uow, agency_id, now, actor_id)
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


def _period(
    name: str,
    current: HoursPeriod | None,
    weekdays: Sequence[int],
    intervals: list[Interval],
    first: dt.date | None,
    last: dt.date | None,
) -> HoursPeriod:
    """The period as changed: `current` (None for a new one) with new dates where given and the
    weekdays' intervals replaced; `InvalidCalendar` when it is not a period of working hours."""
    start = first or (current.first if current else None)
    end = last or (current.last if current else None)
    if start is None or end is None:
        raise PeriodDatesMissing("a new period needs its first and last day", name=name)
    by_weekday = dict(current.by_weekday) if current else {}
    by_weekday.update({day: tuple(intervals) for day in weekdays})
    try:
        return HoursPeriod(current.name if current else name, start, end, by_weekday)
    except ValueError as exc:
        raise InvalidCalendar(str(exc)) from exc


def _period_hours(period: HoursPeriod, regular: WorkingHours) -> WorkingHours:
    """The hours in force during a period; `InvalidCalendar` when they leave no working day."""
    try:
        return period.hours(regular)
    except ValueError as exc:
        raise InvalidCalendar(f"{period.name}: {exc}") from exc


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


def _changer(uow: UnitOfWork, agency_id: int, now: dt.datetime, actor_id: int | None) -> Changer:
    """Who changes the calendar, checked in the command's transaction: an active admin of
    this agency (None: the server's operator, from the command line). An admin whose right
    was taken between the update and the command changes nothing."""
    if actor_id is not None:
        actor = members.member(uow, actor_id)
        if actor is None or not actor.active or not actor.is_admin or actor.agency_id != agency_id:
            raise NotAllowed("only the agency's admins change its calendar", member_id=actor_id)
    return Changer(now, actor_id)

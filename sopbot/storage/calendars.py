"""Each agency's working calendar and alert policy, built from the database (cached briefly,
so a change made with the CLI reaches a running bot within a minute)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, select

from sopbot.engine.alerts import AlertPolicy
from sopbot.engine.errors import NotFound
from sopbot.engine.national_holidays import national_days_off
from sopbot.engine.working_calendar import (
    DayRule,
    HoursPeriod,
    Interval,
    WorkingCalendar,
    WorkingHours,
    calendar_for,
)
from sopbot.storage.models import (
    ANY_SOP,
    AgencyHoursRow,
    AgencyRow,
    AlertPolicyRow,
    CalendarDayRow,
    HoursPeriodRow,
)
from sopbot.storage.unit_of_work import UnitOfWork

CACHE_SECONDS = 60.0


def hours_from_json(data: dict[str, object]) -> WorkingHours:
    """Working hours as stored: {"0": [["07:30", "12:00"], ...]}, weekday 0 is Monday."""
    parsed: dict[int, tuple[tuple[dt.time, dt.time], ...]] = {}
    for weekday, intervals in data.items():
        if not isinstance(intervals, list):
            raise ValueError(f"hours of weekday {weekday} must be a list of [start, end]")
        parsed[int(weekday)] = tuple(
            (dt.time.fromisoformat(str(start)), dt.time.fromisoformat(str(end)))
            for start, end in intervals
        )
    return WorkingHours(parsed)


def hours_to_json(hours: WorkingHours) -> dict[str, object]:
    """Working hours as stored."""
    return weekdays_to_json(hours.by_weekday)


def weekdays_to_json(by_weekday: Mapping[int, tuple[Interval, ...]]) -> dict[str, object]:
    """Intervals per weekday as stored (all seven weekdays, or a period's few)."""
    return {
        str(weekday): [[start.strftime("%H:%M"), end.strftime("%H:%M")] for start, end in spans]
        for weekday, spans in sorted(by_weekday.items())
    }


def period_from_row(row: HoursPeriodRow) -> HoursPeriod:
    """A stored period of working hours as the engine's value."""
    return HoursPeriod(row.name, row.first_day, row.last_day, hours_from_json(row.hours).by_weekday)


@dataclass
class _Cached:
    calendar: WorkingCalendar
    built: float


class CalendarStore:
    """Builds and caches agencies' calendars; `forget` after a change in this process."""

    def __init__(self, cache_seconds: float = CACHE_SECONDS) -> None:
        self.cache_seconds = cache_seconds
        self._cache: dict[int, _Cached] = {}
        self._policies: dict[tuple[int, str], tuple[AlertPolicy, float]] = {}

    def cached(self, agency_id: int) -> WorkingCalendar | None:
        """The agency's calendar if a fresh one is cached, else None (no database read)."""
        cached = self._cache.get(agency_id)
        if cached is not None and time.monotonic() - cached.built < self.cache_seconds:
            return cached.calendar
        return None

    def calendar(self, uow: UnitOfWork, agency_id: int) -> WorkingCalendar:
        """The agency's working calendar; `NotFound` for an agency that does not exist."""
        cached = self.cached(agency_id)
        if cached is not None:
            return cached
        session = uow.session
        agency = session.get(AgencyRow, agency_id)
        if agency is None:
            raise NotFound("no such agency", what="agency", agency_id=agency_id)
        hours_row = session.get(AgencyHoursRow, agency_id)
        hours = hours_from_json(hours_row.hours) if hours_row else None
        days = session.exec(select(CalendarDayRow).where(CalendarDayRow.agency_id == agency_id))
        added: dict[dt.date, str] = {}
        removed: list[dt.date] = []
        for row in days:
            if row.kind == "off":
                added[row.day] = row.name
            else:
                removed.append(row.day)
        periods = session.exec(select(HoursPeriodRow).where(HoursPeriodRow.agency_id == agency_id))
        this_year = dt.datetime.now(dt.UTC).year
        calendar = calendar_for(
            agency.timezone,
            hours=hours,
            national=national_days_off(range(this_year - 1, this_year + 3)),
            added=added,
            removed=removed,
            periods=[period_from_row(row) for row in periods],
            day_rule=DayRule(agency.day_rule),
        )
        self._cache[agency_id] = _Cached(calendar, time.monotonic())
        return calendar

    def forget(self, agency_id: int) -> None:
        """Drop an agency's cached calendar and policies (after they changed)."""
        self._cache.pop(agency_id, None)
        for key in [k for k in self._policies if k[0] == agency_id]:
            del self._policies[key]

    def policy(self, uow: UnitOfWork, agency_id: int, sop_id: str) -> AlertPolicy:
        """The SOP's alert policy in the agency, else the agency's, else the default."""
        key = (agency_id, sop_id)
        cached = self._policies.get(key)
        if cached is not None and time.monotonic() - cached[1] < self.cache_seconds:
            return cached[0]
        policy = self._read_policy(uow.session, agency_id, sop_id)
        self._policies[key] = (policy, time.monotonic())
        return policy

    @staticmethod
    def _read_policy(session: Session, agency_id: int, sop_id: str) -> AlertPolicy:
        rows = session.exec(
            select(AlertPolicyRow)
            .where(AlertPolicyRow.agency_id == agency_id)
            .where(AlertPolicyRow.sop_id.in_([sop_id, ANY_SOP]))  # type: ignore[attr-defined]
        ).all()
        chosen = next((r for r in rows if r.sop_id == sop_id), None) or next(
            (r for r in rows if r.sop_id == ANY_SOP), None
        )
        if chosen is None:
            return AlertPolicy()
        return AlertPolicy(chosen.repeat_minutes, chosen.escalate_factor)

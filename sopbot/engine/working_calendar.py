"""An agency's working clock: its time zone, working hours per weekday, and the days off.

A standard time runs only in working time. Everything is counted in working seconds: minutes
and hours as they are, a "hari" as one working day's worth (the agency's weekly working time
divided by its working days: 7.5 hours for the usual 37.5-hour ASN week) and a "minggu" as five
of those. So "5 Menit" started two minutes before Friday's closing ends three working minutes
into the next working day, and "1 Hari" started on Thursday at 10.00 ends on Friday at the same
point of the working day. Counting in one unit keeps the arithmetic monotone and additive.

Working hours can change for a while: in Ramadan, the Minister of PANRB's yearly circular (e.g.
SE Menteri PANRB No. 20/2017 and No. 51/2020, for five-day offices) sets Monday-Thursday
08.00-15.00 with a break 12.00-12.30 and Friday 08.00-15.30 with a break 11.30-12.30: 6.5 hours
a day, 32.5 a week, and each agency's head decides its own. An `HoursPeriod` ("Ramadan 1448 H",
first and last day inclusive) overrides the regular hours of the weekdays it names on the days it
covers. An hour is an hour in any period; a "hari" is one working day *of the days it runs on*:
each working second of a day counts 1/L of a day, where L is the day length (`day_length`) of
the hours in force that day. So "1 Hari" given on a Ramadan Monday at 10.00 is due on Tuesday at
10.00 (6.5 working hours later), not 7.5 working hours later on Wednesday, and a "hari" that
starts before the period and ends in it is the rest of the regular day's fraction plus the same
fraction of a Ramadan day. The measure only grows with time, so due times stay monotone; with no
period it is exactly the working-second arithmetic above.
That is the agency's default reading of "hari" (`DayRule.WORKING_TIME`). An agency may choose the
other reading, `DayRule.END_OF_DAY`: "N hari" is due at the close of the Nth working day after
the day the step opened (see `DayRule`). A "bulan" is a calendar month in either case.
"""

from __future__ import annotations

import bisect
import calendar as month_lengths
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from sopbot.engine.durations import StandardTime, TimeUnit

Interval = tuple[dt.time, dt.time]


class DayRule(StrEnum):
    """What an agency means by "N hari" (and "N minggu", five hari each) in its SOPs.

    `WORKING_TIME` ("kerja"): N working days' worth of working time from the moment the step
    opens; "1 hari" opened on Friday at 15.00 is due on the next working day at 14.30.
    `END_OF_DAY` ("akhir"): by the close of the Nth working day after the day the step opened,
    whatever the hour it opened; "1 hari" opened on Monday, at 08.00 or at 15.55, is due on
    Tuesday at closing time. The opening day does not count, as in the office habit of "surat
    masuk hari ini, diselesaikan paling lambat besok": a letter that arrives five minutes before
    closing is not due at closing. A time with a fraction of a day ("0,5 hari", "1½ hari") has
    no end-of-day reading and is counted as working time under both rules.
    """

    WORKING_TIME = "kerja"
    END_OF_DAY = "akhir"


# A calendar with no working time at all would never reach a due time: give up after this.
_SEARCH_DAYS = 3660


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Working intervals per weekday (0 = Monday); a weekday without intervals is a day off."""

    by_weekday: Mapping[int, tuple[Interval, ...]]

    @classmethod
    def indonesian_office(cls) -> WorkingHours:
        """Monday-Thursday 07.30-16.00 with a break at 12.00-13.00; Friday 07.30-16.30 with the
        longer Friday-prayer break 11.30-13.00: 7.5 hours a day, 37.5 a week."""
        t = dt.time
        weekday = ((t(7, 30), t(12, 0)), (t(13, 0), t(16, 0)))
        friday = ((t(7, 30), t(11, 30)), (t(13, 0), t(16, 30)))
        return cls({0: weekday, 1: weekday, 2: weekday, 3: weekday, 4: friday})

    def __post_init__(self) -> None:
        for weekday, intervals in self.by_weekday.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday {weekday} is not 0 (Monday) to 6 (Sunday)")
            previous_end: dt.time | None = None
            for start, end in intervals:
                if start >= end:
                    raise ValueError(f"working interval {start}-{end} ends before it starts")
                if previous_end is not None and start < previous_end:
                    raise ValueError(f"working intervals overlap on weekday {weekday}")
                previous_end = end

    def seconds_on(self, weekday: int) -> float:
        """Working seconds on a weekday."""
        return sum(
            _seconds(end) - _seconds(start) for start, end in self.by_weekday.get(weekday, ())
        )

    @property
    def day_length(self) -> float:
        """One working day's worth of seconds: the week's working time over its working days."""
        days = [w for w in range(7) if self.seconds_on(w) > 0]
        if not days:
            raise ValueError("the working hours have no working day")
        return sum(self.seconds_on(w) for w in days) / len(days)


@dataclass(frozen=True, slots=True)
class HoursPeriod:
    """Working hours for a named stretch of days (e.g. "Ramadan 1448 H", 8 February to 9 March
    2027, both inclusive): `by_weekday` gives the weekdays whose hours differ (an empty tuple
    makes that weekday a day off); the weekdays it does not name keep the regular hours."""

    name: str
    first: dt.date
    last: dt.date
    by_weekday: Mapping[int, tuple[Interval, ...]]

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a period of working hours needs a name (e.g. Ramadan 1448 H)")
        if self.last < self.first:
            raise ValueError(
                f"the period {self.name} ends ({self.last}) before it starts ({self.first})"
            )
        WorkingHours(self.by_weekday)  # the intervals must be working hours themselves

    def covers(self, day: dt.date) -> bool:
        """True on the period's days, the first and the last included."""
        return self.first <= day <= self.last

    def overlaps(self, other: HoursPeriod) -> bool:
        """True when the two periods share a day."""
        return self.first <= other.last and other.first <= self.last

    def hours(self, regular: WorkingHours) -> WorkingHours:
        """The hours in force during the period: the regular hours with its weekdays replaced;
        `ValueError` when that leaves no working day in the week."""
        merged = WorkingHours({**regular.by_weekday, **self.by_weekday})
        _ = merged.day_length
        return merged


def check_periods(periods: Iterable[HoursPeriod]) -> tuple[HoursPeriod, ...]:
    """The periods in date order; `ValueError` naming two that share a day (a day has one set
    of hours, so overlapping periods are refused rather than one silently winning)."""
    ordered = tuple(sorted(periods, key=lambda p: p.first))
    for earlier, later in itertools.pairwise(ordered):
        if earlier.overlaps(later):
            raise ValueError(
                f"the periods {earlier.name} ({earlier.first} to {earlier.last}) and "
                f"{later.name} ({later.first} to {later.last}) overlap"
            )
    return ordered


def _seconds(moment: dt.time) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


@dataclass
class WorkingCalendar:
    """Working time in one agency: hours per weekday (regular, and for dated periods such as
    Ramadan), national holidays and cuti bersama, and the agency's own additions (days off) and
    removals (days worked despite the list)."""

    timezone: str
    hours: WorkingHours = field(default_factory=WorkingHours.indonesian_office)
    days_off: Mapping[dt.date, str] = field(default_factory=dict)
    working_despite: frozenset[dt.date] = frozenset()
    periods: tuple[HoursPeriod, ...] = ()
    day_rule: DayRule = DayRule.WORKING_TIME
    _day_cache: dict[dt.date, tuple[tuple[dt.datetime, dt.datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _period_hours: tuple[WorkingHours, ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.periods = check_periods(self.periods)
        self._period_hours = tuple(period.hours(self.hours) for period in self.periods)

    @cached_property
    def zone(self) -> ZoneInfo:
        """The agency's time zone."""
        return ZoneInfo(self.timezone)

    def hours_on(self, day: dt.date) -> WorkingHours:
        """The working hours in force on a day: its period's, else the regular hours."""
        for period, hours in zip(self.periods, self._period_hours, strict=True):
            if period.covers(day):
                return hours
        return self.hours

    def period_on(self, day: dt.date) -> HoursPeriod | None:
        """The period of working hours covering a day, if any."""
        return next((p for p in self.periods if p.covers(day)), None)

    def day_length_on(self, day: dt.date) -> float:
        """The working seconds of one "hari" counted on this day: the day length of the hours
        in force on it (a Ramadan day is shorter than a regular one)."""
        return self.hours_on(day).day_length

    def is_working_day(self, day: dt.date) -> bool:
        """True when the day has working hours and is not a day off."""
        has_hours = self.hours_on(day).seconds_on(day.weekday()) > 0
        if day in self.working_despite:
            return has_hours
        return day not in self.days_off and has_hours

    def intervals(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The day's working intervals as aware UTC datetimes (empty on a day off)."""
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        result: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
        if self.is_working_day(day):
            result = tuple(
                (
                    dt.datetime.combine(day, start, self.zone).astimezone(dt.UTC),
                    dt.datetime.combine(day, end, self.zone).astimezone(dt.UTC),
                )
                for start, end in self.hours_on(day).by_weekday.get(day.weekday(), ())
            )
        self._day_cache[day] = result
        return result

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The agency's calendar date at a moment."""
        return moment.astimezone(self.zone).date()

    def is_working_time(self, moment: dt.datetime) -> bool:
        """True inside a working interval (an interval's closing instant is not inside it)."""
        return any(start <= moment < end for start, end in self.intervals(self.local_date(moment)))

    def working_seconds(self, standard: StandardTime) -> float | None:
        """The standard's length in working seconds; None for calendar time. A "hari" counts
        the regular day length here; `due` counts it on the days it actually runs."""
        if not standard.working_time:
            return None
        if standard.counts_days:
            days = standard.working_days
            assert days is not None  # noqa: S101 - counts_days means a day unit
            return float(days) * self.hours.day_length
        seconds = standard.seconds
        assert seconds is not None  # noqa: S101 - fixed-length units have seconds
        return float(seconds)

    def due(self, start: dt.datetime, standard: StandardTime) -> dt.datetime:
        """When a step started at `start` reaches its standard time."""
        if standard.unit is TimeUnit.CALENDAR_MONTH:
            return self._months_after(start, int(standard.amount))
        days = standard.working_days
        if self.day_rule is DayRule.END_OF_DAY and days is not None and days == int(days):
            return self._end_of_working_day(start, int(days))
        seconds = self.working_seconds(standard)
        if seconds is None:
            fixed = standard.seconds
            assert fixed is not None  # noqa: S101 - calendar units have a fixed length
            return start + dt.timedelta(seconds=fixed)
        if standard.counts_days and self.periods:
            days = standard.working_days
            assert days is not None  # noqa: S101 - counts_days means a day unit
            return self.add_days(start, float(days))
        return self.add(start, seconds)

    def add_days(self, start: dt.datetime, days: float) -> dt.datetime:
        """The moment `days` working days after `start`, each working second counting 1/L of a
        day where L is `day_length_on` its day (see the module's docstring). Without periods
        this is `add(start, days * day_length)`."""
        _require_aware(start)
        scale = self.day_length_on(self.local_date(start))
        return self._count_forward(start, max(0.0, days) * scale, scale=scale)

    def _months_after(self, start: dt.datetime, months: int) -> dt.datetime:
        """The same local date and time `months` later, on the month's last day when it is
        shorter (31 January + 1 bulan = 28 or 29 February). A month counts the calendar, as
        "1 bulan" is read: by this date next month, holidays or not."""
        _require_aware(start)
        local = start.astimezone(self.zone)
        index = local.year * 12 + local.month - 1 + months
        year, month = divmod(index, 12)
        if year > dt.MAXYEAR:
            raise ValueError("the due time is beyond the calendar: check the standard time")
        day = min(local.day, month_lengths.monthrange(year, month + 1)[1])
        return local.replace(year=year, month=month + 1, day=day).astimezone(start.tzinfo)

    def _end_of_working_day(self, start: dt.datetime, days: int) -> dt.datetime:
        """The close of the `days`-th working day after the day `start` falls on (see
        `DayRule.END_OF_DAY`)."""
        _require_aware(start)
        day = self.local_date(start)
        counted = 0
        for _ in range(_SEARCH_DAYS):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return self.intervals(day)[-1][1]
        raise ValueError("no working time found in ten years: check the working hours")

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The moment `seconds` of working time after `start` (counting from the next opening
        when `start` is outside working time). The result may be an interval's closing instant.
        """
        _require_aware(start)
        return self._count_forward(start, max(0.0, seconds), scale=None)

    def _count_forward(
        self, start: dt.datetime, remaining: float, *, scale: float | None
    ) -> dt.datetime:
        """Walk the working intervals from `start` until `remaining` seconds are used up. With
        a `scale` (a day length), the seconds are of that day length and are rescaled where a
        day's length differs (`add_days`); without, they are clock seconds (`add`)."""
        if remaining == 0 and self._in_or_closing(start):
            return start  # adding nothing to a working moment (or a closing instant) is a no-op
        day = self.local_date(start)
        for _ in range(_SEARCH_DAYS):
            if scale is not None:
                length = self.day_length_on(day)
                if length != scale:
                    remaining, scale = remaining * length / scale, length
            for opening, closing in self.intervals(day):
                if closing <= start:
                    continue
                begin = max(opening, start)
                available = (closing - begin).total_seconds()
                if remaining <= available:
                    if remaining == 0 and begin > start:
                        return begin  # nothing to count: the next opening
                    return begin + dt.timedelta(seconds=remaining)
                remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("no working time found in ten years: check the working hours")

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself in working time, else the next moment working time begins."""
        if self.is_working_time(moment):
            return moment
        day = self.local_date(moment)
        for _ in range(_SEARCH_DAYS):
            for opening, _closing in self.intervals(day):
                if opening >= moment:
                    return opening
            day += dt.timedelta(days=1)
        raise ValueError("no working time found in ten years: check the working hours")

    def _in_or_closing(self, moment: dt.datetime) -> bool:
        return any(start <= moment <= end for start, end in self.intervals(self.local_date(moment)))

    def working_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working seconds from `start` to `end` (0 when `end` is not after `start`)."""
        _require_aware(start)
        _require_aware(end)
        if end <= start:
            return 0.0
        total = 0.0
        day = self.local_date(start)
        last = self.local_date(end)
        while day <= last:
            for opening, closing in self.intervals(day):
                begin, finish = max(opening, start), min(closing, end)
                if finish > begin:
                    total += (finish - begin).total_seconds()
            day += dt.timedelta(days=1)
        return total

    def openings_after(self, moment: dt.datetime, count: int) -> list[dt.datetime]:
        """The next `count` starts of a working day after `moment` (for morning digests)."""
        found: list[dt.datetime] = []
        day = self.local_date(moment)
        for _ in range(_SEARCH_DAYS):
            intervals = self.intervals(day)
            if intervals and intervals[0][0] > moment:
                bisect.insort(found, intervals[0][0])
                if len(found) == count:
                    return found
            day += dt.timedelta(days=1)
        return found


def _require_aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("calendar arithmetic needs timezone-aware datetimes")


def calendar_for(
    timezone: str,
    *,
    hours: WorkingHours | None = None,
    national: Mapping[dt.date, str] | None = None,
    added: Mapping[dt.date, str] | None = None,
    removed: Iterable[dt.date] = (),
    periods: Iterable[HoursPeriod] = (),
    day_rule: DayRule = DayRule.WORKING_TIME,
) -> WorkingCalendar:
    """A calendar from national days off plus the agency's own additions and removals, and its
    periods of different working hours."""
    days_off = {**(national or {}), **(added or {})}
    return WorkingCalendar(
        timezone=timezone,
        hours=hours or WorkingHours.indonesian_office(),
        days_off=days_off,
        working_despite=frozenset(removed),
        periods=tuple(periods),
        day_rule=day_rule,
    )

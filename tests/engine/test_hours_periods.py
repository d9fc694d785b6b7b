"""Working hours for dated periods (Ramadan): the days they cover, a "hari" on the days it runs,
and the edges: a step that opens before the period, one that spans its end, overlaps refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sopbot.engine.durations import parse_standard_time
from sopbot.engine.national_holidays import national_days_off
from sopbot.engine.working_calendar import (
    HoursPeriod,
    WorkingCalendar,
    WorkingHours,
    calendar_for,
)
from tests.helpers.properties import examples

WIB = "Asia/Jakarta"
t = dt.time
# The Minister of PANRB's circular for five-day offices (SE No. 20/2017, No. 51/2020):
# Monday-Thursday 08.00-15.00, break 12.00-12.30; Friday 08.00-15.30, break 11.30-12.30.
RAMADAN_HOURS = {
    **dict.fromkeys(range(4), ((t(8), t(12)), (t(12, 30), t(15)))),
    4: ((t(8), t(11, 30)), (t(12, 30), t(15, 30))),
}
# Ramadan 1448 H: Monday 8 February to Tuesday 9 March 2027.
RAMADAN = HoursPeriod("Ramadan 1448 H", dt.date(2027, 2, 8), dt.date(2027, 3, 9), RAMADAN_HOURS)
PEKALONGAN = calendar_for(WIB, national=national_days_off([2027]), periods=[RAMADAN])
# Without holidays, so the arithmetic at the edges reads plainly: Ramadan from Monday 1 to
# Wednesday 10 March 2027 (a made-up span).
PLAIN_RAMADAN = HoursPeriod("Ramadan", dt.date(2027, 3, 1), dt.date(2027, 3, 10), RAMADAN_HOURS)
PLAIN = WorkingCalendar(WIB, periods=(PLAIN_RAMADAN,))
ZONE = PLAIN.zone


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=ZONE)


@pytest.mark.parametrize(
    ("day", "opening", "closing"),
    [
        (dt.date(2027, 2, 4), t(7, 30), t(16)),  # Thursday before: regular hours
        (dt.date(2027, 2, 8), t(8), t(15)),  # the first day is in the period
        (dt.date(2027, 2, 12), t(8), t(15, 30)),  # a Ramadan Friday
        (dt.date(2027, 3, 3), t(8), t(15)),
        (dt.date(2027, 3, 16), t(7, 30), t(16)),  # after Idul Fitri: regular again
    ],
)
def test_the_period_sets_the_hours_of_the_days_it_covers(
    day: dt.date, opening: dt.time, closing: dt.time
) -> None:
    intervals = PEKALONGAN.intervals(day)
    zone = PEKALONGAN.zone
    assert intervals[0][0] == dt.datetime.combine(day, opening, zone)
    assert intervals[-1][1] == dt.datetime.combine(day, closing, zone)


@pytest.mark.parametrize(
    ("day", "in_period"),
    [
        (dt.date(2027, 2, 28), True),  # the period's last day is included
        (dt.date(2027, 3, 1), True),
        (dt.date(2027, 3, 10), True),
        (dt.date(2027, 3, 11), False),
    ],
)
def test_first_and_last_days_are_inclusive(day: dt.date, in_period: bool) -> None:
    period = HoursPeriod("x", dt.date(2027, 2, 28), dt.date(2027, 3, 10), RAMADAN_HOURS)
    assert period.covers(day) is in_period
    assert PLAIN.period_on(dt.date(2027, 3, 10)) == PLAIN_RAMADAN
    assert PLAIN.period_on(dt.date(2027, 3, 11)) is None


def test_a_ramadan_day_is_shorter_and_hours_are_hours() -> None:
    assert PLAIN.day_length_on(dt.date(2027, 3, 2)) == 6.5 * 3600
    assert PLAIN.day_length_on(dt.date(2027, 3, 12)) == 7.5 * 3600
    # "1 Hari" given in Ramadan is one Ramadan working day: same time the next working day.
    assert PLAIN.due(at(3, 1, 10), parse_standard_time("1 Hari")) == at(3, 2, 10)
    assert PLAIN.due(at(3, 5, 14), parse_standard_time("1 hari")) == at(3, 8, 13, 30)
    assert PLAIN.due(at(3, 1, 8), parse_standard_time("0,5 Hari")) == at(3, 1, 11, 15)
    # An hour is an hour: 30 minutes before the break, the half-hour break, 30 after.
    assert PLAIN.due(at(3, 1, 11, 30), parse_standard_time("60 Menit")) == at(3, 1, 13)


def test_a_step_opened_before_the_period_falls_due_inside_it() -> None:
    # Thursday 4 February 15.00: an hour of a 7.5-hour day is left (2/15 of a "hari"); Friday
    # 5 is cuti bersama Imlek; the other 13/15 are 13/15 of Monday's 6.5-hour Ramadan day.
    thursday = dt.datetime(2027, 2, 4, 15, tzinfo=PEKALONGAN.zone)
    monday = dt.datetime(2027, 2, 8, 14, 8, tzinfo=PEKALONGAN.zone)
    assert PEKALONGAN.due(thursday, parse_standard_time("1 Hari")) == monday
    # Minutes count from the period's later opening (08.00, not 07.30).
    late = thursday + dt.timedelta(minutes=30)
    opening = monday.replace(hour=8, minute=30)
    assert PEKALONGAN.due(late, parse_standard_time("60 Menit")) == opening


def test_a_step_that_spans_the_periods_end() -> None:
    # Opened halfway through the last Ramadan day (3.25 of 6.5 hours): due halfway through the
    # next, regular, day (3.75 of 7.5 hours from 07.30).
    assert PLAIN.due(at(3, 10, 11, 15), parse_standard_time("1 Hari")) == at(3, 11, 11, 15)
    # A whole period inside a longer standard: four days before, through and after a period.
    short = HoursPeriod("Rapat kerja", dt.date(2027, 3, 2), dt.date(2027, 3, 3), RAMADAN_HOURS)
    calendar = WorkingCalendar(WIB, periods=(short,))
    assert calendar.due(at(3, 1, 10), parse_standard_time("4 Hari")) == at(3, 5, 10)


def test_a_weekday_made_a_day_off_in_the_period() -> None:
    no_friday = HoursPeriod("Renovasi", dt.date(2027, 3, 1), dt.date(2027, 3, 31), {4: ()})
    calendar = WorkingCalendar(WIB, periods=(no_friday,))
    assert not calendar.is_working_day(dt.date(2027, 3, 5))
    assert calendar.is_working_day(dt.date(2027, 3, 4))
    assert calendar.is_working_day(dt.date(2027, 4, 2))
    # Four 7.5-hour days a week: the day length stays 7.5 hours.
    assert calendar.due(at(3, 4, 10), parse_standard_time("1 Hari")) == at(3, 8, 10)


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        (dt.date(2027, 3, 10), dt.date(2027, 3, 20), "overlap"),  # shares the last day
        (dt.date(2027, 2, 1), dt.date(2027, 3, 1), "overlap"),  # shares the first day
        (dt.date(2027, 3, 3), dt.date(2027, 3, 4), "overlap"),  # inside
        (dt.date(2027, 3, 11), dt.date(2027, 3, 20), None),  # the day after: fine
    ],
)
def test_overlapping_periods_are_refused(
    first: dt.date, last: dt.date, problem: str | None
) -> None:
    other = HoursPeriod("Lain", first, last, {0: ((t(9), t(12)),)})
    if problem is None:
        calendar = WorkingCalendar(WIB, periods=(other, PLAIN_RAMADAN))
        assert calendar.periods == (PLAIN_RAMADAN, other)  # kept in date order
        return
    with pytest.raises(ValueError, match=problem):
        WorkingCalendar(WIB, periods=(PLAIN_RAMADAN, other))


def test_a_period_is_checked() -> None:
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        HoursPeriod("Ramadan", dt.date(2027, 3, 9), dt.date(2027, 2, 8), RAMADAN_HOURS)
    with pytest.raises(ValueError, match="needs a name"):
        HoursPeriod(" ", dt.date(2027, 2, 8), dt.date(2027, 3, 9), RAMADAN_HOURS)
    with pytest.raises(ValueError, match="ends before it starts"):
        HoursPeriod("x", dt.date(2027, 2, 8), dt.date(2027, 3, 9), {0: ((t(15), t(8)),)})
    every_day_off = dict.fromkeys(range(7), ())
    closed = HoursPeriod("Tutup", dt.date(2027, 2, 8), dt.date(2027, 3, 9), every_day_off)
    with pytest.raises(ValueError, match="no working day"):
        WorkingCalendar(WIB, periods=(closed,))


@pytest.mark.parametrize("days", [0.5, 1, 3, 5])
def test_without_periods_a_day_is_the_regular_day_length(days: float) -> None:
    plain = WorkingCalendar(WIB)
    start = at(3, 4, 15, 10)
    expected = plain.add(start, days * WorkingHours.indonesian_office().day_length)
    assert plain.add_days(start, days) == expected


# hypothesis takes naive bounds and attaches the zone itself.
MOMENTS = st.datetimes(
    min_value=dt.datetime(2027, 1, 20),  # noqa: DTZ001
    max_value=dt.datetime(2027, 3, 31),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
DAYS = st.integers(min_value=0, max_value=40).map(lambda halves: halves / 2)


@settings(max_examples=examples(200), deadline=None)
@given(a=MOMENTS, b=MOMENTS, days=DAYS)
def test_due_times_across_a_period_are_monotone(
    a: dt.datetime, b: dt.datetime, days: float
) -> None:
    early, late = sorted((a, b))
    assert PEKALONGAN.add_days(early, days) <= PEKALONGAN.add_days(late, days)


@settings(max_examples=examples(200), deadline=None)
@given(start=MOMENTS, first=DAYS, second=DAYS)
def test_days_across_a_period_are_additive(start: dt.datetime, first: float, second: float) -> None:
    step_by_step = PEKALONGAN.add_days(PEKALONGAN.add_days(start, first), second)
    at_once = PEKALONGAN.add_days(start, first + second)
    assert abs((step_by_step - at_once).total_seconds()) < 1e-3


@settings(max_examples=examples(200), deadline=None)
@given(start=MOMENTS, days=DAYS)
def test_a_due_time_is_in_working_time_of_its_day(start: dt.datetime, days: float) -> None:
    due = PEKALONGAN.add_days(start, days)
    intervals = PEKALONGAN.intervals(PEKALONGAN.local_date(due))
    assert any(opening <= due <= closing for opening, closing in intervals)
    assert due >= start

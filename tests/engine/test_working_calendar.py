"""The working clock: deadlines never fall outside working time; adding is monotone and additive."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from sopbot.engine.durations import parse_standard_time
from sopbot.engine.national_holidays import national_days_off
from sopbot.engine.working_calendar import WorkingCalendar, WorkingHours, calendar_for
from tests.helpers.properties import examples

WITA = "Asia/Makassar"
SAMARINDA = calendar_for(WITA, national=national_days_off([2026, 2027]))
ZONE = SAMARINDA.zone


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


def test_five_minutes_before_friday_closing_end_on_monday() -> None:
    friday = local(2026, 7, 3, 16, 28)  # Friday closes at 16.30
    due = SAMARINDA.due(friday, parse_standard_time("5 Menit"))
    assert due == local(2026, 7, 6, 7, 33)  # two minutes on Friday, three on Monday


def test_one_day_is_one_working_day() -> None:
    thursday = local(2026, 7, 2, 10, 0)
    assert SAMARINDA.due(thursday, parse_standard_time("1 Hari")) == local(2026, 7, 3, 10, 0)
    friday = local(2026, 7, 3, 10, 0)
    assert SAMARINDA.due(friday, parse_standard_time("1 hari")) == local(2026, 7, 6, 10, 0)
    assert SAMARINDA.due(thursday, parse_standard_time("0,5 Hari")) == local(2026, 7, 2, 14, 45)


def test_the_clock_stops_for_idul_fitri_and_cuti_bersama() -> None:
    # 20-24 March 2026: cuti bersama and Idul Fitri; Thursday 19 is Nyepi.
    before = local(2026, 3, 18, 10, 0)  # Wednesday, cuti bersama Nyepi: a day off
    due = SAMARINDA.due(before, parse_standard_time("1 Hari"))
    assert due == local(2026, 3, 25, 16, 0)  # a whole working day from Wednesday 25's opening


def test_a_night_or_weekend_start_counts_from_the_next_opening() -> None:
    saturday = local(2026, 7, 4, 22, 0)
    assert SAMARINDA.due(saturday, parse_standard_time("60 Menit")) == local(2026, 7, 6, 8, 30)
    lunch = local(2026, 7, 6, 12, 15)
    assert SAMARINDA.due(lunch, parse_standard_time("10 menit")) == local(2026, 7, 6, 13, 10)


def test_agency_additions_and_removals() -> None:
    regional = dt.date(2026, 7, 6)  # e.g. the city's anniversary
    moved = dt.date(2026, 12, 24)  # a cuti bersama a decree moved away
    calendar = calendar_for(
        WITA, national=national_days_off([2026]), added={regional: "HUT Kota"}, removed=[moved]
    )
    assert not calendar.is_working_day(regional)
    assert calendar.is_working_day(moved)
    assert not SAMARINDA.is_working_day(moved)


def test_calendar_time_is_not_a_working_clock() -> None:
    saturday = local(2026, 7, 4, 22, 0)
    assert SAMARINDA.due(saturday, parse_standard_time("2 x 24 jam")) == saturday + dt.timedelta(
        days=2
    )


def test_working_seconds_between() -> None:
    assert (
        SAMARINDA.working_seconds_between(local(2026, 7, 3, 16, 0), local(2026, 7, 6, 8, 0))
        == 60 * 60
    )
    assert SAMARINDA.working_seconds_between(local(2026, 7, 6, 9), local(2026, 7, 6, 8)) == 0


# hypothesis takes naive bounds and attaches the zone itself.
MOMENTS = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2027, 6, 30),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
# Standard times are whole seconds ("0,5 Hari" is 13,500 s of working time).
AMOUNTS = st.integers(min_value=0, max_value=40 * 27_000).map(float)


def _in_or_at_end_of_working_time(calendar: WorkingCalendar, moment: dt.datetime) -> bool:
    intervals = calendar.intervals(calendar.local_date(moment))
    return any(start <= moment <= end for start, end in intervals)


@settings(max_examples=examples(300), deadline=None)
@given(start=MOMENTS, seconds=AMOUNTS)
def test_a_due_time_never_falls_in_non_working_time(start: dt.datetime, seconds: float) -> None:
    due = SAMARINDA.add(start, seconds)
    assert _in_or_at_end_of_working_time(SAMARINDA, due)
    assert due >= start


@settings(max_examples=examples(300), deadline=None)
@given(a=MOMENTS, b=MOMENTS, seconds=AMOUNTS)
def test_adding_is_monotone(a: dt.datetime, b: dt.datetime, seconds: float) -> None:
    early, late = sorted((a, b))
    assert SAMARINDA.add(early, seconds) <= SAMARINDA.add(late, seconds)


@settings(max_examples=examples(300), deadline=None)
@given(start=MOMENTS, first=AMOUNTS, second=AMOUNTS)
def test_adding_is_additive(start: dt.datetime, first: float, second: float) -> None:
    step_by_step = SAMARINDA.add(SAMARINDA.add(start, first), second)
    at_once = SAMARINDA.add(start, first + second)
    assert abs((step_by_step - at_once).total_seconds()) < 1e-3


@settings(max_examples=examples(200), deadline=None)
@given(start=MOMENTS, seconds=AMOUNTS)
def test_the_working_time_to_the_due_time_is_the_standard(
    start: dt.datetime, seconds: float
) -> None:
    due = SAMARINDA.add(start, seconds)
    assert abs(SAMARINDA.working_seconds_between(start, due) - seconds) < 1e-3


def test_working_hours_are_checked() -> None:
    import pytest

    with pytest.raises(ValueError, match="ends before it starts"):
        WorkingHours({0: ((dt.time(16), dt.time(8)),)})
    with pytest.raises(ValueError, match="no working day"):
        _ = WorkingHours({}).day_length
    assert WorkingHours.indonesian_office().day_length == 7.5 * 3600

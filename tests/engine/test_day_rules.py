"""What "hari" means to an agency (working time, or the end of the Nth working day), and months.

Samarinda (WITA) works 07.30-16.00 Monday to Thursday and 07.30-16.30 on Friday with the longer
Friday break; Monday 17 August 2026 is Hari Kemerdekaan, a day off.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.engine.durations import parse_standard_time
from sopbot.engine.national_holidays import national_days_off
from sopbot.engine.working_calendar import DayRule, calendar_for

WITA = "Asia/Makassar"
NATIONAL = national_days_off([2026, 2027])
WORKING_TIME = calendar_for(WITA, national=NATIONAL)
END_OF_DAY = calendar_for(WITA, national=NATIONAL, day_rule=DayRule.END_OF_DAY)
ZONE = WORKING_TIME.zone


def local(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


def test_the_default_reading_is_working_time() -> None:
    assert calendar_for(WITA).day_rule is DayRule.WORKING_TIME


@pytest.mark.parametrize(
    ("opened", "standard", "working_time", "end_of_day"),
    [
        # Friday 15.00 before the Monday holiday: 1.5 hours on Friday, 6 on Tuesday.
        (local(8, 14, 15), "1 Hari", local(8, 18, 14, 30), local(8, 18, 16)),
        # the same across an ordinary weekend
        (local(7, 3, 15), "1 Hari", local(7, 6, 14, 30), local(7, 6, 16)),
        # Monday morning and Monday just before closing: both due at Tuesday's close
        (local(7, 6, 8), "1 hari", local(7, 7, 8), local(7, 7, 16)),
        (local(7, 6, 15, 55), "1 hari", local(7, 7, 15, 55), local(7, 7, 16)),
        # opened on Saturday: the first day counted is Monday
        (local(7, 4, 10), "1 hari", local(7, 6, 16), local(7, 6, 16)),
        # two days from Thursday: Friday, then (Monday being a holiday) Tuesday
        (local(8, 13, 10), "2 hari kerja", local(8, 18, 10), local(8, 18, 16)),
        # a week is five working days; its end is the close of the fifth
        (local(7, 6, 10), "1 minggu", local(7, 13, 10), local(7, 13, 16)),
        # Friday's close is later than the other days'
        (local(7, 2, 9), "1 (satu) hari", local(7, 3, 9), local(7, 3, 16, 30)),
    ],
)
def test_both_readings_of_hari(
    opened: dt.datetime, standard: str, working_time: dt.datetime, end_of_day: dt.datetime
) -> None:
    parsed = parse_standard_time(standard)
    assert WORKING_TIME.due(opened, parsed) == working_time
    assert END_OF_DAY.due(opened, parsed) == end_of_day


@pytest.mark.parametrize("standard", ["0,5 hari", "1½ hari", "2 jam", "30 menit"])
def test_fractions_of_a_day_and_clock_times_are_working_time_under_both(standard: str) -> None:
    parsed = parse_standard_time(standard)
    opened = local(8, 14, 15)
    assert END_OF_DAY.due(opened, parsed) == WORKING_TIME.due(opened, parsed)


@pytest.mark.parametrize(
    ("opened", "standard", "due"),
    [
        (local(7, 15, 10), "1 bulan", local(8, 15, 10)),  # a Saturday: months count the calendar
        (local(1, 31, 9), "1 bulan", local(2, 28, 9)),  # clamped to February's last day
        (local(11, 30, 14), "3 (tiga) bulan", local(2, 28, 14, year=2027)),
        (local(3, 18, 8), "1 bulan", local(4, 18, 8)),  # holidays in between change nothing
    ],
)
def test_a_month_is_the_same_date_next_month(
    opened: dt.datetime, standard: str, due: dt.datetime
) -> None:
    parsed = parse_standard_time(standard)
    assert WORKING_TIME.due(opened, parsed) == due
    assert END_OF_DAY.due(opened, parsed) == due

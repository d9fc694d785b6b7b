"""Working hours and a period's dates, written as officials write them."""

from __future__ import annotations

import datetime as dt

import pytest

from sopbot.engine.working_calendar import WorkingHours
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.working_hours import period_dates, weekly_hours

t = dt.time
CATALOG = default_catalog()
RAMADAN = {
    **dict.fromkeys(range(4), ((t(8), t(12)), (t(12, 30), t(15)))),
    4: ((t(8), t(11, 30)), (t(12, 30), t(15, 30))),
}


def test_the_regular_week_reads_as_on_the_notice_board() -> None:
    office = WorkingHours.indonesian_office().by_weekday
    week = {day: tuple(office.get(day, ())) for day in range(7)}
    assert weekly_hours(week, Language.ID, CATALOG) == (
        "Senin-Kamis 07.30-16.00 (istirahat 12.00-13.00); "
        "Jumat 07.30-16.30 (istirahat 11.30-13.00); Sabtu-Minggu libur"
    )
    assert weekly_hours(week, Language.EN, CATALOG) == (
        "Monday-Thursday 07:30-16:00 (break 12:00-13:00); "
        "Friday 07:30-16:30 (break 11:30-13:00); Saturday-Sunday day off"
    )


@pytest.mark.parametrize(
    ("by_weekday", "written"),
    [
        (
            RAMADAN,
            "Senin-Kamis 08.00-15.00 (istirahat 12.00-12.30); "
            "Jumat 08.00-15.30 (istirahat 11.30-12.30)",
        ),
        ({5: ((t(8), t(12)),)}, "Sabtu 08.00-12.00"),
        ({0: ((t(8), t(12)),), 2: ((t(8), t(12)),)}, "Senin 08.00-12.00; Rabu 08.00-12.00"),
        (
            {0: ((t(7), t(10)), (t(10, 15), t(12)), (t(13), t(15)))},
            "Senin 07.00-15.00 (istirahat 10.00-10.15, 12.00-13.00)",
        ),
        ({4: ()}, "Jumat libur"),
    ],
)
def test_a_periods_weekdays(
    by_weekday: dict[int, tuple[tuple[dt.time, dt.time], ...]], written: str
) -> None:
    assert weekly_hours(by_weekday, Language.ID, CATALOG) == written


@pytest.mark.parametrize(
    ("first", "last", "indonesian", "english"),
    [
        (
            dt.date(2027, 2, 8),
            dt.date(2027, 3, 9),
            "8 Februari - 9 Maret 2027",
            "8 Feb - 9 Mar 2027",
        ),
        (dt.date(2027, 3, 1), dt.date(2027, 3, 9), "1 - 9 Maret 2027", "1 - 9 Mar 2027"),
        (
            dt.date(2026, 12, 22),
            dt.date(2027, 1, 4),
            "22 Desember 2026 - 4 Januari 2027",
            "22 Dec 2026 - 4 Jan 2027",
        ),
        (dt.date(2027, 3, 9), dt.date(2027, 3, 9), "9 Maret 2027", "9 Mar 2027"),
    ],
)
def test_a_periods_dates(first: dt.date, last: dt.date, indonesian: str, english: str) -> None:
    assert period_dates(first, last, Language.ID) == indonesian
    assert period_dates(first, last, Language.EN) == english

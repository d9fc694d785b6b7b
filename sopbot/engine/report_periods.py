"""The periods a report covers: the ones an admin picks with a button, and the ones written on
the command line.

Permenpan RB 35/2012 asks for the monitoring of each SOP every six months, so the semester is a
period of its own beside the month, the year and the last twelve months. A period is a span of
local dates in the agency's zone, both ends included; a period that has not ended yet ends
today (a report of "this month" is the month so far).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from sopbot.engine.compliance import InvalidPeriod, Period


class NamedPeriod(StrEnum):
    """A period an admin picks with a button; the value travels in the callback data."""

    THIS_MONTH = "m0"
    LAST_MONTH = "m1"
    THIS_SEMESTER = "s0"
    LAST_SEMESTER = "s1"
    THIS_YEAR = "y0"
    LAST_YEAR = "y1"
    LAST_12_MONTHS = "12"


def named_period(name: NamedPeriod, today: dt.date) -> Period:
    """The period a button names, seen from `today` (a period still running ends today)."""
    if name is NamedPeriod.THIS_MONTH:
        return Period(today.replace(day=1), today)
    if name is NamedPeriod.LAST_MONTH:
        end = today.replace(day=1) - dt.timedelta(days=1)
        return Period(end.replace(day=1), end)
    if name is NamedPeriod.THIS_SEMESTER:
        return Period(_semester_start(today), today)
    if name is NamedPeriod.LAST_SEMESTER:
        end = _semester_start(today) - dt.timedelta(days=1)
        return Period(_semester_start(end), end)
    if name is NamedPeriod.THIS_YEAR:
        return Period(dt.date(today.year, 1, 1), today)
    if name is NamedPeriod.LAST_YEAR:
        return Period(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))
    # The last twelve months: the eleven whole months before this one, and this one so far.
    start = today.replace(day=1)
    for _ in range(11):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return Period(start, today)


def _semester_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 1 if day.month <= 6 else 7, 1)


_YEAR = re.compile(r"^(?P<year>\d{4})$")
_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$")
_SEMESTER = re.compile(r"^(?P<year>\d{4})-s(?P<half>[12])$", re.IGNORECASE)
_QUARTER = re.compile(r"^(?P<year>\d{4})-q(?P<quarter>[1-4])$", re.IGNORECASE)
PERIOD_FORMS = "2026 (a year), 2026-S1 or 2026-S2 (a semester), 2026-Q3 (a quarter), 2026-11"


def written_period(text: str, today: dt.date) -> Period:
    """A period as the command line writes it: a year, a semester, a quarter or a month.

    A period that has not ended yet ends today; one that has not begun is refused.
    """
    written = text.strip()
    start, end = _bounds(written)
    if start > today:
        raise InvalidPeriod(f"the period {written!r} has not begun yet (today is {today})")
    return Period.checked(start, min(end, today))


def _bounds(written: str) -> tuple[dt.date, dt.date]:
    if match := _YEAR.match(written):
        year = int(match["year"])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if match := _SEMESTER.match(written):
        year, first = int(match["year"]), match["half"] == "1"
        return (
            (dt.date(year, 1, 1), dt.date(year, 6, 30))
            if first
            else (
                dt.date(year, 7, 1),
                dt.date(year, 12, 31),
            )
        )
    if match := _QUARTER.match(written):
        year, quarter = int(match["year"]), int(match["quarter"])
        return dt.date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter)
    if (match := _MONTH.match(written)) and 1 <= int(match["month"]) <= 12:
        year, month = int(match["year"]), int(match["month"])
        return dt.date(year, month, 1), _month_end(year, month)
    raise InvalidPeriod(f"cannot read the period {written!r}; write {PERIOD_FORMS}")


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)

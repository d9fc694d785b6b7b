"""Indonesia's national holidays and cuti bersama, from the `holidays` package.

The package follows the joint ministerial decrees (SKB) each year; an agency corrects what it
must (a regional holiday, a cuti bersama moved by decree) with its own additions and removals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache

import holidays


@cache
def _year(year: int) -> tuple[tuple[dt.date, str], ...]:
    found = holidays.country_holidays(
        "ID", years=year, categories=("public", "government"), language="id"
    )
    return tuple(sorted((day, str(name)) for day, name in found.items()))


def national_days_off(years: Iterable[int]) -> dict[dt.date, str]:
    """Public holidays and cuti bersama of the given years, with their Indonesian names."""
    return {day: name for year in years for day, name in _year(year)}

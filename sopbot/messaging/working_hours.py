"""Working hours as officials write them on a notice board: "Senin-Kamis 08.00-15.00 (istirahat
12.00-12.30); Jumat 08.00-15.30 (istirahat 11.30-12.30)", and a period's dates as "8 Februari -
9 Maret 2027". Pure renderers: intervals and dates in, text out."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping

from sopbot.engine.working_calendar import Interval
from sopbot.messaging.catalog import Catalog, Language
from sopbot.messaging.formatting import month_name

_WEEKDAYS = {
    Language.ID: ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    Language.EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def alike_runs(
    by_weekday: Mapping[int, tuple[Interval, ...]],
) -> list[tuple[int, int, tuple[Interval, ...]]]:
    """Runs of consecutive weekdays with the same intervals: (first, last, intervals)."""
    runs: list[tuple[int, int, tuple[Interval, ...]]] = []
    for day in sorted(by_weekday):
        spans = tuple(by_weekday[day])
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == spans:
            runs[-1] = (runs[-1][0], day, spans)
        else:
            runs.append((day, day, spans))
    return runs


def weekly_hours(
    by_weekday: Mapping[int, tuple[Interval, ...]], language: Language, catalog: Catalog
) -> str:
    """The hours of the weekdays given (0 = Monday), neighbours with the same hours joined
    ("Senin-Kamis"); a weekday with no intervals reads as a day off."""
    runs = alike_runs(by_weekday)
    names = _WEEKDAYS[language]
    return "; ".join(
        f"{names[first] if first == last else f'{names[first]}-{names[last]}'} "
        f"{_day_hours(spans, language, catalog)}"
        for first, last, spans in runs
    )


def period_dates(first: dt.date, last: dt.date, language: Language) -> str:
    """A period's first and last day, the shared month and year written once: "8 Februari -
    9 Maret 2027", "1 - 9 Maret 2027", "22 Desember 2026 - 4 Januari 2027"."""
    end = f"{last.day} {month_name(last.month, language)} {last.year}"
    if first == last:
        return end
    if first.year != last.year:
        start = f"{first.day} {month_name(first.month, language)} {first.year}"
    elif first.month != last.month:
        start = f"{first.day} {month_name(first.month, language)}"
    else:
        start = str(first.day)
    return f"{start} - {end}"


def _day_hours(spans: tuple[Interval, ...], language: Language, catalog: Catalog) -> str:
    """One weekday's hours: "08.00-15.00 (istirahat 12.00-12.30)", or "libur"."""
    if not spans:
        return catalog.text(language, "calendar.hours_day_off")
    whole = _span(spans[0][0], spans[-1][1], language)
    breaks = [_span(a[1], b[0], language) for a, b in itertools.pairwise(spans)]
    if not breaks:
        return whole
    return f"{whole} ({catalog.text(language, 'calendar.hours_break', times=', '.join(breaks))})"


def _span(start: dt.time, end: dt.time, language: Language) -> str:
    return f"{_clock(start, language)}-{_clock(end, language)}"


def _clock(moment: dt.time, language: Language) -> str:
    mark = "." if language is Language.ID else ":"
    return f"{moment.hour:02d}{mark}{moment.minute:02d}"

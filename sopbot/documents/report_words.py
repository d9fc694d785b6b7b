"""The words of the monitoring forms and the compliance report: figures as an Indonesian office
writes them, the same in the PDF and in the text cells of the XLSX.

A figure that was not measured (no step run finished in the period) is written "–", never
"0%" or "0 menit": nothing measured is not the same as nothing on time. Working time is
written in working days, hours and minutes ("1 hari 3 jam"), a day being one working day of
the agency (ReportHeader.working_day_seconds), or in hours and minutes where the day's length
is not known.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo

from sopbot.engine.instance import InstanceState
from sopbot.engine.monitoring import ReportHeader
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import local_time, month_name, zone_name
from sopbot.messaging.numbers import quantity

NOTHING: Final = "–"
"""What a figure that was not measured reads."""

ID: Final = Language.ID


def clipped(text: str, limit: int) -> str:
    """Text cut to `limit` characters with "…" where it was cut: a cell's words are capped
    so that no row of a table is taller than a page."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def count_text(value: int | None) -> str:
    """A count: "1.250", or "–" when there is none."""
    return NOTHING if value is None else quantity(value, ID)


def decimal_text(value: float | None, decimals: int = 1) -> str:
    """A mean or another fraction: "1,4", or "–"."""
    return NOTHING if value is None else quantity(value, ID, decimals)


def share_text(share: float | None) -> str:
    """A share (0..1) as a percentage: "82%"; one decimal where a whole number would round a
    share that is not quite all (or not quite none) to "100%" (or "0%"): "99,6%"."""
    if share is None:
        return NOTHING
    percent = share * 100
    if round(percent) in (0, 100) and 0 < share < 1:
        return f"{quantity(percent, ID, 1)}%"
    return f"{quantity(percent, ID)}%"


def working_time_text(seconds: float | None, day_seconds: float | None) -> str:
    """Working time in its two largest units: "2 jam 15 menit", "1 hari 3 jam" (working days
    of `day_seconds`), "< 1 menit" for less than a minute; "–" when there is none."""
    if seconds is None:
        return NOTHING
    if 0 < seconds < 60:
        return "< 1 menit"
    total_minutes = int(seconds // 60)
    days = 0
    if day_seconds:
        day_minutes = max(1, int(day_seconds // 60))
        days, total_minutes = divmod(total_minutes, day_minutes)
    hours, minutes = divmod(total_minutes, 60)
    parts = [
        f"{quantity(value, ID)} {name}"
        for value, name in ((days, "hari"), (hours, "jam"), (minutes, "menit"))
        if value
    ]
    return " ".join(parts[:2]) if parts else "0 menit"


def difference_text(seconds: float | None, day_seconds: float | None) -> str:
    """How much longer (or shorter) than the standard: "+1 hari 2 jam", "-15 menit", "–"."""
    if seconds is None:
        return NOTHING
    sign = "+" if seconds >= 0 else "-"
    return sign + working_time_text(abs(seconds), day_seconds)


def date_text(day: dt.date) -> str:
    """A date as written in a letter: "1 Januari 2026"."""
    return f"{day.day} {month_name(day.month, ID)} {day.year}"


def short_date_text(day: dt.date) -> str:
    """A date in a table: "01/01/2026"."""
    return day.strftime("%d/%m/%Y")


def month_text(first_day: dt.date) -> str:
    """A month: "Januari 2026"."""
    return f"{month_name(first_day.month, ID)} {first_day.year}"


def period_text(header: ReportHeader) -> str:
    """The period: "1 Januari 2026 s.d. 31 Januari 2027"."""
    return span_text(header.period_start, header.period_end)


def span_text(start: dt.date, end: dt.date) -> str:
    """Days from `start` to `end`, both inclusive: "1 Juli 2025 s.d. 31 Desember 2025"."""
    return f"{date_text(start)} s.d. {date_text(end)}"


def generated_text(header: ReportHeader) -> str:
    """When the file was made, in the agency's zone: "Senin, 1 Februari 2027 08.00 WITA"."""
    return local_time(header.generated_at, header.timezone, ID)


def generated_local(header: ReportHeader) -> dt.datetime:
    """When the file was made, as the agency's wall clock read (without the zone, as a sheet
    keeps a date and time)."""
    return wall_clock(header.generated_at, header)


def wall_clock(moment: dt.datetime, header: ReportHeader) -> dt.datetime:
    """A moment as the agency's wall clock read it (without the zone, as a sheet keeps it)."""
    return moment.astimezone(ZoneInfo(header.timezone)).replace(tzinfo=None)


PROCEDURE_STATES: Final = {
    InstanceState.RUNNING: "Berjalan",
    InstanceState.FINISHED: "Selesai",
    InstanceState.CANCELLED: "Dibatalkan",
}
"""How a procedure stood at the period's end, in a list of procedures."""


def zone_text(header: ReportHeader) -> str:
    """The agency's zone as officials name it: "WITA"."""
    return zone_name(header.timezone)


def working_day_text(header: ReportHeader) -> str:
    """What a day of working time is in this agency: "1 hari kerja = 7 jam 30 menit", or how
    the times are written where the day's length is not known."""
    if header.working_day_seconds:
        length = working_time_text(header.working_day_seconds, None)
        return f"1 hari = 1 hari kerja ({length})"
    return "waktu ditulis dalam jam kerja"


def trend_text(now: float | None, before: float | None, span: str | None = None) -> str:
    """A share against the previous period's: "naik 7 poin dari 75%", "turun 3 poin dari
    80%", "sama dengan periode sebelumnya (80%)", or why there is no comparison; with the
    previous period's days (`span`, see span_text) where it is named: "naik 7 poin dari 75%
    (1 Juli 2025 s.d. 31 Desember 2025)"."""
    if now is None:
        return "belum ada langkah yang diukur pada periode ini"
    when = f" ({span})" if span else ""
    if before is None:
        return f"periode sebelumnya{when} belum ada langkah yang diukur"
    points = round((now - before) * 100)
    if points > 0:
        return f"naik {points} poin dari {share_text(before)}{when}"
    if points < 0:
        return f"turun {-points} poin dari {share_text(before)}{when}"
    if span:
        return f"sama dengan periode sebelumnya ({span}: {share_text(before)})"
    return f"sama dengan periode sebelumnya ({share_text(before)})"

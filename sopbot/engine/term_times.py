"""When a Plt/Plh term starts and ends, as admins write it: a day, or a day and a time of day.

A decree (Surat Perintah) names days ("13 s.d. 17 Juli 2026"), and a Plh for one afternoon
names hours too. Both are read in the agency's time zone: a day given as the start means the
start of that day, a day given as the end means the end of that (last) day, and a day with a
time of day means that instant. A stored end is exclusive, so "until 17 Juli 2026" is stored
as 18 July 00.00 and read back as the last day, 17 July: what was typed is what is shown.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from sopbot.engine.time_zones import INDONESIAN_ZONES
from sopbot.engine.written_dates import WrittenDateError, parse_day

# A time of day at the end of the text: "16:00", "16.00", after "pukul", "jam" or "pkl" if
# written, with the zone if written ("16.00 WIB"). The date before it is read by parse_day.
_TIME = re.compile(
    r"^(?P<date>.+?)(?:\s*,\s*|\s+|t)(?:(?:pukul|pkl\.?|jam)\s*)?"
    r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:\s*(?P<zone>wib|wita|wit))?$"
)


_LAST_HOUR, _LAST_MINUTE = 23, 59


class TermTimeProblem(StrEnum):
    """Why a written start or end cannot be read (the catalog has a text for each)."""

    UNREADABLE = "unreadable"
    NO_SUCH_DATE = "no_such_date"
    NO_SUCH_TIME = "no_such_time"
    OTHER_ZONE = "other_zone"


class TermTimeError(ValueError):
    """A start or end of a term that cannot be read; the message says how to write it."""

    def __init__(self, problem: TermTimeProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class WrittenMoment:
    """A day, and the time of day when one was written (None: the day as a whole)."""

    day: dt.date
    time: dt.time | None = None


def read_moment(text: str, zone: str) -> WrittenMoment:
    """Read "2026-07-10", "2026-07-10 16:00", "10 Juli 2026", "10/07/2026 16.00",
    "10 Juli 2026 pukul 16.00 WIB" (a zone, when written, must be the agency's: `zone`)."""
    normalised = " ".join(text.strip().lower().split())
    match = _TIME.match(normalised)
    date_text, time = normalised, None
    if match is not None:
        date_text = match["date"]
        hour, minute = int(match["hour"]), int(match["minute"])
        if hour > _LAST_HOUR or minute > _LAST_MINUTE:
            raise TermTimeError(
                TermTimeProblem.NO_SUCH_TIME,
                f"the time in '{text}' does not exist; write it as 00:00 to 23:59",
            )
        time = dt.time(hour, minute)
        written_zone = match["zone"]
        if written_zone is not None and INDONESIAN_ZONES[written_zone.upper()] != zone:
            raise TermTimeError(
                TermTimeProblem.OTHER_ZONE,
                f"'{text}' names {written_zone.upper()}; times are in the agency's own time "
                f"zone ({zone_label(zone)}): leave the zone out",
            )
    try:
        day = parse_day(date_text)
    except WrittenDateError as exc:
        if "does not exist" in str(exc):
            raise TermTimeError(
                TermTimeProblem.NO_SUCH_DATE,
                f"the date in '{text}' does not exist; check the day and the month",
            ) from exc
        raise TermTimeError(
            TermTimeProblem.UNREADABLE,
            f"cannot read '{text}': write a date, or a date and a time, e.g. 2026-07-10, "
            "'2026-07-10 16:00' or '10 Juli 2026 16.00'",
        ) from exc
    return WrittenMoment(day, time)


def term_start(moment: WrittenMoment, zone: str) -> dt.datetime:
    """The instant a term written to start at `moment` starts (a day: its first moment)."""
    return _instant(moment.day, moment.time or dt.time(), zone)


def term_end(moment: WrittenMoment, zone: str) -> dt.datetime:
    """The instant a term written to end at `moment` ends (a day: the end of that last day,
    which is the first moment of the next; the end itself is outside the term)."""
    if moment.time is None:
        return _instant(moment.day + dt.timedelta(days=1), dt.time(), zone)
    return _instant(moment.day, moment.time, zone)


def start_as_written(instant: dt.datetime, zone: str) -> WrittenMoment:
    """A stored start as it would be written: the day alone when it is the day's first moment."""
    local = instant.astimezone(ZoneInfo(zone))
    if local.time() == dt.time():
        return WrittenMoment(local.date())
    return WrittenMoment(local.date(), local.time().replace(second=0, microsecond=0))


def end_as_written(instant: dt.datetime, zone: str) -> WrittenMoment:
    """A stored (exclusive) end as it would be written: the last day alone when it ends at
    midnight, else the day and the time of day."""
    local = instant.astimezone(ZoneInfo(zone))
    if local.time() == dt.time():
        return WrittenMoment(local.date() - dt.timedelta(days=1))
    return WrittenMoment(local.date(), local.time().replace(second=0, microsecond=0))


def zone_label(zone: str) -> str:
    """WIB, WITA or WIT for Indonesia's zones, else the IANA name."""
    for short, name in INDONESIAN_ZONES.items():
        if name == zone:
            return short
    return zone


def _instant(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, time, ZoneInfo(zone)).astimezone(dt.UTC)

"""Standard times ("Waktu" in the Mutu Baku) as SOPs write them: "5 Menit", "0,5 Hari", "5menit".

An SOP's "hari" is a working day and its "menit" are minutes of the working day: the standard
time is counted on the agency's working clock (issue 5 does the arithmetic). Only an explicit
calendar wording ("hari kalender", "2 x 24 jam") counts elapsed wall-clock time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class TimeUnit(StrEnum):
    """The units a standard time can be written in, after normalising the SOP's wording."""

    SECOND = "detik"
    MINUTE = "menit"
    HOUR = "jam"
    WORKING_DAY = "hari kerja"
    WEEK = "minggu"
    CALENDAR_DAY = "hari kalender"
    CLOCK_HOUR = "jam (kalender)"


# Units whose amount is measured inside working hours / on working days.
_WORKING_UNITS = frozenset(
    {TimeUnit.SECOND, TimeUnit.MINUTE, TimeUnit.HOUR, TimeUnit.WORKING_DAY, TimeUnit.WEEK}
)

_SECONDS_PER_UNIT: dict[TimeUnit, int] = {
    TimeUnit.SECOND: 1,
    TimeUnit.MINUTE: 60,
    TimeUnit.HOUR: 3600,
    TimeUnit.CLOCK_HOUR: 3600,
    TimeUnit.CALENDAR_DAY: 86400,
}

# Spellings seen in SOPs, longest first so that "hari kerja" wins over "hari".
_UNIT_WORDS: tuple[tuple[str, TimeUnit], ...] = (
    ("hari kalender", TimeUnit.CALENDAR_DAY),
    ("hari kerja", TimeUnit.WORKING_DAY),
    ("hari", TimeUnit.WORKING_DAY),
    ("hr", TimeUnit.WORKING_DAY),
    ("minggu", TimeUnit.WEEK),
    ("mgg", TimeUnit.WEEK),
    ("pekan", TimeUnit.WEEK),
    ("jam", TimeUnit.HOUR),
    ("menit", TimeUnit.MINUTE),
    ("mnt", TimeUnit.MINUTE),
    ("detik", TimeUnit.SECOND),
    ("dtk", TimeUnit.SECOND),
)

_NUMBER = r"(?P<amount>\d+(?:[.,]\d+)?)"
_SIMPLE = re.compile(rf"^{_NUMBER}\s*(?P<unit>[a-z][a-z ]*?)\.?$")
# "2 x 24 jam" / "1x24 Jam": Indonesian for N whole days by the clock.
_TIMES_24_HOURS = re.compile(r"^(?P<amount>\d+)\s*[x×]\s*24\s*jam$")
_RANGE = re.compile(rf"^{_NUMBER}\s*(?:-|–|s/d|sampai)\s*\d")

UNITS_HELP = "detik, menit, jam, hari, hari kerja, hari kalender, minggu"


class DurationError(ValueError):
    """A standard time that cannot be read; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class StandardTime:
    """A step's standard time: the text as written in the SOP and its parsed value."""

    as_written: str
    amount: Decimal
    unit: TimeUnit

    @property
    def working_time(self) -> bool:
        """True when the time runs only during the agency's working hours and days."""
        return self.unit in _WORKING_UNITS

    @property
    def counts_days(self) -> bool:
        """True when the amount is a number of (working) days or weeks, not of clock time."""
        return self.unit in (TimeUnit.WORKING_DAY, TimeUnit.WEEK)

    @property
    def seconds(self) -> int | None:
        """The length in seconds for units of fixed length (detik/menit/jam/kalender), else None.

        Working days and weeks have no fixed length: it depends on the agency's calendar.
        """
        per_unit = _SECONDS_PER_UNIT.get(self.unit)
        if per_unit is None:
            return None
        return int(self.amount * per_unit)

    @property
    def working_days(self) -> Decimal | None:
        """The number of working days for day/week units (a week is five working days)."""
        if self.unit is TimeUnit.WORKING_DAY:
            return self.amount
        if self.unit is TimeUnit.WEEK:
            return self.amount * 5
        return None

    def describe(self) -> str:
        """A normalised Indonesian rendering such as "0,5 hari kerja" or "60 menit"."""
        amount = format(self.amount.normalize(), "f").replace(".", ",")
        return f"{amount} {self.unit.value}"


def parse_standard_time(text: str) -> StandardTime:
    """Read a standard time as SOPs write it; raise DurationError with a fix-it hint otherwise."""
    written = text
    normalised = " ".join(text.strip().lower().split())
    if not normalised:
        raise DurationError("the time is empty; write a number and a unit, e.g. '5 Menit'")

    by_clock = _TIMES_24_HOURS.match(normalised)
    if by_clock:
        return StandardTime(written, Decimal(by_clock["amount"]), TimeUnit.CALENDAR_DAY)

    if _RANGE.match(normalised):
        raise DurationError(
            f"'{written}' is a range; write the standard time as one value, e.g. '2 Hari'"
        )

    match = _SIMPLE.match(normalised)
    unit = _unit_from_word(match["unit"].strip()) if match else None
    if match is None or unit is None:
        raise DurationError(
            f"cannot read the time '{written}'; write a number and a unit, "
            f"e.g. '5 Menit', '2 Jam', '1 Hari' (units: {UNITS_HELP})"
        )
    try:
        amount = Decimal(match["amount"].replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise DurationError(f"cannot read the number in '{written}'") from exc
    if amount <= 0:
        raise DurationError(f"the time '{written}' must be more than zero")
    return StandardTime(written, amount, unit)


def _unit_from_word(word: str) -> TimeUnit | None:
    for spelling, unit in _UNIT_WORDS:
        if word == spelling:
            return unit
    return None

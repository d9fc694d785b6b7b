"""Standard times ("Waktu" in the Mutu Baku) as SOPs write them: "5 Menit", "0,5 Hari", "5menit".

An SOP's "hari" is a working day and its "menit" are minutes of the working day: the standard
time is counted on the agency's working clock (issue 5 does the arithmetic). Only an explicit
calendar wording ("hari kalender", "2 x 24 jam", "bulan") counts calendar time.

Real SOPs also write "± 5 menit" or "maks. 5 menit" (the standard is 5 minutes: a ceiling is
what a standard is), "1 (satu) hari" (the digits count; words that disagree are refused),
"1 jam 30 menit" (the parts add up), "1/2 hari" and "1½ hari", "2 jam kerja", and "5 menit/berkas"
(the standard of one unit of work, kept as `per`). All are read here; `as_written` keeps the
text exactly as the document has it.
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
    # A calendar month: the same date in the next month (see WorkingCalendar.due). Not a fixed
    # number of working days: an office that writes "1 bulan" means "by this date next month",
    # whatever holidays fall in between, as months are counted in Indonesian regulations.
    CALENDAR_MONTH = "bulan"


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
# The units that may be combined in one time ("1 jam 30 menit"), largest first.
_COMBINABLE = (TimeUnit.HOUR, TimeUnit.MINUTE, TimeUnit.SECOND)

# Spellings seen in SOPs; matched longest first, so that "hari kerja" wins over "hari".
_UNIT_WORDS: tuple[tuple[str, TimeUnit], ...] = (
    ("hari kalender", TimeUnit.CALENDAR_DAY),
    ("hari kerja", TimeUnit.WORKING_DAY),
    ("hari", TimeUnit.WORKING_DAY),
    ("hr", TimeUnit.WORKING_DAY),
    ("minggu", TimeUnit.WEEK),
    ("mgg", TimeUnit.WEEK),
    ("pekan", TimeUnit.WEEK),
    ("jam kerja", TimeUnit.HOUR),  # an SOP's jam is a working hour already
    ("jam", TimeUnit.HOUR),
    ("menit kerja", TimeUnit.MINUTE),
    ("menit", TimeUnit.MINUTE),
    ("mnt", TimeUnit.MINUTE),
    ("detik", TimeUnit.SECOND),
    ("dtk", TimeUnit.SECOND),
    ("bulan", TimeUnit.CALENDAR_MONTH),
    ("bln", TimeUnit.CALENDAR_MONTH),
)
_UNIT_PATTERN = "|".join(
    re.escape(word) for word, _ in sorted(_UNIT_WORDS, key=lambda w: -len(w[0]))
)
_VULGAR = {"½": Decimal("0.5"), "¼": Decimal("0.25"), "¾": Decimal("0.75")}

# A number: "1 1/2", "1/2", "1½", "½", "0,5", "1.5", "5".
_NUMBER = r"\d+ \d+/\d+|\d+/\d+|\d*[½¼¾]|\d+(?:[.,]\d+)?"
# One part of a time: a number, the number in words in brackets if written, and a unit.
_PART = re.compile(
    rf" ?(?P<number>{_NUMBER}) ?(?:\((?P<words>[^)]*)\) ?)?(?P<unit>{_UNIT_PATTERN})\.?(?![a-z])"
)
# "2 x 24 jam" / "1x24 Jam": Indonesian for N whole days by the clock.
_TIMES_24_HOURS = re.compile(r"^(?P<amount>\d+) ?[x×] ?24 ?jam$")
_RANGE = re.compile(r"^(?:\d+(?:[.,/]\d+)?) ?(?:-|–|s/d|s\.d\.?|sampai(?: dengan)?|hingga) ?\d")
# "±", "+/-", "kurang lebih", "maks.": the number after it is the standard.
_APPROXIMATE = re.compile(
    r"^(?:±|\+ ?/ ?-|\+-|kurang lebih|lebih kurang|kurang-lebih|"
    r"maks(?:imal|imum)?\.?|max\.?|paling lama|selambat-lambatnya) ?(?=\d|[½¼¾])"
)
# "5 menit/berkas", "5 menit per berkas", "5 menit tiap dokumen": the unit of work.
_PER = re.compile(r"^(?P<time>.+?)(?: ?/ ?| (?:per|tiap|setiap) )(?P<per>[a-z]+(?: [a-z]+)?)\.?$")

UNITS_HELP = "detik, menit, jam, hari, hari kerja, hari kalender, minggu, bulan"
_FORMS_HELP = (
    "write a number and a unit, e.g. '5 Menit', '2 Jam', '1 Hari', '1 jam 30 menit', "
    f"'1/2 hari', '5 menit/berkas' (units: {UNITS_HELP})"
)
_TERTULIS_HINT = (
    "or keep the document's wording and give the standard to count: "
    "'waktu: {tertulis: ..., baku: ...}'"
)


class DurationError(ValueError):
    """A standard time that cannot be read; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class StandardTime:
    """A step's standard time: the text as written in the SOP and its parsed value.

    `per` is the unit of work the time is for ("berkas" in "5 Menit/berkas"): the deadline is
    that of one unit. `counted_as` is the readable standard (`baku`) when the document's own
    wording (`tertulis`, kept in `as_written`) cannot be read, such as "1-2 hari" or "segera".
    """

    as_written: str
    amount: Decimal
    unit: TimeUnit
    per: str | None = None
    counted_as: str | None = None

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

        Working days, weeks and months have no fixed length: it depends on the calendar.
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

    @property
    def shows_seconds(self) -> bool:
        """True when a due time of this standard needs its seconds ("30 detik", "90 detik").

        A standard of whole minutes is shown to the minute, as officials read a clock.
        """
        per_unit = _SECONDS_PER_UNIT.get(self.unit)
        return per_unit is not None and (self.amount * per_unit) % 60 != 0

    def describe(self) -> str:
        """A normalised Indonesian rendering such as "0,5 hari kerja" or "60 menit"."""
        amount = format(self.amount.normalize(), "f").replace(".", ",")
        per = f" per {self.per}" if self.per else ""
        return f"{amount} {self.unit.value}{per}"


def parse_standard_time(text: str) -> StandardTime:
    """Read a standard time as SOPs write it; raise DurationError with a fix-it hint otherwise."""
    written = text
    normalised = " ".join(text.strip().lower().split())
    if not normalised:
        raise DurationError("the time is empty; write a number and a unit, e.g. '5 Menit'")
    # "± 5 menit" and "maks. 5 menit" both set 5 minutes as the standard: nothing to keep.
    body = _APPROXIMATE.sub("", normalised, count=1)
    if _RANGE.match(body):
        raise DurationError(
            f"'{written}' is a range; write the standard time as one value, e.g. '2 Hari', "
            f"{_TERTULIS_HINT}"
        )
    per: str | None = None
    per_match = _PER.match(body)
    if per_match is not None and _unit_from_word(per_match["per"]) is None:
        body, per = per_match["time"], per_match["per"]

    by_clock = _TIMES_24_HOURS.match(body)
    if by_clock:
        return StandardTime(written, Decimal(by_clock["amount"]), TimeUnit.CALENDAR_DAY, per)

    amount, unit = _read_parts(body, written)
    if amount <= 0:
        raise DurationError(f"the time '{written}' must be more than zero")
    if unit is TimeUnit.CALENDAR_MONTH and amount != amount.to_integral_value():
        raise DurationError(
            f"'{written}' is part of a month; a month has no fixed length, so write the time "
            "in days, e.g. '10 hari'"
        )
    return StandardTime(written, amount, unit, per)


def _read_parts(body: str, written: str) -> tuple[Decimal, TimeUnit]:
    """The amount and unit of a time of one or more parts ("1 jam 30 menit": 90 menit)."""
    parts: list[tuple[Decimal, TimeUnit]] = []
    position = 0
    unreadable = DurationError(f"cannot read the time '{written}'; {_FORMS_HELP}, {_TERTULIS_HINT}")
    while position < len(body):
        match = _PART.match(body, position)
        if match is None:
            raise unreadable
        amount = _number(match["number"], written)
        if match["words"] is not None:
            _check_words(amount, match["number"], match["words"], written)
        unit = _unit_from_word(match["unit"])
        assert unit is not None  # noqa: S101 - the pattern admits only known units
        parts.append((amount, unit))
        position = match.end()
    if not parts:
        raise unreadable
    if len(parts) == 1:
        return parts[0]
    units = [unit for _, unit in parts]
    in_order = [u for u in _COMBINABLE if u in units]
    if any(u not in _COMBINABLE for u in units) or units != in_order:
        raise DurationError(
            f"cannot add up the time '{written}': only jam, menit and detik combine, largest "
            "first, each once ('1 jam 30 menit'); write days as one number, e.g. '1,5 hari'"
        )
    # Expressed in the smallest unit written, so that "1 jam 30 menit" reads "90 menit".
    smallest = units[-1]
    total = sum((a * _SECONDS_PER_UNIT[u] for a, u in parts), Decimal(0))
    return total / _SECONDS_PER_UNIT[smallest], smallest


def _number(text: str, written: str) -> Decimal:
    """A number as SOPs write it: "0,5", "1.5", "1/2", "1 1/2", "1½", "½"."""
    try:
        if text[-1] in _VULGAR:
            whole = Decimal(text[:-1]) if text[:-1] else Decimal(0)
            return whole + _VULGAR[text[-1]]
        if "/" in text:
            whole_text, _, fraction = text.rpartition(" ")
            numerator, denominator = (Decimal(n) for n in fraction.split("/"))
            if denominator == 0:
                raise DurationError(f"the fraction in '{written}' divides by zero")
            whole = Decimal(whole_text) if whole_text else Decimal(0)
            return whole + numerator / denominator
        return Decimal(text.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise DurationError(f"cannot read the number in '{written}'") from exc


_DIGIT_WORDS = {
    "nol": 0,
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
}
_WHOLE_WORDS = {"sepuluh": 10, "sebelas": 11, "seratus": 100, "seribu": 1000}
_MULTIPLIERS = {"belas": None, "puluh": 10, "ratus": 100}


def number_in_words(words: str) -> Decimal | None:
    """An Indonesian number written in words ("satu", "dua puluh lima", "satu setengah"),
    or None when the words are not a number."""
    total = Decimal(0)
    pending: int | None = None  # a digit word waiting for "belas", "puluh" or "ratus"
    tokens = words.replace("-", " ").split()
    if not tokens:
        return None
    for word in tokens:
        if word in _DIGIT_WORDS:
            if pending is not None:
                return None
            pending = _DIGIT_WORDS[word]
        elif word in _WHOLE_WORDS:
            total += _WHOLE_WORDS[word]
        elif word == "setengah":
            total += (pending or 0) + Decimal("0.5")
            pending = None
        elif word in _MULTIPLIERS:
            if pending is None:
                return None
            multiplier = _MULTIPLIERS[word]
            total += 10 + pending if multiplier is None else pending * multiplier
            pending = None
        else:
            return None
    return total + (pending or 0)


def _check_words(amount: Decimal, digits: str, words: str, written: str) -> None:
    """Refuse "1 (dua) hari": when the digits and the words disagree, the SOP must say which."""
    value = number_in_words(words.strip())
    if value is None:
        raise DurationError(
            f"cannot read '({words.strip()})' in '{written}' as a number in words; "
            "write it as the document does, e.g. '1 (satu) hari', or leave the words out"
        )
    if value != amount:
        raise DurationError(
            f"'{written}' says {digits} in digits but '{words.strip()}' in words; "
            "correct the one that is wrong"
        )


def _unit_from_word(word: str) -> TimeUnit | None:
    for spelling, unit in _UNIT_WORDS:
        if word == spelling:
            return unit
    return None

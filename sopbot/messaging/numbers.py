"""Numbers as each language writes them: the one place a quantity becomes text for a person.

Indonesian groups thousands with a dot and writes decimals with a comma ("1.250", "21,0 MB");
English the other way round ("1,250", "21.0 MB"). Counts, sizes, durations and standard times
all go through `quantity`. Identifiers (a procedure's No., a step's number) are not quantities and
are shown as they are.
"""

from __future__ import annotations

from decimal import Decimal

from sopbot.engine.durations import StandardTime, TimeUnit
from sopbot.messaging.catalog import Language

# (thousands separator, decimal sign) per language
_SEPARATORS = {Language.ID: (".", ","), Language.EN: (",", ".")}
_BYTES_PER_MB = 1024 * 1024

# A standard time's unit in the words of our own texts: Indonesian as the SOP format names
# them (lower case, like "menit" in "0 menit"), English like short_duration ("min", "h").
_UNITS_ID = {unit: unit.value for unit in TimeUnit}
_UNITS_EN = {
    TimeUnit.SECOND: ("s", "s"),
    TimeUnit.MINUTE: ("min", "min"),
    TimeUnit.HOUR: ("h", "h"),
    TimeUnit.CLOCK_HOUR: ("h", "h"),
    TimeUnit.WORKING_DAY: ("working day", "working days"),
    TimeUnit.WEEK: ("week", "weeks"),
    TimeUnit.CALENDAR_DAY: ("calendar day", "calendar days"),
    TimeUnit.CALENDAR_MONTH: ("month", "months"),
}


def quantity(value: int | float | Decimal, language: Language, decimals: int = 0) -> str:
    """A quantity rounded to `decimals` places: "1.250" / "21,0" (id), "1,250" / "21.0" (en)."""
    thousands, point = _SEPARATORS[language]
    written = f"{value:,.{decimals}f}"  # Python's own style: "," groups, "." marks decimals
    return written.translate(str.maketrans(",.", thousands + point))


def megabytes(size: int, language: Language) -> str:
    """A file size in MB with one decimal, as the language writes it ("21,0")."""
    return quantity(size / _BYTES_PER_MB, language, decimals=1)


def standard_time(standard: StandardTime, language: Language) -> str:
    """A step's standard time in the style of our own units: "5 menit", "0,5 hari kerja".

    SOPs write "5 Menit" or "5 menit" as their authors typed them; beside our "0 menit" it is
    shown in one style, the number following the language.
    """
    amount = standard.amount.normalize()
    exponent = amount.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    written = quantity(amount, language, decimals)
    # "5 Menit/berkas" is the standard of one unit of work; the SOP's word for it is kept.
    per = f" per {standard.per}" if standard.per else ""
    if language is Language.ID:
        return f"{written} {_UNITS_ID[standard.unit]}{per}"
    singular, plural = _UNITS_EN[standard.unit]
    return f"{written} {singular if amount == 1 else plural}{per}"

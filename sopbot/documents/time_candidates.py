"""The standard times a person may mean by a wording that is not one value.

"1-2 Hari" or "30 Menit s/d 1 Jam" is kept as written, and the clock needs one value: the
review offers each number of the wording with its own unit ("30 Menit", "1 Jam") as a button;
a number written without a unit takes the unit of the number after it ("1-2 Hari": "1 Hari",
"2 Hari"). A wording with no number and unit ("segera", "sesuai jadwal") offers nothing: the
person types the standard.
"""

from __future__ import annotations

import re
from typing import Final

from sopbot.engine.durations import DurationError, parse_standard_time

MAX_CANDIDATES: Final = 4
_NUMBER: Final = re.compile(r"\d+(?:[.,]\d+)?")
# What joins two values of a range ("1 s/d 3", "15 menit - 1 jam"): never part of a unit.
_JOINERS: Final = re.compile(
    r"s\s*/\s*d|sampai(?:\s+dengan)?|hingga|atau|maks(?:imal)?\.?|[-–—~±,;]", re.IGNORECASE
)


def time_candidates(written: str) -> list[str]:
    """The readable standard times the wording names, in its order, each number with its own
    unit (none when it names no number followed by a unit)."""
    numbers = list(_NUMBER.finditer(written))
    units: list[str] = []
    for index, match in enumerate(numbers):
        end = numbers[index + 1].start() if index + 1 < len(numbers) else len(written)
        units.append(" ".join(_JOINERS.sub(" ", written[match.end() : end]).split()))
    # A number without its own unit takes the next one's ("1-2 Hari").
    for index in range(len(units) - 2, -1, -1):
        if not units[index]:
            units[index] = units[index + 1]
    found: list[str] = []
    for match, unit in zip(numbers, units, strict=True):
        candidate = f"{match.group()} {unit}"
        if not unit or candidate in found:
            continue
        try:
            parse_standard_time(candidate)
        except DurationError:
            continue
        found.append(candidate)
    return found[:MAX_CANDIDATES]

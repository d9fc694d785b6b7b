"""The standard times a person may mean by a wording that is not one value.

"1-2 Hari" or "1 s/d 3 hari kerja" is kept as written, and the clock needs one value: the
review offers each number of the wording with its unit ("1 Hari", "2 Hari") as a button. A
wording with no number and unit ("segera", "sesuai jadwal") offers nothing: the person types
the standard.
"""

from __future__ import annotations

import re
from typing import Final

from sopbot.engine.durations import DurationError, parse_standard_time

MAX_CANDIDATES: Final = 4
_NUMBER: Final = re.compile(r"\d+(?:[.,]\d+)?")


def time_candidates(written: str) -> list[str]:
    """The readable standard times the wording names, in its order (none when it names no
    number followed by a unit)."""
    numbers = list(_NUMBER.finditer(written))
    if not numbers:
        return []
    unit = " ".join(written[numbers[-1].end() :].split())
    if not unit:
        return []
    found: list[str] = []
    for match in numbers:
        candidate = f"{match.group()} {unit}"
        if candidate in found:
            continue
        try:
            parse_standard_time(candidate)
        except DurationError:
            continue
        found.append(candidate)
    return found[:MAX_CANDIDATES]

"""The Waktu cell as the rendered document writes it, read back: the time as the SOP writes it,
the standard counted when that differs, and the time of a rework round.

    5 Menit
    1-2 Hari (baku 2 Hari)
    1 hari; ulang: 2 jam
    1-2 Hari (baku 2 Hari); ulang: 1 hari (baku 1 hari)

A cell of an agency's own document is usually only the first part; it reads as itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# "(baku ...)" may hold parentheses of its own ("2 (dua) hari"): it runs to the ")" that ends
# the part.
_CELL: Final = re.compile(
    r"^(?P<written>.+?)(?:\s*\(baku\s+(?P<counted>.+?)\)(?=\s*(?:;|$)))?"
    r"(?:\s*;\s*ulang\s*:\s*(?P<rework>.+?)"
    r"(?:\s*\(baku\s+(?P<rework_counted>.+?)\))?)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class TimeCell:
    """The parts of a Waktu cell."""

    written: str
    counted: str | None = None
    rework: str | None = None
    rework_counted: str | None = None


def read_time_cell(text: str) -> TimeCell:
    """The parts of a Waktu cell (whitespace as one space)."""
    cell = " ".join(text.split())
    found = _CELL.match(cell)
    if found is None:
        return TimeCell(cell)
    return TimeCell(
        found["written"].strip(),
        _strip(found["counted"]),
        _strip(found["rework"]),
        _strip(found["rework_counted"]),
    )


def _strip(value: str | None) -> str | None:
    return value.strip() if value else None

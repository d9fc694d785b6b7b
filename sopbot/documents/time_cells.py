"""The Waktu cell: written by the rendered document and `sop show` (`time_cell`), read back by
the importer (`read_time_cell`): the time as the SOP writes it, the standard counted when that
differs, and the time of a rework round.

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

from sopbot.engine.definition import Step

# "(baku ...)" may hold parentheses of its own ("2 (dua) hari"): it runs to the ")" that ends
# the part.
_CELL: Final = re.compile(
    r"^(?P<written>.+?)(?:\s*\(baku\s+(?P<counted>.+?)\)(?=\s*(?:;|$)))?"
    r"(?:\s*;\s*ulang\s*:\s*(?P<rework>.+?)"
    r"(?:\s*\(baku\s+(?P<rework_counted>.+?)\))?)?$",
    re.IGNORECASE,
)


def time_cell(step: Step) -> str:
    """The Waktu cell: as the document writes it, with the standard counted when that differs
    ("1-2 Hari (baku 2 Hari)") and the rework round's time when the SOP gives one."""
    standard = step.standard_time
    cell = standard.as_written
    if standard.counted_as is not None:
        cell += f" (baku {standard.counted_as})"
    if step.rework_time is not None:
        rework = step.rework_time
        counted = f" (baku {rework.counted_as})" if rework.counted_as is not None else ""
        cell += f"; ulang: {rework.as_written}{counted}"
    return cell


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

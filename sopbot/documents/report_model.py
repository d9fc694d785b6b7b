"""A monitoring document as content, before it is a file: its parts, each a table of typed
cells, which report_pdf lays out on pages and report_xlsx writes into sheets.

One model for both files keeps the two saying the same thing: a cell knows what it holds (a
count, a share, a working time, a date, boxes to tick, room left for the assessor), so the
XLSX stores the real number or date with its number format and the PDF writes it in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sopbot.engine.monitoring import ReportHeader


class Kind(StrEnum):
    """What a cell holds, which decides how each file writes it."""

    TEXT = "text"
    COUNT = "count"  # a whole number
    SERIAL = "serial"  # a whole number that names a thing (a procedure's number): no separator
    DECIMAL = "decimal"  # a mean, one decimal
    SHARE = "share"  # 0..1, a percentage
    WORKING_TIME = "working_time"  # working seconds
    DIFFERENCE = "difference"  # working seconds, signed: longer (+) or shorter (-) than due
    DATE = "date"
    MONTH = "month"  # the first day of a month
    DATETIME = "datetime"  # a local wall-clock time
    CHOICE = "choice"  # options, each printed with a box for the assessor to tick
    BLANK = "blank"  # room left for the assessor


CellValue = str | int | float | dt.date | dt.datetime | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: what it holds and its value (None: not measured, written "–")."""

    kind: Kind
    value: CellValue = None


def text(value: str) -> Cell:
    """A cell of text (its line breaks kept)."""
    return Cell(Kind.TEXT, value)


def count(value: int | None) -> Cell:
    """A cell with a whole number."""
    return Cell(Kind.COUNT, value)


def serial(value: int) -> Cell:
    """A cell with a number that names its row (a procedure's number: "1250", not "1.250")."""
    return Cell(Kind.SERIAL, value)


def decimal(value: float | None) -> Cell:
    """A cell with a mean or another fraction."""
    return Cell(Kind.DECIMAL, value)


def share(value: float | None) -> Cell:
    """A cell with a share (0..1); None when nothing was measured."""
    return Cell(Kind.SHARE, value)


def working_time(seconds: float | None) -> Cell:
    """A cell with a working time in working seconds; None when nothing was measured."""
    return Cell(Kind.WORKING_TIME, seconds)


def difference(seconds: float | None) -> Cell:
    """A cell with how much longer (+) or shorter (-) than the standard, in working seconds."""
    return Cell(Kind.DIFFERENCE, seconds)


def date(day: dt.date | None) -> Cell:
    """A cell with a date (None: there is none, written "–")."""
    return Cell(Kind.DATE, day)


def month(first_day: dt.date) -> Cell:
    """A cell with a month (its first day)."""
    return Cell(Kind.MONTH, first_day)


def moment(local: dt.datetime | None) -> Cell:
    """A cell with a local date and time (None: there is none, written "–")."""
    return Cell(Kind.DATETIME, local)


def choice(*options: str) -> Cell:
    """A cell of options for the assessor, each with an empty box to tick."""
    return Cell(Kind.CHOICE, options)


def blank() -> Cell:
    """An empty cell for the assessor to write in."""
    return Cell(Kind.BLANK)


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its heading, its width in characters (the sheet's column width; the PDF
    shares the page's width out in the same proportions), the regulation's number for it,
    whether sopbot fills it (under the heading of the measured columns), and whether the PDF
    writes its dates short ("05/01/2026 08.30", for a narrow column of a long list; the
    sheet writes every date so)."""

    heading: str
    width: float
    number: int | None = None
    measured: bool = False
    short_dates: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """Columns and rows; the last `total_rows` rows are totals (set in bold)."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    measured_heading: str | None = None  # the heading over the columns sopbot fills
    total_rows: int = 0
    empty_text: str = "Tidak ada data pada periode ini."
    # A column whose value the PDF prints once, as a row across over the rows that share it,
    # instead of in every row (the sheet keeps it in every row, to filter and sort by).
    group_by: int | None = None
    filtered: bool = False  # the sheet offers its filter buttons on the heading row (a list)

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {len(row)} cells in a table of {len(self.columns)}")

    @property
    def numbered(self) -> bool:
        """True when the columns carry the regulation's numbers ("(1)", "(2)", ...)."""
        return any(column.number is not None for column in self.columns)


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a document: a sheet of the XLSX, a section of the PDF."""

    sheet_name: str  # at most 31 characters, no []:*?/\
    title: str  # "" where the document's own title is the part's (a form of one table)
    table: Table | None  # None: its lines only (a list too long to print, said where it is)
    intro: tuple[str, ...] = ()  # lines above the table
    notes: tuple[str, ...] = ()  # lines below it
    chart: str | None = None  # the key of a chart shown with the table


@dataclass(frozen=True, slots=True)
class ReportDocument:
    """A whole form or report: the agency's header, its title and identity lines, its parts,
    the note on what the figures are, (forms) the assessor's signature block, and appendices:
    parts that come after all that (the PDF starts them on a new page; each is a sheet of its
    own, after the parts', in the XLSX)."""

    header: ReportHeader
    title: str
    subject: str  # what it is about, for the running head and the file's metadata
    identity: tuple[tuple[str, str], ...]  # "label", "value" lines under the title
    parts: tuple[Part, ...]
    notes: tuple[str, ...] = ()
    signature: bool = False
    appendices: tuple[Part, ...] = ()


Charts = Mapping[str, tuple[str, bytes]]
"""A report's charts by the key of the table they go with: their title and PNG."""

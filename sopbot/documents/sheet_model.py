"""What a reader takes from a document before anything is interpreted: its tables as grids of
cells, the flowchart symbols found in each cell, the text around the tables, and the arrows a
PDF draws between symbols.

Each reader (.docx, .pdf, text) fills this model; one interpreter (procedure_table.py,
header_table.py, drafting.py) turns it into a draft, whatever the document's format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SymbolKind(StrEnum):
    """A flowchart symbol as the document draws it."""

    TERMINATOR = "terminator"  # rounded ends: the start and the end
    PROCESS = "process"  # a rectangle: an activity
    DECISION = "decision"  # a diamond: a question with "ya" / "tidak"
    CONNECTOR = "connector"  # a small circle or pentagon: an off-page connector
    MARK = "mark"  # a tick such as "√" typed in the cell
    PICTURE = "picture"  # a picture whose shape could not be told


EXECUTOR_SYMBOLS = frozenset(
    {
        SymbolKind.TERMINATOR,
        SymbolKind.PROCESS,
        SymbolKind.DECISION,
        SymbolKind.MARK,
        SymbolKind.PICTURE,
    }
)
"""The symbols that say who does a step (a connector only continues the flow)."""


@dataclass(frozen=True, slots=True)
class Symbol:
    """One symbol in a cell: its kind, the text written inside it ("mulai"), and how it was
    recognised (for the review report: "shape flowChartDecision", "picture")."""

    kind: SymbolKind
    text: str = ""
    seen_as: str = ""


@dataclass(slots=True)
class Cell:
    """A table cell: its text, the symbols drawn in it, the labels beside them ("ya", "tidak"),
    and the grid columns it covers (`column` .. `column + span - 1`)."""

    text: str
    column: int
    span: int = 1
    symbols: list[Symbol] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    continued: bool = False  # the lower part of a vertically merged cell

    @property
    def columns(self) -> range:
        """The grid columns the cell covers."""
        return range(self.column, self.column + self.span)


@dataclass(slots=True)
class Grid:
    """A table: rows of cells in grid order, and where it stands in the document ("tabel 2",
    "halaman 3")."""

    rows: list[list[Cell]]
    where: str
    preceding: list[str] = field(default_factory=list)  # the paragraphs just above the table

    @property
    def width(self) -> int:
        """The number of grid columns."""
        return max((c.column + c.span for row in self.rows for c in row), default=0)

    def cell_at(self, row: int, column: int) -> Cell | None:
        """The cell covering a grid column of a row, or None."""
        for cell in self.rows[row]:
            if column in cell.columns:
                return cell
        return None

    def texts(self, row: int) -> list[str]:
        """The text of each grid column of a row (a merged cell's text in its first column)."""
        out = [""] * self.width
        for cell in self.rows[row]:
            if not cell.continued and cell.column < len(out):
                out[cell.column] = cell.text
        return out


@dataclass(frozen=True, slots=True)
class Arrow:
    """A line a PDF draws from one table row's symbol to another's, with its label if any
    ("tidak"): (grid index, row index) at each end."""

    start: tuple[int, int]
    end: tuple[int, int]
    label: str = ""


@dataclass(slots=True)
class SheetDocument:
    """Everything a reader found: text before and between tables, the tables, the arrows."""

    kind: str  # "docx", "pdf", "text"
    grids: list[Grid] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)  # text outside the tables, in order
    arrows: list[Arrow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the reader could not use, and why

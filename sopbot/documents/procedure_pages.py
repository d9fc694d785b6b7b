"""How the procedure table falls on pages: the height of each row and which rows each page
holds. A row is never split; the two header rows are repeated on every page; the first row of a
page that an arrow reaches from another page keeps room at its top for the off-page connector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sopbot.documents.cells import table_title
from sopbot.documents.flowchart import Arrow, RowSymbols, Shape
from sopbot.documents.page_format import CONTENT_BOTTOM, CONTENT_WIDTH, MARGIN, PADDING
from sopbot.documents.pdf_text import BODY_BOLD, HEADING, TextStyle, wrap
from sopbot.documents.procedure_columns import (
    RowText,
    TableColumns,
    header_lines,
    row_text,
    table_columns,
)
from sopbot.engine.definition import SopDefinition

HEADER_STYLE: Final = TextStyle(BODY_BOLD.font, 8)
ROW_GAP: Final = 13.0  # at least this much above and below a symbol: arrows and their labels
SYMBOL_HEIGHT: Final = {Shape.PROCESS: 16.0, Shape.TERMINATOR: 16.0, Shape.DECISION: 28.0}
END_MARK_GAP: Final = 10.0  # between a diamond and the small "selesai" terminator under it
END_MARK_HEIGHT: Final = 11.0
CONNECTOR_SIZE: Final = 14.0
TOP_STRIP: Final = 24.0  # room for the off-page connectors at the top of a continued page
BOTTOM_STRIP: Final = 26.0  # room under the table for the off-page connectors
TITLE_GAP: Final = 6.0


@dataclass(frozen=True, slots=True)
class PlacedRow:
    """A row on its page: its index, top, height, and the connector room at its top."""

    row: int
    top: float
    height: float
    connector_room: float

    @property
    def bottom(self) -> float:
        """The y of the row's bottom ruling."""
        return self.top + self.height

    @property
    def symbol_top(self) -> float:
        """The top of the part of the row where the symbol stands (below connector room)."""
        return self.top + self.connector_room


@dataclass(frozen=True, slots=True)
class TablePage:
    """One page of the procedure table: its title and header rows, and its rows."""

    rows: tuple[PlacedRow, ...]
    header_top: float
    header_heights: tuple[float, float]

    @property
    def body_top(self) -> float:
        """The y under the header rows."""
        return self.header_top + sum(self.header_heights)

    @property
    def bottom(self) -> float:
        """The y of the table's last ruling on this page."""
        return self.rows[-1].bottom if self.rows else self.body_top

    def holds(self, row: int) -> bool:
        """True when the row is on this page."""
        return self.rows[0].row <= row <= self.rows[-1].row

    def placed(self, row: int) -> PlacedRow:
        """The placement of a row of this page."""
        return self.rows[row - self.rows[0].row]


@dataclass(frozen=True, slots=True)
class ProcedureLayout:
    """Everything the painter needs: columns, titles, texts, symbols, arrows and pages."""

    definition: SopDefinition
    columns: TableColumns
    title: list[str]
    header: dict[int, list[str]]
    texts: list[RowText]
    symbols: list[RowSymbols]
    arrows: list[Arrow]
    pages: list[TablePage]


def symbol_stack_height(symbols: RowSymbols, arrows: list[Arrow]) -> float:
    """The height of a row's symbol, with the small end terminator under a diamond whose branch
    ends the procedure."""
    height = SYMBOL_HEIGHT[symbols.shape]
    if ends_from_decision(symbols, arrows):
        height += END_MARK_GAP + END_MARK_HEIGHT
    return height


def ends_from_decision(symbols: RowSymbols, arrows: list[Arrow]) -> bool:
    """True when the row is a diamond with a branch that ends the procedure."""
    return symbols.shape is Shape.DECISION and any(
        a.source == symbols.row and a.target is None for a in arrows
    )


def lay_out(
    definition: SopDefinition,
    symbols: list[RowSymbols],
    arrows: list[Arrow],
    *,
    paginate: bool = True,
) -> ProcedureLayout:
    """Measure every row and put the rows on pages (all on one endless page when not
    `paginate`: the Word writer's view, where Word breaks the pages)."""
    columns = table_columns(len(definition.roles))
    title = wrap(table_title(definition), HEADING, CONTENT_WIDTH)
    header = header_lines(definition, columns, HEADER_STYLE)
    texts = [row_text(definition, step, columns) for step in definition.steps]
    first_header = 2 * PADDING + BODY_BOLD.leading
    second_header = 2 * PADDING + HEADER_STYLE.leading * max(len(v) for v in header.values())
    heights = [
        max(text.height, symbol_stack_height(symbols[row], arrows) + 2 * ROW_GAP)
        for row, text in enumerate(texts)
    ]
    header_top = MARGIN + len(title) * HEADING.leading + TITLE_GAP
    body_top = header_top + first_header + second_header
    pages: list[TablePage] = []
    placed: list[PlacedRow] = []
    y = body_top
    for row, height in enumerate(heights):
        if paginate and placed and y + height > CONTENT_BOTTOM - BOTTOM_STRIP:
            pages.append(TablePage(tuple(placed), header_top, (first_header, second_header)))
            placed, y = [], body_top
        room = TOP_STRIP if not placed and pages and _crossed_before(arrows, row) else 0.0
        placed.append(PlacedRow(row, y, height + room, room))
        y += height + room
    pages.append(TablePage(tuple(placed), header_top, (first_header, second_header)))
    return ProcedureLayout(definition, columns, title, header, texts, symbols, arrows, pages)


def _crossed_before(arrows: list[Arrow], row: int) -> bool:
    """True when an arrow joins a row before `row` to `row` or a later one (either way)."""
    return any(
        a.target is not None and min(a.source, a.target) < row <= max(a.source, a.target)
        for a in arrows
    )

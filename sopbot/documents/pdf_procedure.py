"""The procedure table pages of the PDF: title, the two header rows on every page, a row per
step, and the flowchart in the Pelaksana columns (symbols, orthogonal arrows with arrowheads,
"ya" / "tidak" on a diamond's branches, off-page connectors where the flow crosses a page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sopbot.documents.flow_lanes import Lane, Side, assign_lanes, lane_count
from sopbot.documents.flowchart import Arrow, RowSymbols, Shape
from sopbot.documents.page_format import MARGIN, PADDING
from sopbot.documents.pdf_shapes import Box, Page, Point
from sopbot.documents.pdf_text import BODY, BODY_BOLD, HEADING, SMALL, TextStyle, width_of
from sopbot.documents.procedure_pages import (
    BOTTOM_STRIP,
    CONNECTOR_SIZE,
    END_MARK_GAP,
    END_MARK_HEIGHT,
    HEADER_STYLE,
    SYMBOL_HEIGHT,
    PlacedRow,
    ProcedureLayout,
    TablePage,
    ends_from_decision,
    symbol_stack_height,
)

SYMBOL_PAD: Final = 8.0  # between a symbol and its cells' rulings
LANE_FIRST: Final = 5.0  # the outermost lane's distance from the band's edge
LANE_STEP: Final = 4.0
ELBOW: Final = 9.0  # how far a side branch goes out before it turns
CONNECTOR_GAP: Final = 4.0
SYMBOL_TEXT: Final = TextStyle(BODY.font, 7)
END_TEXT: Final = TextStyle(BODY.font, 6)
START_WORD: Final = "Mulai"
END_WORD: Final = "Selesai"


@dataclass(frozen=True, slots=True)
class _Exit:
    """Where an arrow leaves its symbol: the points up to where it travels vertically, the x
    it travels on, and where its label goes."""

    points: list[Point]
    travel_x: float
    label_at: Point
    label_side: Side
    from_side: bool = False  # leaves from a diamond's side vertex (else from the bottom)


def paint_procedure(new_page: Callable[[], Page], layout: ProcedureLayout) -> None:
    """Draw the table's pages."""
    lanes = assign_lanes(layout.arrows, layout.symbols, layout.columns.roles)
    numbers = _connector_numbers(layout)
    for table_page in layout.pages:
        page = new_page()
        _TablePainter(page, layout, table_page, lanes, numbers).paint()


def trace_flow(layout: ProcedureLayout, page: Page) -> None:
    """Draw only the flowchart of a one-page layout on `page` (which may record it rather than
    draw it: the Word writer places the same arrows in its rows)."""
    assert len(layout.pages) == 1  # noqa: S101 - no off-page connectors to place
    lanes = assign_lanes(layout.arrows, layout.symbols, layout.columns.roles)
    _TablePainter(page, layout, layout.pages[0], lanes, {}).flow()


def _connector_numbers(layout: ProcedureLayout) -> dict[int, int]:
    """The number of each arrow that crosses a page, in the order of their sources."""
    page_of = {p.row: n for n, page in enumerate(layout.pages) for p in page.rows}
    crossing = [
        index
        for index, arrow in enumerate(layout.arrows)
        if arrow.target is not None and page_of[arrow.source] != page_of[arrow.target]
    ]
    return {index: number for number, index in enumerate(crossing, start=1)}


class _TablePainter:
    """Paints one page of the table."""

    def __init__(
        self,
        page: Page,
        layout: ProcedureLayout,
        table_page: TablePage,
        lanes: dict[int, Lane],
        numbers: dict[int, int],
    ) -> None:
        self.page = page
        self.layout = layout
        self.table = table_page
        self.lanes = lanes
        self.numbers = numbers
        self.columns = layout.columns
        self.lane_room = {
            side: LANE_FIRST + lane_count(lanes, side) * LANE_STEP + 3 for side in Side
        }
        self.boxes = {p.row: self._boxes(p) for p in table_page.rows}
        self.ends: list[_PageEnd] = []

    # The table

    def paint(self) -> None:
        """Title, header, rows and rulings, then the flowchart over them."""
        self.page.lines(MARGIN, MARGIN, self.layout.title, HEADING)
        self._header()
        for placed in self.table.rows:
            self._row(placed)
        self.flow()

    def _header(self) -> None:
        page, columns, table = self.page, self.columns, self.table
        top = table.header_top
        first, second = table.header_heights
        middle, bottom = top + first, top + first + second
        roles = columns.roles
        after = 2 + roles
        page.line(columns.left, top, columns.right, top)
        page.line(columns.left, bottom, columns.right, bottom)
        page.line(columns.edges[2], middle, columns.edges[after + 3], middle)
        for index, x in enumerate(columns.edges):
            inner_role = 2 < index < after or after < index < after + 3
            page.line(x, middle if inner_role else top, x, bottom)
        whole = first + second
        for column, title in ((0, "No"), (1, "Kegiatan"), (after + 3, "Keterangan")):
            page.text(
                columns.edges[column],
                top + (whole - BODY_BOLD.size) / 2,
                title,
                BODY_BOLD,
                align="center",
                width=columns.width(column),
            )
        for title, (left, right) in (
            ("Pelaksana", columns.band),
            ("Mutu Baku", columns.span(after, after + 2)),
        ):
            page.text(left, top + PADDING, title, BODY_BOLD, align="center", width=right - left)
        for column, lines in self.layout.header.items():
            height = len(lines) * HEADER_STYLE.leading
            page.lines(
                columns.edges[column],
                middle + (second - height) / 2,
                lines,
                HEADER_STYLE,
                align="center",
                width=columns.width(column),
            )

    def _row(self, placed: PlacedRow) -> None:
        page, columns = self.page, self.columns
        text = self.layout.texts[placed.row]
        for column, lines in text.lines.items():
            centred = column in (0, columns.text_columns[3])
            page.lines(
                columns.edges[column] + (0 if centred else PADDING),
                placed.top + PADDING,
                lines,
                BODY,
                align="center" if centred else "left",
                width=columns.width(column),
            )
        page.line(columns.left, placed.bottom, columns.right, placed.bottom)
        # Role cells merged for a symbol across them have no ruling between them.
        merged = {
            2 + inner
            for group in self.layout.symbols[placed.row].groups
            for inner in range(group.first + 1, group.last + 1)
        }
        for index, x in enumerate(columns.edges):
            if index not in merged:
                page.line(x, placed.top, x, placed.bottom)

    # Symbols

    def _boxes(self, placed: PlacedRow) -> list[Box]:
        symbols = self.layout.symbols[placed.row]
        height = SYMBOL_HEIGHT[symbols.shape]
        stack = symbol_stack_height(symbols, self.layout.arrows)
        top = placed.symbol_top + (placed.bottom - placed.symbol_top - stack) / 2
        boxes = []
        for group in symbols.groups:
            left, right = self.columns.role_span(group.first, group.last)
            pad = SYMBOL_PAD
            if group.first == 0:
                pad = max(pad, self.lane_room[Side.LEFT])
            if group.last == self.columns.roles - 1:
                pad = max(pad, self.lane_room[Side.RIGHT])
            if ends_from_decision(symbols, self.layout.arrows):
                pad += ELBOW  # room beside the diamond for the branch that goes on
            boxes.append(Box(left + pad, top, right - left - 2 * pad, height))
        return boxes

    def flow(self) -> None:
        """The symbols, the arrows and the page's off-page connectors."""
        for row, boxes in self.boxes.items():
            symbols = self.layout.symbols[row]
            for box in boxes:
                self.page.symbol(symbols.shape, box)
                self._symbol_word(symbols, box)
        for index, arrow in enumerate(self.layout.arrows):
            self._arrow(index, arrow)
        self._connectors()

    def _symbol_word(self, symbols: RowSymbols, box: Box) -> None:
        """ "Mulai" in the first step's terminator, "Selesai" in one that ends the procedure."""
        if symbols.shape is not Shape.TERMINATOR:
            return
        word = START_WORD if symbols.row == 0 else END_WORD
        self.page.text(
            box.x,
            box.cy - SYMBOL_TEXT.size / 2,
            word,
            SYMBOL_TEXT,
            align="center",
            width=box.width,
        )

    # Arrows

    def _arrow(self, index: int, arrow: Arrow) -> None:
        if arrow.target is None:
            if self.table.holds(arrow.source):
                self._to_end(arrow)
            return
        here_from, here_to = self.table.holds(arrow.source), self.table.holds(arrow.target)
        if here_from and here_to:
            for source, target in self._pairs(index, arrow):
                exit_ = self._exit(index, arrow, source)
                self._label(arrow, exit_)
                self.page.arrow(exit_.points + self._entry(arrow.target, target, exit_.travel_x))
        elif here_from:
            self._leave_page(index, arrow)
        elif here_to:
            self._enter_page(index, arrow)

    def _pairs(self, index: int, arrow: Arrow) -> list[tuple[Box, Box]]:
        """Which source symbol joins which target symbol (several when a step's roles are
        apart): on a lane the ones nearest it; else each to its nearest."""
        assert arrow.target is not None  # noqa: S101
        sources, targets = self.boxes[arrow.source], self.boxes[arrow.target]
        lane = self.lanes.get(index)
        if lane is not None:
            pick = min if lane.side is Side.LEFT else max
            return [(pick(sources, key=lambda b: b.x), pick(targets, key=lambda b: b.x))]
        pairs = {(id(s), id(_nearest(s, targets))): (s, _nearest(s, targets)) for s in sources}
        for target in targets:
            source = _nearest(target, sources)
            pairs[(id(source), id(target))] = (source, target)
        return list(pairs.values())

    def _exit(self, index: int, arrow: Arrow, box: Box) -> _Exit:
        """Where and how the arrow leaves its symbol."""
        symbols = self.layout.symbols[arrow.source]
        lane = self.lanes.get(index)
        placed = self._placed(arrow.source)
        below = box.bottom + (placed.bottom - box.bottom) / 2
        if symbols.shape is not Shape.DECISION:
            if lane is None:
                return _Exit([(box.cx, box.bottom)], box.cx, (box.cx, box.bottom), Side.RIGHT)
            x = self._lane_x(lane)
            points = [(box.cx, box.bottom), (box.cx, below), (x, below)]
            return _Exit(points, x, (box.cx, box.bottom), Side.RIGHT)
        if lane is None and not ends_from_decision(symbols, self.layout.arrows):
            return _Exit([(box.cx, box.bottom)], box.cx, (box.cx, box.bottom), Side.RIGHT)
        side = lane.side if lane is not None else self._free_side(arrow.source)
        vertex = (box.x, box.cy) if side is Side.LEFT else (box.right, box.cy)
        if lane is not None:
            x = self._lane_x(lane)
        else:
            x = vertex[0] - ELBOW if side is Side.LEFT else vertex[0] + ELBOW
        return _Exit([vertex, (x, box.cy)], x, vertex, side, from_side=True)

    def _free_side(self, row: int) -> Side:
        """The side of a diamond that no lane branch of its row leaves from."""
        taken = {
            self.lanes[i].side
            for i, a in enumerate(self.layout.arrows)
            if a.source == row and i in self.lanes
        }
        return Side.LEFT if Side.RIGHT in taken and Side.LEFT not in taken else Side.RIGHT

    def _entry(self, row: int, box: Box, travel_x: float) -> list[Point]:
        """From the vertical travel into the target's top."""
        placed = self._placed(row)
        above = placed.symbol_top + (box.y - placed.symbol_top) / 2
        return [(travel_x, above), (box.cx, above), (box.cx, box.y)]

    def _lane_x(self, lane: Lane) -> float:
        left, right = self.columns.band
        offset = LANE_FIRST + lane.index * LANE_STEP
        return left + offset if lane.side is Side.LEFT else right - offset

    def _placed(self, row: int) -> PlacedRow:
        return self.table.placed(row)

    def _label(self, arrow: Arrow, exit_: _Exit) -> None:
        if not arrow.label:
            return
        x, y = exit_.label_at
        if exit_.from_side:  # the label above the line
            width = width_of(arrow.label, SMALL)
            x = x + 2 if exit_.label_side is Side.RIGHT else x - 2 - width
            y -= SMALL.size + 2
        else:  # leaves from the bottom: the label beside the line
            x += 2.5
            y += 1.5
        left, right = self.columns.band
        x = max(left + 1, min(x, right - 1 - width_of(arrow.label, SMALL)))
        self.page.label(x, y, arrow.label, SMALL)

    def _to_end(self, arrow: Arrow) -> None:
        """A diamond's branch that ends the procedure: down to a small "Selesai" terminator."""
        for box in self.boxes[arrow.source]:
            width = min(40.0, box.width + ELBOW)
            mark = Box(box.cx - width / 2, box.bottom + END_MARK_GAP, width, END_MARK_HEIGHT)
            self.page.arrow([(box.cx, box.bottom), (box.cx, mark.y)])
            self.page.end_mark(mark)
            self.page.text(
                mark.x,
                mark.cy - END_TEXT.size / 2,
                END_WORD,
                END_TEXT,
                align="center",
                width=mark.width,
            )
            bottom = (box.cx, box.bottom)
            self._label(arrow, _Exit([bottom], box.cx, bottom, Side.RIGHT))

    # Off-page connectors

    def _leave_page(self, index: int, arrow: Arrow) -> None:
        """The part of an arrow on its source's page: up to a connector under the table (on
        down) or in the first row's top (back up)."""
        assert arrow.target is not None  # noqa: S101
        sources = self.boxes[arrow.source]
        strip = "bottom" if arrow.target > arrow.source else "top"
        for box in sources[:1] if index in self.lanes else sources:
            exit_ = self._exit(index, arrow, box)
            self._label(arrow, exit_)
            self.ends.append(_PageEnd(index, strip, exit_.points, exit_.travel_x, leaving=True))

    def _enter_page(self, index: int, arrow: Arrow) -> None:
        """The part of an arrow on its target's page: from a connector in the first row's top
        (coming down) or under the table (coming back up)."""
        assert arrow.target is not None  # noqa: S101
        targets = self.boxes[arrow.target]
        lane = self.lanes.get(index)
        strip = "top" if arrow.source < arrow.target else "bottom"
        for box in targets[:1] if lane is not None else targets:
            travel = self._lane_x(lane) if lane is not None else box.cx
            entry = self._entry(arrow.target, box, travel)
            self.ends.append(_PageEnd(index, strip, entry, travel, leaving=False))

    def _connectors(self) -> None:
        """Place each strip's connectors apart from each other, draw them with their numbers
        and join the arrows' ends on this page to them."""
        for strip in ("top", "bottom"):
            ends = [end for end in self.ends if end.strip == strip]
            wanted: dict[int, float] = {}
            for end in ends:
                wanted.setdefault(end.arrow, end.travel_x)
            placed = _spread(wanted, *self.columns.band)
            for arrow, x in placed.items():
                self._connector(strip, x, self.numbers[arrow])
            for end in ends:
                self.page.arrow(self._joined(end, placed[end.arrow]))

    def _strip_top(self, strip: str) -> float:
        """The top of a strip's connectors."""
        if strip == "bottom":
            return self.table.bottom + BOTTOM_STRIP - CONNECTOR_SIZE - 5
        return self.table.rows[0].top + 3

    def _connector(self, strip: str, x: float, number: int) -> None:
        top = self._strip_top(strip)
        box = Box(x - CONNECTOR_SIZE / 2, top, CONNECTOR_SIZE, CONNECTOR_SIZE)
        self.page.symbol(Shape.OFF_PAGE, box)
        self.page.text(box.x, box.y + 2, str(number), SMALL, align="center", width=box.width)

    def _joined(self, end: _PageEnd, x: float) -> list[Point]:
        """An arrow's end on this page joined to its connector at x, with a short jog between
        the connector and the arrow's vertical travel."""
        top = self._strip_top(end.strip)
        if end.strip == "bottom":
            edge, jog = top, top - (top - self.table.bottom) / 2
        else:
            edge, jog = top + CONNECTOR_SIZE, top + CONNECTOR_SIZE + 3
        link = [(x, edge), (x, jog), (end.travel_x, jog)]
        if end.leaving:
            return [*end.points, *reversed(link)]
        return [*link, *end.points]


@dataclass(frozen=True, slots=True)
class _PageEnd:
    """The part of a page-crossing arrow on this page, waiting for its connector's place."""

    arrow: int
    strip: str  # "top": in the first row's top; "bottom": under the table
    points: list[Point]  # leaving: symbol to travel line; entering: travel line to symbol
    travel_x: float
    leaving: bool


def _spread(wanted: dict[int, float], left: float, right: float) -> dict[int, float]:
    """Connector centres near the wanted x, apart from each other, inside the role columns."""
    step = CONNECTOR_SIZE + CONNECTOR_GAP
    low, high = left + CONNECTOR_SIZE / 2 + 3, right - CONNECTOR_SIZE / 2 - 3
    placed: dict[int, float] = {}
    previous = low - step
    for arrow, x in sorted(wanted.items(), key=lambda item: item[1]):
        placed[arrow] = max(min(max(x, low), high), previous + step)
        previous = placed[arrow]
    return placed


def _nearest(box: Box, boxes: list[Box]) -> Box:
    return min(boxes, key=lambda other: abs(other.cx - box.cx))

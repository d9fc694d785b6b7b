"""The flowchart of the Word document: the same symbols, arrows and labels as the PDF's, laid out
on one endless page (Word breaks the pages itself) and cut into the table's rows.

Each row is given at least the height the PDF gives it (Word's text, in a narrower font with no
cell padding, needs less), so the row stands where the layout put it; every piece of drawing is
anchored in the row it lies in, in the cell of that row's symbol, placed from that cell's corner.
An arrow that goes on past a page break Word makes is therefore cut at the row boundary, never
left hanging off the page; the flow notes in Keterangan say where it goes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sopbot.documents.flowchart import Shape, arrows, row_symbols
from sopbot.documents.pdf_procedure import trace_flow
from sopbot.documents.pdf_shapes import Box, Page, Point
from sopbot.documents.pdf_text import TextStyle, width_of
from sopbot.documents.procedure_pages import ProcedureLayout, lay_out
from sopbot.engine.definition import SopDefinition


@dataclass
class FlowDrawing:
    """What the flowchart painter drew: symbols, arrows (polyline, arrowhead), labels, and the
    small end marks, in page coordinates of the one-page layout."""

    layout: ProcedureLayout
    symbols: list[tuple[Shape, Box]] = field(default_factory=list)
    arrows: list[tuple[list[Point], bool]] = field(default_factory=list)
    labels: list[tuple[float, float, str, float]] = field(default_factory=list)
    end_marks: list[Box] = field(default_factory=list)


class _Recorder(Page):
    """A page that keeps what the flowchart painter draws instead of drawing it."""

    def __init__(self, drawing: FlowDrawing) -> None:  # no canvas: nothing is drawn
        self.drawing = drawing

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0) -> None:
        """Rulings are Word's own."""

    def text(self, x: float, y: float, text: str, style: TextStyle, **placing: object) -> None:
        """The words in symbols are the Word shapes' own."""

    def symbol(self, shape: Shape, box: Box) -> None:
        """A step's symbol, placed by the Word writer in its cell."""
        self.drawing.symbols.append((shape, box))

    def end_mark(self, box: Box) -> None:
        """The small terminator under a diamond whose branch ends the procedure."""
        self.drawing.end_marks.append(box)

    def label(self, x: float, y: float, text: str, style: TextStyle) -> None:
        """The words beside an arrow."""
        self.drawing.labels.append((x, y, text, width_of(text, style) + 3))

    def arrow(self, points: list[Point], *, head: bool = True) -> None:
        """An arrow's polyline."""
        self.drawing.arrows.append((list(points), head))


def flow_drawing(definition: SopDefinition) -> FlowDrawing:
    """The flowchart of the whole table on one page, as the PDF painter routes it."""
    layout = lay_out(definition, row_symbols(definition), arrows(definition), paginate=False)
    drawing = FlowDrawing(layout)
    trace_flow(layout, _Recorder(drawing))
    return drawing


@dataclass(frozen=True, slots=True)
class Piece:
    """A straight piece of an arrow inside one row, from the row's top-left corner... in page
    coordinates; `head` when it ends the arrow."""

    row: int
    start: Point
    end: Point
    head: bool


def pieces(drawing: FlowDrawing) -> list[Piece]:
    """Every arrow cut into straight pieces that each stay inside one row."""
    rows = drawing.layout.pages[0].rows
    found: list[Piece] = []
    for points, head in drawing.arrows:
        kept = _without_repeats(points)
        segments = list(itertools.pairwise(kept))
        for number, (start, end) in enumerate(segments):
            last = number == len(segments) - 1
            cuts = _cut(start, end, [(p.top, p.bottom) for p in rows])
            for index, (row, piece_start, piece_end) in enumerate(cuts):
                found.append(
                    Piece(row, piece_start, piece_end, head and last and index == len(cuts) - 1)
                )
    return found


def _cut(
    start: Point, end: Point, rows: list[tuple[float, float]]
) -> list[tuple[int, Point, Point]]:
    """A straight segment cut at the rows' boundaries, in its own direction."""
    (x1, y1), (x2, y2) = start, end
    low, high = min(y1, y2), max(y1, y2)
    found = []
    for row, (top, bottom) in enumerate(rows):
        a, b = max(low, top), min(high, bottom)
        if a > b or (a == b and low != high):
            continue
        if y1 == y2:  # horizontal: wholly in the row holding it
            found.append((row, start, end))
            break
        found.append((row, (x1, a), (x2, b)))
    if y2 < y1:  # going up: the pieces from the bottom row up, each pointing up
        found = [(row, (x, b), (x, a)) for row, (x, a), (_, b) in reversed(found)]
    return found


def _without_repeats(points: list[Point]) -> list[Point]:
    kept: list[Point] = []
    for point in points:
        if not kept or abs(point[0] - kept[-1][0]) > 0.01 or abs(point[1] - kept[-1][1]) > 0.01:
            kept.append(point)
    return kept

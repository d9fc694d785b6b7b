"""A PDF page as the importer sees it: its words, its straight lines (ruling lines and the
flowchart's connectors), its closed shapes (the flowchart's symbols) and its arrowheads, from
pdfplumber's objects.

A rectangle drawn with a stroke may be a table cell or a process symbol (pdf_reading drops the
ones that stand on column lines); a closed path is a symbol by its corners (a diamond through the
middles of its sides, a rounded box, a small circle or pentagon for a connector); an open path is
connector lines; a small filled triangle is an arrowhead; a path of many points is a drawing such
as a logo, not a symbol.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from sopbot.documents.sheet_model import SymbolKind

TOLERANCE: Final = 2.0  # points: lines this close are one line; ends this close touch
THIN: Final = 2.5  # a filled rectangle thinner than this is a ruling line (Word draws them so)
MAX_SHAPE_POINTS: Final = 64  # a flowchart symbol has a few; a logo's outline has thousands


@dataclass(frozen=True, slots=True)
class Segment:
    """A straight piece of a line, from (x0, y0) to (x1, y1), top-down coordinates."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def vertical(self) -> bool:
        """True for an upright piece (a column line, a connector going down)."""
        return abs(self.x0 - self.x1) <= TOLERANCE / 2 and abs(self.y1 - self.y0) > TOLERANCE

    @property
    def horizontal(self) -> bool:
        """True for a level piece (a row line, a connector going across)."""
        return abs(self.y0 - self.y1) <= TOLERANCE / 2 and abs(self.x1 - self.x0) > TOLERANCE

    def ends(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Its two end points."""
        return (self.x0, self.y0), (self.x1, self.y1)


@dataclass(slots=True)
class Shape:
    """A closed shape of the page: the symbol it is, its box, and its corners."""

    kind: SymbolKind
    x0: float
    top: float
    x1: float
    bottom: float
    vertices: list[tuple[float, float]] = field(default_factory=list)

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of its box."""
        return (self.x0 + self.x1) / 2, (self.top + self.bottom) / 2

    def near(self, x: float, y: float, margin: float = 6.0) -> bool:
        """True when a point lies in its box or within `margin` of it (where an arrow ends)."""
        return (
            self.x0 - margin <= x <= self.x1 + margin
            and self.top - margin <= y <= self.bottom + margin
        )


@dataclass(slots=True)
class Page:
    """What a page holds for the importer."""

    number: int
    words: list[dict[str, Any]]
    chars: list[dict[str, Any]]
    segments: list[Segment]  # ruling lines and connector lines
    shapes: list[Shape]
    width: float
    arrowheads: list[tuple[float, float]] = field(default_factory=list)  # their centres


def read_page(number: int, page: Any) -> Page:
    """The words, lines, shapes and arrowheads of a pdfplumber page."""
    words = page.extract_words(
        keep_blank_chars=False,
        x_tolerance=1.5,
        y_tolerance=2,
        extra_attrs=["size"],
        return_chars=True,
    )
    segments: list[Segment] = []
    shapes: list[Shape] = []
    for line in page.lines:
        segments.extend(_segments_of(line))
    for rect in page.rects:
        width, height = rect["width"], rect["height"]
        if min(width, height) < THIN:
            segments.append(
                Segment(rect["x0"], rect["top"], rect["x0"], rect["bottom"])
                if width < height
                else Segment(rect["x0"], rect["top"], rect["x1"], rect["top"])
            )
        elif rect.get("stroke") or not _is_background(rect, page):
            # A drawn box is a cell of a table or a process symbol; its edges may be ruling
            # lines, and the boxes that turn out to be cells are dropped as symbols later.
            x0, top, x1, bottom = rect["x0"], rect["top"], rect["x1"], rect["bottom"]
            if rect.get("stroke"):
                segments += [
                    Segment(x0, top, x1, top),
                    Segment(x0, bottom, x1, bottom),
                    Segment(x0, top, x0, bottom),
                    Segment(x1, top, x1, bottom),
                ]
            shapes.append(Shape(SymbolKind.PROCESS, x0, top, x1, bottom))
    arrowheads: list[tuple[float, float]] = []
    for curve in page.curves:
        shape = _curve_shape(curve)
        if shape is not None:
            shapes.append(shape)
        elif _is_arrowhead(curve):
            arrowheads.append(
                ((curve["x0"] + curve["x1"]) / 2, (curve["top"] + curve["bottom"]) / 2)
            )
        else:
            segments.extend(_segments_of(curve))
    return Page(number, words, list(page.chars), segments, shapes, float(page.width), arrowheads)


def _is_arrowhead(curve: dict[str, Any]) -> bool:
    """A small closed triangle: the head of an arrow."""
    points = _distinct(curve.get("pts") or [])
    return len(points) == 3 and max(curve["width"], curve["height"]) < 12


def _is_background(rect: dict[str, Any], page: Any) -> bool:
    """A filled rectangle with no outline as large as a cell: shading, not a symbol."""
    return bool(rect.get("fill")) and rect["width"] > page.width / 6


def _segments_of(drawn: dict[str, Any]) -> list[Segment]:
    """The straight pieces of a line or an open path, point to point (none of no length)."""
    points = drawn.get("pts") or [(drawn["x0"], drawn["top"]), (drawn["x1"], drawn["bottom"])]
    return [Segment(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(points) if a != b]


def _curve_shape(curve: dict[str, Any]) -> Shape | None:
    """The flowchart symbol a closed path draws, or None for an open path (a connector line)
    or an arrowhead."""
    points = curve.get("pts") or []
    if len(points) < 3 or len(points) > MAX_SHAPE_POINTS:
        return None  # a line, or a drawing such as a logo: not a symbol
    closed = math.dist(points[0], points[-1]) <= TOLERANCE or _closes(curve)
    if not closed:
        return None
    x0, top, x1, bottom = curve["x0"], curve["top"], curve["x1"], curve["bottom"]
    width, height = x1 - x0, bottom - top
    if max(width, height) < 9:
        return None  # an arrowhead
    curved = any(op[0] == "c" for op in curve.get("path") or [])
    corners = _distinct(points)
    cx, cy = (x0 + x1) / 2, (top + bottom) / 2
    if curved:
        if abs(width - height) <= 0.2 * max(width, height) and max(width, height) <= 40:
            kind = SymbolKind.CONNECTOR
        else:
            kind = SymbolKind.TERMINATOR
    elif len(corners) == 4 and all(
        math.dist(p, m) <= 0.15 * max(width, height)
        for p, m in zip(
            sorted(corners), sorted([(cx, top), (x1, cy), (cx, bottom), (x0, cy)]), strict=True
        )
    ):
        kind = SymbolKind.DECISION
    elif len(corners) == 5 and max(width, height) <= 40:
        kind = SymbolKind.CONNECTOR  # an off-page connector (a pentagon)
    elif len(corners) == 3:
        return None  # a triangle: an arrowhead drawn large
    else:
        kind = SymbolKind.PROCESS
    return Shape(kind, x0, top, x1, bottom, corners)


def _closes(curve: dict[str, Any]) -> bool:
    return any(op[0] == "h" for op in curve.get("path") or [])


def _distinct(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    found: list[tuple[float, float]] = []
    for point in points:
        if all(math.dist(point, other) > TOLERANCE for other in found):
            found.append(point)
    return found

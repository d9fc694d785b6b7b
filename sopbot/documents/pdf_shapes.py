"""Drawing on a PDF page measured from its top-left corner, in points: ruling lines, text, the
flowchart symbols and arrows, all as vector paths and real text (the importer reads them back
with pdfplumber: a rectangle, a rounded rectangle, a closed four-point diamond, a closed
five-point off-page connector, straight line segments, filled triangle arrowheads)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

from reportlab.pdfgen.canvas import Canvas

from sopbot.documents.flowchart import Shape
from sopbot.documents.pdf_text import TextStyle, printable, width_of

RULE_WIDTH: Final = 0.6
SYMBOL_LINE: Final = 0.8
ARROW_LINE: Final = 0.7
ARROW_HEAD: Final = 4.0  # length of an arrowhead; its width is 0.8 of that


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle from its top-left corner, in points from the page's top-left."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        """The x of the right side."""
        return self.x + self.width

    @property
    def bottom(self) -> float:
        """The y of the bottom side."""
        return self.y + self.height

    @property
    def cx(self) -> float:
        """The x of the centre."""
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        """The y of the centre."""
        return self.y + self.height / 2


Point = tuple[float, float]


class Page:
    """A canvas page drawn in top-down coordinates."""

    def __init__(self, canvas: Canvas, height: float) -> None:
        self._canvas = canvas
        self._height = height

    def _y(self, y: float) -> float:
        return self._height - y

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = RULE_WIDTH) -> None:
        """A straight ruling line."""
        self._canvas.setLineWidth(width)
        self._canvas.line(x1, self._y(y1), x2, self._y(y2))

    def text(
        self,
        x: float,
        y: float,
        text: str,
        style: TextStyle,
        *,
        align: str = "left",
        width: float = 0,
    ) -> None:
        """One line of text with its top at y; `align` "center" or "right" within `width`."""
        shown = printable(text)
        if align == "center":
            x += (width - width_of(shown, style)) / 2
        elif align == "right":
            x += width - width_of(shown, style)
        self._canvas.setFont(style.font, style.size)
        self._canvas.drawString(x, self._y(y + style.size * 0.93), shown)

    def lines(
        self, x: float, y: float, lines: list[str], style: TextStyle, **placing: object
    ) -> float:
        """Lines of text from y down; returns the y below the last."""
        for line in lines:
            self.text(x, y, line, style, **placing)  # type: ignore[arg-type]
            y += style.leading
        return y

    def label(self, x: float, y: float, text: str, style: TextStyle) -> None:
        """The words beside an arrow ("ya", "tidak")."""
        self.text(x, y, text, style)

    def end_mark(self, box: Box) -> None:
        """The small terminator a diamond's branch to the end leads to."""
        self.symbol(Shape.TERMINATOR, box)

    def symbol(self, shape: Shape, box: Box) -> None:
        """A flowchart symbol filling `box`."""
        canvas = self._canvas
        canvas.setLineWidth(SYMBOL_LINE)
        if shape is Shape.PROCESS:
            canvas.rect(box.x, self._y(box.bottom), box.width, box.height, stroke=1, fill=0)
        elif shape is Shape.TERMINATOR:
            radius = box.height / 2
            canvas.roundRect(
                box.x, self._y(box.bottom), box.width, box.height, radius, stroke=1, fill=0
            )
        elif shape is Shape.DECISION:
            self._polygon(
                [(box.cx, box.y), (box.right, box.cy), (box.cx, box.bottom), (box.x, box.cy)]
            )
        elif shape is Shape.OFF_PAGE:
            shoulder = box.y + box.height * 0.6
            self._polygon(
                [
                    (box.x, box.y),
                    (box.right, box.y),
                    (box.right, shoulder),
                    (box.cx, box.bottom),
                    (box.x, shoulder),
                ]
            )
        else:
            canvas.circle(box.cx, self._y(box.cy), box.width / 2, stroke=1, fill=0)

    def _polygon(self, points: list[Point], *, fill: bool = False) -> None:
        path = self._canvas.beginPath()
        path.moveTo(points[0][0], self._y(points[0][1]))
        for x, y in points[1:]:
            path.lineTo(x, self._y(y))
        path.close()
        self._canvas.drawPath(path, stroke=1, fill=1 if fill else 0)

    def arrow(self, points: list[Point], *, head: bool = True) -> None:
        """An orthogonal connector through `points`, straight segments, with a filled
        triangle at the last point when `head`."""
        canvas = self._canvas
        canvas.setLineWidth(ARROW_LINE)
        points = _without_repeats(points)
        if len(points) < 2:
            return
        tip = points[-1]
        if head:
            (x1, y1) = points[-2]
            length = max(abs(tip[0] - x1), abs(tip[1] - y1))
            dx, dy = (tip[0] - x1) / length, (tip[1] - y1) / length
            base = (tip[0] - dx * ARROW_HEAD, tip[1] - dy * ARROW_HEAD)
            points = [*points[:-1], base]
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            canvas.line(x1, self._y(y1), x2, self._y(y2))
        if head:
            half = ARROW_HEAD * 0.4
            canvas.setFillGray(0)
            self._polygon(
                [
                    tip,
                    (base[0] - dy * half, base[1] + dx * half),
                    (base[0] + dy * half, base[1] - dx * half),
                ],
                fill=True,
            )


def _without_repeats(points: list[Point]) -> list[Point]:
    kept: list[Point] = []
    for point in points:
        if not kept or abs(point[0] - kept[-1][0]) > 0.01 or abs(point[1] - kept[-1][1]) > 0.01:
            kept.append(point)
    return kept

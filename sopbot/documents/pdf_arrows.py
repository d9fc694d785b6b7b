"""The arrows of a PDF's flowchart: the lines that leave each diamond, followed to the
symbol they reach and named by the "ya" / "tidak" written beside them."""

from __future__ import annotations

import math
from typing import Any

from sopbot.documents.pdf_page import TOLERANCE, Page, Segment, Shape
from sopbot.documents.pdf_words import LABEL_WORDS
from sopbot.documents.procedure_table import normal
from sopbot.documents.sheet_model import Arrow, SheetDocument, SymbolKind
from sopbot.documents.vocabulary import NO_WORDS


def find_arrows(
    page: Page, bands: list[tuple[float, float]], grid_index: int, sheet: SheetDocument
) -> None:
    """Follow the lines that leave each diamond of the table to the symbol they reach, and
    name each by its label ("ya", "tidak"), or, unlabelled, by where it goes: on down the page
    is "ya", back up is "tidak"."""
    row_of: dict[int, int] = {}
    lines = [s for s in page.segments if not _is_ruling(s, page)]
    for shape in page.shapes:
        for index, (top, bottom) in enumerate(bands):
            if top <= shape.centre[1] <= bottom:
                row_of[id(shape)] = index
    for shape in page.shapes:
        if shape.kind is not SymbolKind.DECISION or id(shape) not in row_of:
            continue
        start_row = row_of[id(shape)]
        found: list[tuple[int, str]] = []
        for vertex in shape.vertices:
            if any(math.dist(vertex, head) <= 6 for head in page.arrowheads):
                continue  # the line that comes in
            path = _follow(vertex, lines, shape, page.shapes)
            if path is None or id(path[0]) not in row_of:
                continue
            found.append((row_of[id(path[0])], _label_along(page.words, path[1])))
        for end_row, label in _named(found, start_row):
            sheet.arrows.append(Arrow((grid_index, start_row), (grid_index, end_row), label))


def _named(found: list[tuple[int, str]], start_row: int) -> list[tuple[int, str]]:
    """The branches with a label each: an unlabelled one is named by the other's label, or by
    its direction (down: "ya", up: "tidak")."""
    labels = {label for _, label in found if label}
    named = []
    for end_row, label in found:
        if not label:
            if labels == {"tidak"}:
                label = "ya"
            elif labels == {"ya"}:
                label = "tidak"
            else:
                label = "ya" if end_row > start_row else "tidak"
        named.append((end_row, label))
    return named


def _is_ruling(segment: Segment, page: Page) -> bool:
    return (max(segment.x0, segment.x1) - min(segment.x0, segment.x1)) > page.width * 0.5


def _follow(
    start: tuple[float, float], lines: list[Segment], origin: Shape, shapes: list[Shape]
) -> tuple[Shape, list[Segment]] | None:
    """The symbol reached by the chain of lines that starts at a point (a diamond's corner),
    and the lines on the way."""
    point = start
    used: list[int] = []
    for _ in range(16):
        step = _next_segment(point, lines, set(used))
        if step is None:
            break
        used.append(step[0])
        point = step[1]
        reached = next((s for s in shapes if s is not origin and s.near(*point, 4.0)), None)
        if reached is not None:
            return reached, [lines[i] for i in used]
    return None


def _next_segment(
    point: tuple[float, float], lines: list[Segment], used: set[int]
) -> tuple[int, tuple[float, float]] | None:
    """An unused line that touches the point: its index and its other end."""
    for index, line in enumerate(lines):
        if index in used:
            continue
        a, b = line.ends()
        if math.dist(a, point) <= TOLERANCE * 1.5:
            return index, b
        if math.dist(b, point) <= TOLERANCE * 1.5:
            return index, a
    return None


def _label_along(words: list[dict[str, Any]], path: list[Segment]) -> str:
    """ "ya" or "tidak" written beside a path's lines (nearest first, within 15 points)."""
    best, best_distance = "", 15.0
    for word in words:
        text = normal(word["text"])
        if text not in LABEL_WORDS:
            continue
        centre = ((word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2)
        distance = min(_distance_to(centre, segment) for segment in path)
        if distance < best_distance:
            best, best_distance = ("tidak" if text in NO_WORDS else "ya"), distance
    return best


def _distance_to(point: tuple[float, float], segment: Segment) -> float:
    (ax, ay), (bx, by) = segment.ends()
    length = (bx - ax) ** 2 + (by - ay) ** 2
    if length == 0:
        return math.dist(point, (ax, ay))
    t = max(0.0, min(1.0, ((point[0] - ax) * (bx - ax) + (point[1] - ay) * (by - ay)) / length))
    return math.dist(point, (ax + t * (bx - ax), ay + t * (by - ay)))

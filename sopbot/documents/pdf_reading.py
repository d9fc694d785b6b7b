"""Reading a digital PDF SOP (saved from Word, or drawn by a program) into a SheetDocument.

A PDF has no tables, only ruling lines, text and vector shapes. The header table of the first
page is read from its ruling lines. The procedure table is found by its header words (No,
Kegiatan, Pelaksana, Mutu Baku): its column lines are the vertical lines that cross the header
(the flowchart's connectors never do), its row lines the horizontal lines that cross the No and
Kegiatan columns (connectors stay in the role columns). Closed shapes in the role columns are
the flowchart symbols: a rectangle is a process, a rounded box a terminator, a four-cornered
path through the middles of its sides a diamond, a small circle or pentagon a connector. Lines
leaving a diamond are followed to the symbol they end at, so that a "tidak" drawn back up the
page gives its target.

A PDF with no text at all is a scan, refused (ScannedPdf); one with text but no ruling lines is
read as text, as far as its text allows.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from sopbot.documents.procedure_table import normal
from sopbot.documents.sheet_model import Arrow, Cell, Grid, SheetDocument, Symbol, SymbolKind
from sopbot.documents.text_reading import read_text
from sopbot.documents.vocabulary import NO_WORDS, YES_WORDS

_TOLERANCE: Final = 2.0  # points: lines this close are one line; ends this close touch
_MAX_PAGES: Final = 60
_THIN: Final = 2.5  # a filled rectangle thinner than this is a ruling line (Word draws them so)
_HEADER_WORDS: Final = re.compile(r"^(?:kegiatan|uraian|aktivitas|prosedur)$")
_LABEL_WORDS: Final = YES_WORDS | NO_WORDS
_NUMBER_WORDS: Final = re.compile(r"^(?:no\.?|nomor)$")

logging.getLogger("pdfminer").setLevel(logging.ERROR)

# What pdfminer and pdfplumber raise on a damaged file (a MediaBox of the wrong length, a
# broken cross-reference table, a stream that does not decode).
_PDF_ERRORS: Final = (
    PdfminerException,
    PDFSyntaxError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    AssertionError,
)
_MAX_SHAPE_POINTS: Final = 64  # a flowchart symbol has a few; a logo's outline has thousands


class ScannedPdf(ValueError):
    """The PDF holds pictures of pages and no text: a scan."""


class UnreadablePdf(ValueError):
    """The file is not a PDF that can be read."""


@dataclass(frozen=True, slots=True)
class _Segment:
    """A straight piece of a line, from (x0, y0) to (x1, y1), top-down coordinates."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def vertical(self) -> bool:
        return abs(self.x0 - self.x1) <= _TOLERANCE / 2 and abs(self.y1 - self.y0) > _TOLERANCE

    @property
    def horizontal(self) -> bool:
        return abs(self.y0 - self.y1) <= _TOLERANCE / 2 and abs(self.x1 - self.x0) > _TOLERANCE

    def ends(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (self.x0, self.y0), (self.x1, self.y1)


@dataclass(slots=True)
class _Shape:
    kind: SymbolKind
    x0: float
    top: float
    x1: float
    bottom: float
    vertices: list[tuple[float, float]] = field(default_factory=list)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.top + self.bottom) / 2

    def near(self, x: float, y: float, margin: float = 6.0) -> bool:
        return (
            self.x0 - margin <= x <= self.x1 + margin
            and self.top - margin <= y <= self.bottom + margin
        )


@dataclass(slots=True)
class _Page:
    number: int
    words: list[dict[str, Any]]
    chars: list[dict[str, Any]]
    segments: list[_Segment]  # ruling lines and connector lines
    shapes: list[_Shape]
    width: float
    arrowheads: list[tuple[float, float]] = field(default_factory=list)  # their centres


def read_pdf(data: bytes) -> SheetDocument:
    """The tables, symbols, arrows and free text of a digital PDF given as bytes."""
    try:
        document = pdfplumber.open(io.BytesIO(data))
    except _PDF_ERRORS as exc:
        raise UnreadablePdf(str(exc)[:200] or "not a PDF") from exc
    try:
        return _read_document(document)
    except (ScannedPdf, UnreadablePdf):
        raise
    except _PDF_ERRORS as exc:
        raise UnreadablePdf(str(exc)[:200] or "broken PDF") from exc
    finally:
        # A PDF broken enough to fail here again has been refused already.
        with contextlib.suppress(*_PDF_ERRORS):
            document.close()


def _read_document(document: Any) -> SheetDocument:
    if len(document.pages) > _MAX_PAGES:
        raise UnreadablePdf(f"{len(document.pages)} pages; an SOP has a few")
    pages = [_page(number, page) for number, page in enumerate(document.pages, 1)]
    if not any(p.words for p in pages):
        if any(page.images for page in document.pages):
            raise ScannedPdf("no text, only pictures")
        raise UnreadablePdf("no text")
    if not any(s for p in pages for s in p.segments):
        text = "\n\f".join(page.extract_text(layout=True) or "" for page in document.pages)
        sheet = read_text(text)
        sheet.kind = "pdf"
        sheet.notes.append("PDF tanpa garis tabel: dibaca sebagai teks")
        return sheet
    sheet = SheetDocument(kind="pdf")
    columns: list[float] | None = None
    for page in pages:
        columns = _read_page(page, sheet, columns)
    return sheet


def _page(number: int, page: Any) -> _Page:
    words = page.extract_words(
        keep_blank_chars=False,
        x_tolerance=1.5,
        y_tolerance=2,
        extra_attrs=["size"],
        return_chars=True,
    )
    segments: list[_Segment] = []
    shapes: list[_Shape] = []
    for line in page.lines:
        segments.extend(_segments_of(line))
    for rect in page.rects:
        width, height = rect["width"], rect["height"]
        if min(width, height) < _THIN:
            segments.append(
                _Segment(rect["x0"], rect["top"], rect["x0"], rect["bottom"])
                if width < height
                else _Segment(rect["x0"], rect["top"], rect["x1"], rect["top"])
            )
        elif rect.get("stroke") or not _is_background(rect, page):
            # A drawn box is a cell of a table or a process symbol; its edges may be ruling
            # lines, and the boxes that turn out to be cells are dropped as symbols later.
            x0, top, x1, bottom = rect["x0"], rect["top"], rect["x1"], rect["bottom"]
            if rect.get("stroke"):
                segments += [
                    _Segment(x0, top, x1, top),
                    _Segment(x0, bottom, x1, bottom),
                    _Segment(x0, top, x0, bottom),
                    _Segment(x1, top, x1, bottom),
                ]
            shapes.append(_Shape(SymbolKind.PROCESS, x0, top, x1, bottom))
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
    return _Page(number, words, list(page.chars), segments, shapes, float(page.width), arrowheads)


def _is_arrowhead(curve: dict[str, Any]) -> bool:
    """A small closed triangle: the head of an arrow."""
    points = _distinct(curve.get("pts") or [])
    return len(points) == 3 and max(curve["width"], curve["height"]) < 12


def _is_background(rect: dict[str, Any], page: Any) -> bool:
    """A filled rectangle with no outline as large as a cell: shading, not a symbol."""
    return bool(rect.get("fill")) and rect["width"] > page.width / 6


def _segments_of(drawn: dict[str, Any]) -> list[_Segment]:
    """The straight pieces of a line or an open path, point to point (none of no length)."""
    points = drawn.get("pts") or [(drawn["x0"], drawn["top"]), (drawn["x1"], drawn["bottom"])]
    return [_Segment(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(points) if a != b]


def _curve_shape(curve: dict[str, Any]) -> _Shape | None:
    """The flowchart symbol a closed path draws, or None for an open path (a connector line)
    or an arrowhead."""
    points = curve.get("pts") or []
    if len(points) < 3 or len(points) > _MAX_SHAPE_POINTS:
        return None  # a line, or a drawing such as a logo: not a symbol
    closed = math.dist(points[0], points[-1]) <= _TOLERANCE or _closes(curve)
    if not closed:
        return None
    x0, top, x1, bottom = curve["x0"], curve["top"], curve["x1"], curve["bottom"]
    width, height = x1 - x0, bottom - top
    if max(width, height) < 9:
        return None  # an arrowhead
    curved = any(op[0] == "c" for op in curve.get("path") or [])
    distinct = _distinct(points)
    cx, cy = (x0 + x1) / 2, (top + bottom) / 2
    if curved:
        if abs(width - height) <= 0.2 * max(width, height) and max(width, height) <= 40:
            kind = SymbolKind.CONNECTOR
        else:
            kind = SymbolKind.TERMINATOR
    elif len(distinct) == 4 and all(
        math.dist(p, m) <= 0.15 * max(width, height)
        for p, m in zip(
            sorted(distinct), sorted([(cx, top), (x1, cy), (cx, bottom), (x0, cy)]), strict=True
        )
    ):
        kind = SymbolKind.DECISION
    elif len(distinct) == 5 and max(width, height) <= 40:
        kind = SymbolKind.CONNECTOR  # an off-page connector (a pentagon)
    elif len(distinct) == 3:
        return None  # a triangle: an arrowhead drawn large
    else:
        kind = SymbolKind.PROCESS
    return _Shape(kind, x0, top, x1, bottom, distinct)


def _closes(curve: dict[str, Any]) -> bool:
    return any(op[0] == "h" for op in curve.get("path") or [])


def _distinct(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    found: list[tuple[float, float]] = []
    for point in points:
        if all(math.dist(point, other) > _TOLERANCE for other in found):
            found.append(point)
    return found


# --- tables ---------------------------------------------------------------------------------


def _read_page(
    page: _Page, sheet: SheetDocument, columns: list[float] | None
) -> list[float] | None:
    header = _procedure_header(page)
    verticals = [s for s in page.segments if s.vertical]
    horizontals = [s for s in page.segments if s.horizontal]
    if header is not None:
        top_words = header
        band_top = min(w["top"] for w in top_words) - 1
        xs = _cluster(
            [s.x0 for s in verticals if min(s.y0, s.y1) <= band_top + 8 <= max(s.y0, s.y1)]
        )
        if len(xs) >= 4:
            columns = xs
    if columns is None or (header is None and not _has_columns(verticals, columns)):
        _free_tables(page, sheet, horizontals, verticals)
        return columns
    page.shapes = [shape for shape in page.shapes if not _is_cell(shape, columns)]
    header_top = min(w["top"] for w in header) if header is not None else None
    found = _procedure_grid(page, columns, horizontals, verticals, header_top)
    if found is not None:
        grid, ys = found
        if header is not None:
            # What stands above the table on this page: its title, and a header table if any.
            table_top = min(w["top"] for w in header)
            above = [w for w in page.words if w["bottom"] < table_top - 2]
            _free_tables(page, sheet, horizontals, verticals, limit=table_top - 2)
            grid.preceding = _lines_of(above)[-2:]
        _arrows(page, list(itertools.pairwise(ys)), len(sheet.grids), sheet)
        sheet.grids.append(grid)
    return columns


def _is_cell(shape: _Shape, columns: list[float]) -> bool:
    """A box whose sides stand on column lines is a table cell drawn as a box, not a symbol."""
    return any(abs(shape.x0 - x) <= _TOLERANCE for x in columns) and any(
        abs(shape.x1 - x) <= _TOLERANCE for x in columns
    )


def _procedure_header(page: _Page) -> list[dict[str, Any]] | None:
    """The words of the procedure table's header on this page (its No and Kegiatan), if any."""
    for word in page.words:
        if not _HEADER_WORDS.match(normal(word["text"])):
            continue
        row = [
            w
            for w in page.words
            if abs(w["top"] - word["top"]) <= 6 or abs(w["bottom"] - word["bottom"]) <= 6
        ]
        texts = {normal(w["text"]) for w in row}
        line_texts = " ".join(
            normal(w["text"]) for w in page.words if abs(w["top"] - word["top"]) <= 30
        )
        if any(_NUMBER_WORDS.match(t) for t in texts) and (
            "pelaksana" in line_texts or "mutu" in line_texts or "waktu" in line_texts
        ):
            return row
    return None


def _has_columns(verticals: list[_Segment], columns: list[float]) -> bool:
    found = _cluster([s.x0 for s in verticals])
    return sum(any(abs(x - c) <= _TOLERANCE for x in found) for c in columns) >= len(columns) - 1


def _cluster(values: Iterable[float]) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if out and value - out[-1] <= _TOLERANCE:
            continue
        out.append(value)
    return out


def _covered(
    segments: list[_Segment], at: float, start: float, end: float, *, vertical: bool
) -> float:
    """How much of [start, end] the segments on the line `at` cover (0..1)."""
    pieces = []
    for s in segments:
        if vertical and abs(s.x0 - at) <= _TOLERANCE:
            pieces.append((min(s.y0, s.y1), max(s.y0, s.y1)))
        elif not vertical and abs(s.y0 - at) <= _TOLERANCE:
            pieces.append((min(s.x0, s.x1), max(s.x0, s.x1)))
    covered, reach = 0.0, start
    for a, b in sorted(pieces):
        a, b = max(a, reach), min(b, end)
        if b > a:
            covered += b - a
            reach = b
    return covered / (end - start) if end > start else 0.0


def _procedure_grid(
    page: _Page,
    xs: list[float],
    horizontals: list[_Segment],
    verticals: list[_Segment],
    header_top: float | None,
) -> tuple[Grid, list[float]] | None:
    """The table's grid on this page and its row lines (top to bottom); with a header (its
    words' top given), the table starts at the line just above it."""
    # Row lines cross the first two columns (No and Kegiatan); inside the header, a partial
    # line under Pelaksana / Mutu Baku ends on column lines.
    left, right = xs[0], xs[-1]
    probe_end = xs[min(2, len(xs) - 1)]
    ys = _cluster(
        s.y0
        for s in horizontals
        if _covered(horizontals, s.y0, left, probe_end, vertical=False) >= 0.6
    )
    ys = [y for y in ys if _covered(horizontals, y, left, right, vertical=False) >= 0.5]
    if header_top is not None:
        above = [y for y in ys if y <= header_top + _TOLERANCE]
        ys = [y for y in ys if not above or y >= above[-1]]
    if len(ys) < 2:
        return None
    if header_top is not None:
        inner = _cluster(
            s.y0
            for s in horizontals
            if ys[0] < s.y0 < ys[1]
            and _ends_on_columns(s, xs)
            and (max(s.x0, s.x1) - min(s.x0, s.x1)) > 5
        )
        ys = sorted(ys[:1] + inner + ys[1:])
    rows = _cells(page, xs, ys, horizontals, verticals)
    return Grid(rows, f"halaman {page.number}"), ys


def _ends_on_columns(segment: _Segment, xs: list[float]) -> bool:
    a, b = sorted((segment.x0, segment.x1))
    return any(abs(a - x) <= _TOLERANCE * 2 for x in xs) and any(
        abs(b - x) <= _TOLERANCE * 2 for x in xs
    )


def _cells(
    page: _Page,
    xs: list[float],
    ys: list[float],
    horizontals: list[_Segment],
    verticals: list[_Segment],
) -> list[list[Cell]]:
    words = _split_at_columns(page.words, xs)
    rows: list[list[Cell]] = []
    owner: dict[tuple[int, int], Cell] = {}
    boxes: dict[int, list[float]] = {}
    for r in range(len(ys) - 1):
        top, bottom = ys[r], ys[r + 1]
        row: list[Cell] = []
        c = 0
        while c < len(xs) - 1:
            start = c
            c += 1
            while c < len(xs) - 1 and _covered(verticals, xs[c], top, bottom, vertical=True) < 0.6:
                c += 1
            span = c - start
            lid = r > 0 and _covered(horizontals, top, xs[start], xs[c], vertical=False) < 0.6
            above = owner.get((r - 1, start)) if lid else None
            cell = Cell("", start, span, continued=above is not None)
            row.append(cell)
            target = above if above is not None else cell
            for column in range(start, c):
                owner[(r, column)] = target
            box = boxes.setdefault(id(target), [xs[start], top, xs[c], bottom])
            box[3] = bottom
        rows.append(row)
    cells_by_id = {id(cell): cell for row in rows for cell in row}
    for cell_id, (x0, top, x1, bottom) in boxes.items():
        cell = cells_by_id[cell_id]
        inside = [w for w in words if _centre_in(w, (x0, top, x1, bottom))]
        cell.text = _paragraphs(_without_labels(inside))
        for shape in page.shapes:
            cx, cy = shape.centre
            if not top <= cy <= bottom:
                continue
            overlap = min(shape.x1, x1) - max(shape.x0, x0)
            if overlap >= 0.3 * min(shape.x1 - shape.x0, x1 - x0) or x0 <= cx <= x1:
                cell.symbols.append(Symbol(shape.kind, "", f"simbol {shape.kind.value} (PDF)"))
    return rows


def _centre_in(word: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    x = float(word["x0"] + word["x1"]) / 2
    y = float(word["top"] + word["bottom"]) / 2
    return x0 <= x <= x1 and top <= y <= bottom


def _split_at_columns(words: list[dict[str, Any]], xs: list[float]) -> list[dict[str, Any]]:
    """Words as pdfplumber joins them, split where a column line runs through a gap between
    two of their characters: names in neighbouring header cells can touch ("Pengadministrasi"
    and "Tim Monev"), while a word drawn across a line (a label "tidak") stays whole."""
    out: list[dict[str, Any]] = []
    for word in words:
        chars = word.get("chars") or []
        cuts = [i for i in range(1, len(chars)) if _cut_between(chars[i - 1], chars[i], xs)]
        if not cuts:
            out.append(word)
            continue
        for a, b in itertools.pairwise([0, *cuts, len(chars)]):
            part = chars[a:b]
            out.append(
                {
                    "text": "".join(c["text"] for c in part),
                    "x0": part[0]["x0"],
                    "x1": part[-1]["x1"],
                    "top": min(c["top"] for c in part),
                    "bottom": max(c["bottom"] for c in part),
                    "size": part[0].get("size", word.get("size")),
                }
            )
    return out


def _cut_between(left: dict[str, Any], right: dict[str, Any], xs: list[float]) -> bool:
    """Two characters of one pdfplumber word belong to two cells: a column line runs between
    their centres, and there is a gap between them or a new capitalised word starts (a name
    that overflows its narrow header cell into the next one)."""
    middle_left = (left["x0"] + left["x1"]) / 2
    middle_right = (right["x0"] + right["x1"]) / 2
    if any(middle_left < x < middle_right for x in xs) and right["x0"] - left["x1"] > 1.0:
        return True
    # An overflowing name ends a little past the line, where the next cell's name begins.
    return (
        left["text"].islower()
        and right["text"].isupper()
        and any(left["x0"] - 10 < x < right["x1"] + 10 for x in xs)
    )


def _without_labels(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cell's words without the flowchart's "ya" / "tidak" labels that stray into it: those
    are set smaller than the cell's text."""
    sizes = sorted(float(w.get("size") or 0) for w in words)
    if not sizes:
        return words
    usual = sizes[len(sizes) // 2]
    return [
        w
        for w in words
        if not (normal(w["text"]) in _LABEL_WORDS and float(w.get("size") or 0) < 0.85 * usual)
    ]


def _paragraphs(words: list[dict[str, Any]]) -> str:
    """A cell's words as text: the lines a long text wraps over joined with spaces, and a new
    paragraph (a line break) where the space between two lines is wider than half a line."""
    lines = [sorted(line, key=lambda w: w["x0"]) for line in _word_lines(words)]
    text = ""
    for index, line in enumerate(lines):
        if index:
            height = float(line[0]["bottom"] - line[0]["top"]) or 8.0
            gap = float(line[0]["top"] - lines[index - 1][0]["bottom"])
            text += "\n" if gap > 0.6 * height else " "
        text += " ".join(w["text"] for w in line)
    return text


def _word_lines(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Words grouped into lines (by their top), top to bottom."""
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) <= 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def _lines_of(words: list[dict[str, Any]]) -> list[str]:
    """Words grouped into lines, top to bottom, left to right."""
    return [
        " ".join(w["text"] for w in sorted(line, key=lambda w: w["x0"]))
        for line in _word_lines(words)
    ]


def _free_tables(
    page: _Page,
    sheet: SheetDocument,
    horizontals: list[_Segment],
    verticals: list[_Segment],
    limit: float | None = None,
) -> None:
    """The other ruled tables of a page (the identity header), read from all their lines, and
    the text outside them as paragraphs."""
    hs = [s for s in horizontals if limit is None or s.y0 <= limit]
    vs = [s for s in verticals if limit is None or max(s.y0, s.y1) <= limit + _TOLERANCE]
    words = [w for w in page.words if limit is None or w["bottom"] <= limit]
    ys = _cluster(s.y0 for s in hs)
    xs = _cluster(s.x0 for s in vs)
    if len(ys) < 2 or len(xs) < 2:
        sheet.paragraphs.extend(_lines_of(words))
        return
    top, bottom = ys[0], ys[-1]
    chars = [c for c in page.chars if limit is None or c["bottom"] <= limit]
    sub = _Page(page.number, words, chars, page.segments, [], page.width)
    rows = _cells(sub, xs, ys, hs, vs)
    rows = [row for row in rows if any(c.text for c in row)]
    outside = [w for w in words if not top <= (w["top"] + w["bottom"]) / 2 <= bottom]
    sheet.paragraphs.extend(_lines_of(outside))
    if rows:
        sheet.grids.append(Grid(rows, f"halaman {page.number}", _lines_of(outside)))


# --- arrows ---------------------------------------------------------------------------------


def _arrows(
    page: _Page, bands: list[tuple[float, float]], grid_index: int, sheet: SheetDocument
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


def _is_ruling(segment: _Segment, page: _Page) -> bool:
    return (max(segment.x0, segment.x1) - min(segment.x0, segment.x1)) > page.width * 0.5


def _follow(
    start: tuple[float, float], lines: list[_Segment], origin: _Shape, shapes: list[_Shape]
) -> tuple[_Shape, list[_Segment]] | None:
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
    point: tuple[float, float], lines: list[_Segment], used: set[int]
) -> tuple[int, tuple[float, float]] | None:
    """An unused line that touches the point: its index and its other end."""
    for index, line in enumerate(lines):
        if index in used:
            continue
        a, b = line.ends()
        if math.dist(a, point) <= _TOLERANCE * 1.5:
            return index, b
        if math.dist(b, point) <= _TOLERANCE * 1.5:
            return index, a
    return None


def _label_along(words: list[dict[str, Any]], path: list[_Segment]) -> str:
    """ "ya" or "tidak" written beside a path's lines (nearest first, within 15 points)."""
    best, best_distance = "", 15.0
    for word in words:
        text = normal(word["text"])
        if text not in _LABEL_WORDS:
            continue
        centre = ((word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2)
        distance = min(_distance_to(centre, segment) for segment in path)
        if distance < best_distance:
            best, best_distance = ("tidak" if text in NO_WORDS else "ya"), distance
    return best


def _distance_to(point: tuple[float, float], segment: _Segment) -> float:
    (ax, ay), (bx, by) = segment.ends()
    length = (bx - ax) ** 2 + (by - ay) ** 2
    if length == 0:
        return math.dist(point, (ax, ay))
    t = max(0.0, min(1.0, ((point[0] - ax) * (bx - ax) + (point[1] - ay) * (by - ay)) / length))
    return math.dist(point, (ax + t * (bx - ax), ay + t * (by - ay)))

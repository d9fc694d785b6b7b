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
import re
from collections.abc import Iterable
from typing import Any, Final

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from sopbot.documents.pdf_arrows import find_arrows
from sopbot.documents.pdf_page import TOLERANCE, Page, Segment, Shape, read_page
from sopbot.documents.pdf_words import (
    centre_in,
    lines_of,
    paragraphs,
    split_at_columns,
    without_labels,
)
from sopbot.documents.procedure_table import normal
from sopbot.documents.sheet_model import Cell, Grid, SheetDocument, Symbol
from sopbot.documents.text_reading import read_text

_MAX_PAGES: Final = 60
_HEADER_WORDS: Final = re.compile(r"^(?:kegiatan|uraian|aktivitas|prosedur)$")
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


class ScannedPdf(ValueError):
    """The PDF holds pictures of pages and no text: a scan."""


class UnreadablePdf(ValueError):
    """The file is not a PDF that can be read."""


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
    pages = [read_page(number, page) for number, page in enumerate(document.pages, 1)]
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
        columns = _readread_page(page, sheet, columns)
    return sheet


# --- tables ---------------------------------------------------------------------------------


def _readread_page(
    page: Page, sheet: SheetDocument, columns: list[float] | None
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
            grid.preceding = lines_of(above)[-2:]
        find_arrows(page, list(itertools.pairwise(ys)), len(sheet.grids), sheet)
        sheet.grids.append(grid)
    return columns


def _is_cell(shape: Shape, columns: list[float]) -> bool:
    """A box whose sides stand on column lines is a table cell drawn as a box, not a symbol."""
    return any(abs(shape.x0 - x) <= TOLERANCE for x in columns) and any(
        abs(shape.x1 - x) <= TOLERANCE for x in columns
    )


def _procedure_header(page: Page) -> list[dict[str, Any]] | None:
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


def _has_columns(verticals: list[Segment], columns: list[float]) -> bool:
    found = _cluster([s.x0 for s in verticals])
    return sum(any(abs(x - c) <= TOLERANCE for x in found) for c in columns) >= len(columns) - 1


def _cluster(values: Iterable[float]) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if out and value - out[-1] <= TOLERANCE:
            continue
        out.append(value)
    return out


def _covered(
    segments: list[Segment], at: float, start: float, end: float, *, vertical: bool
) -> float:
    """How much of [start, end] the segments on the line `at` cover (0..1)."""
    pieces = []
    for s in segments:
        if vertical and abs(s.x0 - at) <= TOLERANCE:
            pieces.append((min(s.y0, s.y1), max(s.y0, s.y1)))
        elif not vertical and abs(s.y0 - at) <= TOLERANCE:
            pieces.append((min(s.x0, s.x1), max(s.x0, s.x1)))
    covered, reach = 0.0, start
    for a, b in sorted(pieces):
        a, b = max(a, reach), min(b, end)
        if b > a:
            covered += b - a
            reach = b
    return covered / (end - start) if end > start else 0.0


def _procedure_grid(
    page: Page,
    xs: list[float],
    horizontals: list[Segment],
    verticals: list[Segment],
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
        above = [y for y in ys if y <= header_top + TOLERANCE]
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


def _ends_on_columns(segment: Segment, xs: list[float]) -> bool:
    a, b = sorted((segment.x0, segment.x1))
    return any(abs(a - x) <= TOLERANCE * 2 for x in xs) and any(
        abs(b - x) <= TOLERANCE * 2 for x in xs
    )


def _cells(
    page: Page,
    xs: list[float],
    ys: list[float],
    horizontals: list[Segment],
    verticals: list[Segment],
) -> list[list[Cell]]:
    words = split_at_columns(page.words, xs)
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
        inside = [w for w in words if centre_in(w, (x0, top, x1, bottom))]
        cell.text = paragraphs(without_labels(inside))
        for shape in page.shapes:
            cx, cy = shape.centre
            if not top <= cy <= bottom:
                continue
            overlap = min(shape.x1, x1) - max(shape.x0, x0)
            if overlap >= 0.3 * min(shape.x1 - shape.x0, x1 - x0) or x0 <= cx <= x1:
                cell.symbols.append(Symbol(shape.kind, "", f"simbol {shape.kind.value} (PDF)"))
    return rows


def _free_tables(
    page: Page,
    sheet: SheetDocument,
    horizontals: list[Segment],
    verticals: list[Segment],
    limit: float | None = None,
) -> None:
    """The other ruled tables of a page (the identity header), read from all their lines, and
    the text outside them as paragraphs."""
    hs = [s for s in horizontals if limit is None or s.y0 <= limit]
    vs = [s for s in verticals if limit is None or max(s.y0, s.y1) <= limit + TOLERANCE]
    words = [w for w in page.words if limit is None or w["bottom"] <= limit]
    ys = _cluster(s.y0 for s in hs)
    xs = _cluster(s.x0 for s in vs)
    if len(ys) < 2 or len(xs) < 2:
        sheet.paragraphs.extend(lines_of(words))
        return
    top, bottom = ys[0], ys[-1]
    chars = [c for c in page.chars if limit is None or c["bottom"] <= limit]
    sub = Page(page.number, words, chars, page.segments, [], page.width)
    rows = _cells(sub, xs, ys, hs, vs)
    rows = [row for row in rows if any(c.text for c in row)]
    outside = [w for w in words if not top <= (w["top"] + w["bottom"]) / 2 <= bottom]
    sheet.paragraphs.extend(lines_of(outside))
    if rows:
        sheet.grids.append(Grid(rows, f"halaman {page.number}", lines_of(outside)))

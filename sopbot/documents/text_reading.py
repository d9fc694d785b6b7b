"""Reading an SOP given as text: `pdftotext -layout` output (columns aligned with spaces), text
copied from a table (columns separated by tabs, as the seeds under shared/seeds were extracted),
or a PDF page without ruling lines.

The flowchart is gone from such text; what is left of it (a "mulai" or a tick in a Pelaksana
column, "ya" and "tidak" on lines of their own) is kept for the interpreter. Markup that
extraction tools leave (`**bold**`, `<b>`, `<li>`) is taken off.
"""

from __future__ import annotations

import html
import re
from typing import Final

from sopbot.documents.procedure_table import normal
from sopbot.documents.sheet_model import Cell, Grid, SheetDocument
from sopbot.documents.text_columns import layout_columns, place_words

_TAGS: Final = re.compile(r"<[^>]{1,200}>")
_ITEM_BREAK: Final = re.compile(
    r"</li>\s*<li[^>]*>|<li[^>]*>|<br\s*/?>|</p>\s*<p[^>]*>|<p[^>]*>", re.IGNORECASE
)
_INNER_BOLD: Final = re.compile(r"([^\t<>]*[^\t\s<>]) +<b>(?:<u>)?([^<\t]+)(?:</u>)?</b> *(?=\S)")
_GAP: Final = re.compile(r" {2,}|\t")
_HEADER: Final = re.compile(r"\b(?:kegiatan|uraian|aktivitas|prosedur)\b", re.IGNORECASE)
_NUMBER_CELL: Final = re.compile(r"^(?:no\.?|nomor)$", re.IGNORECASE)
_ROW_NUMBER: Final = re.compile(r"^\d{1,3}(?:\.\d{1,3})*[a-z]?\.?$", re.IGNORECASE)
_DASH_ITEM: Final = re.compile(r"^[-•]\s+(\d{1,2})\s+")
_LIST_LABEL: Final = re.compile(
    r"^(dasar\s*hukum|kualifikasi\s*pela\w*|keterkaitan|peralatan\s*/?\s*(?:dan\s*)?perlengkapan"
    r"|peringatan|pencatatan\s*(?:dan|/)?\s*pendataan)\s*:?\s*$",
    re.IGNORECASE,
)


def read_text(text: str) -> SheetDocument:
    """The header lines and the procedure table of a text SOP."""
    lines = [_clean(line) for line in text.replace("\r\n", "\n").replace("\f", "\n").split("\n")]
    sheet = SheetDocument(kind="text")
    start = _table_start(lines)
    if start is None:
        sheet.paragraphs = [line.strip() for line in lines if line.strip()]
        return sheet
    head = lines[:start]
    last = next((i for i in range(len(head) - 1, -1, -1) if head[i].strip()), None)
    title = head[last].strip() if last is not None and "\t" not in head[last] else None
    _header_grid(head[:last] if title is not None else head, sheet)
    tabbed = "\t" in lines[start]
    table = _tab_table(lines[start:], sheet) if tabbed else _layout_table(lines[start:], sheet)
    table.preceding = [title] if title else []
    sheet.grids.append(table)
    return sheet


def _clean(line: str) -> str:
    # Bold text after other words of the same cell is a line of its own in the document (the
    # approver's name under the position): "Kepala Dinas  <b>NAMA, S.H.</b> Pembina ...".
    line = _INNER_BOLD.sub(lambda m: f"{m[1]}\n{m[2]}\n", line)
    line = _ITEM_BREAK.sub("\n", line)
    line = html.unescape(_TAGS.sub("", line))
    line = line.replace("**", "").replace("__", "")
    line = re.sub(r"^#+\s*", "", line)
    return line.rstrip()


def _table_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        cells = [c.strip() for c in _GAP.split(line.strip())]
        if any(_NUMBER_CELL.match(c) for c in cells) and any(_HEADER.search(c) for c in cells):
            return index
    return None


def _header_grid(lines: list[str], sheet: SheetDocument) -> None:
    """The identity part: each line a row of cells (split at tabs, or at ' : '), a list's
    label followed by its items gathered in one cell, other lines kept as paragraphs."""
    rows: list[list[Cell]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip():
            continue
        label = _LIST_LABEL.match(line.strip())
        if label:
            items: list[str] = []
            while (
                index < len(lines)
                and not _LIST_LABEL.match(lines[index].strip())
                and (not lines[index].strip() or _looks_like_item(lines[index]))
            ):
                if lines[index].strip():
                    items.append(_DASH_ITEM.sub(r"\1. ", lines[index].strip()))
                index += 1
            rows.append([Cell("\n".join([label[1], *items]), 0)])
            continue
        if "\t" in line:
            parts = line.split("\t")
            cells = [Cell(part.strip(), i) for i, part in enumerate(parts) if part.strip()]
            rows.append(cells)
        elif re.search(r"\s:\s|^[^:]{2,40}:\s*\S", line):
            rows.append([Cell(line.strip(), 0)])
        else:
            sheet.paragraphs.append(" ".join(line.split()))
    if rows:
        sheet.grids.append(Grid(rows, "kepala SOP"))


def _looks_like_item(line: str) -> bool:
    text = line.strip()
    return bool(re.match(r"^(?:[-•]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s", text)) or (
        not _GAP.search(text) and ":" not in text[:40]
    )


def _tab_table(lines: list[str], sheet: SheetDocument) -> Grid:
    rows: list[list[Cell]] = []
    leftovers: list[str] = []
    for line in lines:
        if "\t" not in line:
            if line.strip():
                leftovers.append(line.strip())
            continue
        parts = line.split("\t")
        rows.append([Cell(part.strip(), i) for i, part in enumerate(parts)])
    _note_leftovers(leftovers, sheet)
    return Grid(rows, "tabel prosedur")


def _layout_table(lines: list[str], sheet: SheetDocument) -> Grid:
    """A table as `pdftotext -layout` prints it, page by page (each page's header is printed
    again, and its columns shift): a row starts where the No column has a number, and the
    lines until the next number add to its cells. The titles are the first page's."""
    titles: list[str] | None = None
    rows: list[list[str]] = []
    leftovers: list[str] = []
    for header, body in _pages(lines):
        columns = layout_columns(header, body)
        if titles is None:
            titles = [" ".join(column.title) for column in columns]
        for line in body:
            cells = place_words(line, columns)
            if _row_number(line):
                rows.append(_fit(cells, len(titles)))
            elif rows and not cells[0]:
                for index, text in enumerate(_fit(cells, len(titles))):
                    if text:
                        rows[-1][index] = f"{rows[-1][index]}\n{text}".strip()
            else:
                leftovers.append(line.strip())
    _note_leftovers(leftovers, sheet)
    grid_rows = [[Cell(text, i) for i, text in enumerate(row)] for row in [titles or [], *rows]]
    return Grid(grid_rows, "tabel prosedur")


def _pages(lines: list[str]) -> list[tuple[list[str], list[str]]]:
    """The table page by page: (its header lines, its body lines), blank lines and the
    "Pelaksana ... Mutu Baku" lines over a header left out."""
    pages: list[tuple[list[str], list[str]]] = []
    in_header = False
    for line in lines:
        if not line.strip() or _is_group_line(line):
            continue
        if _is_table_start(line):
            pages.append(([line], []))
            in_header = True
        elif not pages:
            continue
        elif in_header and not _row_number(line):
            pages[-1][0].append(line)
        else:
            in_header = False
            pages[-1][1].append(line)
    return pages


def _fit(cells: list[str], width: int) -> list[str]:
    """A page's cells to the first page's columns (a page may find one column fewer or more;
    the extra words go to the last column)."""
    if len(cells) <= width:
        return cells + [""] * (width - len(cells))
    return [*cells[: width - 1], " ".join(c for c in cells[width - 1 :] if c)]


def _is_table_start(line: str) -> bool:
    cells = [c.strip() for c in _GAP.split(line.strip())]
    return any(_NUMBER_CELL.match(c) for c in cells) and any(_HEADER.search(c) for c in cells)


def _is_group_line(line: str) -> bool:
    """A line with only "Pelaksana" and "Mutu Baku", over the titles of the header."""
    words = {normal(w) for w in _GAP.split(line.strip()) if w.strip()}
    return bool(words) and words <= {"pelaksana", "mutu baku", "mutu buku"}


def _row_number(line: str) -> bool:
    first = line.strip().split(" ")[0] if line.strip() else ""
    return bool(_ROW_NUMBER.match(first)) and line[: len(line) - len(line.lstrip())].count(" ") < 8


def _note_leftovers(leftovers: list[str], sheet: SheetDocument) -> None:
    """Words of the lost flowchart ("mulai", "tidak", "ya", a connector's number)."""
    words = [w for w in leftovers if len(w) <= 12]
    if words:
        sheet.notes.append("sisa bagan alir di luar tabel: " + ", ".join(words))
        answers = {normal(w) for w in words}
        if {"ya", "tidak"} <= answers:
            sheet.notes.append(
                "ada keputusan (ya/tidak) yang letaknya hilang dari teks: tentukan langkahnya"
            )

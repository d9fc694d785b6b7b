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
    """Columns from the header's positions; a row starts where the No column has a number,
    and lines until the next number add to its cells."""
    header_end = 1
    while header_end < len(lines) and not _row_number(lines[header_end]):
        header_end += 1
    starts = sorted(
        {m.start() for line in lines[:header_end] for m in re.finditer(r"(?:^|(?<=\s\s))\S", line)}
    )
    starts = _merge_close(starts)
    rows: list[list[str]] = []
    header_rows: list[list[str]] = []
    leftovers: list[str] = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        chunks = _chunks(line, starts)
        if index < header_end:
            header_rows.append(chunks)
        elif _row_number(line):
            rows.append(chunks)
        elif rows and chunks[0] == "":
            for column, text in enumerate(chunks):
                if text:
                    rows[-1][column] = f"{rows[-1][column]}\n{text}".strip()
        else:
            leftovers.append(line.strip())
    _note_leftovers(leftovers, sheet)
    header = _header_rows(header_rows, len(starts))
    grid_rows = [[Cell(text, i) for i, text in enumerate(row)] for row in header + rows]
    return Grid(grid_rows, "tabel prosedur")


def _header_rows(rows: list[list[str]], width: int) -> list[list[str]]:
    """The header as one row: what each column's header lines write, joined (a role name
    wrapped over two or three lines is one name)."""
    if not rows:
        return []
    joined = [""] * width
    for row in rows:
        for column, text in enumerate(row):
            if text:
                joined[column] = f"{joined[column]} {text}".strip()
    return [joined]


def _merge_close(starts: list[int]) -> list[int]:
    merged: list[int] = []
    for start in starts:
        if merged and start - merged[-1] <= 2:
            continue
        merged.append(start)
    return merged or [0]


def _chunks(line: str, starts: list[int]) -> list[str]:
    cells = [""] * len(starts)
    for match in re.finditer(r"\S+(?: \S+)*", line):
        position = match.start()
        column = max((i for i, s in enumerate(starts) if s <= position + 2), default=0)
        cells[column] = f"{cells[column]} {match.group()}".strip()
    return cells


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

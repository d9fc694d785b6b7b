"""A monitoring document as an XLSX workbook (openpyxl): one sheet a part, each headed by the
agency's name, the title and the identity lines, then its table with the heading rows frozen
and repeated on every printed page.

Figures are real numbers and dates with number formats (a share as a percentage, a working
time in hours as "2,25 jam", a date as dd/mm/yyyy, a month by its Indonesian name), never text;
a figure that was not measured is "–". Each sheet is set up to print: F4 (Folio, 8.5 x 13 in,
Excel's paper 14) or A4, fitted to the page's width, landscape where the table is wide, with
margins for a binder and "Halaman n dari N" at the foot.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from copy import copy
from typing import Final

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from sopbot.documents import report_model as model
from sopbot.documents.page_format import Paper
from sopbot.documents.report_words import NOTHING
from sopbot.documents.sheet_text import put_text

PAPER_CODES: Final = {"F4": 14, "A4": 9}
"""Excel's paper sizes: 14 is Folio (8.5 x 13 in, 216 x 330 mm: the F4 of Indonesian offices)."""

NUMBER_FORMATS: Final = {
    model.Kind.COUNT: "#,##0",
    model.Kind.SERIAL: "0",
    model.Kind.DECIMAL: "#,##0.0",
    model.Kind.SHARE: "0.0%",
    model.Kind.WORKING_TIME: '#,##0.00 "jam"',
    model.Kind.DIFFERENCE: '+#,##0.00 "jam";-#,##0.00 "jam";0 "jam"',
    model.Kind.DATE: "dd/mm/yyyy",
    model.Kind.MONTH: "[$-421]mmmm yyyy",  # 0421: Indonesian, so "Januari 2026"
    model.Kind.DATETIME: "dd/mm/yyyy hh:mm",
}
DATE_WIDTHS: Final = {model.Kind.DATE: 11.0, model.Kind.DATETIME: 16.5}
"""The width (characters) a column needs for a date, or a date and time, in its format."""
WIDE: Final = 110  # characters of columns past which a sheet is printed landscape
BOX: Final = "\u2610"  # ☐, a box to tick
LINE_HEIGHT: Final = 13.0  # points per line of 10 pt text
_MODIFIED: Final = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
SIGNATURE_WIDTH: Final = 28  # characters of line to write a name on
SIGNATURE_ROWS: Final = (("Nama", 1), ("NIP", 1), ("Tanda tangan", 3), ("Tanggal", 1))

_LINES_ONLY: Final = (model.Column("", 100),)
_THIN = Side(style="thin", color="000000")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNDERLINE = Border(bottom=_THIN)
_HEADING_FILL = PatternFill("solid", fgColor="DDDDDD")
_MEASURED_FILL = PatternFill("solid", fgColor="D6E6F5")
_MEASURED_CELL_FILL = PatternFill("solid", fgColor="F2F7FC")
_BODY = Font(name="Calibri", size=10)
_BOLD = Font(name="Calibri", size=10, bold=True)
_HEAD = Font(name="Calibri", size=9, bold=True)
_AGENCY = Font(name="Calibri", size=13, bold=True)
_TITLE = Font(name="Calibri", size=12, bold=True)
_PART = Font(name="Calibri", size=11, bold=True)
_NOTE = Font(name="Calibri", size=9)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
_NUMBER = Alignment(horizontal="right", vertical="top")
_NOTHING = Alignment(horizontal="center", vertical="top")
_NAMING_KINDS: Final = (model.Kind.MONTH, model.Kind.SERIAL)


def document_xlsx(document: model.ReportDocument, paper: Paper, charts: model.Charts) -> bytes:
    """The document as XLSX bytes: one sheet a part, then one an appendix; the notes and the
    signature block on the first."""
    if paper not in PAPER_CODES:
        raise ValueError(f"unknown paper {paper!r}: write one of {', '.join(PAPER_CODES)}")
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the empty sheet a new workbook starts with
    for number, part in enumerate((*document.parts, *document.appendices)):
        sheet = workbook.create_sheet(part.sheet_name)
        _SheetWriter(sheet, document, part).write(first=number == 0, charts=charts)
        _print_setup(sheet, part, paper)
    properties = workbook.properties
    properties.creator = "sopbot"
    properties.title = f"{document.title}: {document.subject}"
    properties.subject = document.subject
    # The file made twice from the same figures is the same file.
    made = document.header.generated_at.replace(tzinfo=None)
    properties.created = properties.modified = made
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _stamped(buffer.getvalue(), made)


def _stamped(data: bytes, made: dt.datetime) -> bytes:
    """The workbook's zip with every entry, and the workbook's "modified" property, dated
    `made` (openpyxl dates them when it saves), so that the same figures make the same
    bytes."""
    stamp = (max(made.year, 1980), made.month, made.day, made.hour, made.minute, made.second)
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                content = _MODIFIED.sub(
                    rb"\g<1>" + made.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", content
                )
            dated = zipfile.ZipInfo(entry.filename, date_time=stamp)
            dated.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(dated, content)
    return buffer.getvalue()


def _lines(value: str, width: float) -> int:
    """How many lines a text takes in a column `width` characters wide."""
    usable = max(1.0, width * 1.05 - 1)
    return sum(max(1, math.ceil(len(line) / usable)) for line in value.split("\n"))


class _SheetWriter:
    """Writes one part into its sheet, row by row from the top."""

    def __init__(self, sheet: Worksheet, document: model.ReportDocument, part: model.Part):
        self.sheet = sheet
        self.document = document
        self.part = part
        # A part without a table is lines across one wide column.
        self.columns = part.table.columns if part.table is not None else _LINES_ONLY
        self.width = len(self.columns)
        self.row = 1
        self._styles: dict[tuple[int, int, str, bool], StyleArray] = {}

    def write(self, *, first: bool, charts: model.Charts) -> None:
        """The header, the table, the notes (and on the first sheet the document's notes and
        signature block), then the part's chart."""
        for index, width in enumerate(self._widths(), start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self._top()
        table = self.part.table
        if table is not None:
            first_heading = self.row
            self._headings(table)
            self.sheet.print_title_rows = f"{first_heading}:{self.row - 1}"
            self.sheet.freeze_panes = f"A{self.row}"
            if table.filtered and table.rows:
                # On the headings' last row, over the body: sort and find in Excel.
                last = get_column_letter(self.width)
                self.sheet.auto_filter.ref = (
                    f"A{self.row - 1}:{last}{self.row + len(table.rows) - 1}"
                )
            self._body(table)
        self._bottom(first=first)
        if self.part.chart and self.part.chart in charts:
            self._chart(charts[self.part.chart][1])

    def _widths(self) -> list[float]:
        """The columns' widths, each wide enough for the dates in it (Excel shows "####"
        for a date it cannot fit)."""
        widths = [column.width for column in self.columns]
        table = self.part.table
        if table is None:
            return widths
        for index in range(len(widths)):
            kinds = {row[index].kind for row in table.rows}
            needed = max((DATE_WIDTHS.get(kind, 0.0) for kind in kinds), default=0.0)
            widths[index] = max(widths[index], needed)
        return widths

    def _top(self) -> None:
        """The agency's name, the title, the identity lines, the part's title and intro."""
        self._across(self.document.header.agency_name.upper(), _AGENCY, centred=True)
        self._across(self.document.title.upper(), _TITLE, centred=True)
        for label, value in self.document.identity:
            self._across(f"{label}: {value}", _BODY)
        self.row += 1
        if self.part.title and self.part.title != self.document.title:
            self._across(self.part.title, _PART)
        for line in self.part.intro:
            self._across(line, _BODY)
        if self.part.intro:
            self.row += 1

    def _bottom(self, *, first: bool) -> None:
        """The part's notes; on the first sheet the document's notes and signature block."""
        self.row += 1
        for line in self.part.notes:
            self._across(line, _NOTE)
        if not first:
            return
        self.row += 1
        for line in self.document.notes:
            self._across(line, _NOTE)
        if self.document.signature:
            self._signature()

    def _across(self, value: str, font: Font, *, centred: bool = False) -> None:
        """A line of text across the whole table's width."""
        sheet, row = self.sheet, self.row
        cell = sheet.cell(row=row, column=1)
        put_text(cell, value)
        cell.font = font
        cell.alignment = _CENTRED if centred else _WRAP_TOP
        if self.width > 1:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=self.width)
        size = font.size or 10
        # Characters across: fewer for larger, bold or capital letters.
        across = sum(column.width for column in self.columns) * 10 / size
        across *= (0.8 if font.bold else 1) * (0.8 if value.isupper() else 1)
        sheet.row_dimensions[row].height = max(size, 10) * 1.35 * _lines(value, across)
        self.row += 1

    def _headings(self, table: model.Table) -> None:
        """The heading rows: the measured columns' group heading over theirs, then the
        regulation's column numbers."""
        sheet = self.sheet
        measured = [i for i, column in enumerate(self.columns, start=1) if column.measured]
        grouped = bool(table.measured_heading and measured)
        top = self.row
        rows = 2 if grouped else 1
        for index, column in enumerate(self.columns, start=1):
            at = top + 1 if grouped and column.measured else top
            self._heading_cell(at, index, column.heading, column.measured)
            if grouped and not column.measured:
                self._heading_cell(top + 1, index, "", column.measured)
                sheet.merge_cells(
                    start_row=top, start_column=index, end_row=top + 1, end_column=index
                )
        if grouped:
            self._heading_cell(top, measured[0], table.measured_heading or "", True)
            for index in measured[1:]:
                self._heading_cell(top, index, "", True)
            sheet.merge_cells(
                start_row=top, start_column=measured[0], end_row=top, end_column=measured[-1]
            )
        if table.numbered:
            for index, column in enumerate(self.columns, start=1):
                number = f"({column.number})" if column.number else ""
                self._heading_cell(top + rows, index, number, column.measured)
            rows += 1
        # The headings' own row as high as its longest heading needs; a group heading and
        # the numbers take one line.
        needed = max(_lines(column.heading, column.width * 0.9) for column in self.columns)
        heading_row = top + 1 if grouped else top
        sheet.row_dimensions[heading_row].height = LINE_HEIGHT * needed + 4
        if grouped:
            sheet.row_dimensions[top].height = LINE_HEIGHT + 4
        self.row = top + rows

    def _heading_cell(self, row: int, column: int, value: str, measured: bool) -> None:
        cell = self.sheet.cell(row=row, column=column, value=value or None)
        cell.font = _HEAD
        cell.alignment = _CENTRED
        cell.border = _GRID
        cell.fill = _MEASURED_FILL if measured else _HEADING_FILL

    def _body(self, table: model.Table) -> None:
        if not table.rows:
            self._across(table.empty_text, _BODY)
            return
        first_total = len(table.rows) - table.total_rows
        for index, row in enumerate(table.rows):
            bold = index >= first_total
            lines = 1
            for column_index, (column, cell) in enumerate(
                zip(self.columns, row, strict=True), start=1
            ):
                lines = max(lines, self._cell(column_index, column, cell, bold=bold))
            self.sheet.row_dimensions[self.row].height = LINE_HEIGHT * lines + 3
            self.row += 1

    def _cell(self, index: int, column: model.Column, cell: model.Cell, *, bold: bool) -> int:
        """Write one cell; returns how many lines of text it needs."""
        target = self.sheet.cell(row=self.row, column=index)
        kind, value = cell.kind, cell.value
        alignment: Alignment | None = None
        number_format = "General"
        lines = 1
        if kind is model.Kind.CHOICE:
            assert isinstance(value, tuple)  # noqa: S101 - choice() makes a tuple
            target.value = "\n".join(f"{BOX} {option}" for option in value)
            alignment = _WRAP_TOP
            lines = sum(_lines(f"{BOX} {option}", column.width) for option in value)
        elif kind is model.Kind.TEXT:
            written = str(value or "")
            put_text(target, written)
            alignment = _WRAP_TOP
            lines = _lines(written, column.width)
        elif kind is model.Kind.BLANK:
            pass
        elif value is None:
            target.value = NOTHING
            alignment = _NOTHING
        else:
            assert not isinstance(value, tuple)  # noqa: S101 - only a choice holds a tuple
            if kind in (model.Kind.WORKING_TIME, model.Kind.DIFFERENCE):
                assert isinstance(value, int | float)  # noqa: S101 - working seconds
                target.value = round(value / 3600, 4)  # hours, to the second or so
            else:
                target.value = value
            number_format = NUMBER_FORMATS[kind]
            # A month or a serial number names its row: set as its words are.
            alignment = _WRAP_TOP if kind in _NAMING_KINDS else _NUMBER
        self._style(target, _BOLD if bold else _BODY, alignment, number_format, column.measured)
        return lines

    def _style(
        self,
        target: Cell | MergedCell,
        font: Font,
        alignment: Alignment | None,
        number_format: str,
        measured: bool,
    ) -> None:
        """Give a body cell its grid, font, fill, alignment and number format. openpyxl looks
        each part up in the workbook's lists by hashing it, which is most of a long sheet's
        time; so the first cell of each look styles itself and the others take its indices
        (`_style`, openpyxl's way to copy a cell's style)."""
        key = (id(font), id(alignment), number_format, measured)
        known = self._styles.get(key)
        if known is not None:
            target._style = copy(known)  # type: ignore[union-attr]  # every cell has one
            return
        target.border = _GRID
        target.font = font
        if measured:
            target.fill = _MEASURED_CELL_FILL
        if alignment is not None:
            target.alignment = alignment
        target.number_format = number_format
        self._styles[key] = copy(target._style)  # type: ignore[union-attr]

    def _signature(self) -> None:
        """The assessor's block at the right: each label beside a line to write on."""
        self.row += 1
        sheet = self.sheet
        # The labels in the column from which the rest of the table to the right is wide
        # enough to write a name on (about 30 characters).
        room, label_column = 0.0, self.width
        while label_column > 1 and room < SIGNATURE_WIDTH:
            room += self.columns[label_column - 1].width
            label_column -= 1
        heading = sheet.cell(row=self.row, column=label_column, value="Penilai")
        heading.font = _PART
        self.row += 1
        for label, lines in SIGNATURE_ROWS:
            cell = sheet.cell(row=self.row, column=label_column, value=label)
            cell.font = _BODY
            cell.alignment = Alignment(vertical="bottom")
            for column in range(label_column + 1, self.width + 1):
                sheet.cell(row=self.row, column=column).border = _UNDERLINE
            sheet.row_dimensions[self.row].height = 20.0 * lines
            self.row += 1

    def _chart(self, png: bytes) -> None:
        """The chart under the table, as wide as the table (at most 720 pixels)."""
        picture = Image(io.BytesIO(png))
        total_px = sum(column.width for column in self.columns) * 7
        width = min(720.0, total_px)
        picture.height = round(picture.height * width / picture.width)
        picture.width = round(width)
        self.sheet.add_image(picture, f"A{self.row + 1}")


def _print_setup(sheet: Worksheet, part: model.Part, paper: Paper) -> None:
    """Print on the paper, fitted to the page's width, landscape where wide."""
    setup = sheet.page_setup
    setup.paperSize = PAPER_CODES[paper]
    wide = part.table is not None and sum(column.width for column in part.table.columns) > WIDE
    setup.orientation = "landscape" if wide else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins = PageMargins(
        left=0.7, right=0.45, top=0.6, bottom=0.6, header=0.3, footer=0.3
    )
    sheet.print_options.horizontalCentered = True
    footer = sheet.oddFooter
    assert footer is not None  # noqa: S101 - openpyxl makes every sheet's footer
    assert footer.left is not None  # noqa: S101
    assert footer.right is not None  # noqa: S101
    footer.left.text = "sopbot · &A"
    footer.left.size = 8
    footer.right.text = "Halaman &P dari &N"
    footer.right.size = 8

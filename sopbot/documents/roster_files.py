"""The files a roster import hands out: the empty template an admin fills in, and the list of
invitation links to pass on (an Excel workbook in Telegram, CSV from the command line).

Every value is written as text: a name or a jabatan that starts with "=" stays text in Excel
(never a formula), and a NIP keeps its 18 digits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sopbot.documents.roster_reading import MAX_PEOPLE
from sopbot.documents.sheet_text import put_text

TEMPLATE_HEADERS = ("NIP", "Nama", "Jabatan", "Username Telegram")
"""The template's columns: words the reader finds (`roster_reading.header_columns`)."""
_TEMPLATE_WIDTHS = (22, 36, 40, 22)
_TEXT_FORMAT = "@"  # Excel's "Text": what is typed stays as typed (a NIP keeps its digits)
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
_FORMULA_TRIGGERS = ("=", "+", "-", "@")
_MAX_WIDTH = 80  # a t.me link with its token fits
_LINK_PREFIX = "https://t.me/"


def template_workbook(sheet_title: str) -> bytes:
    """An empty roster: the header row, and the NIP and username columns formatted as text for
    as many rows as a roster may have, so Excel neither turns an 18-digit NIP into 1,99E+17
    nor takes "@budi" for a formula."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has its sheet
    sheet.title = sheet_title[:31]
    _header(sheet, TEMPLATE_HEADERS, _TEMPLATE_WIDTHS)
    for row in range(2, MAX_PEOPLE + 2):
        for column in (1, len(TEMPLATE_HEADERS)):  # NIP, Username Telegram
            sheet.cell(row=row, column=column).number_format = _TEXT_FORMAT
    return _saved(workbook)


def links_workbook(
    sheet_title: str, headers: Sequence[str], rows: Sequence[Sequence[str | int]]
) -> bytes:
    """The invitation links as a workbook: one row per person, every text cell text (a whole
    number, the row's number, stays a number), the links clickable, the header frozen."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has its sheet
    sheet.title = sheet_title[:31]
    widths = [
        min(
            _MAX_WIDTH,
            max([len(header), *(len(str(row[i])) for row in rows if i < len(row))]) + 2,
        )
        for i, header in enumerate(headers)
    ]
    _header(sheet, headers, widths)
    for number, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=number, column=column)
            if isinstance(value, int):
                cell.value = value
                continue
            put_text(cell, value)
            cell.number_format = _TEXT_FORMAT
            if value.startswith(_LINK_PREFIX):
                cell.hyperlink = value
                cell.font = Font(color="0563C1", underline="single")
    return _saved(workbook)


def links_csv(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """The invitation links as CSV (UTF-8 with a byte order mark, which Excel needs to read
    the names right); a value a spreadsheet would run as a formula starts with "'"."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for values in rows:
        writer.writerow([_inert(value) for value in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _inert(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_TRIGGERS) else value


def _header(sheet: Worksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    for column, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=column)
        cell.value = header
        cell.data_type = "s"
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"


def _saved(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

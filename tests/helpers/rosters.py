"""Rosters as agencies send them, for the roster import's tests: Excel workbooks and CSV files
built here, with title rows, odd headers and the values offices really type."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import openpyxl

Cells = Sequence[object]

HEADER = ("No", "NIP", "Nama", "Jabatan", "Username Telegram")
PEOPLE: list[tuple[object, ...]] = [
    (1, "19800101 200501 1 001", "Dr. Hendra Gunawan, M.Si.", "Kepala Dinas", "@hendra_g"),
    (2, "19850202.201001.2.002", "Siti Rahmawati, S.E.", "Sekretaris", ""),
    (3, "199003032015031003", "Agus Prasetyo", "Kepala Bidang Koperasi", "agus_pras"),
    (4, "", "Wulan Pratiwi", "Staf Pelaksana", "-"),
]


def workbook(
    rows: Sequence[Cells],
    *,
    sheet: str = "Pegawai",
    before: Sequence[Sequence[Cells]] = (),
    title_rows: Sequence[Cells] = (),
) -> bytes:
    """An .xlsx whose first sheets are `before` (each a list of rows), then `sheet` with the
    title rows and then `rows`. A value starting with "=" is written as a formula."""
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for index, other in enumerate(before):
        page = book.create_sheet(f"Lembar{index + 1}")
        for values in other:
            page.append(list(values))
    page = book.create_sheet(sheet)
    for values in [*title_rows, *rows]:
        page.append(list(values))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def roster_workbook(
    people: Sequence[Cells] = PEOPLE,
    *,
    sheet: str = "Pegawai",
    before: Sequence[Sequence[Cells]] = (),
) -> bytes:
    """The usual roster: a title row, an empty row, the header (row 3), the people."""
    title = [("DAFTAR PEGAWAI DINAS KOPERASI",), ()]
    return workbook([HEADER, *people], sheet=sheet, before=before, title_rows=title)


def csv_file(
    rows: Sequence[Cells],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
) -> bytes:
    """A CSV file of the rows, in the encoding and with the delimiter given."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(
        ["" if value is None else str(value) for value in row] for row in rows
    )
    text = buffer.getvalue()
    prefix = "\ufeff" if bom else ""
    return (prefix + text).encode(encoding)


def read_workbook(content: bytes) -> list[list[object]]:
    """The first sheet's values, row by row (what a person opening the file sees)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]

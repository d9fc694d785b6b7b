"""Rosters as agencies send them, for the roster import's tests: Excel workbooks and CSV files
built here, with title rows, odd headers and the values offices really type."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

import openpyxl

from sopbot.demo.officials import Official
from sopbot.emulator import SeenMessage
from sopbot.messaging.catalog import Language, default_catalog

T = default_catalog().text

Cells = Sequence[object]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW = "Pratinjau impor pegawai"
CREATED = "dibuat dari"
LINK = re.compile(r"https://t\.me/(\w+)\?start=([\w-]+)")

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


# -- the admin at the phone ------------------------------------------------------------------


def filled_template(template: bytes, people: list[tuple[str | float, ...]]) -> bytes:
    """The bot's template as an admin fills it in Excel: one row per person under the header."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    for row, values in enumerate(people, start=2):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column).value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def ask_and_fill(
    admin: Official, people: list[tuple[str | float, ...]]
) -> tuple[bytes, SeenMessage]:
    """/impor_pegawai: the question, then the template; the template filled in, and its
    message."""
    question, template = await admin.say("/impor_pegawai", expect=2)
    assert "Impor daftar pegawai" in (question.text or "")
    assert T(Language.ID, "button.cancel") in question.button_list
    assert template.document == "templat-daftar-pegawai.xlsx"
    header = read_workbook(admin.user.document_content(template))[0]
    assert header == ["NIP", "Nama", "Jabatan", "Username Telegram"]
    return filled_template(admin.user.document_content(template), people), template


async def send_roster(
    admin: Official,
    content: bytes,
    name: str = "pegawai.xlsx",
    caption: str | None = None,
    reply_to: SeenMessage | None = None,
) -> SeenMessage:
    """Send a staff list and wait for its preview (or its refusal)."""
    seen = len(admin.user.bot_messages())
    admin.user.send_document(content, name, XLSX, caption=caption, reply_to=reply_to)

    def answered() -> bool:
        return any(
            PREVIEW in (m.text or "") or "tidak dapat dibaca" in (m.text or "")
            for m in admin.user.bot_messages()[seen:]
        )

    await admin.user.wait_until(answered, 30.0, "the preview")
    return admin.user.last_bot_message()


async def created(admin: Official) -> tuple[SeenMessage, SeenMessage]:
    """Wait for the links and their file, after Buat."""
    await admin.user.wait_until(
        lambda: (
            admin.user.last_bot_message().document is not None
            and any(CREATED in (m.text or "") for m in admin.user.bot_messages())
        ),
        30.0,
        "the links",
    )
    links = next(m for m in reversed(admin.user.bot_messages()) if CREATED in (m.text or ""))
    return links, admin.user.last_bot_message()

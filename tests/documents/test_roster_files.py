"""The files a roster import hands out: the template reads back as a roster (its NIP column
keeps 18 digits), and the links' workbook and CSV keep every value as text, never a formula."""

from __future__ import annotations

import io

import openpyxl

from sopbot.documents.roster_files import (
    TEMPLATE_HEADERS,
    links_csv,
    links_workbook,
    template_workbook,
)
from sopbot.documents.roster_reading import Field, RosterEntry, RosterReading, read_xlsx

LINK = "https://t.me/sopbot_bot?start=abc"


def test_the_template_filled_in_is_read_and_its_nip_column_is_text() -> None:
    book = openpyxl.load_workbook(io.BytesIO(template_workbook("Pegawai")))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == list(TEMPLATE_HEADERS)
    assert sheet.freeze_panes == "A2"
    assert {sheet.cell(row=r, column=c).number_format for r in (2, 500, 2001) for c in (1, 4)} == {
        "@"
    }
    sheet["A2"], sheet["B2"], sheet["C2"] = "198001012005011001", "Hendra", "Kepala Dinas"
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_xlsx(buffer.getvalue())
    assert isinstance(read, RosterReading)
    assert read.entries == (RosterEntry(2, "Hendra", "Kepala Dinas", "198001012005011001"),)
    assert read.fields == (Field.NIP, Field.NAME, Field.POSITION, Field.USERNAME)


def test_the_links_workbook_keeps_text_as_text_and_links_clickable() -> None:
    content = links_workbook(
        "Undangan",
        ["No", "Nama", "NIP", "Tautan"],
        [[1, '=HYPERLINK("http://x","klik")', "198001012005011001", LINK]],
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    number, name, nip, link = sheet[2]
    assert (number.value, number.data_type) == (1, "n")
    assert (name.value, name.data_type) == ('=HYPERLINK("http://x","klik")', "s")
    assert (nip.value, nip.data_type) == ("198001012005011001", "s")
    assert link.hyperlink is not None
    assert link.hyperlink.target == LINK
    assert sheet.column_dimensions["D"].width >= len(LINK)


def test_the_links_csv_opens_in_excel_with_its_names_and_no_formula() -> None:
    content = links_csv(["Nama", "Tautan"], [["José", LINK], ["=1+1", LINK], ["@budi", LINK]])
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines == ["Nama,Tautan", f"José,{LINK}", f"'=1+1,{LINK}", f"'@budi,{LINK}"]

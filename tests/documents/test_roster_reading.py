"""Reading rosters as Indonesian offices export them: CSV with any of three delimiters and
encodings, Excel workbooks with title rows and odd headers, NIPs that Excel spoiled, Telegram
usernames typed every way; and the files that must be refused (too big, too long, formulas,
macros, encrypted, zip bombs, old Excel, not a roster at all)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sopbot.documents.roster_reading import (
    MAX_PEOPLE,
    MAX_ROSTER_BYTES,
    MAX_SCANNED_ROWS,
    Field,
    RefusalReason,
    RosterEntry,
    RosterReading,
    RosterRefusal,
    RowIssue,
    header_columns,
    read_csv_bytes,
    read_nip,
    read_username,
    read_xlsx,
)
from sopbot.services.roster_imports import RosterRefused, read_roster
from sopbot.storage.file_types import Refusal
from tests.helpers.office_samples import compound_file, declare_sizes, office_open_xml
from tests.helpers.rosters import HEADER, PEOPLE, csv_file, roster_workbook, workbook

EXPECTED = (
    RosterEntry(4, "Dr. Hendra Gunawan, M.Si.", "Kepala Dinas", "198001012005011001", "hendra_g"),
    RosterEntry(5, "Siti Rahmawati, S.E.", "Sekretaris", "198502022010012002"),
    RosterEntry(6, "Agus Prasetyo", "Kepala Bidang Koperasi", "199003032015031003", "agus_pras"),
    RosterEntry(7, "Wulan Pratiwi", "Staf Pelaksana"),
)
TITLE = [("DAFTAR PEGAWAI DINAS KOPERASI",), ()]


def reading(found: RosterReading | RosterRefusal | RosterRefused) -> RosterReading:
    assert isinstance(found, RosterReading), found
    return found


def refusal(found: RosterReading | RosterRefusal | RosterRefused) -> RosterRefusal:
    if isinstance(found, RosterRefused):
        assert found.reading is not None, found
        return found.reading
    assert isinstance(found, RosterRefusal), found
    return found


# -- formats -------------------------------------------------------------------------------


def test_a_workbook_with_title_rows_is_read_from_its_header() -> None:
    read = reading(read_xlsx(roster_workbook()))
    assert read.entries == EXPECTED
    assert read.problems == ()
    assert (read.kind, read.sheet, read.header_row) == ("xlsx", "Pegawai", 3)
    assert read.fields == (Field.NIP, Field.NAME, Field.POSITION, Field.USERNAME)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp1252", False), ("utf-16", False)]
)
def test_csv_in_every_delimiter_and_encoding_offices_save(
    delimiter: str, encoding: str, bom: bool
) -> None:
    people = [*PEOPLE, (5, "", "José Ramos-Horta", "Tenaga Ahli", "")]  # é: not ASCII
    content = csv_file([*TITLE, HEADER, *people], delimiter=delimiter, encoding=encoding, bom=bom)
    found = read_roster(content)
    read = reading(found)
    assert read.entries == (*EXPECTED, RosterEntry(8, "José Ramos-Horta", "Tenaga Ahli"))
    assert (read.kind, read.header_row) == ("csv", 3)


def test_the_header_is_found_by_its_words_in_any_order_and_case() -> None:
    header = ("JABATAN", "@username", "nama lengkap", "N.I.P.", "Keterangan")
    rows = [header, ("Kepala Dinas", "hendra_g", "Hendra", "198001012005011001", "-")]
    read = reading(read_xlsx(workbook(rows)))
    assert read.entries == (
        RosterEntry(2, "Hendra", "Kepala Dinas", "198001012005011001", "hendra_g"),
    )
    assert read.fields == (Field.POSITION, Field.USERNAME, Field.NAME, Field.NIP)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("NIP", Field.NIP),
        ("NIP Baru", Field.NIP),
        ("NIP (18 digit)", Field.NIP),
        ("Nomor Induk Pegawai", Field.NIP),
        ("Nama", Field.NAME),
        ("Nama Lengkap", Field.NAME),
        ("Nama Pegawai", Field.NAME),
        ("NAMA (dengan gelar)", Field.NAME),
        ("Jabatan", Field.POSITION),
        ("Nama Jabatan", Field.POSITION),  # a jabatan, not a name
        ("Username", Field.USERNAME),
        ("Telegram", Field.USERNAME),
        ("Username Telegram", Field.USERNAME),
        ("Akun Telegram (@)", Field.USERNAME),
        ("NIP Lama", None),
        ("Jenis Jabatan", None),  # struktural / fungsional, not the jabatan
        ("Unit Kerja", None),
        ("No.", None),
    ],
)
def test_header_words(header: str, field: Field | None) -> None:
    assert header_columns([header]) == ({field: 0} if field else {})


def test_the_first_sheet_with_the_header_is_read() -> None:
    cover = [("Rekap Pegawai 2026",), ("Lihat lembar berikutnya",)]
    read = reading(read_xlsx(roster_workbook(before=[cover], sheet="Data")))
    assert read.sheet == "Data"
    assert read.entries == EXPECTED


def test_empty_rows_dashes_and_a_repeated_header_are_passed_over() -> None:
    rows = [
        HEADER,
        PEOPLE[0],
        (),
        ("", "-", "-", "", ""),
        HEADER,  # an export's page break repeats the header
        PEOPLE[1],
    ]
    read = reading(read_xlsx(workbook(rows)))
    assert [entry.row for entry in read.entries] == [2, 6]
    assert read.problems == ()


# -- values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "nip", "issue"),
    [
        ("199003032015031003", "199003032015031003", None),
        ("19900303 201503 1 003", "199003032015031003", None),
        ("19900303.201503.1.003", "199003032015031003", None),
        ("'199003032015031003", "199003032015031003", None),  # Excel's text prefix, in CSV
        ("", None, None),  # non-ASN staff have no NIP
        ("-", None, None),
        (199003032015031003, "199003032015031003", None),  # an exact whole number
        (1.99003032015031e17, None, RowIssue.NIP_AS_NUMBER),  # a number cell: rounded
        ("1,99003E+17", None, RowIssue.NIP_AS_NUMBER),  # as a CSV export shows it
        ("1.99003E+17", None, RowIssue.NIP_AS_NUMBER),
        ("99003032015031003", None, RowIssue.NIP_LENGTH),  # a leading digit lost
        ("199003032015031000", None, RowIssue.NIP_ROUNDED),  # no NIP ends in 000
        ("NIP 199003032015031003", None, RowIssue.NIP_NOT_DIGITS),
    ],
)
def test_nip_values(written: object, nip: str | None, issue: RowIssue | None) -> None:
    found, problem, _ = read_nip(written)
    assert (found, problem) == (nip, issue)


@pytest.mark.parametrize(
    ("written", "username", "valid"),
    [
        ("budi_s", "budi_s", True),
        ("@Budi_S", "Budi_S", True),
        ("https://t.me/budi_s", "budi_s", True),
        ("t.me/budi_s/", "budi_s", True),
        ("", None, True),
        ("-", None, True),
        ("budi", None, False),  # 4 characters
        ("b" * 33, None, False),
        ("081234567890", None, False),  # a phone number in the wrong column
        ("budi santoso", None, False),
        ("budi.s", None, False),
    ],
)
def test_username_values(written: str, username: str | None, valid: bool) -> None:
    assert read_username(written) == (username, valid)


def test_each_problem_names_its_row_and_the_row_is_not_taken() -> None:
    rows = [
        HEADER,
        (1, "198001012005011001", "  Hendra   Gunawan ", " Kepala  Dinas ", ""),
        (2, 1.98502022010012e17, "Siti", "Sekretaris", ""),
        (3, "", "", "Staf", ""),
        (4, "", "Agus", "", ""),
        (5, "", "Dewi", "Staf", "0812345678"),
        (6, "", "Rudi", "x" * 201, ""),
    ]
    read = reading(read_xlsx(workbook(rows)))
    assert read.entries == (RosterEntry(2, "Hendra Gunawan", "Kepala Dinas", "198001012005011001"),)
    assert [(p.row, p.issue, p.name) for p in read.problems] == [
        (3, RowIssue.NIP_AS_NUMBER, "Siti"),
        (4, RowIssue.NO_NAME, ""),
        (5, RowIssue.NO_POSITION, "Agus"),
        (6, RowIssue.USERNAME_INVALID, "Dewi"),
        (7, RowIssue.TOO_LONG, "Rudi"),
    ]
    assert read.problems[0].value == "1.98502E+17"


# -- refusals ------------------------------------------------------------------------------


def test_no_header_and_no_people_are_refused() -> None:
    assert refusal(read_xlsx(workbook([("a", "b"), ("c", "d")]))).reason is RefusalReason.NO_HEADER
    only_header = refusal(read_xlsx(workbook([HEADER, (), ()])))
    assert (only_header.reason, only_header.row) == (RefusalReason.EMPTY, 1)
    # The header further down than anyone writes a title is not looked for.
    deep = workbook([*[(f"judul {i}",) for i in range(30)], HEADER, PEOPLE[0]])
    assert refusal(read_xlsx(deep)).reason is RefusalReason.NO_HEADER
    assert refusal(read_csv_bytes(b"")).reason is RefusalReason.NO_HEADER


def test_a_file_over_the_size_limit_is_refused_unread() -> None:
    big = csv_file([HEADER]) + b"x" * MAX_ROSTER_BYTES
    assert refusal(read_roster(big)).reason is RefusalReason.TOO_BIG
    assert refusal(read_csv_bytes(big)).reason is RefusalReason.TOO_BIG


def test_the_people_are_capped() -> None:
    def people(count: int) -> list[tuple[object, ...]]:
        return [(i, "", f"Pegawai {i}", "Staf", "") for i in range(count)]

    assert len(reading(read_xlsx(workbook([HEADER, *people(MAX_PEOPLE)]))).entries) == MAX_PEOPLE
    over = refusal(read_xlsx(workbook([HEADER, *people(MAX_PEOPLE + 1)])))
    assert (over.reason, over.limit) == (RefusalReason.TOO_MANY_PEOPLE, MAX_PEOPLE)
    as_csv = refusal(read_roster(csv_file([HEADER, *people(MAX_PEOPLE + 1)])))
    assert as_csv.reason is RefusalReason.TOO_MANY_PEOPLE


def test_a_sheet_that_goes_on_past_the_rows_looked_at_is_refused() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(list(PEOPLE[0]))
    sheet.cell(row=MAX_SCANNED_ROWS + 5, column=3, value="tersembunyi")
    buffer = io.BytesIO()
    book.save(buffer)
    found = refusal(read_xlsx(buffer.getvalue()))
    assert (found.reason, found.limit) == (RefusalReason.TOO_MANY_ROWS, MAX_SCANNED_ROWS)


def test_a_formula_in_a_column_read_refuses_the_file_and_elsewhere_does_not() -> None:
    numbered = workbook([HEADER, ("=ROW()-1", *PEOPLE[0][1:])])  # the No column: not read
    assert len(reading(read_xlsx(numbered)).entries) == 1
    named = workbook([HEADER, PEOPLE[0], (2, "", '=CONCAT("Siti"," R")', "Sekretaris", "")])
    found = refusal(read_xlsx(named))
    assert (found.reason, found.row, found.column) == (RefusalReason.FORMULA, 3, "C (nama)")
    # In a CSV the uploads' check refuses it before the reader; tab-separated, the reader does.
    for delimiter in (";", "\t"):
        content = csv_file([HEADER, (1, "", '=HYPERLINK("x")', "Staf", "")], delimiter=delimiter)
        found_csv = read_roster(content)
        assert isinstance(found_csv, RosterRefused)
        assert found_csv.upload is Refusal.FORMULA or (
            found_csv.reading is not None and found_csv.reading.reason is RefusalReason.FORMULA
        )


def test_hostile_and_foreign_files_are_refused_with_the_uploads_reasons() -> None:
    macros = office_open_xml("xlsm", extra_parts={"xl/vbaProject.bin": b"vba"})
    assert read_roster(macros) == RosterRefused(upload=Refusal.MACROS)
    encrypted = compound_file([("EncryptionInfo", None), ("EncryptedPackage", None)])
    assert read_roster(encrypted) == RosterRefused(upload=Refusal.ENCRYPTED)
    bomb = declare_sizes(roster_workbook(), 150 * 1024 * 1024)
    found = read_roster(bomb)
    assert isinstance(found, RosterRefused)
    assert found.upload is Refusal.ARCHIVE or found.reading is not None
    assert read_roster(b"\x7fELF\x02\x01\x01" + bytes(100)) == RosterRefused(
        upload=Refusal.NOT_ACCEPTED
    )
    assert read_roster(b"<html><script>alert(1)</script></html>\n") == RosterRefused(
        upload=Refusal.ACTIVE_CONTENT
    )


def test_a_workbook_that_unpacks_past_the_cap_is_refused_before_it_is_parsed() -> None:
    big = declare_sizes(roster_workbook(), 60 * 1024 * 1024, only="xl/worksheets/sheet1.xml")
    assert refusal(read_xlsx(big)).reason is RefusalReason.TOO_LARGE_UNPACKED
    # Sent as a roster, the uploads' own check (its ratio) refuses it first.
    assert read_roster(big) == RosterRefused(upload=Refusal.ARCHIVE)


def test_old_excel_word_and_pdf_are_not_rosters() -> None:
    old_excel = compound_file([("Workbook", None)])
    assert refusal(read_roster(old_excel)).reason is RefusalReason.OLD_EXCEL
    assert refusal(read_roster(office_open_xml("docx"))).reason is RefusalReason.NOT_A_ROSTER
    assert refusal(read_roster(b"%PDF-1.7\n%\xe2\xe3\n")).reason is RefusalReason.NOT_A_ROSTER


def test_a_damaged_workbook_is_unreadable_and_one_without_sheets_has_no_header() -> None:
    assert refusal(read_roster(office_open_xml("xlsx"))).reason is RefusalReason.NO_HEADER
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
    assert refusal(read_xlsx(buffer.getvalue())).reason is RefusalReason.UNREADABLE


def replaced_part(content: bytes, name: str, text: str) -> bytes:
    """The workbook with one part's content replaced."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = text.encode() if entry.filename == name else source.read(entry)
            target.writestr(entry.filename, data)
    return buffer.getvalue()


def sheet_xml(doctype: str, name: str, position: str) -> str:
    """A worksheet of a header and one person, with a document type declaration."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def cell(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    return (
        f'<?xml version="1.0"?>{doctype}<worksheet xmlns="{main}"><sheetData>'
        f'<row r="1">{cell("A1", "Nama")}{cell("B1", "Jabatan")}</row>'
        f'<row r="2">{cell("A2", name)}{cell("B2", position)}</row></sheetData></worksheet>'
    )


def test_xml_entities_in_a_workbook_are_never_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "rahasia.txt"
    secret.write_text("KATA-SANDI-SERVER")
    book = workbook([("Nama", "Jabatan"), ("Budi", "Staf")])
    part = "xl/worksheets/sheet1.xml"
    plain = reading(read_xlsx(replaced_part(book, part, sheet_xml("", "Ani", "Staf"))))
    assert plain.entries == (RosterEntry(2, "Ani", "Staf"),)  # the part replaced is read
    laughs = "".join(
        f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in zip("abcdefg", "bcdefgh", strict=True)
    )
    doctype = (
        f'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file://{secret}">'
        f'<!ENTITY a "aaaaaaaaaa">{laughs}]>'
    )
    found = read_xlsx(replaced_part(book, part, sheet_xml(doctype, "&x;", "&h;")))
    if isinstance(found, RosterReading):
        shown = repr(found)
        assert "KATA-SANDI" not in shown
        assert "a" * 1000 not in shown
    else:
        assert found.reason is RefusalReason.UNREADABLE


def test_a_csv_that_cannot_be_parsed_names_its_row() -> None:
    content = (
        csv_file([("Nama", "Jabatan"), ("Budi", "Staf")]) + b'"' + b"x" * 200_000 + b'",Staf\n'
    )
    found = refusal(read_roster(content))
    assert (found.reason, found.row) == (RefusalReason.UNREADABLE, 3)

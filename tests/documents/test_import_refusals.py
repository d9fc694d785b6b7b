"""Bad documents get a clear answer and no draft: what they are is told by their bytes, never
by their name."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image

from sopbot.documents.importing import MAX_IMPORT_BYTES, import_bytes, import_document
from sopbot.messaging.catalog import Language


def _refusal(data: bytes, name: str = "sop.docx") -> str:
    result = import_bytes(data, name)
    assert result.refusal is not None
    assert result.draft == ""
    assert result.definition is None
    return result.refusal.key


def test_an_old_word_file_is_refused_with_what_to_do() -> None:
    result = import_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "sop.doc")
    assert result.refusal is not None
    assert ".docx" in result.refusal.text(Language.ID)


def test_a_zip_that_is_not_a_word_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("foto.jpg", b"not really")
    assert _refusal(buffer.getvalue()) == "not_word_package"


def test_a_broken_word_package_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("word/document.xml", b"<w:document>broken")
    assert _refusal(buffer.getvalue()) == "unreadable_docx"


def test_a_scanned_pdf_is_refused_and_told_what_to_send() -> None:
    page = Image.new("RGB", (600, 400), "white")
    buffer = io.BytesIO()
    page.save(buffer, format="PDF")
    result = import_bytes(buffer.getvalue(), "scan.pdf")
    assert result.refusal is not None
    assert result.refusal.key == "scanned_pdf"
    assert "Word" in result.refusal.text(Language.ID)


def test_a_broken_pdf_is_refused() -> None:
    assert _refusal(b"%PDF-1.7\n garbage \n%%EOF", "x.pdf") == "unreadable_pdf"


def test_binary_noise_and_a_picture_are_refused() -> None:
    assert _refusal(bytes(range(256)) * 10, "sop.docx") == "unknown_kind"
    picture = io.BytesIO()
    Image.new("RGB", (10, 10)).save(picture, format="PNG")
    assert _refusal(picture.getvalue(), "sop.pdf") == "unknown_kind"


def test_text_without_a_procedure_table_is_refused() -> None:
    assert _refusal(b"Rapat koordinasi hari Senin.\nHarap hadir.", "x.txt") == "no_table"


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "besar.pdf"
    with big.open("wb") as file:
        file.truncate(MAX_IMPORT_BYTES + 1)
    result = import_document(big)
    assert result.refusal is not None
    assert result.refusal.key == "too_big"


def test_a_definition_file_is_validated_as_it_is() -> None:
    text = (
        Path(__file__).resolve().parents[2]
        / "sop_defs/kesbangpol-pekalongan"
        / "pengumpulan-pengolahan-data-kinerja.yaml"
    ).read_text(encoding="utf-8")
    result = import_bytes(text.encode(), "pengumpulan.yaml", agency_key="kesbangpol-pekalongan")
    assert result.refusal is None
    assert result.kind == "yaml"
    assert result.draft == text
    assert result.definition is not None
    assert len(result.definition.steps) == 13

"""Names inside an auditor's zip: made by sopbot from the upload's order, its step and a
plain form of the sender's name; never a path out of the folder, never two alike."""

from __future__ import annotations

import pytest

from sopbot.documents.archive_zip import document_entry, history_entry, zip_name


@pytest.mark.parametrize(
    ("delivered", "entry"),
    [
        ("Laporan Kinerja.pdf", "dokumen/01_langkah-5.1_Laporan-Kinerja.pdf"),
        ("..__..__etc_passwd.pdf", "dokumen/01_langkah-5.1_etc_passwd.pdf"),
        ("Ñandú (final).docx", "dokumen/01_langkah-5.1_Nandu-final.docx"),
        ("日本語.pdf", "dokumen/01_langkah-5.1_dokumen.pdf"),
        ("tanpa-ekstensi", "dokumen/01_langkah-5.1_tanpa-ekstensi"),
        ("x" * 300 + ".xlsx", "dokumen/01_langkah-5.1_" + "x" * 60 + ".xlsx"),
    ],
)
def test_a_document_s_entry_is_plain_and_short(delivered: str, entry: str) -> None:
    assert document_entry(1, "5.1", delivered, set()) == entry


def test_entries_alike_but_for_their_case_are_numbered() -> None:
    taken: set[str] = set()
    first = document_entry(3, "2", "Laporan.pdf", taken)
    second = document_entry(3, "2", "LAPORAN.pdf", taken)
    third = document_entry(3, "2", "laporan.pdf", taken)
    assert [first, second, third] == [
        "dokumen/03_langkah-2_Laporan.pdf",
        "dokumen/03_langkah-2_LAPORAN-2.pdf",
        "dokumen/03_langkah-2_laporan-3.pdf",
    ]
    assert len({name.casefold() for name in (first, second, third)}) == 3


def test_the_zip_and_the_pdf_are_named_after_the_procedure() -> None:
    assert zip_name("dinas-kukmp-samarinda", 12) == "arsip-dinas-kukmp-samarinda-no12.zip"
    assert history_entry(12) == "riwayat-prosedur-12.pdf"

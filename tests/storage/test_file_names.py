"""Names: a sender's file name made safe to show, and the name a file is delivered under."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopbot.storage.file_names import (
    FALLBACK_STEM,
    MAX_NAME_CHARS,
    MAX_STEM_BYTES,
    MAX_STEM_CHARS,
    clean_name,
    delivery_name,
)

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE


def test_a_reversed_executable_name_is_shown_as_it_really_is() -> None:
    # "laporan\u202efdp.bat" is displayed as "laporantab.pdf".
    assert clean_name(f"laporan{RLO}fdp.bat") == "laporanfdp.bat"


def test_the_delivered_extension_is_the_detected_types() -> None:
    assert delivery_name(f"laporan{RLO}fdp.bat", "txt") == "laporanfdp.txt"
    assert delivery_name("x.pdf", "txt") == "x.txt"
    assert delivery_name("laporan.pdf.exe", "pdf") == "laporan.pdf.pdf"
    assert delivery_name("Nota Dinas 12-2026.PDF", "pdf") == "Nota Dinas 12-2026.pdf"
    assert delivery_name("foto", "jpg") == "foto.jpg"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("../../etc/passwd", ".._.._etc_passwd", id="traversal"),
        pytest.param("C:\\Windows\\win.ini", "C__Windows_win.ini", id="windows-path"),
        pytest.param('a<b>c:d"e|f?g*h', "a_b_c_d_e_f_g_h", id="windows-reserved"),
        pytest.param("surat\u200b\u2066tugas\u2069.pdf", "surattugas.pdf", id="invisible"),
        pytest.param("baris\nbaru\t dan\u2028tab.pdf", "baris baru dan tab.pdf", id="breaks"),
        pytest.param("\x00\x07\x1b[31mmerah.pdf", "[31mmerah.pdf", id="control"),
        pytest.param("  rapat   kerja  .docx ", "rapat kerja .docx", id="spaces"),
    ],
)
def test_names_are_cleaned(name: str, expected: str) -> None:
    assert clean_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(None, f"{FALLBACK_STEM}.pdf", id="none"),
        pytest.param("", f"{FALLBACK_STEM}.pdf", id="empty"),
        pytest.param(f"{RLO}\u200b", f"{FALLBACK_STEM}.pdf", id="only-invisible"),
        pytest.param(".pdf", f"{FALLBACK_STEM}.pdf", id="only-extension"),
        pytest.param("...", f"{FALLBACK_STEM}.pdf", id="dots"),
        pytest.param("CON.pdf", f"{FALLBACK_STEM}-CON.pdf", id="windows-device"),
        pytest.param("lpt1.backup.txt", f"{FALLBACK_STEM}-lpt1.backup.pdf", id="device-stem"),
        pytest.param("laporan. .docx", "laporan.pdf", id="trailing-dot"),
    ],
)
def test_unusable_stems_fall_back(name: str | None, expected: str) -> None:
    assert delivery_name(name, "pdf") == expected


def test_long_names_are_capped_in_characters_and_bytes() -> None:
    assert len(clean_name("a" * 1000)) == MAX_NAME_CHARS
    assert delivery_name("a" * 1000 + ".pdf", "pdf") == "a" * MAX_STEM_CHARS + ".pdf"
    wide = delivery_name("laporan" + "ê" * 300, "pdf")
    assert len(wide.removesuffix(".pdf").encode()) <= MAX_STEM_BYTES


@given(st.text(max_size=400), st.sampled_from(["pdf", "docx", "txt", "csv", "jpg"]))
def test_any_name_gives_a_safe_name_with_the_given_extension(name: str, extension: str) -> None:
    delivered = delivery_name(name, extension)
    assert delivered.endswith(f".{extension}")
    assert delivered.removesuffix(f".{extension}").strip(" .")
    assert not set(delivered) & set('/\\:*?"<>|')
    assert all(
        unicodedata.category(character) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
        for character in delivered
    )
    assert len(delivered.encode()) <= MAX_STEM_BYTES + 1 + len(extension)

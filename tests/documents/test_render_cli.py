"""`sopbot sop render`: an SOP chosen as `sop show` chooses it, written in the format of the
output's suffix; bad input is refused with a clear message and writes nothing."""

from __future__ import annotations

from pathlib import Path

import docx
import pdfplumber
import pytest
from PIL import Image

from tests.helpers.command_line import run

REPO = Path(__file__).resolve().parents[2]
SEED = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOPBOT_SOP_DIR", str(REPO / "sop_defs"))


def test_an_id_is_written_as_pdf_in_the_current_folder_by_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "sop", "render", SEED)
    assert (code, err) == (0, "")
    written = tmp_path / "pengumpulan-pengolahan-data-kinerja.pdf"
    assert f"{SEED} written to {written.name}" in out
    with pdfplumber.open(written) as pdf:
        words = {word["text"] for word in pdf.pages[-1].extract_words()}
    assert {"Kassubag", "Renval", "Pelaksana", "Selesai"} <= words


def test_the_suffix_chooses_the_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("sop.docx", "sop.png", "SOP.PDF"):
        code, _, err = run(capsys, "sop", "render", SEED, "-o", str(tmp_path / name))
        assert (code, err) == (0, "")
    assert docx.Document(str(tmp_path / "sop.docx")).tables
    with Image.open(tmp_path / "sop.png") as image:
        assert image.format == "PNG"
    assert (tmp_path / "SOP.PDF").read_bytes().startswith(b"%PDF")


def test_a_file_path_and_another_folder_are_taken(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    surat = REPO / "tests/e2e/defs/dinas-surat-samarinda/surat-masuk.yaml"
    code, out, _ = run(capsys, "sop", "render", str(surat), "-o", "surat.docx")
    assert code == 0
    assert "dinas-surat-samarinda/surat-masuk" in out
    code, _, _ = run(
        capsys,
        "sop",
        "render",
        "dinas-surat-samarinda/surat-masuk",
        "--dir",
        str(REPO / "tests/e2e/defs"),
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["surat-masuk.pdf", "surat.docx"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope/tidak-ada"], "No SOP with id 'nope/tidak-ada'. Known ids: dinas-kukmp-samarinda"),
        ([SEED, "-o", "sop.txt"], "the file name must end in .pdf, .docx, .png"),
        ([SEED, "-o", "sop"], "the file name must end in .pdf, .docx, .png"),
        ([SEED, "-o", "missing/sop.pdf"], "the folder 'missing' does not exist"),
        (["hilang.yaml"], "hilang.yaml:1: no such file or folder"),
        ([str(REPO / "sop_defs")], "is a folder: name one SOP file or id"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "sop", "render", *argv)
    assert code == 1
    assert message in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_a_broken_definition_is_reported_with_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "rusak.yaml"
    broken.write_text("sop:\n  nama: x\nlangkah: []\n", encoding="utf-8")
    code, _, err = run(capsys, "sop", "render", str(broken), "-o", str(tmp_path / "x.pdf"))
    assert code == 1
    assert "rusak.yaml:" in err
    assert not (tmp_path / "x.pdf").exists()

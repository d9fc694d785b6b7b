"""The `sopbot sop ...` commands, run as the console script would run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sopbot.cli import main
from sopbot.storage.database import Database
from sopbot.storage.migrate import revisions_in_order
from tests.helpers.definitions import definition_text, write_definition

REPO = Path(__file__).resolve().parents[2]
SEED_IDS = [
    "dinas-kukmp-samarinda/pengolahan-data-kinerja",
    "dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja",
    "kecamatan-samarinda-ilir/pengumpulan-data-kinerja",
    "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja",
]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SOPBOT_SOP_DIR", raising=False)


def test_validate_passes_on_the_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sop", "validate", "sop_defs"]) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1] == "4 valid, 0 with errors, 0 warning(s)"
    assert err == ""


def test_validate_fails_and_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_definition(tmp_path, "dinas-a/baik", definition_text())
    broken = write_definition(
        tmp_path,
        "dinas-a/rusak",
        definition_text()
        .replace("waktu: 1 Hari", "waktu: sehari")
        .replace("kegiatan: Memberi", "kegiatn: Memberi"),
    )
    assert main(["sop", "validate", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"{broken}:16: step 1 is missing the required key 'kegiatan' (the activity as written)",
        f"{broken}:17: unknown key 'kegiatn' in step 1; did you mean 'kegiatan'?",
        f"{broken}:24: 'waktu' of step 2: cannot read the time 'sehari'; write a number and a "
        "unit, e.g. '5 Menit', '2 Jam', '1 Hari', '1 jam 30 menit', '1/2 hari', "
        "'5 menit/berkas' (units: detik, menit, jam, hari, hari kerja, hari kalender, minggu, "
        "bulan), or keep the document's wording and give the standard to count: "
        "'waktu: {tertulis: ..., baku: ...}'",
    ]
    assert out.splitlines()[-1] == "1 valid, 1 with errors, 0 warning(s)"


def test_list_shows_each_seed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The table is as wide as the terminal: a wide one, whatever runs the tests.
    monkeypatch.setenv("COLUMNS", "140")
    assert main(["sop", "list"]) == 0
    out = capsys.readouterr().out
    for sop_id in SEED_IDS:
        agency, name = sop_id.split("/")
        assert agency in out
        assert name[:10] in out
    assert out.strip().splitlines()[-1] == "4 SOP(s) in sop_defs"


def test_list_reports_files_it_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_definition(tmp_path, "dinas-a/baik", definition_text())
    broken = write_definition(tmp_path, "dinas-a/rusak", "sop: [")
    assert main(["sop", "list", "--dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "dinas-a/baik" in captured.out
    assert captured.err.strip() == (
        f"1 file(s) left out because of errors: {broken}; run `sopbot sop validate` for details"
    )


@pytest.mark.parametrize("sop_id", SEED_IDS)
def test_show_prints_the_header_and_every_step(
    sop_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sop", "show", sop_id, "--width", "160"]) == 0
    out = capsys.readouterr().out
    # Seed 004 keeps its document's own labels ("TGL. EFEKTIF").
    own_labels = ("NOMOR SOP", "TGL. EFEKTIF", "DISAHKAN OLEH")
    usual_labels = ("Nomor SOP", "Tanggal Efektif", "Disahkan Oleh")
    for label in (
        *(own_labels if sop_id.startswith("kesbangpol") else usual_labels),
        "Dasar Hukum",
        "Mutu Baku",
        "Kelengkapan",
        "Waktu",
        "Output",
        "Keterangan",
        "Pelaksana",
    ):
        assert label in out
    assert all(len(line) <= 160 for line in out.splitlines() if line.startswith(("│", "┌")))


def test_show_marks_decisions_and_fan_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sop", "show", SEED_IDS[3], "--width", "400"]) == 0
    out = capsys.readouterr().out
    assert "Ya → langkah 6; Tidak → langkah 4" in out
    assert "Ya → langkah 13; Tidak → langkah 9" in out
    assert "Kepala Bidang (setiap pemegang)" in out


def test_show_an_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sop", "show", "tiada/sop"]) == 1
    assert capsys.readouterr().err.startswith("No SOP with id 'tiada/sop'. Known ids: ")


def test_console_script_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sopbot", "sop", "validate"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "4 valid, 0 with errors" in done.stdout


def test_db_upgrade_and_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db' / 'sopbot.db'}")
    assert main(["db", "current"]) == 1
    assert "revision none: behind" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    head = revisions_in_order(Database("sqlite://"))[-1]
    assert f"database at revision {head}" in capsys.readouterr().out
    assert main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out

"""`sopbot demo` from the command line: which SOP, which folder, which answers are "tidak", and
the agency's own clock in the chats it prints."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers.command_line import REPO, run, use_fresh_database

KESBANGPOL = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
SEEDS = (
    "dinas-kukmp-samarinda/pengolahan-data-kinerja",
    "dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja",
    "kecamatan-samarinda-ilir/pengumpulan-data-kinerja",
    KESBANGPOL,
)
# The clock a finished disposition shows: "✅ Selesai · Minggu, 6 Desember 2026 21.38 WITA".
DONE_AT = re.compile(r"✅ (?:Selesai|Sesuai) · \w+, \d{1,2} \w+ \d{4} (\d{2}\.\d{2}) (\w+)")


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_fresh_database(monkeypatch, tmp_path)


def _minutes(zone: str, start: dt.datetime, end: dt.datetime) -> set[str]:
    """Every clock reading (HH.MM) of `zone` from start to end, both included."""
    shown, moment = set(), start.replace(second=0, microsecond=0)
    while moment <= end:
        shown.add(moment.astimezone(ZoneInfo(zone)).strftime("%H.%M"))
        moment += dt.timedelta(minutes=1)
    return shown


def _samarinda_copy_of_kesbangpol(root: Path) -> str:
    """Seed 004 (three decisions) in a folder of a Samarinda agency (WITA); its SOP id."""
    folder = root / "dinas-uji-samarinda"
    folder.mkdir(parents=True)
    name = KESBANGPOL.split("/")[1] + ".yaml"
    shutil.copy(REPO / "sop_defs" / "kesbangpol-pekalongan" / name, folder / name)
    (folder / "instansi.yaml").write_text(
        "nama: Dinas Uji Kota Samarinda\nzona_waktu: WITA\n", encoding="utf-8"
    )
    return f"dinas-uji-samarinda/{name.removesuffix('.yaml')}"


def test_tolak_sends_work_back_and_the_chats_keep_the_agencys_clock(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sop_id = _samarinda_copy_of_kesbangpol(tmp_path / "sops")
    start = dt.datetime.now(dt.UTC)
    code, out, err = run(
        capsys, "demo", "--dir", str(tmp_path / "sops"), "--sop", sop_id, "--tolak", "12:1"
    )
    end = dt.datetime.now(dt.UTC)
    assert (code, err) == (0, "")
    assert "Times in the chats are the agency's: WITA (Asia/Makassar)" in out
    # Only the asked "tidak": step 12 sends the work back, and the demo's own 5:1 is not played.
    assert "langkah 5: tidak sesuai" not in out
    refused = re.findall(r"❌ .* \(Sekretaris\), langkah 12: tidak sesuai: (.+)", out)
    assert len(refused) == 1
    # The reason reads as a reviewer writes it, and reaches whoever does the work again.
    assert refused[0].startswith(("Data", "Masih", "Lampiran", "Penulisan"))
    assert f"Hasilnya tidak sesuai: {refused[0]}" in out
    assert "🔁 Putaran ke-2: langkah ini dikerjakan ulang." in out
    assert out.count("langkah 12: sesuai") == 1  # asked again, then agreed
    # Every clock in the chats is Samarinda's (WITA), never Jakarta's.
    shown = DONE_AT.findall(out)
    assert shown
    assert {zone for _, zone in shown} == {"WITA"}
    assert {clock for clock, _ in shown} <= _minutes("Asia/Makassar", start, end)
    assert re.search(r"Batas waktu: \w+, \d{1,2} \w+ \d{4} \d{2}\.\d{2} WITA", out)
    assert " WIB" not in out


def test_an_unknown_sop_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo", "--sop", "kesbangpol-pekalongan/pengumpulan")
    assert (code, out) == (1, "")
    assert err.strip() == (
        "No SOP with id 'kesbangpol-pekalongan/pengumpulan'. Known ids: " + ", ".join(SEEDS)
    )


def test_tolak_must_name_a_decision_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo", "--tolak", "4:1", "--tolak", "99:1", "--tolak", "5:1")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"--tolak 4:1: step 4 of {KESBANGPOL} is not a decision step; only a decision (ya/tidak) "
        "can be answered 'tidak' (its decision steps: 5, 11, 12)",
        f"--tolak 99:1: {KESBANGPOL} has no step 99; only a decision (ya/tidak) can be answered "
        "'tidak' (its decision steps: 5, 11, 12)",
    ]
    code, _, err = run(
        capsys,
        "demo",
        "--sop",
        "kecamatan-samarinda-ilir/pengumpulan-data-kinerja",
        "--tolak",
        "5:1",
    )
    assert code == 1
    assert err.strip().endswith("(its decision steps: none)")


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("5:0", "'5:0': the round is 1 or more (1 is a step's first time, 2 the first rework)"),
        ("0:1", "'0:1': the step number is 1 or more"),
        ("5", "'5' is not STEP:ROUND; write the decision step's number and the round"),
        ("5:x", "'5:x' is not STEP:ROUND"),
        ("-1:2", "'-1:2' is not STEP:ROUND"),
    ],
)
def test_a_malformed_tolak_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], written: str, why: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        run(capsys, "demo", f"--tolak={written}")
    assert exited.value.code == 2
    assert f"argument --tolak: {why}" in capsys.readouterr().err


def test_an_agency_without_its_zone_is_not_played(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sop_id = _samarinda_copy_of_kesbangpol(tmp_path / "sops")
    (tmp_path / "sops" / "dinas-uji-samarinda" / "instansi.yaml").unlink()
    code, out, err = run(capsys, "demo", "--dir", str(tmp_path / "sops"), "--sop", sop_id)
    assert (code, out) == (1, "")
    assert err.strip() == (
        "the agency dinas-uji-samarinda has no time zone: its folder needs an agency file "
        "instansi.yaml with e.g. 'zona_waktu: WITA'; run `sopbot sop validate` for details"
    )


@pytest.mark.slow
@pytest.mark.parametrize("sop_id", SEEDS)
def test_each_seed_plays_to_the_end(capsys: pytest.CaptureFixture[str], sop_id: str) -> None:
    code, out, err = run(capsys, "demo", "--sop", sop_id)
    assert (code, err) == (0, "")
    zone = "WIB" if sop_id == KESBANGPOL else "WITA"
    assert {shown_zone for _, shown_zone in DONE_AT.findall(out)} == {zone}
    assert "🏁 Prosedur Pengolahan Data Kinerja Triwulan III 2026 (No. 1) telah selesai." in out


@pytest.mark.slow
def test_a_round_never_reached_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo", "--tolak", "11:1", "--tolak", "11:3")
    assert code == 1
    assert "🔁 Putaran ke-2" in out  # 11:1 was played
    assert err.strip() == (
        "--tolak 11:3 was not used: step 11 ran 2 round(s) in this play; a round after the "
        "first comes only when a 'tidak' sends the work back over the step"
    )

"""Real public SOPs of other shapes (tests/engine/other_shapes): each validates with exactly the
warnings its document earns, and `sopbot sop show` prints what officials would check against
the paper: several Pelaksana in one cell, labelled branches, the numbers as published."""

from __future__ import annotations

from pathlib import Path

import pytest

from sopbot.cli import main
from sopbot.engine.definition import OutputKind, Together
from sopbot.engine.library import load_library
from sopbot.engine.loader import parse_definition
from sopbot.engine.problems import Severity
from tests.helpers.definitions import HEADER

REPO = Path(__file__).resolve().parents[2]
SHAPES = Path(__file__).resolve().parent / "other_shapes"
SHAPES_SHOWN = "tests/engine/other_shapes"
PUSKESMAS = "uptd-puskesmas-tomoni-timur/penerimaan-surat-masuk"
KEHUTANAN = "dinas-kehutanan-sumbar/operasi-represif-gabungan"
DISHUB = "dishub-kota-ambon/izin-trayek-balik-nama"
PERPUSTAKAAN = "perpustakaan-itenas/pengembalian-bahan-pustaka"
REPEATED = (
    "kept as the document prints it. To send work to this one by a 'lanjut' or a branch, give "
    "it an 'id' (a whole number no other step uses) and name the id"
)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SOPBOT_SOP_DIR", raising=False)


def test_every_file_validates_with_exactly_the_warnings_its_document_earns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sop", "validate", SHAPES_SHOWN]) == 0
    out, err = capsys.readouterr()
    kehutanan = f"{SHAPES_SHOWN}/{KEHUTANAN}.yaml"
    perpustakaan = f"{SHAPES_SHOWN}/{PERPUSTAKAAN}.yaml"
    assert out.splitlines() == [
        f"{kehutanan}:45: warning: role 'bag_terkait' (Bag. Terkait) does no step; remove it or "
        "give it a step",
        f"{kehutanan}:77: warning: step number 4 appears twice (first on line 70); {REPEATED}",
        *(
            f"{perpustakaan}:{line}: warning: step number 3 appears twice (first on line 60); "
            f"kept as the document prints it. A 'lanjut' or a branch names this one by its id "
            f"{step_id}"
            for line, step_id in ((72, 31), (78, 32), (86, 33), (92, 34))
        ),
        "4 valid, 0 with errors, 6 warning(s)",
    ]
    assert err == ""


def test_the_library_loads_the_four_as_the_documents_number_them() -> None:
    library = load_library(SHAPES)
    assert sorted(library.definitions) == sorted([PUSKESMAS, KEHUTANAN, DISHUB, PERPUSTAKAAN])
    labels = {
        sop_id: [s.label for s in definition.steps]
        for sop_id, definition in library.definitions.items()
    }
    assert labels[KEHUTANAN] == ["1", "2", "3", "4", "4", "5", "6", "7"]
    assert labels[DISHUB] == ["1", "2.1", "2.2", "2.3", "3", "4"]
    assert labels[PERPUSTAKAAN] == ["1", "2", "3", "3", "3", "3", "3"]
    perpustakaan = library.definitions[PERPUSTAKAAN]
    assert [s.number for s in perpustakaan.steps] == [1, 2, 3, 31, 32, 33, 34]
    question = perpustakaan.step(3).decision
    assert question is not None
    assert [(b.label, b.target) for b in question.branches] == [("Ya", 31), ("Tidak", 33)]
    # The repeated "4" of the Kehutanan table is a step of its own, after the first "4".
    kehutanan = library.definitions[KEHUTANAN]
    assert kehutanan.step(4).next == kehutanan.steps[4].number
    assert kehutanan.steps[4].activity.startswith("Mengoreksi usulan telaah staf")


def test_the_constructs_read_as_the_readings_say() -> None:
    library = load_library(SHAPES)
    puskesmas = library.definitions[PUSKESMAS]
    hand_over = puskesmas.step(3)
    assert (hand_over.roles, hand_over.together, hand_over.output_role) == (
        ("ka_tata_usaha", "ka_puskesmas"),
        Together.IN_TURN,
        "ka_puskesmas",
    )
    assert puskesmas.step(5).together is Together.ANY_ONE
    assert puskesmas.step(1).standard_time.as_written == "30 detik"

    dishub = library.definitions[DISHUB]
    typed = next(s for s in dishub.steps if s.label == "3")
    assert typed.output_role == "pelaksana"  # the typist's letter, not the last initialler's
    checked = next(s for s in dishub.steps if s.label == "2.2")
    assert checked.decision is not None
    approve, reject = checked.decision.branches
    assert (approve.label, approve.rejects, checked.output_kind_on(approve)) == (
        "Sesuai persyaratan",
        False,
        OutputKind.DOCUMENT,
    )
    assert (reject.label, reject.rejects, checked.output_kind_on(reject)) == (
        "Tidak sesuai",
        True,
        OutputKind.NONE,
    )
    pemohon = dishub.role("pemohon")
    assert (pemohon.external, dishub.routed_role("pemohon")) == (True, "pelaksana")

    kehutanan = library.definitions[KEHUTANAN]
    decided = kehutanan.step(5).decision
    assert decided is not None
    assert [(b.label, b.rejects) for b in decided.branches] == [("Setuju", False), ("Tidak", False)]
    assert [kehutanan.step(5).output_kind_on(b) for b in decided.branches] == [
        OutputKind.DOCUMENT,
        OutputKind.NONE,
    ]


def _shown(capsys: pytest.CaptureFixture[str], sop_id: str) -> str:
    assert main(["sop", "show", sop_id, "--dir", SHAPES_SHOWN, "--width", "400"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def _rows(out: str) -> list[list[str]]:
    """The procedure table's body rows, cell by cell, a wrapped cell's lines joined."""
    body = out[out.index("╞") :]
    rows: list[list[str]] = []
    current: list[list[str]] = []
    for line in body.splitlines()[1:]:
        if line.startswith(("├", "└")):
            rows.append(
                [" ".join(part for part in cell if part) for cell in zip(*current, strict=True)]
            )
            current = []
        elif line.startswith("│"):
            current.append([cell.strip() for cell in line.strip().strip("│").split("│")])
    return rows


def test_show_prints_the_several_pelaksana_and_the_labelled_branches_of_the_dishub(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = _rows(_shown(capsys, DISHUB))
    assert [row[0] for row in rows] == ["1", "2.1", "2.2", "2.3", "3", "4"]
    by_label = {row[0]: row for row in rows}
    assert by_label["1"][2] == (
        "berurutan: Pelaksana → Kadishub → Kabid. Lalu Lintas dan Angkutan (output)"
    )
    assert by_label["3"][2] == (
        "berurutan: Pelaksana (output) → Kasie. Perizinan dan angkutan → "
        "Kabid. Lalu Lintas dan Angkutan"
    )
    assert by_label["2.3"][2] == "Pemohon (pihak luar; dicatat Pelaksana)"
    assert by_label["2.2"][1].endswith(
        "◇ Sesuai persyaratan? Sesuai persyaratan → langkah 2.3; Tidak sesuai (kembali) → langkah 1"
    )
    assert by_label["2.2"][5] == "SKRD [unggah dokumen]"


def test_show_prints_the_repeated_numbers_and_the_branches_to_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    perpustakaan = _rows(_shown(capsys, PERPUSTAKAAN))
    assert [row[0] for row in perpustakaan] == ["1", "2", "3", "3", "3", "3", "3"]
    assert perpustakaan[0][2] == (
        "bersama: MAHASISWA/DOSEN/KARYAWAN (pihak luar; dicatat PELAYANAN) + PELAYANAN (output)"
    )
    assert perpustakaan[3][2] == "MAHASISWA/DOSEN/KARYAWAN (pihak luar; dicatat PELAYANAN)"
    assert perpustakaan[4][5] == "Struk [unggah dokumen]"

    kehutanan = _rows(_shown(capsys, KEHUTANAN))
    assert [row[0] for row in kehutanan] == ["1", "2", "3", "4", "4", "5", "6", "7"]
    assert kehutanan[5][1].endswith(
        "◇ Disetujui Kadis untuk operasi gabungan? Setuju → langkah 6; Tidak → selesai"
    )
    assert kehutanan[6][2] == "berurutan: Kasi → Kabid → Kadis (output)"

    puskesmas = _rows(_shown(capsys, PUSKESMAS))
    assert [row[2] for row in puskesmas][:4] == [
        "Staf Tata Usaha",
        "Staf Tata Usaha",
        "berurutan: Ka Tata Usaha → Ka Puskesmas (output)",
        "Staf Tata Usaha",
    ]
    # (Its "(output)" mark is left unasserted: on a salah_satu step whoever does it delivers.)
    assert puskesmas[4][2].startswith("salah satu: Ka Tata Usaha + Staf Tata Usaha")
    assert [row[4] for row in puskesmas][:2] == ["30 detik", "1 menit"]


def test_sub_steps_count_as_their_number_when_gaps_are_judged() -> None:
    """1, 2.1, 2.2, 3 skips nothing: "2" is there, split in two. 1, 3.1 does skip 2."""
    roles = "pelaksana:\n  - id: a\n    nama: Pejabat A\n"

    def warnings(*labels: str) -> list[str]:
        steps = "".join(
            f'  - no: "{label}"\n    kegiatan: Langkah {label}\n    pelaksana: a\n'
            "    waktu: 5 menit\n    jenis_output: catatan\n"
            for label in labels
        )
        result = parse_definition(
            f"{HEADER}{roles}langkah:\n{steps}", source="x.yaml", sop_id="a/b", agency_key="a"
        )
        assert result.definition is not None, result.problems
        return [p.message for p in result.problems if p.severity is Severity.WARNING]

    assert warnings("1", "2.1", "2.2", "3") == []
    assert warnings("1", "3.1", "3.2", "4") == ["step numbers jump from 1 to 3; is a step missing?"]

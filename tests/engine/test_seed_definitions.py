"""The four seed SOPs, encoded under sop_defs/, against the documents they come from."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from sopbot.engine.definition import END, Assignment, OutputKind
from sopbot.engine.library import SopLibrary, load_library

REPO = Path(__file__).resolve().parents[2]
SEED_TEXTS = Path(__file__).resolve().parent / "seed_texts"

SEEDS = {
    "000_3e870dfe2bb736ab.txt": "dinas-kukmp-samarinda/pengolahan-data-kinerja",
    "001_fc152a5d2cceb32b.txt": "dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja",
    "003_ce1ec6997cd5ea7c.txt": "kecamatan-samarinda-ilir/pengumpulan-data-kinerja",
    "004_cf466d70580ff858.txt": "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja",
}


@dataclass(frozen=True)
class SeedRow:
    """One row of a seed's procedure table, cells as extracted."""

    number: int
    activity: str
    inputs: str
    time: str
    output: str
    remarks: str


@dataclass(frozen=True)
class SeedTable:
    """The role columns and rows of a seed's procedure table."""

    roles: list[str]
    rows: list[SeedRow]


def read_seed_table(path: Path) -> SeedTable:
    """Parse the tab-separated procedure table out of an extracted seed document."""
    roles: list[str] = []
    rows: dict[int, SeedRow] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) > 6 and cells[0] == "" and cells[1] == "" and cells[2]:
            # The role header row: blank No and Kegiatan, then the Pelaksana columns.
            names = cells[2:]
            roles = names[: next(i for i, n in enumerate(names) if n.startswith("Kelengkapan"))]
            continue
        if not re.fullmatch(r"\d+\.?", cells[0]) or len(cells) < 2 or cells[1].isdigit():
            continue
        base = 2 + len(roles)
        padded = [*cells, "", "", "", ""]
        number = int(cells[0].rstrip("."))
        rows[number] = SeedRow(
            number=number,
            activity=cells[1],
            inputs=padded[base],
            time=padded[base + 1],
            output=padded[base + 2],
            remarks=padded[base + 3],
        )
    return SeedTable(roles, [rows[n] for n in sorted(rows)])


@pytest.fixture(scope="module")
def library() -> SopLibrary:
    return load_library(REPO / "sop_defs")


def test_all_seeds_load_without_a_single_problem(library: SopLibrary) -> None:
    assert [str(p) for p in library.problems] == []
    assert sorted(library.definitions) == sorted(SEEDS.values())


@pytest.mark.parametrize(
    ("sop_id", "steps"),
    [
        ("dinas-kukmp-samarinda/pengolahan-data-kinerja", 11),
        ("dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja", 11),
        ("kecamatan-samarinda-ilir/pengumpulan-data-kinerja", 13),
        ("kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja", 13),
    ],
)
def test_step_counts(library: SopLibrary, sop_id: str, steps: int) -> None:
    definition = library.definitions[sop_id]
    assert [s.number for s in definition.steps] == list(range(1, steps + 1))


@pytest.mark.parametrize("seed_file", sorted(SEEDS))
def test_every_cell_is_kept_as_written(library: SopLibrary, seed_file: str) -> None:
    table = read_seed_table(SEED_TEXTS / seed_file)
    definition = library.definitions[SEEDS[seed_file]]
    assert [r.name for r in definition.roles] == table.roles
    assert len(table.rows) == len(definition.steps)
    for row, step in zip(table.rows, definition.steps, strict=True):
        assert step.number == row.number
        assert step.activity == row.activity
        assert step.inputs == row.inputs
        assert step.standard_time.as_written == row.time
        assert step.output == row.output
        assert step.remarks == row.remarks


def test_seed_004_verification_steps_send_the_work_back(library: SopLibrary) -> None:
    definition = library.definitions[SEEDS["004_cf466d70580ff858.txt"]]
    decisions = {
        s.number: (s.decision.yes, s.decision.no)
        for s in definition.steps
        if s.decision is not None
    }
    assert decisions == {5: (6, 4), 11: (12, 9), 12: (13, 9)}
    # Each "tidak" goes back to the step of the person who must redo the work.
    assert definition.step(4).role == "petugas_pengelola_data_kinerja"
    assert definition.step(9).role == "petugas_pengelola_data_kinerja"
    assert definition.step(13).next == END


def test_seeds_without_diamonds_run_straight_through(library: SopLibrary) -> None:
    for seed_file in (
        "000_3e870dfe2bb736ab.txt",
        "001_fc152a5d2cceb32b.txt",
        "003_ce1ec6997cd5ea7c.txt",
    ):
        definition = library.definitions[SEEDS[seed_file]]
        numbers = [s.number for s in definition.steps]
        assert [s.next for s in definition.steps] == [*numbers[1:], END]
        assert not any(s.is_decision for s in definition.steps)


def test_several_holders_act_as_the_sop_means(library: SopLibrary) -> None:
    pengolahan = library.definitions[SEEDS["000_3e870dfe2bb736ab.txt"]]
    assert pengolahan.step(5).role == "kepala_bidang"
    assert pengolahan.step(5).assignment is Assignment.EVERY_HOLDER
    assert pengolahan.step(6).assignment is Assignment.ANY_ONE  # the team: whoever claims it
    kesbangpol = library.definitions[SEEDS["004_cf466d70580ff858.txt"]]
    assert kesbangpol.step(7).role == "kepala_bidang"
    assert kesbangpol.step(7).assignment is Assignment.EVERY_HOLDER
    assert kesbangpol.step(7).output_kind is OutputKind.DOCUMENT


def test_flowchart_remains_decide_the_roles_they_mark(library: SopLibrary) -> None:
    # "MULAI" stands in the Sekretaris column of seed 003's first row.
    assert library.definitions[SEEDS["003_ce1ec6997cd5ea7c.txt"]].first_step.role == "sekretaris"
    # "mulai" in the Kepala Dinas column of seed 004's first row.
    assert library.definitions[SEEDS["004_cf466d70580ff858.txt"]].first_step.role == "kepala_dinas"


def test_identity_headers(library: SopLibrary) -> None:
    pengolahan = library.definitions[SEEDS["000_3e870dfe2bb736ab.txt"]].identity
    assert pengolahan.number == "000.8.3.3/ 375/100.14"
    assert pengolahan.name == "PENGOLAHAN DATA"
    assert pengolahan.unit == "SEKRETARIAT"
    assert pengolahan.effective_on.value == dt.date(2026, 5, 4)
    assert pengolahan.revised_on.as_written == "-"
    assert pengolahan.revised_on.value is None
    assert pengolahan.approved_by.rank == "Pembina Utama Muda (IV/c)"
    assert pengolahan.approved_by.nip == "197110301994031002"
    assert len(pengolahan.legal_basis) == 2
    assert pengolahan.records == ("Berkas Data Kinerja", "Checklist Data Kinerja")

    kecamatan = library.definitions[SEEDS["003_ce1ec6997cd5ea7c.txt"]].identity
    assert kecamatan.number is None  # left blank in the document
    assert kecamatan.approved_by.nip == "19651208 198609 1 002"
    assert kecamatan.created_on.value == dt.date(2021, 3, 1)

    kesbangpol = library.definitions[SEEDS["004_cf466d70580ff858.txt"]].identity
    assert kesbangpol.approved_by.rank is None
    assert kesbangpol.records == ()
    assert "..... (Nama OPD)" in kesbangpol.legal_basis[2]  # placeholder kept as written
    # The Peringatan intro line stands above its two numbered items, as published.
    assert kesbangpol.list_style("peringatan").intro == (
        "Jika pembuatan SOP ini tidak dilaksanakan akan berdampak :"
    )
    assert len(kesbangpol.warnings) == 2
    assert kesbangpol.label("tanggal_efektif") == "TGL. EFEKTIF"


def test_version_comes_from_the_dates(library: SopLibrary) -> None:
    versions = {d.id: d.version for d in library.definitions.values()}
    assert versions == {
        "dinas-kukmp-samarinda/pengolahan-data-kinerja": "2026-05-04",
        "dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja": "2026-05-04",
        "kecamatan-samarinda-ilir/pengumpulan-data-kinerja": "2021-03-01",
        "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja": "2023-10-04",
    }
    digests = {d.digest for d in library.definitions.values()}
    assert len(digests) == 4

"""The four seed texts (copies of shared/seeds, the extraction style the product was specified from)
import to drafts that agree, cell for cell, with the definitions written by hand from them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sopbot.documents.importing import import_document
from sopbot.engine.draft_marks import is_undecided
from sopbot.engine.library import load_library

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "engine" / "seed_texts"  # copies of shared/seeds
LIBRARY = load_library(ROOT / "sop_defs")
PAIRS = {
    "000": "dinas-kukmp-samarinda/pengolahan-data-kinerja",
    "001": "dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja",
    "003": "kecamatan-samarinda-ilir/pengumpulan-data-kinerja",
    "004": "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja",
}


def _draft(seed: str) -> dict:  # type: ignore[type-arg]
    path = next(SEEDS.glob(f"{seed}_*.txt"))
    result = import_document(path)
    assert result.refusal is None
    # BaseLoader: "no" stays the key it is in the format (YAML 1.1 would read it as false).
    loaded: dict = yaml.load(result.draft, Loader=yaml.BaseLoader)  # type: ignore[type-arg]  # noqa: S506 - BaseLoader is safe
    return loaded


@pytest.mark.parametrize(("seed", "sop_id"), sorted(PAIRS.items()))
def test_steps_and_roles_are_read_cell_for_cell(seed: str, sop_id: str) -> None:
    definition = LIBRARY.get(sop_id)
    assert definition is not None
    draft = _draft(seed)
    assert [r["nama"] for r in draft["pelaksana"]] == [r.name for r in definition.roles]
    rows = [
        (
            d["no"],
            d["kegiatan"],
            d["waktu"] if isinstance(d["waktu"], str) else d["waktu"]["tertulis"],
            d.get("kelengkapan", ""),
            d.get("output", ""),
            d.get("keterangan", ""),
        )
        for d in draft["langkah"]
    ]
    assert rows == [
        (s.label, s.activity, s.standard_time.as_written, s.inputs, s.output, s.remarks)
        for s in definition.steps
    ]


@pytest.mark.parametrize(("seed", "sop_id"), sorted(PAIRS.items()))
def test_header_fields_are_read_as_written(seed: str, sop_id: str) -> None:
    definition = LIBRARY.get(sop_id)
    assert definition is not None
    header = _draft(seed)["sop"]
    ident = definition.identity
    assert header["tanggal_pembuatan"] == ident.created_on.as_written
    assert header["tanggal_efektif"] == ident.effective_on.as_written
    assert header["disahkan_oleh"]["nip"].replace(" ", "") == (ident.approved_by.nip or "").replace(
        " ", ""
    )
    for key in ("dasar_hukum", "kualifikasi_pelaksana", "peralatan_perlengkapan"):
        items = header.get(key)
        items = items["butir"] if isinstance(items, dict) else items
        assert len(items) == len(ident.header_list(key)), key


def test_a_step_with_no_symbol_is_left_to_decide_with_a_guess() -> None:
    steps = _draft("004")["langkah"]
    assert steps[0]["pelaksana"] == "kepala_dinas"  # "mulai" stands in its column
    assert all(is_undecided(s["pelaksana"]) for s in steps[1:])
    # "membagikan format ... kepada kepala bidang" hands step 7 to the Kepala Bidang
    assert steps[6]["pelaksana"] == "?? kepala_bidang"


def test_the_draft_of_a_text_without_symbols_does_not_load() -> None:
    result = import_document(next(SEEDS.glob("004_*.txt")), agency_key="kesbangpol")
    assert result.definition is None
    assert len(result.errors) == 12
    assert all("still to be decided" in p.message for p in result.errors)

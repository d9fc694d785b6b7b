"""Old definition files keep loading to exactly what they loaded to before the format grew."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sopbot.engine.header_fields import PLAIN_LIST
from sopbot.engine.library import load_paths

REPO = Path(__file__).resolve().parents[2]
LEGACY = Path(__file__).resolve().parent / "legacy_defs"
SEED_004 = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"

# The digests and versions the four seeds had before `pengantar`, `label` and `judul_tabel`
# existed; seed 004's file under sop_defs/ has since been re-encoded with them.
DIGESTS_BEFORE = {
    "dinas-kukmp-samarinda/pengolahan-data-kinerja": (
        "2026-05-04",
        "bbe74abcb869a430f938d2508c53bfbd52d730c9e263049496fe5d4e4bdd3d76",
    ),
    "dinas-kukmp-samarinda/penyusunan-pelaporan-kinerja": (
        "2026-05-04",
        "75db00af194aac7802081c984d9e2a370058dcba96538ec20e1306a31e50d8b7",
    ),
    "kecamatan-samarinda-ilir/pengumpulan-data-kinerja": (
        "2021-03-01",
        "aa5b4982c2d615076f8a24c7a6bda36104046e10d338a9844cb432c6ab33e741",
    ),
    SEED_004: (
        "2023-10-04",
        "0fb591f72e8632bb0f6b572473f19ef4138407803f5c19dc0a0cb4dfc1518ddb",
    ),
}


def test_the_old_seed_004_text_loads_to_the_same_digest_version_and_items() -> None:
    library = load_paths([LEGACY])
    assert [str(p) for p in library.problems] == []
    old = library.definitions[SEED_004]
    assert (old.version, old.digest) == DIGESTS_BEFORE[SEED_004]
    # The intro line is item 1, as it was encoded then; nothing new is read into it.
    assert old.identity.warnings == (
        "Jika pembuatan SOP ini tidak dilaksanakan akan berdampak :",
        "data kinerja tidak dapat terkumpul dengan baik",
        "pengolahan data kinerja tidak sesuai dengan ketentuan dan kebutuhan pelaporan kinerja",
    )
    assert old.identity.list_style("peringatan") == PLAIN_LIST
    assert old.identity.labels == ()
    assert old.identity.table_title is None
    assert old.identity.not_stated == frozenset()


def test_the_re_encoded_seed_004_differs_only_in_what_the_new_constructs_say() -> None:
    old = load_paths([LEGACY]).definitions[SEED_004]
    new = load_paths([REPO / "sop_defs"]).definitions[SEED_004]
    assert new.version == old.version
    assert new.digest != old.digest
    assert new.identity.warnings == old.identity.warnings[1:]
    assert new.identity.list_style("peringatan").intro == old.identity.warnings[0]
    assert new.identity.list_style("peringatan").marker(2) == "2."
    assert new.identity.label("tanggal_efektif") == "TGL. EFEKTIF"
    assert new.identity.table_title == new.identity.name
    # Everything else, the steps and roles included, is as the old file said.
    unchanged = dataclasses.replace(
        new.identity,
        warnings=old.identity.warnings,
        list_styles=(),
        labels=(),
        table_title=None,
    )
    assert unchanged == old.identity
    assert new.roles == old.roles
    # (A step remembers its line in the file, for messages; the header grew by some lines.)
    assert [dataclasses.replace(s, line=0) for s in new.steps] == [
        dataclasses.replace(s, line=0) for s in old.steps
    ]


def test_the_other_seeds_keep_their_digests_and_versions() -> None:
    library = load_paths([REPO / "sop_defs"])
    for sop_id, before in DIGESTS_BEFORE.items():
        if sop_id != SEED_004:
            definition = library.definitions[sop_id]
            assert (definition.version, definition.digest) == before

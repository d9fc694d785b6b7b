"""Digits that are no numbers ("2¹", "٣") are labels, as printed: never a crash of the loader."""

from __future__ import annotations

import pytest

from sopbot.engine.loader import parse_definition

TEXT = """
sop: {{instansi: X, nomor: ~, nama: Y, tanggal_pembuatan: 1 Mei 2024,
      tanggal_efektif: 1 Mei 2024, disahkan_oleh: {{jabatan: Kepala, nama: Z, nip: "{nip}"}}}}
pelaksana: [{{id: a, nama: A}}]
langkah:
  - {{no: "{no}", kegiatan: satu, pelaksana: a, waktu: 5 menit, jenis_output: tidak_ada,
      lanjut: "{target}"}}
  - {{no: 3, kegiatan: dua, pelaksana: a, waktu: 5 menit, jenis_output: tidak_ada}}
"""


@pytest.mark.parametrize("odd", ["2¹", "٣", "²"])
def test_a_step_number_of_odd_digits_is_a_label(odd: str) -> None:
    text = TEXT.format(no=odd, target=3, nip="197801071997031002")
    result = parse_definition(text, source="x.yaml", sop_id="a/x", agency_key="a")
    assert result.errors == ()
    assert result.definition is not None
    assert result.definition.steps[0].label == odd


@pytest.mark.parametrize("odd", ["2¹", "¹"])
def test_odd_digits_elsewhere_are_problems_not_crashes(odd: str) -> None:
    text = TEXT.format(no=1, target=odd, nip="19780107199703100" + odd)
    result = parse_definition(text, source="x.yaml", sop_id="a/x", agency_key="a")
    assert result.definition is None
    assert result.errors

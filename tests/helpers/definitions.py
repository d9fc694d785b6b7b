"""Factories for small SOP definition texts, with named defaults."""

from __future__ import annotations

from pathlib import Path

HEADER = """\
sop:
  instansi: Dinas Contoh
  nomor: 000.1/2
  nama: Contoh
  tanggal_pembuatan: 4 Mei 2026
  tanggal_efektif: 4 Mei 2026
  disahkan_oleh:
    jabatan: Kepala Dinas
    nama: Budi
"""


def definition_text(
    *,
    header: str = HEADER,
    roles: str = "  - id: kepala_dinas\n    nama: Kepala Dinas\n"
    "  - id: sekretaris\n    nama: Sekretaris\n",
    steps: str = "  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menindaklanjuti\n    pelaksana: sekretaris\n"
    "    waktu: 1 Hari\n    jenis_output: dokumen\n",
) -> str:
    """A whole definition file; override the part a test is about."""
    return f"{header}pelaksana:\n{roles}langkah:\n{steps}"


AGENCY_FILE_TEXT = "zona_waktu: WITA\n"
"""The agency file `write_definition` puts in a new agency folder."""


def write_definition(root: Path, sop_id: str, text: str, *, zone: str = "WITA") -> Path:
    """Write a definition as `<root>/<agency>/<sop>.yaml` and return its path; a new agency
    folder gets its agency file (instansi.yaml, in `zone`) too, as every agency folder needs
    one."""
    path = root / f"{sop_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    agency_file = path.parent / "instansi.yaml"
    if "/" in sop_id and not agency_file.exists():
        agency_file.write_text(AGENCY_FILE_TEXT.replace("WITA", zone), encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    return path

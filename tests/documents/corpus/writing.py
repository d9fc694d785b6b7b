"""Short ways to write the SOP specs (the corpus holds a few hundred steps)."""

from __future__ import annotations

from tests.documents.corpus.model import Header, Role, Step

LIST_SEPARATOR = "|"


def step(  # noqa: PLR0913 - the cells of a table row, by name
    no: str,
    kegiatan: str,
    by: str,
    waktu: str,
    kelengkapan: str = "-",
    output: str = "-",
    keterangan: str = "",
    *,
    ya: str | None = None,
    tidak: str | None = None,
) -> Step:
    """A step; `by` is one role key or several joined by '+'."""
    return Step(
        no, kegiatan, tuple(by.split("+")), waktu, kelengkapan, output, keterangan, ya, tidak
    )


def roles(*pairs: str) -> tuple[Role, ...]:
    """Roles from 'key=Nama' texts; a trailing '!' on the name marks an outside party."""
    made = []
    for pair in pairs:
        key, nama = pair.split("=", 1)
        made.append(Role(key, nama.rstrip("!"), luar=nama.endswith("!")))
    return tuple(made)


def items(text: str) -> tuple[str, ...]:
    """A header list from 'a | b | c'."""
    return tuple(part.strip() for part in text.split(LIST_SEPARATOR) if part.strip())


def header(  # noqa: PLR0913 - the fields of the identity header, by name
    *,
    pemerintah: str,
    instansi: str,
    unit: str = "",
    nomor: str,
    nama: str,
    dibuat: str,
    revisi: str = "-",
    efektif: str,
    jabatan: str,
    pejabat: str,
    pangkat: str = "",
    nip: str = "",
    dasar: str,
    kualifikasi: str,
    keterkaitan: str = "-",
    peralatan: str,
    peringatan: str,
    pencatatan: str,
) -> Header:
    """A header from keyword texts; the lists as 'a | b | c'."""
    return Header(
        pemerintah,
        instansi,
        unit,
        nomor,
        nama,
        dibuat,
        revisi,
        efektif,
        jabatan,
        pejabat,
        pangkat,
        nip,
        items(dasar),
        items(kualifikasi),
        items(keterkaitan),
        items(peralatan),
        items(peringatan),
        items(pencatatan),
    )

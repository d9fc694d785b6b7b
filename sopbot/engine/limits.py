"""How big an SOP definition may be: caps that keep one careless or hostile file cheap to refuse.

`sopbot run` loads every agency's files at start-up, so a single file must never cost more than
a small, known amount of memory and time. Each cap is several times what a real Permenpan RB
35/2012 SOP holds (the seeds under sop_defs/ are the measure), so no honest SOP meets one; the
texts of one step together stay well inside one Telegram message (4,096 characters). The caps are
documented in docs/sop-format.md ("Limits").
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

MAX_FILE_BYTES: Final = 1_000_000
"""A definition file's size in bytes; checked before the file is read, so a huge file is not."""

MAX_STEPS: Final = 500
"""Steps in `langkah`; a real SOP has tens. Checked before any step is looked at."""

MAX_ROLES: Final = 50
"""Roles in `pelaksana` (the Pelaksana columns of the table; a real SOP has a handful)."""

MAX_LIST_ITEMS: Final = 100
"""Items in each list of the header (`dasar_hukum`, `peringatan`, ...)."""

MAX_STEP_NUMBER: Final = 9_999
"""The highest step number (and branch target); keeps numbers small enough for any database."""

MAX_STEP_EXECUTORS: Final = 10
"""Roles that execute one step together (a joint meeting, an initialling chain)."""

MAX_BRANCHES: Final = 6
"""Answers of one labelled question: each is a button on the holder's phone."""

MAX_NESTING: Final = 100
"""How deeply lists and mappings may nest (an SOP needs five levels); YAML's own C parser stops
at 1,000, and the pure-Python composer would run out of stack before that."""

HEADER_LISTS: Final = (
    "dasar_hukum",
    "kualifikasi_pelaksana",
    "keterkaitan",
    "peralatan_perlengkapan",
    "peringatan",
    "pencatatan_pendataan",
)
"""The header's lists of texts, one item per numbered line of the document."""

TEXT_CAPS: Final = MappingProxyType(
    {
        # the identity header ('sop')
        "sop.nomor": 100,
        "sop.nama": 500,
        "sop.instansi": 300,
        "sop.pemerintah": 300,
        "sop.unit": 300,
        "sop.tanggal_pembuatan": 50,
        "sop.tanggal_revisi": 50,
        "sop.tanggal_efektif": 50,
        "sop.revisi": 50,
        "sop.judul_tabel": 500,
        "sop.label": 100,  # each of the document's own labels (`label:`)
        "sop.pengantar": 1_500,  # the intro line of a header list
        "sop.penomoran": 10,
        # each item of a header list: regulation titles run to several hundred characters
        **{f"sop.{key}": 1_500 for key in HEADER_LISTS},
        # 'disahkan_oleh'
        "disahkan_oleh.jabatan": 300,
        "disahkan_oleh.nama": 200,
        "disahkan_oleh.pangkat": 100,
        "disahkan_oleh.nip": 30,
        # 'pelaksana': the roles
        "pelaksana.id": 50,
        "pelaksana.nama": 200,
        "pelaksana.pemegang": 50,
        "pelaksana.dicatat_oleh": 50,
        # 'langkah': the steps
        "langkah.kegiatan": 1_000,
        "langkah.pelaksana": 50,
        "langkah.kelengkapan": 500,
        "langkah.waktu": 50,
        "langkah.output": 300,
        "langkah.jenis_output": 50,
        "langkah.keterangan": 500,
        "langkah.pemegang": 50,
        "langkah.no": 20,
        "langkah.bersama": 50,
        "keputusan.pertanyaan": 200,
        # the answers of a labelled question: each is a button
        "pilihan.jawaban": 60,
    }
)
"""The most characters each text field may hold, by `<section>.<key>`."""

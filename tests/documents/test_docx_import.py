"""Importing Word SOPs: executors from the symbols drawn in the Pelaksana columns, however Word
users draw them, and the header and table in their usual layouts."""

from __future__ import annotations

import yaml

from sopbot.documents.importing import import_bytes
from sopbot.engine.draft_marks import is_undecided
from tests.documents.docx_samples import Row, Sample, build

ROLES = ["Kepala Dinas", "Sekretaris", "Kasubag Umum", "Pengadministrasi Umum"]


def _draft(sample: Sample) -> dict:  # type: ignore[type-arg]
    result = import_bytes(build(sample), "contoh.docx", agency_key="diskominfo")
    assert result.refusal is None
    loaded: dict = yaml.load(result.draft, Loader=yaml.BaseLoader)  # type: ignore[type-arg]  # noqa: S506 - BaseLoader is safe
    return loaded


def _executors(sample: Sample) -> list[object]:
    return [step["pelaksana"] for step in _draft(sample)["langkah"]]


def test_each_way_of_drawing_a_symbol_names_its_column() -> None:
    rows = [
        Row("1", "Menerima surat masuk", [3], symbol="flowChartTerminator"),
        Row("2", "Meneruskan surat", [2], symbol="vml:109"),
        Row("3", "Menelaah surat", [1], symbol="picture:box"),
        Row("4", "Memberi disposisi", [0], symbol="rect"),
        Row("5", "Mencatat disposisi", [3], symbol="mark:√"),
        Row("6", "Menyerahkan surat", [2], symbol="mark:V"),
        Row("7", "Mengarsipkan", [3], symbol="picture:rounded"),
    ]
    assert _executors(Sample(ROLES, rows)) == [
        "pengadministrasi_umum",
        "kasubag_umum",
        "sekretaris",
        "kepala_dinas",
        "pengadministrasi_umum",
        "kasubag_umum",
        "pengadministrasi_umum",
    ]


def test_a_shape_placed_by_its_offset_counts_where_it_stands_not_where_it_is_anchored() -> None:
    rows = [
        Row("1", "Menerima surat", [0]),
        Row("2", "Mengarsipkan", [0], offset_to=3),
        Row("3", "Melapor", [0], offset_to=1),
    ]
    assert _executors(Sample(ROLES, rows)) == [
        "kepala_dinas",
        "pengadministrasi_umum",
        "sekretaris",
    ]


def test_one_symbol_across_merged_role_cells_means_all_of_them() -> None:
    rows = [Row("1", "Rapat pembahasan", [1, 2], merged=True), Row("2", "Arsip", [3])]
    step = _draft(Sample(ROLES, rows))["langkah"][0]
    assert step["pelaksana"] == ["sekretaris", "kasubag_umum"]
    assert step["bersama"] == "semua"


def test_labels_beside_a_diamond_are_not_executors_and_the_fallback_is_not_counted_twice() -> None:
    rows = [
        Row("1", "Mengajukan konsep", [3]),
        Row("2", "Memeriksa konsep", [2], symbol="flowChartDecision", labels=["Ya", "Tidak"]),
        Row("3", "Menandatangani", [0]),
    ]
    steps = _draft(Sample(ROLES, rows))["langkah"]
    assert steps[1]["pelaksana"] == "kasubag_umum"
    # no arrow and no note: "tidak" goes back to the step before, done by someone else
    assert steps[1]["keputusan"] == {"ya": "3", "tidak": "1"}


def test_a_decision_drawn_as_a_box_with_ya_and_tidak_labels_is_a_decision() -> None:
    rows = [
        Row("1", "Mengajukan konsep", [3]),
        Row(
            "2", "Memeriksa konsep", [2], labels=["Ya", "Tidak"], remarks="Tidak: kembali ke no. 1"
        ),
        Row("3", "Menandatangani", [0]),
    ]
    step = _draft(Sample(ROLES, rows))["langkah"][1]
    assert step["keputusan"] == {"ya": "3", "tidak": "1"}
    assert step["keterangan"] == "Tidak: kembali ke no. 1"  # the agency's words are kept


def test_a_table_split_over_pages_reads_as_one_with_or_without_the_header_again() -> None:
    rows = [Row(str(n), f"Kegiatan {n}", [n % 4]) for n in range(1, 9)]
    for repeat in (True, False):
        draft = _draft(Sample(ROLES, rows, split_after=5, repeat_header=repeat))
        assert [s["no"] for s in draft["langkah"]] == [str(n) for n in range(1, 9)]
        assert [s["pelaksana"] for s in draft["langkah"]][5] == "kasubag_umum"  # 6 % 4


def test_a_row_with_no_symbol_is_left_to_decide_and_the_draft_does_not_load() -> None:
    rows = [
        Row("1", "Menerima surat dan menyampaikan kepada Sekretaris", [3]),
        Row("2", "Menelaah surat", []),
        Row("3", "Mengarsipkan", [3], time="1-2 Hari"),
    ]
    result = import_bytes(build(Sample(ROLES, rows)), "contoh.docx", agency_key="diskominfo")
    draft = yaml.load(result.draft, Loader=yaml.BaseLoader)  # noqa: S506
    assert draft["langkah"][1]["pelaksana"] == "?? sekretaris"
    assert draft["langkah"][2]["waktu"] == {"tertulis": "1-2 Hari", "baku": "??"}
    assert result.definition is None
    undecided = [p for p in result.errors if "still to be decided" in p.message]
    assert len(undecided) == 2
    assert result.counts["undecided"] == 2
    assert all(is_undecided(v) for v in ("?? sekretaris", "??"))


def test_the_header_is_read_with_its_own_labels() -> None:
    rows = [Row("1", "Menerima surat", [3]), Row("2", "Mengarsipkan", [3])]
    header = _draft(Sample(ROLES, rows))["sop"]
    assert header["pemerintah"] == "PEMERINTAH KOTA SAMARINDA"
    assert header["instansi"] == "DINAS KOMUNIKASI DAN INFORMATIKA"
    assert header["nomor"] == "800/123/Diskominfo"
    assert header["nama"] == "Pengelolaan Surat Masuk"
    assert header["tanggal_efektif"] == "15 Januari 2024"
    assert header["disahkan_oleh"] == {
        "jabatan": "Kepala Dinas Komunikasi dan Informatika",
        "nama": "Drs. H. AHMAD YANI, M.Si",
        "pangkat": "Pembina Utama Muda (IV/c)",
        "nip": "19700101 199503 1 002",
    }
    assert header["kualifikasi_pelaksana"] == [
        "Memahami tata naskah dinas",
        "Mampu mengoperasikan komputer",
    ]
    assert header["label"]["tanggal_efektif"] == "Tgl. Efektif"
    assert header["judul_tabel"] == "PROSEDUR PENGELOLAAN SURAT MASUK"


def test_a_complete_draft_loads_as_a_definition() -> None:
    rows = [
        Row("1", "Menerima surat", [3], symbol="flowChartTerminator", output="Surat masuk"),
        Row("2", "Memberi disposisi", [0], output="Disposisi"),
        Row("3", "Mengarsipkan", [3], symbol="flowChartTerminator"),
    ]
    result = import_bytes(build(Sample(ROLES, rows)), "contoh.docx", agency_key="diskominfo")
    assert result.errors == ()
    assert result.definition is not None
    assert [s.roles for s in result.definition.steps] == [
        ("pengadministrasi_umum",),
        ("kepala_dinas",),
        ("pengadministrasi_umum",),
    ]
    assert [s.output_kind.value for s in result.definition.steps] == [
        "dokumen",
        "catatan",
        "tidak_ada",
    ]

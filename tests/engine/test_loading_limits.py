"""The caps on a definition's size, and what loading an SOP costs as it grows.

Costs are measured by counting function calls (sys.setprofile), never by timing: a count does
not depend on how busy the machine is, and a quadratic check shows as a count that quadruples
when the table doubles.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from bench.sop_loading import sop_with_loops
from sopbot.engine import field_reader, flow_checks, loader, step_reader
from sopbot.engine.limits import (
    HEADER_LISTS,
    MAX_FILE_BYTES,
    MAX_LIST_ITEMS,
    MAX_ROLES,
    MAX_STEPS,
    TEXT_CAPS,
)
from sopbot.engine.loader import LoadResult, parse_definition
from sopbot.engine.problems import Problem
from sopbot.engine.yaml_nodes import shown
from tests.helpers.definitions import definition_text, write_definition

# --- counting -------------------------------------------------------------------------------


def _count_calls(work: Callable[[], object], *, only_from: tuple[str, ...]) -> int:
    """Function calls (Python and built-in) made from the source files `only_from` (paths or
    folders) while `work` runs: sopbot's own work, without what PyYAML does when asked."""
    count = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event not in ("call", "c_call"):
            return
        caller = frame.f_back if event == "call" else frame
        if caller is not None and caller.f_code.co_filename.startswith(only_from):
            count += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


_ENGINE = (str(Path(loader.__file__).parent),)
# The validator beyond reading YAML: building the steps and checking the flow.
_VALIDATOR = (loader.__file__, step_reader.__file__, field_reader.__file__, flow_checks.__file__)


def _parse(text: str) -> LoadResult:
    return parse_definition(text, source="uji.yaml", sop_id="uji/muat", agency_key="uji")


def _shown(problems: tuple[Problem, ...]) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in problems]


_LANGKAH_LINE = 11  # 'langkah:' in sop_with_loops


# --- the step cap ---------------------------------------------------------------------------


def test_a_10000_step_definition_with_a_loop_is_refused_by_the_step_cap_alone() -> None:
    text = sop_with_loops(10_000, decision_every=0, way_out=False)
    assert len(text.encode()) < MAX_FILE_BYTES  # so the step cap, not the size cap, refuses it
    result = _parse(text)
    assert result.definition is None
    # No step was examined: no loop is reported, no step's problem.
    assert _shown(result.problems) == [
        (
            _LANGKAH_LINE,
            "'langkah' has 10,000 steps; an SOP may have at most 500: split the procedure into "
            "several SOPs and name them under 'keterkaitan'",
        )
    ]


def test_refusing_10000_steps_costs_the_validator_less_than_validating_50() -> None:
    """Beyond parsing the YAML (linear in the file's size), the refusal is a constant cost."""
    huge = sop_with_loops(10_000, decision_every=0, way_out=False)
    small = sop_with_loops(50)
    refusing = _count_calls(lambda: _parse(huge), only_from=_VALIDATOR)
    validating = _count_calls(lambda: _parse(small), only_from=_VALIDATOR)
    assert refusing < validating


def test_the_step_cap_is_inclusive() -> None:
    assert _parse(sop_with_loops(MAX_STEPS)).definition is not None
    over = _parse(sop_with_loops(MAX_STEPS + 1))
    assert over.definition is None
    assert [line for line, _ in _shown(over.problems)] == [_LANGKAH_LINE]


@pytest.mark.parametrize("way_out", [True, False], ids=["loops-with-exits", "closed-loop"])
def test_validation_grows_linearly_with_the_steps(way_out: bool) -> None:
    """Doubling the table (up to the cap) about doubles the work; a quadratic check would
    quadruple it."""

    def calls(steps: int) -> int:
        text = sop_with_loops(steps, way_out=way_out)
        result = _parse(text)
        assert (result.definition is not None) is way_out
        return _count_calls(lambda: _parse(text), only_from=_ENGINE)

    half, full = calls(MAX_STEPS // 2), calls(MAX_STEPS)
    assert full < 2.5 * half, (half, full)


def test_a_closed_loop_of_the_whole_table_is_reported_once() -> None:
    result = _parse(sop_with_loops(20, way_out=False))
    numbers = ", ".join(str(n) for n in range(1, 21))
    assert _shown(result.problems) == [
        (
            12,
            f"steps {numbers} loop with no way out: none of them leads to the end of the "
            "procedure; give one of them a branch that leaves the loop",
        )
    ]


# --- the size cap ---------------------------------------------------------------------------


def _padded_to(size: int) -> str:
    """A valid definition padded by a trailing comment to exactly `size` bytes."""
    text = definition_text()
    return text + "#" + "x" * (size - len(text.encode()) - 2) + "\n"


def test_a_file_of_exactly_the_size_cap_loads(tmp_path: Path) -> None:
    path = write_definition(tmp_path, "dinas-a/batas", _padded_to(MAX_FILE_BYTES))
    assert path.stat().st_size == MAX_FILE_BYTES
    result = loader.load_definition_file(
        path, sop_id="dinas-a/batas", agency_key="dinas-a", shown_as=str(path)
    )
    assert result.definition is not None, result.problems


def test_a_file_over_the_size_cap_is_refused_whatever_it_holds(tmp_path: Path) -> None:
    # A valid definition with a kegiatan of a million characters: loaded before the cap.
    text = definition_text().replace("Memberi disposisi", "x" * MAX_FILE_BYTES)
    path = write_definition(tmp_path, "dinas-a/besar", text)
    size = path.stat().st_size
    result = loader.load_definition_file(
        path, sop_id="dinas-a/besar", agency_key="dinas-a", shown_as=str(path)
    )
    assert result.definition is None
    assert [str(p) for p in result.problems] == [
        f"{path}:1: the file is {size:,} bytes; an SOP definition file may be at most "
        "1,000,000 bytes (1 MB), far more than any real SOP needs: check that it is the right "
        "file, or split the SOP into several"
    ]


def test_a_text_over_the_size_cap_is_refused_when_parsed_directly() -> None:
    # The stored copy of a definition is parsed from text, not from a file.
    result = _parse(_padded_to(MAX_FILE_BYTES + 1))
    assert result.definition is None
    assert [line for line, _ in _shown(result.problems)] == [1]
    assert "1,000,001 bytes" in result.problems[0].message


def test_a_pipe_named_like_a_definition_is_refused_without_waiting(tmp_path: Path) -> None:
    pipe = tmp_path / "dinas-a" / "pipa.yaml"
    pipe.parent.mkdir()
    os.mkfifo(pipe)
    result = loader.load_definition_file(
        pipe, sop_id="dinas-a/pipa", agency_key="dinas-a", shown_as=str(pipe)
    )
    assert [str(p) for p in result.problems] == [
        f"{pipe}:1: this is not a regular file; an SOP definition is a .yaml file"
    ]


# --- the caps on texts and lists ------------------------------------------------------------

# Every field that holds text, with the value it has when it is not the one being tested.
_PLAIN_VALUES = {
    "sop.pemerintah": "PEMERINTAH KOTA UJI",
    "sop.instansi": "DINAS UJI",
    "sop.unit": "Sekretariat",
    "sop.nomor": "800/1/2026",
    "sop.nama": "SOP Uji Batas",
    "sop.tanggal_pembuatan": "2 Januari 2026",
    "sop.tanggal_revisi": '"-"',
    "sop.tanggal_efektif": "5 Januari 2026",
    "sop.revisi": "1",
    "sop.judul_tabel": "PROSEDUR UJI BATAS",
    "sop.label": "Tanggal Pengesahan",
    "sop.pengantar": "Apabila SOP ini tidak dilaksanakan, maka",
    "sop.penomoran": "a)",
    **{f"sop.{key}": f"Isi {key}" for key in HEADER_LISTS},
    "disahkan_oleh.jabatan": "Kepala Dinas Uji",
    "disahkan_oleh.nama": "BUDI",
    "disahkan_oleh.pangkat": "Pembina (IV/a)",
    "disahkan_oleh.nip": '"197801071997031002"',
    "pelaksana.id": "kepala_dinas",
    "pelaksana.nama": "Kepala Dinas",
    "pelaksana.pemegang": "salah_satu",
    "langkah.kegiatan": "Memberi disposisi",
    "langkah.pelaksana": "kepala_dinas",
    "langkah.kelengkapan": "Surat masuk",
    "langkah.waktu": "5 Menit",
    "langkah.output": "Disposisi",
    "langkah.jenis_output": "catatan",
    "langkah.keterangan": "Lihat SOP Pelaporan",
    "langkah.pemegang": "salah_satu",
    "keputusan.pertanyaan": "Sudah sesuai?",
    "pelaksana.dicatat_oleh": "sekretaris",
    "langkah.no": "3",
    "langkah.bersama": "berurutan",
    "pilihan.jawaban": "Lengkap",
}

# Where each field is named in messages (the id's message names the role by its long id).
_WHERE = {
    "sop.pemerintah": "'pemerintah'",
    "sop.instansi": "'instansi' in the header",
    "sop.unit": "'unit' in the header",
    "sop.nomor": "'nomor' in the header",
    "sop.nama": "'nama' in the header",
    "sop.tanggal_pembuatan": "'tanggal_pembuatan'",
    "sop.tanggal_revisi": "'tanggal_revisi'",
    "sop.tanggal_efektif": "'tanggal_efektif'",
    "sop.revisi": "'revisi' in the header",
    "sop.judul_tabel": "'judul_tabel' in the header",
    "sop.label": "the label of 'tanggal_efektif'",
    "sop.pengantar": "'pengantar' of 'peringatan' in the header",
    "sop.penomoran": "'penomoran' of 'peringatan' in the header",
    **{f"sop.{key}": f"item 1 of '{key}' in the header" for key in HEADER_LISTS},
    # the one list written with an intro line and its numbering
    "sop.peringatan": "item 1 of 'butir' of 'peringatan' in the header",
    "disahkan_oleh.jabatan": "'jabatan' in 'disahkan_oleh'",
    "disahkan_oleh.nama": "'nama' in 'disahkan_oleh'",
    "disahkan_oleh.pangkat": "'pangkat' in 'disahkan_oleh'",
    "disahkan_oleh.nip": "'nip' in 'disahkan_oleh'",
    "pelaksana.id": "the id of role '" + "x" * (TEXT_CAPS["pelaksana.id"] + 1) + "'",
    "pelaksana.nama": "'nama' of role 'kepala_dinas'",
    "pelaksana.pemegang": "'pemegang' of role 'kepala_dinas'",
    "langkah.kegiatan": "'kegiatan' of step 1",
    "langkah.pelaksana": "'pelaksana' of step 1",
    "langkah.kelengkapan": "'kelengkapan' of step 1",
    "langkah.waktu": "'waktu' of step 1",
    "langkah.output": "'output' of step 1",
    "langkah.jenis_output": "'jenis_output' of step 1",
    "langkah.keterangan": "'keterangan' of step 1",
    "langkah.pemegang": "'pemegang' of step 1",
    "keputusan.pertanyaan": "'pertanyaan' of step 2",
    "pelaksana.dicatat_oleh": "'dicatat_oleh' of role 'pemohon'",
    "langkah.no": "'no' of step " + shown("x" * (TEXT_CAPS["langkah.no"] + 1)),
    "langkah.bersama": "'bersama' of step 3",
    "pilihan.jawaban": "'jawaban' of answer 1 of step 3",
}

# Fields whose words are free: these can be filled to their cap and still load.
_FREE_TEXT = [
    key
    for key in TEXT_CAPS
    if key.split(".")[1] not in ("tanggal_pembuatan", "tanggal_revisi", "tanggal_efektif", "nip")
    and key.split(".")[1]
    not in (
        "waktu",
        "jenis_output",
        "pemegang",
        "id",
        "pelaksana",
        "penomoran",
        "dicatat_oleh",
        "bersama",
    )
]


def _every_field(values: dict[str, str]) -> str:
    """A definition that uses every text field, each on its own line."""
    v = values
    lists = "".join(
        f"  {key}:\n    - {v[f'sop.{key}']}\n" for key in HEADER_LISTS if key != "peringatan"
    )
    return (
        "sop:\n"
        f"  pemerintah: {v['sop.pemerintah']}\n"
        f"  instansi: {v['sop.instansi']}\n"
        f"  unit: {v['sop.unit']}\n"
        f"  nomor: {v['sop.nomor']}\n"
        f"  nama: {v['sop.nama']}\n"
        f"  tanggal_pembuatan: {v['sop.tanggal_pembuatan']}\n"
        f"  tanggal_revisi: {v['sop.tanggal_revisi']}\n"
        f"  tanggal_efektif: {v['sop.tanggal_efektif']}\n"
        f"  revisi: {v['sop.revisi']}\n"
        f"  judul_tabel: {v['sop.judul_tabel']}\n"
        f"  label: {{tanggal_efektif: {v['sop.label']}}}\n"
        "  peringatan:\n"
        f"    pengantar: {v['sop.pengantar']}\n"
        f"    penomoran: {v['sop.penomoran']}\n"
        f"    butir: [{v['sop.peringatan']}]\n"
        "  disahkan_oleh:\n"
        f"    jabatan: {v['disahkan_oleh.jabatan']}\n"
        f"    nama: {v['disahkan_oleh.nama']}\n"
        f"    pangkat: {v['disahkan_oleh.pangkat']}\n"
        f"    nip: {v['disahkan_oleh.nip']}\n"
        f"{lists}"
        "pelaksana:\n"
        f"  - id: {v['pelaksana.id']}\n"
        f"    nama: {v['pelaksana.nama']}\n"
        f"    pemegang: {v['pelaksana.pemegang']}\n"
        "  - id: sekretaris\n"
        "    nama: Sekretaris\n"
        "  - id: pemohon\n"
        "    nama: Pemohon\n"
        "    pihak_luar: ya\n"
        f"    dicatat_oleh: {v['pelaksana.dicatat_oleh']}\n"
        "langkah:\n"
        "  - no: 1\n"
        f"    kegiatan: {v['langkah.kegiatan']}\n"
        f"    pelaksana: {v['langkah.pelaksana']}\n"
        f"    kelengkapan: {v['langkah.kelengkapan']}\n"
        f"    waktu: {v['langkah.waktu']}\n"
        f"    output: {v['langkah.output']}\n"
        f"    jenis_output: {v['langkah.jenis_output']}\n"
        f"    keterangan: {v['langkah.keterangan']}\n"
        f"    pemegang: {v['langkah.pemegang']}\n"
        "  - no: 2\n"
        "    kegiatan: Memeriksa\n"
        "    pelaksana: sekretaris\n"
        "    waktu: 1 Hari\n"
        "    jenis_output: catatan\n"
        "    keputusan:\n"
        f"      pertanyaan: {v['keputusan.pertanyaan']}\n"
        "      ya: 3\n"
        "      tidak: 1\n"
        f"  - no: {v['langkah.no']}\n"
        "    kegiatan: Menyerahkan berkas\n"
        "    pelaksana: [pemohon, sekretaris]\n"
        f"    bersama: {v['langkah.bersama']}\n"
        "    waktu: 1 Hari\n"
        "    jenis_output: catatan\n"
        "    pertanyaan:\n"
        "      teks: Berkas lengkap?\n"
        "      pilihan:\n"
        f"        - jawaban: {v['pilihan.jawaban']}\n"
        "          lanjut: selesai\n"
        "        - jawaban: Belum\n"
        "          lanjut: 1\n"
        "          tolak: ya\n"
    )


def test_the_caps_cover_exactly_the_text_fields_of_the_format() -> None:
    assert set(TEXT_CAPS) == set(_PLAIN_VALUES) == set(_WHERE)


def test_every_free_text_filled_to_its_cap_still_loads() -> None:
    at_cap = {**_PLAIN_VALUES, **{key: "x" * TEXT_CAPS[key] for key in _FREE_TEXT}}
    # An id may be as long as its cap too, as long as the steps use it.
    long_id = "a" * TEXT_CAPS["pelaksana.id"]
    at_cap["pelaksana.id"] = at_cap["langkah.pelaksana"] = long_id
    result = _parse(_every_field(at_cap))
    assert result.definition is not None, result.problems
    assert result.definition.steps[0].activity == "x" * TEXT_CAPS["langkah.kegiatan"]


@pytest.mark.parametrize("field", sorted(TEXT_CAPS))
def test_a_text_one_character_over_its_cap_is_refused_on_its_line(field: str) -> None:
    cap = TEXT_CAPS[field]
    marker = "x" * (cap + 1)
    text = _every_field({**_PLAIN_VALUES, field: marker})
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if marker in row)
    result = _parse(text)
    assert result.definition is None
    assert _shown(result.problems) == [
        (
            line,
            f"{_WHERE[field]} is {cap + 1:,} characters long; shorten it to at most "
            f"{cap:,} characters",
        )
    ]


def test_more_roles_than_the_cap_are_refused_at_pelaksana() -> None:
    roles = "".join(f"  - id: r{n}\n    nama: Peran {n}\n" for n in range(MAX_ROLES + 1))
    text = definition_text(roles=roles)
    result = _parse(text)
    assert result.definition is None
    assert _shown(result.problems) == [
        (
            text.splitlines().index("pelaksana:") + 1,
            f"'pelaksana' has {MAX_ROLES + 1} roles; an SOP may have at most {MAX_ROLES} "
            "Pelaksana columns: check that each item is a column of the SOP's table",
        )
    ]


def test_a_header_list_longer_than_the_cap_is_refused_at_its_first_item() -> None:
    items = "".join(f"    - Peraturan {n}\n" for n in range(MAX_LIST_ITEMS + 1))
    header = definition_text().split("pelaksana:")[0] + "  dasar_hukum:\n" + items
    text = definition_text(header=header)
    result = _parse(text)
    assert result.definition is None
    assert _shown(result.problems) == [
        (
            text.splitlines().index("    - Peraturan 0") + 1,
            f"'dasar_hukum' in the header has {MAX_LIST_ITEMS + 1} items; list at most "
            f"{MAX_LIST_ITEMS} (one for each numbered line of the document)",
        )
    ]


def test_a_huge_unknown_key_is_quoted_cut_short() -> None:
    text = definition_text().replace("  nama: Contoh\n", "  nama: Contoh\n  " + "k" * 900 + ": 1\n")
    result = _parse(text)
    assert result.definition is None
    [problem] = result.problems
    assert problem.message.startswith("unknown key '" + "k" * 57 + "...' in the header 'sop'")
    assert len(problem.message) < 400


def test_a_lone_surrogate_in_a_stored_text_is_reported_on_its_line() -> None:
    # Text read from a file cannot hold one; a text handed over directly might.
    text = definition_text().replace("Menindaklanjuti", "Menindak\ud800lanjuti")
    result = _parse(text)
    assert result.definition is None
    assert _shown(result.problems) == [
        (
            text.splitlines().index("    kegiatan: Menindak\ud800lanjuti") + 1,
            "the file holds the character U+D800, which YAML does not allow; remove it (it is "
            "often pasted in invisibly from a word processor)",
        )
    ]

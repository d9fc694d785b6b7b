"""Loading a folder of definitions: clean files load, broken files are left out whole."""

from __future__ import annotations

from pathlib import Path

from sopbot.engine.library import load_library, load_paths
from sopbot.engine.loader import parse_definition
from sopbot.engine.problems import Severity
from tests.helpers.definitions import HEADER, definition_text, write_definition


def test_a_broken_file_is_left_out_and_the_others_load(tmp_path: Path) -> None:
    write_definition(tmp_path, "dinas-a/baik", definition_text())
    broken = write_definition(
        tmp_path,
        "dinas-a/rusak",
        definition_text().replace("pelaksana: sekretaris", "pelaksana: x"),
    )
    library = load_library(tmp_path)
    assert list(library.definitions) == ["dinas-a/baik"]
    assert [(p.file, p.line) for p in library.errors] == [(str(broken), 23)]
    assert library.get("dinas-a/rusak") is None


def test_ids_come_from_agency_folder_and_file_name(tmp_path: Path) -> None:
    write_definition(tmp_path, "kecamatan-x/sop-satu", definition_text())
    definition = load_library(tmp_path).definitions["kecamatan-x/sop-satu"]
    assert definition.agency_key == "kecamatan-x"
    assert load_library(tmp_path).for_agency("kecamatan-x") == [definition]


def test_one_agency_folder_or_one_file_can_be_given(tmp_path: Path) -> None:
    path = write_definition(tmp_path, "dinas-a/baik", definition_text())
    assert list(load_paths([tmp_path / "dinas-a"]).definitions) == ["dinas-a/baik"]
    assert list(load_paths([path]).definitions) == ["dinas-a/baik"]


def test_a_file_outside_an_agency_folder_is_refused(tmp_path: Path) -> None:
    write_definition(tmp_path, "dinas-a/baik", definition_text())
    stray = write_definition(tmp_path, "lepas", definition_text())
    library = load_library(tmp_path)
    assert [str(p) for p in library.errors] == [
        f"{stray}:1: an SOP file belongs in a folder per agency: <root>/<agency>/<sop>.yaml"
    ]


def test_two_files_with_one_id_are_refused(tmp_path: Path) -> None:
    write_definition(tmp_path, "dinas-a/sama", definition_text())
    twin = tmp_path / "dinas-a" / "sama.yml"
    twin.write_text(definition_text(), encoding="utf-8")
    library = load_library(tmp_path)
    assert list(library.definitions) == ["dinas-a/sama"]
    assert [p.message for p in library.errors] == [
        f"the SOP id 'dinas-a/sama' is also used by {tmp_path / 'dinas-a' / 'sama.yaml'}; "
        "rename one of the files"
    ]


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dinas-a" / "latin.yaml"
    path.parent.mkdir()
    path.write_bytes(definition_text().replace("Budi", "Bùdi").encode("latin-1"))
    assert [str(p) for p in load_library(tmp_path).problems] == [
        f"{path}:1: the file is not UTF-8 text; save it as UTF-8"
    ]


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    assert [p.message for p in load_library(tmp_path / "tiada").problems] == [
        "no such folder; point at the folder that holds one folder per agency"
    ]


def test_unused_roles_and_number_gaps_are_warnings_that_still_load() -> None:
    text = definition_text(
        roles="  - id: kepala_dinas\n    nama: Kepala Dinas\n"
        "  - id: sekretaris\n    nama: Sekretaris\n  - id: staf\n    nama: Staf\n",
        steps="  - no: 1\n    kegiatan: A\n    pelaksana: kepala_dinas\n"
        "    waktu: 5 Menit\n    jenis_output: catatan\n"
        "  - no: 3\n    kegiatan: B\n    pelaksana: sekretaris\n"
        "    waktu: 5 Menit\n    jenis_output: catatan\n",
    )
    result = parse_definition(text, source="x.yaml", sop_id="a/x", agency_key="a")
    assert result.definition is not None
    assert [(p.severity, str(p)) for p in result.problems] == [
        (
            Severity.WARNING,
            "x.yaml:15: warning: role 'staf' (Staf) does no step; remove it or give it a step",
        ),
        (Severity.WARNING, "x.yaml:23: warning: step numbers jump from 1 to 3; is a step missing?"),
    ]


def test_version_prefers_explicit_revision_then_revision_date() -> None:
    def version(header: str) -> str:
        result = parse_definition(
            definition_text(header=header), source="x.yaml", sop_id="a/x", agency_key="a"
        )
        assert result.definition is not None, result.problems
        return result.definition.version

    assert version(HEADER) == "2026-05-04"
    assert version(HEADER + "  tanggal_revisi: 1 Juni 2026\n") == "2026-06-01"
    assert version(HEADER + "  tanggal_revisi: 1 Juni 2026\n  revisi: 2\n") == "revisi 2"


def test_digest_ignores_comments_and_layout_but_not_content() -> None:
    def digest(text: str) -> str:
        result = parse_definition(text, source="x.yaml", sop_id="a/x", agency_key="a")
        assert result.definition is not None
        return result.definition.digest

    base = definition_text()
    commented = "# catatan\n" + base.replace("nama: Contoh", "nama:   Contoh   # judul")
    changed = base.replace("waktu: 1 Hari", "waktu: 2 Hari")
    assert digest(base) == digest(commented)
    assert digest(base) != digest(changed)


def test_decisions_may_end_the_procedure_early() -> None:
    text = definition_text(
        steps="  - no: 1\n    kegiatan: A\n    pelaksana: kepala_dinas\n"
        "    waktu: 5 Menit\n    jenis_output: catatan\n"
        "  - no: 2\n    kegiatan: Periksa\n    pelaksana: sekretaris\n"
        "    waktu: 5 Menit\n    jenis_output: catatan\n"
        "    keputusan:\n      ya: selesai\n      tidak: 1\n"
    )
    result = parse_definition(text, source="x.yaml", sop_id="a/x", agency_key="a")
    assert result.definition is not None
    decision = result.definition.step(2).decision
    assert decision is not None
    assert (decision.yes, decision.no) == (0, 1)

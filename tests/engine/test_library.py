"""Loading a folder of definitions: clean files load, broken files are left out whole."""

from __future__ import annotations

from pathlib import Path

from bench.sop_loading import sop_with_loops
from sopbot.engine.library import load_library, load_paths
from sopbot.engine.limits import MAX_FILE_BYTES
from sopbot.engine.loader import parse_definition
from sopbot.engine.problems import Severity
from tests.helpers.definitions import AGENCY_FILE_TEXT, HEADER, definition_text, write_definition


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
    (path.parent / "instansi.yaml").write_text(AGENCY_FILE_TEXT, encoding="utf-8")
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


def _with(old: str, new: str) -> str:
    """The default definition with one piece replaced (which must be there)."""
    text = definition_text()
    assert old in text
    return text.replace(old, new, 1)


def test_hostile_files_are_reported_and_every_other_sop_of_every_agency_loads(
    tmp_path: Path,
) -> None:
    """What `sopbot run` loads: each broken file is left out, alone."""
    write_definition(tmp_path, "dinas-a/baik", definition_text())
    write_definition(tmp_path, "dinas-b/baik", definition_text())
    write_definition(tmp_path, "dinas-c/baik", definition_text())
    broken = [
        # Python refuses to convert a 5,000-digit number (ValueError): this stopped the loading.
        write_definition(tmp_path, "dinas-a/nomor", _with("no: 2", "no: " + "9" * 5000)),
        # A tagged value that PyYAML's constructor cannot convert (ValueError) stopped it too.
        write_definition(tmp_path, "dinas-a/tag", _with("no: 2", "no: !!int dua")),
        write_definition(tmp_path, "dinas-b/panjang", sop_with_loops(10_000, decision_every=0)),
        write_definition(
            tmp_path, "dinas-b/dalam", _with("Menindaklanjuti", "[" * 500 + "]" * 500)
        ),
        write_definition(
            tmp_path, "dinas-c/besar", _with("Memberi disposisi", "x" * MAX_FILE_BYTES)
        ),
    ]
    library = load_library(tmp_path)
    assert list(library.definitions) == ["dinas-a/baik", "dinas-b/baik", "dinas-c/baik"]
    assert sorted({p.file for p in library.errors}) == sorted(str(path) for path in broken)


def _outside(tmp_path: Path) -> Path:
    """A valid definition in a folder next to the SOP folder."""
    return write_definition(tmp_path / "luar", "dinas-x/rahasia", definition_text())


def test_links_that_leave_the_sop_folder_are_reported_and_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "sop_defs"
    write_definition(root, "dinas-a/baik", definition_text())
    secret = _outside(tmp_path)
    file_link = root / "dinas-a" / "pintas.yaml"
    file_link.symlink_to(secret)
    folder_link = root / "dinas-b"
    folder_link.symlink_to(secret.parent, target_is_directory=True)
    library = load_library(root)
    assert list(library.definitions) == ["dinas-a/baik"]
    inside = root.resolve()
    assert sorted(str(p) for p in library.problems) == sorted(
        f"{link}:1: this is a link to {target}, outside the SOP folder {inside}; links out of "
        "the folder are not followed: put the file itself in the folder"
        for link, target in ((file_link, secret.resolve()), (folder_link, secret.parent.resolve()))
    )


def test_links_within_the_sop_folder_are_followed(tmp_path: Path) -> None:
    root = tmp_path / "sop_defs"
    shared = write_definition(root, "dinas-a/bersama", definition_text())
    (root / "dinas-b").mkdir()
    (root / "dinas-b" / "instansi.yaml").symlink_to(root / "dinas-a" / "instansi.yaml")
    (root / "dinas-b" / "bersama.yaml").symlink_to(shared)
    library = load_library(root)
    assert list(library.definitions) == ["dinas-a/bersama", "dinas-b/bersama"]
    assert library.problems == ()

"""`sopbot sop reload | versions | diff` against a database file, as an admin runs them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sopbot.engine.library import load_library
from sopbot.services.sop_catalog import InstallOrigin, SopCatalog
from sopbot.storage.database import Database
from tests.helpers.command_line import run, use_fresh_database
from tests.helpers.definitions import definition_text, write_definition

SOP = "dinas-contoh/surat"
ROLES = (
    "  - id: kepala_dinas\n    nama: Kepala Dinas\n"
    "  - id: sekretaris\n    nama: Sekretaris\n"
    "  - id: kasubbag\n    nama: Kasubbag Umum\n"
)
STEPS = (
    "  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menyiapkan konsep surat\n    pelaksana: kasubbag\n"
    "    waktu: 1 Hari\n    jenis_output: dokumen\n"
    "  - no: 3\n    kegiatan: Menindaklanjuti\n    pelaksana: sekretaris\n"
    "    waktu: 1 Hari\n    jenis_output: dokumen\n"
)
# Revision 2: the Kasubbag's step and role are gone, step 2 takes two days, a step is added.
REVISION_2 = definition_text(
    roles=ROLES.replace("  - id: kasubbag\n    nama: Kasubbag Umum\n", ""),
    steps="  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menindaklanjuti\n    pelaksana: sekretaris\n"
    "    waktu: 2 Hari\n    jenis_output: dokumen\n"
    "  - no: 3\n    kegiatan: Menandatangani surat\n    pelaksana: kepala_dinas\n"
    "    waktu: 10 Menit\n    jenis_output: tidak_ada\n",
).replace("pelaksana:\n", "  revisi: 2\npelaksana:\n", 1)


@pytest.fixture
def folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A folder of one SOP, and a fresh database for the command line."""
    use_fresh_database(monkeypatch, tmp_path)
    root = tmp_path / "sop_defs"
    write_definition(root, SOP, definition_text(roles=ROLES, steps=STEPS))
    return root


def test_reload_installs_then_changes_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "sop", "reload", "--dir", str(folder))
    assert code == 0, err
    assert f"installed  {SOP}  version 2026-05-04 (" in out
    assert "1 installed, 0 unchanged, 0 refused (catalog generation 1)" in out

    code, out, _ = run(capsys, "sop", "reload", "--dir", str(folder))
    assert code == 0
    assert f"unchanged  {SOP}  version 2026-05-04 (" in out
    assert "0 installed, 1 unchanged, 0 refused (catalog generation 1)" in out


def test_a_broken_file_is_refused_and_the_installed_version_stays(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "sop", "reload", "--dir", str(folder))
    path = write_definition(folder, SOP, REVISION_2.replace("waktu: 2 Hari", "waktu: dua hari"))
    code, out, err = run(capsys, "sop", "reload", "--dir", str(folder))
    assert code == 1
    assert f"refused    {SOP}  (version 2026-05-04 (" in out
    assert ") stays installed)" in out
    assert f"{path}:" in out  # the validator's file:line: message
    assert "dua hari" in out
    assert "fix what is listed above" in err
    code, out, _ = run(capsys, "sop", "versions", SOP)
    assert code == 0
    assert "1 install(s)" in out


def test_versions_and_the_diff_of_a_changed_step_a_new_step_and_a_removed_role(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "sop", "reload", "--dir", str(folder))
    write_definition(folder, SOP, REVISION_2)
    code, out, _ = run(capsys, "sop", "reload", "--dir", str(folder))
    assert code == 0
    assert f"installed  {SOP}  version revisi 2 (" in out

    code, out, _ = run(capsys, "sop", "versions", SOP)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{SOP}: 2 install(s), newest first"
    assert lines[1].split() == ["version", "digest", "origin", "installed", "(UTC)", "by"]
    assert lines[2].split()[:2] == ["*", "revisi"]  # the current one first
    assert lines[2].split()[4] == "file"
    assert lines[3].split()[0] == "2026-05-04"

    code, out, _ = run(capsys, "sop", "diff", SOP)
    assert code == 0
    assert out.splitlines()[0].startswith(f"{SOP}: 2026-05-04 (")
    assert "-> revisi 2 (" in out.splitlines()[0]
    assert (
        "Header (sop)\n  revisi\n    - (empty)\n    + 2\n\n"
        "Roles (pelaksana)\n  - removed role kasubbag (Kasubbag Umum)\n\n"
        "Steps (langkah)\n"
        "  - removed step 2: Menyiapkan konsep surat\n"
        "  ~ changed step 2 (was 3): Menindaklanjuti\n"
        "      waktu\n        - 1 Hari\n        + 2 Hari\n"
        "  + added step 3: Menandatangani surat\n"
    ) in out


def test_diff_between_chosen_versions(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "sop", "reload", "--dir", str(folder))
    write_definition(folder, SOP, REVISION_2)
    run(capsys, "sop", "reload", "--dir", str(folder))
    _, versions, _ = run(capsys, "sop", "versions", SOP)
    old_digest = versions.splitlines()[3].split()[1]

    code, out, _ = run(capsys, "sop", "diff", SOP, "--from", "revisi 2", "--to", old_digest[:6])
    assert code == 0
    assert "  + added step 2: Menyiapkan konsep surat" in out
    assert "  + added role kasubbag (Kasubbag Umum)" in out

    code, _, err = run(capsys, "sop", "diff", SOP, "--from", "revisi 9")
    assert code == 1
    assert "no installed version 'revisi 9'" in err
    assert "revisi 2 (" in err  # the versions there are

    code, _, err = run(capsys, "sop", "diff", "dinas-contoh/srat")
    assert code == 1
    assert f"no SOP dinas-contoh/srat is installed (did you mean {SOP}?)" in err
    code, _, err = run(capsys, "sop", "versions", "lain/lain")
    assert code == 1
    assert f"no SOP lain/lain is installed (installed: {SOP})" in err


def test_diff_of_a_single_version_says_there_is_nothing_to_compare(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "sop", "reload", "--dir", str(folder))
    code, _, err = run(capsys, "sop", "diff", SOP)
    assert code == 1
    assert "has no other version before 2026-05-04" in err


def test_reload_leaves_a_version_from_telegram_while_the_file_is_unchanged(
    folder: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "sop", "reload", "--dir", str(folder))
    upload = tmp_path / "upload"
    write_definition(upload, SOP, REVISION_2)
    definition = load_library(upload).get(SOP)
    assert definition is not None
    database = Database(os.environ["DATABASE_URL"])
    SopCatalog(database).install(definition, InstallOrigin.TELEGRAM)
    database.dispose()

    code, out, _ = run(capsys, "sop", "reload", "--dir", str(folder))
    assert code == 0
    assert (
        f"unchanged  {SOP}  version revisi 2 ({definition.digest[:8]}) from Telegram; "
        "the file (2026-05-04) is as last synced, so it does not replace it"
    ) in out
    code, out, _ = run(capsys, "sop", "versions", SOP)
    assert out.splitlines()[2].split()[:5] == [
        "*",
        "revisi",
        "2",
        definition.digest[:8],
        "Telegram",
    ]

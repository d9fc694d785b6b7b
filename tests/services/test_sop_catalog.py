"""The installed SOP catalog on real databases: installs keep history, an unchanged version is
not installed twice, a broken file never replaces a working version, a Telegram install is not
overwritten by an unchanged file, and a running bot (another Database object) notices a reload.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from sopbot.engine.definition import SopDefinition
from sopbot.engine.library import SopLibrary, load_library
from sopbot.services.live_definitions import LiveDefinitions
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.services.sop_catalog import (
    FileOutcome,
    InstallOrigin,
    NotALoadedDefinition,
    SopCatalog,
)
from sopbot.storage.database import Database
from tests.helpers.agencies import seed_library
from tests.helpers.definitions import definition_text, write_definition

SOP = "dinas-contoh/surat"
SECOND_TIME = (
    "  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menindaklanjuti\n    pelaksana: sekretaris\n"
    "    waktu: 2 Hari\n    jenis_output: dokumen\n"
)
REVISED_HEADER = "  revisi: 2\n"


def revised(steps: str = SECOND_TIME) -> str:
    """The test SOP as revision 2, with other steps."""
    text = definition_text(steps=steps)
    return text.replace("pelaksana:\n", f"{REVISED_HEADER}pelaksana:\n", 1)


def loaded(root: Path, text: str) -> SopDefinition:
    """The test SOP written to a folder and loaded from it."""
    write_definition(root, SOP, text)
    definition = load_library(root).get(SOP)
    assert definition is not None
    return definition


@pytest.fixture
def second(database: Database) -> Iterator[Database]:
    """Another Database object on the same database, as another process would have."""
    other = Database(database.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


def test_an_install_is_kept_and_the_same_version_again_changes_nothing(
    database: Database, tmp_path: Path
) -> None:
    catalog = SopCatalog(database)
    first = loaded(tmp_path / "a", definition_text())
    installed = catalog.install(first, InstallOrigin.FILE)
    assert installed.changed
    assert installed.previous is None
    assert installed.current.digest == first.digest
    generation = catalog.generation()

    again = catalog.install(first, InstallOrigin.TELEGRAM)
    assert not again.changed
    assert again.current.install_id == installed.current.install_id
    assert catalog.generation() == generation
    assert len(catalog.versions(SOP)) == 1

    newer = loaded(tmp_path / "b", revised())
    result = catalog.install(newer, InstallOrigin.TELEGRAM)
    assert result.changed
    assert result.previous == installed.current
    assert catalog.generation() == generation + 1
    versions = catalog.versions(SOP)
    assert [(v.version, v.origin) for v in versions] == [
        ("revisi 2", InstallOrigin.TELEGRAM),
        ("2026-05-04", InstallOrigin.FILE),
    ]
    current = catalog.current(SOP)
    assert current is not None
    assert current.digest == newer.digest
    assert catalog.definition_of(versions[1]).step(2).standard_time.as_written == "1 Hari"


def test_the_installer_is_recorded_by_name(database: Database, tmp_path: Path) -> None:
    definition = loaded(tmp_path, definition_text())
    catalog = SopCatalog(database)
    member = _admin(database)
    catalog.install(definition, InstallOrigin.TELEGRAM, by=member)
    (version,) = catalog.versions(SOP)
    assert version.installed_by_id == member
    assert version.installed_by == "Nur Aini"


def _admin(database: Database) -> int:
    """A member of a new agency, to install as."""
    organization = OrganizationService(ProcedureService(database, SopLibrary({}, ())))
    agency = organization.create_agency(key="dinas-contoh", name="Dinas", timezone="Asia/Jakarta")
    return organization.add_member(agency_id=agency, name="Nur Aini", is_admin=True)


def test_only_a_definition_as_loaded_can_be_installed(database: Database, tmp_path: Path) -> None:
    definition = loaded(tmp_path, definition_text())
    forged = dataclasses.replace(definition, source_text=revised())
    catalog = SopCatalog(database)
    with pytest.raises(NotALoadedDefinition):
        catalog.install(forged, InstallOrigin.TELEGRAM)
    assert catalog.versions(SOP) == []
    assert catalog.generation() == 0


def test_a_reload_is_idempotent(database: Database) -> None:
    library = seed_library()
    catalog = SopCatalog(database)
    first = catalog.sync_files(library)
    assert {f.sop_id for f in first.with_outcome(FileOutcome.INSTALLED)} == set(library.definitions)
    assert not first.refused_any
    second = catalog.sync_files(library)
    assert second.with_outcome(FileOutcome.INSTALLED) == []
    assert {f.sop_id for f in second.with_outcome(FileOutcome.UNCHANGED)} == set(
        library.definitions
    )
    assert second.generation == first.generation
    for sop_id in library.definitions:
        assert len(catalog.versions(sop_id)) == 1


def test_a_broken_file_leaves_the_installed_version(database: Database, tmp_path: Path) -> None:
    write_definition(tmp_path, SOP, definition_text())
    catalog = SopCatalog(database)
    catalog.sync_files(load_library(tmp_path))
    working = catalog.current(SOP)
    assert working is not None

    broken = revised().replace("pelaksana: sekretaris", "pelaksana: sekretariss")
    write_definition(tmp_path, SOP, broken)
    report = catalog.sync_files(load_library(tmp_path))
    (refused,) = report.with_outcome(FileOutcome.REFUSED)
    assert refused.sop_id == SOP
    assert refused.current == working
    assert report.refused_any
    assert any(
        str(p).startswith(f"{tmp_path / 'dinas-contoh' / 'surat.yaml'}:")
        and "unknown pelaksana 'sekretariss'" in str(p)
        for p in refused.problems
    )
    assert catalog.current(SOP) == working
    assert len(catalog.versions(SOP)) == 1

    # Mended, it installs.
    write_definition(tmp_path, SOP, revised())
    mended = catalog.sync_files(load_library(tmp_path))
    assert [f.sop_id for f in mended.with_outcome(FileOutcome.INSTALLED)] == [SOP]


def test_a_telegram_install_stays_until_the_file_changes(
    database: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "sop_defs"
    write_definition(folder, SOP, definition_text())
    catalog = SopCatalog(database)
    catalog.sync_files(load_library(folder))
    from_telegram = loaded(tmp_path / "upload", revised())
    catalog.install(from_telegram, InstallOrigin.TELEGRAM)

    # A start-up with the file as it was synced: the Telegram version stays.
    restart = catalog.sync_files(load_library(folder))
    (unchanged,) = restart.with_outcome(FileOutcome.UNCHANGED)
    assert unchanged.current is not None
    assert unchanged.current.origin is InstallOrigin.TELEGRAM
    current = catalog.current(SOP)
    assert current is not None
    assert current.digest == from_telegram.digest

    # The file edited afterwards is the newer word.
    edited = definition_text().replace("Menindaklanjuti", "Menindaklanjuti disposisi")
    write_definition(folder, SOP, edited)
    after_edit = catalog.sync_files(load_library(folder))
    assert [f.sop_id for f in after_edit.with_outcome(FileOutcome.INSTALLED)] == [SOP]
    current = catalog.current(SOP)
    assert current is not None
    assert current.origin is InstallOrigin.FILE
    assert [v.origin for v in catalog.versions(SOP)] == [
        InstallOrigin.FILE,
        InstallOrigin.TELEGRAM,
        InstallOrigin.FILE,
    ]


def test_a_file_edited_back_to_an_older_version_installs_it_again(
    database: Database, tmp_path: Path
) -> None:
    write_definition(tmp_path, SOP, definition_text())
    catalog = SopCatalog(database)
    catalog.sync_files(load_library(tmp_path))
    write_definition(tmp_path, SOP, revised())
    catalog.sync_files(load_library(tmp_path))
    write_definition(tmp_path, SOP, definition_text())
    report = catalog.sync_files(load_library(tmp_path))
    assert [f.sop_id for f in report.with_outcome(FileOutcome.INSTALLED)] == [SOP]
    assert [v.version for v in catalog.versions(SOP)] == ["2026-05-04", "revisi 2", "2026-05-04"]


def test_a_removed_file_withdraws_nothing(database: Database, tmp_path: Path) -> None:
    write_definition(tmp_path, SOP, definition_text())
    write_definition(tmp_path, "dinas-contoh/lain", definition_text())
    catalog = SopCatalog(database)
    catalog.sync_files(load_library(tmp_path))
    (tmp_path / "dinas-contoh" / "surat.yaml").unlink()
    report = catalog.sync_files(load_library(tmp_path))
    (missing,) = report.with_outcome(FileOutcome.MISSING)
    assert missing.sop_id == SOP
    assert catalog.current(SOP) is not None
    assert not report.refused_any


def test_withdrawing_makes_the_version_before_current(database: Database, tmp_path: Path) -> None:
    catalog = SopCatalog(database)
    first = loaded(tmp_path / "a", definition_text())
    catalog.install(first, InstallOrigin.FILE)
    catalog.install(loaded(tmp_path / "b", revised()), InstallOrigin.TELEGRAM)
    withdrawn = catalog.withdraw(SOP)
    assert withdrawn is not None
    assert withdrawn.version == "revisi 2"
    current = catalog.current(SOP)
    assert current is not None
    assert current.digest == first.digest
    assert [v.withdrawn for v in catalog.versions(SOP)] == [True, False]
    catalog.withdraw(SOP)
    assert catalog.current(SOP) is None
    assert catalog.withdraw(SOP) is None


def test_another_process_reloads_and_the_live_view_notices(
    database: Database, second: Database, tmp_path: Path
) -> None:
    write_definition(tmp_path, SOP, definition_text())
    library = load_library(tmp_path)
    SopCatalog(database).sync_files(library)
    now = [100.0]
    live = LiveDefinitions(
        SopCatalog(database), agencies=library.agencies, check_every=2.0, monotonic=lambda: now[0]
    )
    before = live.get(SOP)
    assert before is not None
    assert before.step(2).standard_time.as_written == "1 Hari"
    assert live.zone_of("dinas-contoh") == "Asia/Makassar"  # instansi.yaml, as before

    # `sopbot sop reload` in another process, with its own connection.
    write_definition(tmp_path, SOP, revised())
    report = SopCatalog(second).sync_files(load_library(tmp_path))
    assert [f.sop_id for f in report.with_outcome(FileOutcome.INSTALLED)] == [SOP]

    # Until the next look, the view keeps what it has; then it sees the new version.
    now[0] += 1.0
    assert live.get(SOP) is before
    now[0] += 1.0
    after = live.get(SOP)
    assert after is not None
    installed = report.files[0].current
    assert installed is not None
    assert after.digest == installed.digest
    assert after.step(2).standard_time.as_written == "2 Hari"
    assert [d.id for d in live.for_agency("dinas-contoh")] == [SOP]
    assert live.generation == report.generation


def test_the_live_view_reads_nothing_again_while_the_catalog_is_unchanged(
    database: Database, tmp_path: Path
) -> None:
    write_definition(tmp_path, SOP, definition_text())
    library = load_library(tmp_path)
    catalog = SopCatalog(database)
    catalog.sync_files(library)
    live = LiveDefinitions(catalog, agencies=library.agencies, check_every=0)
    first = live.get(SOP)
    statements: list[str] = []

    def observe(sql: str, _parameters: object, _many: bool) -> None:
        statements.append(sql)

    database.observe_statements(observe)
    try:
        for _ in range(3):
            assert live.get(SOP) is first
    finally:
        database.stop_observing(observe)
    # Each look reads the generation, one row by its key; never the versions again.
    assert statements
    assert all("sop_install" not in sql and "sop_version" not in sql for sql in statements)

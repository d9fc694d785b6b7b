"""A new version installed while a procedure runs: the running one plays to its end on the
version it started with, and a procedure started afterwards runs the new one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sopbot.demo.staffing import Player, staff_agency
from sopbot.engine.library import load_library
from sopbot.services.live_definitions import LiveDefinitions
from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.services.sop_catalog import FileOutcome, SopCatalog
from sopbot.storage.database import Database
from sopbot.storage.models import InstanceRow
from tests.helpers.agencies import start_as
from tests.helpers.definitions import definition_text, write_definition

SOP = "dinas-contoh/surat"
# Revision 2 adds a third step: the Kepala Dinas signs what the Sekretaris prepared.
REVISION_2 = definition_text(
    steps="  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menindaklanjuti\n    pelaksana: sekretaris\n"
    "    waktu: 2 Hari\n    jenis_output: dokumen\n"
    "  - no: 3\n    kegiatan: Menandatangani\n    pelaksana: kepala_dinas\n"
    "    waktu: 10 Menit\n    jenis_output: tidak_ada\n"
).replace("pelaksana:\n", "  revisi: 2\npelaksana:\n", 1)


def test_a_running_procedure_keeps_its_version_and_a_new_one_starts_on_the_new(
    database: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "sop_defs"
    write_definition(folder, SOP, definition_text())
    library = load_library(folder)
    catalog = SopCatalog(database)
    catalog.sync_files(library)
    live = LiveDefinitions(catalog, agencies=library.agencies, check_every=0)
    procedures = ProcedureService(database, live)
    first_version = live.get(SOP)
    assert first_version is not None
    agency = staff_agency(OrganizationService(procedures), first_version)
    old = start_as(procedures, agency, first_version, "Surat lama").result

    # Revision 2 is installed (by another Database object, as `sopbot sop reload` would).
    write_definition(folder, SOP, REVISION_2)
    other = Database(database.url.render_as_string(hide_password=False))
    report = SopCatalog(other).sync_files(load_library(folder))
    other.dispose()
    assert [f.sop_id for f in report.with_outcome(FileOutcome.INSTALLED)] == [SOP]
    second_version = live.get(SOP)
    assert second_version is not None
    assert len(second_version.steps) == 3
    new = start_as(procedures, agency, second_version, "Surat baru").result

    with database.transaction() as session:
        old_row = session.get(InstanceRow, old.instance_id)
        new_row = session.get(InstanceRow, new.instance_id)
        assert old_row is not None
        assert new_row is not None
        assert old_row.sop_version_id != new_row.sop_version_id

    # Each procedure is played to its end by its own version's table (the starter, who holds
    # step 1, did it on starting).
    for instance, version in ((old, first_version), (new, second_version)):
        player = Player(procedures, dataclasses.replace(agency, definition=version))
        for _ in range(20):
            mine = [(m, i) for m, i in player.work() if i.instance_id == instance.instance_id]
            if not mine:
                break
            player.act(*mine[0])
        assert [step for step, _, _ in player.acted] == [s.number for s in version.steps][1:]
    with database.transaction() as session:
        for instance in (old, new):
            row = session.get(InstanceRow, instance.instance_id)
            assert row is not None
            assert row.state == "finished"

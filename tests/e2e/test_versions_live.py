"""SOP versions without a restart, through the real bot: `sopbot sop reload` in another
connection, and the next /mulai runs the new version while the procedure already running
keeps its own; a broken file changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sopbot.cli import main
from sopbot.demo.scenario import give_title, play, start_procedure, world
from sopbot.engine.library import load_library
from sopbot.storage.database import Database
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.definitions import definition_text, write_definition

SOP = "dinas-contoh/surat"
SIGNING = "Menandatangani surat keluar"
# Revision 2 adds a step for the Kepala Dinas after the Sekretaris's.
REVISION_2 = definition_text(
    steps="  - no: 1\n    kegiatan: Memberi disposisi\n    pelaksana: kepala_dinas\n"
    "    waktu: 5 Menit\n    jenis_output: catatan\n"
    "  - no: 2\n    kegiatan: Menindaklanjuti\n    pelaksana: sekretaris\n"
    "    waktu: 1 Hari\n    jenis_output: dokumen\n"
    f"  - no: 3\n    kegiatan: {SIGNING}\n    pelaksana: kepala_dinas\n"
    "    waktu: 10 Menit\n    jenis_output: tidak_ada\n"
).replace("pelaksana:\n", "  revisi: 2\npelaksana:\n", 1)


async def test_a_procedure_started_after_a_reload_runs_the_new_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "sop_defs"
    write_definition(folder, SOP, definition_text())
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    database = Database(url, audit_key=TEST_AUDIT_KEY)
    library = load_library(folder)

    def reload() -> int:
        # The command line, with a connection of its own, as an admin on the server runs it.
        return main(["sop", "reload", "--dir", str(folder)])

    async with world(
        library,
        SOP,
        database=database,
        documents_dir=tmp_path / "docs",
        catalog_check_seconds=0,  # the bot looks at every read; the test need not wait
    ) as demo:
        await start_procedure(demo, title="Surat pertama")

        write_definition(folder, SOP, REVISION_2)
        assert await asyncio.to_thread(reload) == 0
        await start_procedure(demo, title="Surat kedua")

        # A broken file is refused and changes nothing: the next one runs revision 2 too.
        write_definition(folder, SOP, REVISION_2.replace("waktu: 10 Menit", "waktu: sebentar"))
        assert await asyncio.to_thread(reload) == 1
        await start_procedure(demo, title="Surat ketiga")

        new_version = demo.parts.services.procedures.library.get(SOP)
        assert new_version is not None
        assert new_version.version == "revisi 2"
        demo.definition = new_version  # the player reads the steps from it; step 2 is alike
        await play(demo, {})

        views = demo.parts.services.views
        shown = [views.status(demo.agency_id, n)[0] for n in (1, 2, 3)]
        assert [s.state for s in shown] == ["finished", "finished", "finished"]
        assert [len(s.steps) for s in shown] == [2, 3, 3]  # each ran its own version's steps
        kepala = demo.officials["kepala_dinas"]
        signing = [m.text or "" for m in kepala.user.bot_messages() if SIGNING in (m.text or "")]
    # Only the procedures started after the reload reached the new step.
    assert any("Surat kedua" in text for text in signing)
    assert any("Surat ketiga" in text for text in signing)
    assert not any("Surat pertama" in text for text in signing)
    database.dispose()


async def test_an_sop_installed_while_the_menu_is_open_does_not_shift_its_buttons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "sop_defs"
    write_definition(folder, SOP, definition_text())
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    database = Database(url, audit_key=TEST_AUDIT_KEY)
    async with world(
        load_library(folder),
        SOP,
        database=database,
        documents_dir=tmp_path / "docs",
        catalog_check_seconds=0,
    ) as demo:
        kepala = demo.officials["kepala_dinas"]
        (menu,) = await kepala.say("/mulai")
        # An SOP that sorts before it arrives while the menu is on the screen.
        write_definition(
            folder, "dinas-contoh/agenda", definition_text().replace("nama: Contoh", "nama: Agenda")
        )
        assert await asyncio.to_thread(main, ["sop", "reload", "--dir", str(folder)]) == 0
        assert [
            d.id for d in demo.parts.services.procedures.library.for_agency("dinas-contoh")
        ] == [
            "dinas-contoh/agenda",
            SOP,
        ]
        await kepala.press_text(menu, "Contoh")
        await kepala.user.wait_for_bot_messages(1)
        await give_title(kepala, "Surat undangan")
        (started,) = await kepala.say("Segera")
    assert "Contoh" in (started.text or "")
    assert "Surat undangan" in (started.text or "")
    database.dispose()

"""A backup taken while a procedure runs, restored into a new database and documents folder,
and the procedure then finished by its officials through the real bot against the emulator, on
SQLite and PostgreSQL: the server is lost, the backup is all that is left."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.lifecycle import running
from sopbot.bot.runner import sync_at_start_up
from sopbot.demo.officials import settle
from sopbot.demo.samples import sample_pdf
from sopbot.demo.scenario import (
    SIMULATED_FLOOD,
    SIMULATED_INBOUND,
    _enrol,
    act,
    play,
    start_procedure,
)
from sopbot.emulator import BotApiEmulator
from sopbot.engine.library import SopLibrary
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from tests.e2e.conftest import KESBANGPOL
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.backups import empty_database_like, row_counts, url_of
from tests.helpers.command_line import run

REPORT = sample_pdf("Langkah 4: format pengumpulan data kinerja triwulan III")


def bot_on(
    library: SopLibrary, emulator: BotApiEmulator, database: Database, documents: Path
) -> BotParts:
    """A bot as `sopbot run` starts it, on this database and document store."""
    return build_bot(
        token=emulator.token,
        database=database,
        library=sync_at_start_up(database, library, check_every=0),
        documents_dir=documents,
        base_url=f"http://127.0.0.1:{emulator.port}",
        sender_idle_wait=0.2,
        inbound=SIMULATED_INBOUND,
        flood=SIMULATED_FLOOD,
    )


async def test_a_procedure_backed_up_while_running_is_finished_after_a_restore(
    library: SopLibrary,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    definition = library.definitions[KESBANGPOL]
    documents, backup = tmp_path / "documents", tmp_path / "backup"
    async with BotApiEmulator() as emulator:
        first = bot_on(library, emulator, database, documents)
        async with running(first):
            demo = await _enrol(emulator, first, definition)
            await start_procedure(demo)
            await act(demo, demo.officials["sekretaris"], 2, 1, {})
            await act(demo, demo.officials["kassubag_renval"], 3, 1, {})
            # Step 4 owes a document: the official sends it, and has not pressed Selesai yet.
            petugas = demo.officials["petugas_pengelola_data_kinerja"]
            step_4 = petugas.disposition()
            received = await petugas.upload(step_4, REPORT, "format-data.pdf", "application/pdf")
            assert "diterima" in (received.text or ""), received.text
            await settle(emulator, first)
            (kept,) = LocalDocumentStore(documents).stored_keys()

            # The nightly backup, with the bot running.
            monkeypatch.setenv("DATABASE_URL", url_of(database))
            monkeypatch.setenv("SOPBOT_DOCUMENTS_DIR", str(documents))
            code, out, err = await asyncio.to_thread(run, capsys, "backup", str(backup))
            assert (code, err) == (0, ""), out
            assert ", 1 document(s), " in out
        assert emulator.pending_update_count == 0  # the old bot took everything it was sent

        # The server is lost. A new one: an empty database, no documents, the backup.
        with empty_database_like(database, tmp_path) as target:
            restored_documents = tmp_path / "restored-documents"
            monkeypatch.setenv("DATABASE_URL", target)
            monkeypatch.setenv("SOPBOT_DOCUMENTS_DIR", str(restored_documents))
            code, out, err = await asyncio.to_thread(run, capsys, "restore", str(backup))
            assert (code, err) == (0, ""), out
            assert out.splitlines()[-1] == "documents intact: 1 documents"
            assert LocalDocumentStore(restored_documents).stored_keys() == [kept]
            restored = Database(target, audit_key=TEST_AUDIT_KEY)
            try:
                # Everything but the registry of the running workers: the backup holds the
                # old server's worker, which does not run here.
                counted, source = row_counts(target), row_counts(url_of(database))
                assert counted["worker"] == counted["inbox_chat_lease"] == 0
                for runtime in ("worker", "inbox_chat_lease"):
                    del counted[runtime], source[runtime]
                assert counted == source
                demo.parts = bot_on(library, emulator, restored, restored_documents)
                async with running(demo.parts):
                    await settle(emulator, demo.parts)
                    # Selesai on the disposition the old server sent: the new one knows it,
                    # and hands the document on to step 5 from the restored store.
                    kassubag = demo.officials["kassubag_renval"]
                    sent_before = len(emulator.calls_to("sendDocument"))
                    answer = await petugas.press(step_4, "button.complete")
                    assert answer.text == "Tercatat. Terima kasih.", answer
                    await settle(emulator, demo.parts)
                    assert len(emulator.calls_to("sendDocument")) > sent_before
                    handed = [m for m in kassubag.user.bot_messages() if m.document]
                    assert handed
                    assert kassubag.user.document_content(handed[-1]) == REPORT

                    await play(demo, {})
                    (status,) = demo.parts.services.views.status(demo.agency_id, 1)
                    assert status.state == "finished"
                    assert {t.step_number for t in status.steps} == {
                        s.number for s in definition.steps
                    }

                # The restored deployment's trail and documents hold after the play.
                code, out, _ = await asyncio.to_thread(run, capsys, "audit", "verify")
                assert code == 0, out
                code, out, _ = await asyncio.to_thread(run, capsys, "documents", "verify")
                assert code == 0, out
            finally:
                restored.dispose()

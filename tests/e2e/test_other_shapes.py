"""Real public SOPs of other shapes played end to end through the real bot and the emulator.

Each official reads their disposition and acts on it as people do (buttons, replies, files): an
in-turn hand-over and initialling chain, a join, an any-one step across two roles, labelled
questions that go on without a reason and one that sends the work back with one, a document owed
only on the answer whose output is a document, outside parties recorded by an official, step
numbers as published, and a bot restarted in the middle of a play.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.lifecycle import running
from sopbot.demo.officials import Official, settle
from sopbot.demo.samples import sample_pdf
from sopbot.demo.scenario import (
    SIMULATED_FLOOD,
    SIMULATED_INBOUND,
    World,
    _enrol,
    give_title,
    world,
)
from sopbot.emulator import BotApiEmulator, CallbackAnswer, SeenMessage
from sopbot.engine.library import SopLibrary, load_library
from sopbot.storage.audit_key import AuditKey
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade

# Whole SOPs played end to end: the slow stage, as the seeds' plays.
pytestmark = pytest.mark.slow

SHAPES = Path(__file__).resolve().parents[1] / "engine" / "other_shapes"
PUSKESMAS = "uptd-puskesmas-tomoni-timur/penerimaan-surat-masuk"
KEHUTANAN = "dinas-kehutanan-sumbar/operasi-represif-gabungan"
DISHUB = "dishub-kota-ambon/izin-trayek-balik-nama"
PERPUSTAKAAN = "perpustakaan-itenas/pengembalian-bahan-pustaka"
SELESAI, AMBIL = "✅ Selesai", "✋ Ambil"


@pytest.fixture(scope="module")
def shapes() -> SopLibrary:
    """The four SOPs of other shapes."""
    return load_library(SHAPES)


# -- what officials do and read -------------------------------------------------------------


async def begin(demo: World, starter: Official, title: str) -> None:
    """`/mulai`, the SOP, a title and a note, as the holder of the first step does it."""
    (menu,) = await starter.say("/mulai")
    await starter.press_text(menu, demo.definition.identity.name[:60])
    await starter.user.wait_for_bot_messages(1)
    await give_title(starter, title)
    await starter.say("Mohon ditindaklanjuti")
    await settle(demo.emulator, demo.parts)


def row(demo: World, position: int) -> str:
    """ "Langkah X dari N": how a disposition for the table's X-th row begins."""
    return f"Langkah {position} dari {len(demo.definition.steps)}"


def messages_of(official: Official, demo: World, position: int) -> list[SeenMessage]:
    """The official's dispositions for a row of the table, oldest first."""
    return [m for m in official.user.bot_messages() if (m.text or "").count(row(demo, position))]


def live(official: Official, demo: World, position: int) -> SeenMessage:
    """The official's newest disposition for a row that still has buttons to act with."""
    for message in reversed(messages_of(official, demo, position)):
        if any(b in (SELESAI, AMBIL) or b.startswith(("▶️", "↩️")) for b in message.button_list):
            return message
    raise LookupError(f"{official.name} has no live disposition for {row(demo, position)}")


def has_live(official: Official, demo: World, position: int) -> bool:
    try:
        live(official, demo, position)
    except LookupError:
        return False
    return True


async def press(
    demo: World, official: Official, message: SeenMessage, button: str
) -> CallbackAnswer:
    """Press a button by its text; the bot's answer, once everything it caused was sent."""
    answer = await official.press_text(message, button)
    await settle(demo.emulator, demo.parts)
    return answer


async def done(demo: World, official: Official, position: int) -> None:
    """The official presses Selesai on their disposition for the row."""
    answer = await press(demo, official, live(official, demo, position), SELESAI)
    assert answer.text == "Tercatat. Terima kasih.", answer


async def upload(demo: World, official: Official, position: int, name: str) -> None:
    """The official replies to the disposition with the output file."""
    message = live(official, demo, position)
    received = await official.upload(message, sample_pdf(name), f"{name}.pdf", "application/pdf")
    assert "diterima" in (received.text or ""), received.text
    await settle(demo.emulator, demo.parts)


def state_of(demo: World, number: int = 1) -> str:
    (status,) = demo.parts.services.views.status(demo.agency_id, number)
    return status.state


def everyone_but(demo: World, *keep: str) -> list[Official]:
    return [o for role, o in demo.officials.items() if role not in keep]


def new_bot(
    library: SopLibrary, emulator: BotApiEmulator, database: Database, tmp_path: Path
) -> BotParts:
    """A bot as `world` builds it, on a database that outlives it (for a restart)."""
    return build_bot(
        token=emulator.token,
        database=database,
        library=library,
        documents_dir=tmp_path / "documents",
        base_url=f"http://127.0.0.1:{emulator.port}",
        sender_idle_wait=0.2,
        inbound=SIMULATED_INBOUND,
        flood=SIMULATED_FLOOD,
    )


# -- the plays -------------------------------------------------------------------------------


async def test_puskesmas_hand_over_survives_a_restart_and_any_one_releases_the_other(
    shapes: SopLibrary, tmp_path: Path
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'bot.db'}", audit_key=AuditKey.generate())
    await asyncio.to_thread(upgrade, database)
    async with BotApiEmulator() as emulator:
        parts = new_bot(shapes, emulator, database, tmp_path)
        async with running(parts):
            demo = await _enrol(emulator, parts, shapes.definitions[PUSKESMAS])
            staf = demo.officials["staf_tata_usaha"]
            ka_tu = demo.officials["ka_tata_usaha"]
            kepala = demo.officials["ka_puskesmas"]
            await begin(demo, staf, "Surat Dinas Kesehatan tentang Posyandu")
            await done(demo, staf, 2)

            # Row 3, the hand-over: the Ka Tata Usaha first; the head has nothing yet.
            first = live(ka_tu, demo, 3)
            assert "Dikerjakan berurutan: Ka Tata Usaha → Ka Puskesmas. Anda yang ke-1 dari 2." in (
                first.text or ""
            )
            assert "Output: Disposisi Arahan, diserahkan oleh Ka Puskesmas." in (first.text or "")
            assert not messages_of(kepala, demo, 3)
            await done(demo, ka_tu, 3)  # no document is the Ka Tata Usaha's to give
            assert state_of(demo) == "running"
        await settle_down(emulator)

        # The bot stops and a new one starts on the same database and Telegram.
        demo.parts = new_bot(shapes, emulator, database, tmp_path)
        async with running(demo.parts):
            await settle(emulator, demo.parts)
            second = live(kepala, demo, 3)
            assert "Anda yang ke-2 dari 2." in (second.text or "")
            assert f"Dari: {ka_tu.name}" in (second.text or "")
            refused = await press(demo, kepala, second, SELESAI)
            assert refused.show_alert
            assert (refused.text or "").startswith(
                "Unggah dulu dokumen outputnya (Disposisi Arahan)"
            )
            await upload(demo, kepala, 3, "disposisi-arahan")
            await done(demo, kepala, 3)
            await done(demo, staf, 4)

            # Row 5: any one of the Ka Tata Usaha and the Staf; the Staf takes it.
            offered = live(ka_tu, demo, 5)
            assert (
                "Dapat dikerjakan oleh salah satu dari Ka Tata Usaha, Staf Tata Usaha; yang lebih "
                "dulu menyelesaikan, itulah yang berlaku." in (offered.text or "")
            )
            assert AMBIL in live(staf, demo, 5).button_list
            claimed = await press(demo, staf, live(staf, demo, 5), AMBIL)
            assert claimed.text == "Langkah ini sekarang tugas Anda."
            released = ka_tu.user.message(offered.message_id)
            assert f"Sudah diambil oleh {staf.name}" in (released.text or "")
            assert not released.buttons
            await done(demo, staf, 5)
            assert state_of(demo) == "finished"
    database.dispose()


async def settle_down(emulator: BotApiEmulator) -> None:
    """Nothing left for the stopped bot to take: the emulator holds no pending update."""
    assert emulator.pending_update_count == 0


async def to_the_question(demo: World, number: int) -> None:
    """Rows 1 to 5 (the second "4" included) of the Kehutanan SOP, up to the Kadis' question."""
    staf, kasi, kabid = (demo.officials[r] for r in ("staf", "kasi", "kabid"))
    await begin(demo, staf, f"Permohonan operasi gabungan {number}")
    await done(demo, kasi, 2)
    await upload(demo, staf, 3, f"konsep-telaah-{number}")
    await done(demo, staf, 3)
    await done(demo, kasi, 4)
    repeated = live(kabid, demo, 5)
    assert "Langkah 5 dari 8 (No. 4 pada SOP): Mengoreksi usulan telaah staf" in (
        repeated.text or ""
    )
    await done(demo, kabid, 5)


async def test_kehutanan_labelled_question_and_initialling_chain(
    shapes: SopLibrary, tmp_path: Path
) -> None:
    async with world(shapes, KEHUTANAN, documents_dir=tmp_path / "docs") as demo:
        kasi, kabid, kadis = (demo.officials[r] for r in ("kasi", "kabid", "kadis"))

        # First procedure: "Tidak" hands nothing on, asks no reason, and ends the procedure.
        await to_the_question(demo, 1)
        question = live(kadis, demo, 6)
        text = question.text or ""
        assert "Langkah 6 dari 8 (No. 5 pada SOP)" in text
        assert "❓ Disetujui Kadis untuk operasi gabungan?" in text
        assert "Pilih jawaban dengan tombol di bawah." in text
        assert question.buttons[0] == ("▶️ Setuju", "▶️ Tidak")
        before = len(kadis.user.bot_messages())
        answered = await press(demo, kadis, question, "▶️ Tidak")
        assert answered.text == "Tercatat. Terima kasih."
        assert state_of(demo, 1) == "finished"
        shown = kadis.user.message(question.message_id)
        assert "Jawaban: Tidak" in (shown.text or "")
        assert not any("Tulis" in (m.text or "") for m in kadis.user.bot_messages()[before:])

        # Second procedure: "Setuju" wants the approved concept first, then goes on.
        await to_the_question(demo, 2)
        question = live(kadis, demo, 6)
        refused = await press(demo, kadis, question, "▶️ Setuju")
        assert refused.show_alert
        assert (refused.text or "").startswith(
            "Unggah dulu dokumen outputnya (Konsep surat keluar)"
        )
        assert state_of(demo, 2) == "running"
        await upload(demo, kadis, 6, "konsep-disetujui")
        await press(demo, kadis, live(kadis, demo, 6), "▶️ Setuju")

        # Row 7 (No. 6): Kasi and Kabid initial, the Kadis signs, one after another.
        assert not has_live(kabid, demo, 7)
        assert not has_live(kadis, demo, 7)
        first = live(kasi, demo, 7)
        assert "Dikerjakan berurutan: Kasi → Kabid → Kadis. Anda yang ke-1 dari 3." in (
            first.text or ""
        )
        assert "Output: Konsep surat keluar, diserahkan oleh Kadis." in (first.text or "")
        await done(demo, kasi, 7)
        assert not has_live(kadis, demo, 7)
        second = live(kabid, demo, 7)
        assert "Anda yang ke-2 dari 3." in (second.text or "")
        assert f"Dari: {kasi.name}" in (second.text or "")
        await done(demo, kabid, 7)
        third = live(kadis, demo, 7)
        assert "Anda yang ke-3 dari 3." in (third.text or "")
        await upload(demo, kadis, 7, "spt-operasi-gabungan")
        await done(demo, kadis, 7)
        await done(demo, kasi, 8)
        assert state_of(demo, 2) == "finished"
        # Bag. Terkait, a column no row uses, never had anything to do.
        assert not any(
            "Langkah" in (m.text or "") for m in demo.officials["bag_terkait"].user.bot_messages()
        )


async def through_the_dispositions(demo: World, round_: int) -> None:
    """Row 1 (the Pelaksana, Kadishub and Kabid dispose in turn) and row 2 (No. 2.1)."""
    kadishub, kabid, kasie = (
        demo.officials[r] for r in ("kadishub", "kabid_lalin", "kasie_perizinan")
    )
    second = live(kadishub, demo, 1)
    assert "Dikerjakan berurutan: Pelaksana → Kadishub → Kabid. Lalu Lintas dan Angkutan." in (
        second.text or ""
    )
    assert "Anda yang ke-2 dari 3." in (second.text or "")
    if round_ > 1:
        assert "Putaran ke-2" in (second.text or "")
    await done(demo, kadishub, 1)
    await done(demo, kabid, 1)
    assert "Langkah 2 dari 6 (No. 2.1 pada SOP)" in (live(kasie, demo, 2).text or "")
    await done(demo, kasie, 2)


async def test_dishub_outside_party_rejection_with_reason_and_output_by_the_first_of_a_chain(
    shapes: SopLibrary, tmp_path: Path
) -> None:
    async with world(shapes, DISHUB, documents_dir=tmp_path / "docs") as demo:
        pelaksana, kadishub, kabid, kasie = (
            demo.officials[r] for r in ("pelaksana", "kadishub", "kabid_lalin", "kasie_perizinan")
        )
        await begin(demo, pelaksana, "Balik nama izin trayek DE 1234 AB")
        await through_the_dispositions(demo, 1)

        # No. 2.2: a labelled answer that sends the work back asks why.
        check = live(pelaksana, demo, 3)
        text = check.text or ""
        assert "Langkah 3 dari 6 (No. 2.2 pada SOP)" in text
        assert "❓ Sesuai persyaratan?" in text
        # Answers longer than a phone shows two abreast get a row each.
        assert check.buttons[:2] == (("▶️ Sesuai persyaratan",), ("↩️ Tidak sesuai",))
        await press(demo, pelaksana, check, "↩️ Tidak sesuai")
        (asked,) = await pelaksana.user.wait_for_bot_messages(1)
        assert (asked.text or "").splitlines() == [
            "Jawaban Anda: Tidak sesuai.",
            "❌ Tulis apa yang tidak sesuai pada langkah 2.2 (balas dengan teks):",
        ]
        await pelaksana.say("Fotocopy BPKB belum balik nama")
        await settle(demo.emulator, demo.parts)
        # Back to the reception, a second round, with the reason.
        again = live(pelaksana, demo, 1)
        assert "Putaran ke-2" in (again.text or "")
        assert "Fotocopy BPKB belum balik nama" in (again.text or "")
        await done(demo, pelaksana, 1)
        await through_the_dispositions(demo, 2)

        # "Sesuai persyaratan" prints the SKRD: a document first, and no reason asked.
        check = live(pelaksana, demo, 3)
        refused = await press(demo, pelaksana, check, "▶️ Sesuai persyaratan")
        assert (refused.text or "").startswith("Unggah dulu dokumen outputnya (SKRD)")
        await upload(demo, pelaksana, 3, "skrd")
        before = len(pelaksana.user.bot_messages())
        await press(demo, pelaksana, live(pelaksana, demo, 3), "▶️ Sesuai persyaratan")
        assert not any("Tulis" in (m.text or "") for m in pelaksana.user.bot_messages()[before:])

        # No. 2.3: the Pemohon pays; the Pelaksana records it.
        paid = live(pelaksana, demo, 4)
        assert (
            "🏛️ Langkah ini dilakukan oleh Pemohon (pihak luar). Anda mencatatnya: ketuk Selesai "
            "setelah Pemohon melakukannya." in (paid.text or "")
        )
        await upload(demo, pelaksana, 4, "bukti-pembayaran")
        await done(demo, pelaksana, 4)

        # No. 3: the Pelaksana types the letter (the output is theirs), Kasie and Kabid initial.
        typed = live(pelaksana, demo, 5)
        assert "Anda yang ke-1 dari 3." in (typed.text or "")
        refused = await press(demo, pelaksana, typed, SELESAI)
        assert (refused.text or "").startswith("Unggah dulu dokumen outputnya")
        await upload(demo, pelaksana, 5, "surat-keterangan")
        await done(demo, pelaksana, 5)
        initial = live(kasie, demo, 5)
        assert "Anda yang ke-2 dari 3." in (initial.text or "")
        assert "Output: surat Keterangan balik nama izin trayek, diserahkan oleh Pelaksana." in (
            initial.text or ""
        )
        await done(demo, kasie, 5)  # an initial: no document of the Kasie's
        await done(demo, kabid, 5)

        # No. 4: the Pelaksana takes it to the Kadishub, who signs.
        await done(demo, pelaksana, 6)
        signed = live(kadishub, demo, 6)
        assert "Dikerjakan berurutan: Pelaksana → Kadishub. Anda yang ke-2 dari 2." in (
            signed.text or ""
        )
        await upload(demo, kadishub, 6, "surat-ditandatangani")
        await done(demo, kadishub, 6)
        assert state_of(demo) == "finished"
        # The outside party is not an official: nobody was enrolled for the Pemohon.
        assert "pemohon" not in demo.holders


async def test_perpustakaan_join_with_an_outside_party_and_repeated_numbers(
    shapes: SopLibrary, tmp_path: Path
) -> None:
    async with world(shapes, PERPUSTAKAAN, documents_dir=tmp_path / "docs") as demo:
        desk = demo.officials["pelayanan"]
        # The admin starts it, so that the desk holds both parts of row 1 (its own, and the
        # Pemustaka's, which it records).
        await begin(demo, demo.admin, "Pengembalian buku a.n. Rina (NRP 152019001)")
        parts = [m for m in messages_of(desk, demo, 1) if SELESAI in m.button_list]
        assert len(parts) == 2
        together = (
            "👥 Dikerjakan bersama oleh MAHASISWA/DOSEN/KARYAWAN, PELAYANAN; langkah selesai "
            "bila semua sudah menyelesaikan bagiannya."
        )
        assert all(together in (m.text or "") for m in parts)
        recorded = [m for m in parts if "(pihak luar)" in (m.text or "")]
        assert len(recorded) == 1
        own = next(m for m in parts if m is not recorded[0])

        # The join waits for both parts.
        await press(demo, desk, recorded[0], SELESAI)
        assert not messages_of(desk, demo, 2)
        await press(demo, desk, own, SELESAI)
        await done(demo, desk, 2)

        # Row 3: "Terlambat ?" with the document's own answers; "Ya" goes on without a reason.
        late = live(desk, demo, 3)
        assert "❓ Terlambat ?" in (late.text or "")
        assert late.buttons[0] == ("▶️ Ya", "▶️ Tidak")
        answered = await press(demo, desk, late, "▶️ Ya")
        assert answered.text == "Tercatat. Terima kasih."
        assert "Jawaban: Ya" in (desk.user.message(late.message_id).text or "")

        # "Bayar Denda": printed "3" again, done by the Pemustaka and recorded by the desk.
        fine = live(desk, demo, 4)
        assert "Langkah 4 dari 7 (No. 3 pada SOP): Bayar Denda" in (fine.text or "")
        assert "🏛️ Langkah ini dilakukan oleh MAHASISWA/DOSEN/KARYAWAN (pihak luar)." in (
            fine.text or ""
        )
        await done(demo, desk, 4)
        await upload(demo, desk, 5, "struk-denda")
        await done(demo, desk, 5)
        # "Cetak Struk" goes to "Rekam data" (row 7), past "Pilih menu" (row 6, the "Tidak" way).
        assert not messages_of(desk, demo, 6)
        await done(demo, desk, 7)
        assert state_of(demo) == "finished"
        assert "pemustaka" not in demo.holders  # an outside party holds no post

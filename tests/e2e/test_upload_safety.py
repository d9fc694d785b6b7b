"""Uploads through the real bot: polyglots and disguised scripts are refused and change nothing,
a kept file reaches the next official as the stored bytes under a name the server made (even
after a restart), the size limit holds before any download, and a failing download from
Telegram is tried again before the official is asked to resend."""

from __future__ import annotations

import asyncio
import struct
import zlib

import pytest
from sqlmodel import col, select

from sopbot.delivery.sender import OutboxSender
from sopbot.demo.officials import Official, settle
from sopbot.demo.samples import sample_pdf
from sopbot.demo.scenario import World
from sopbot.emulator import ServerError
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.file_types import ALLOWED_TYPES_DESCRIPTION
from sopbot.storage.models import DocumentRow, OutboxRow
from tests.e2e.test_refusals import at_step, counts
from tests.emulator import bot_for

T = default_catalog().text
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "laporan\u202efdp.bat" shows as "laporantab.pdf"
STEP = 4  # Petugas: the step's output is a document
CHECKER = "kassubag_renval"  # holds step 5, which receives step 4's documents
BATCH_FILE = b"@echo off\r\nstart calc.exe"
REPORT_TEXT = b"Laporan kinerja triwulan III: semua kegiatan selesai.\n"
POLYGLOT = b"<html><script>location='http://x.invalid'</script>%PDF-1.4"


def refused(key: str) -> str:
    """The bot's answer to a refused file, as the official reads it."""
    return T(Language.ID, key, allowed=ALLOWED_TYPES_DESCRIPTION)


def tiny_png() -> bytes:
    """A valid 1x1 greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff"))
        + chunk(b"IEND", b"")
    )


def documents_of(demo: World) -> list[DocumentRow]:
    with demo.parts.database.transaction() as session:
        return list(session.exec(select(DocumentRow)).all())


async def test_disguised_scripts_and_polyglots_are_refused_and_change_nothing(
    kesbangpol: World,
) -> None:
    holder = await at_step(kesbangpol, STEP)
    message = holder.disposition()
    checker = kesbangpol.officials[CHECKER]
    seen_by_checker = len(checker.user.bot_messages())
    before = counts(kesbangpol)
    uploads = [
        (BATCH_FILE, f"laporan{RLO}fdp.bat", "application/pdf"),
        (POLYGLOT, "laporan.html", "text/html"),
        (b"<!DOCTYPE html>\n<p>Laporan triwulan</p>\n", "x.pdf", "application/pdf"),
    ]
    for content, name, mime in uploads:
        reply = await holder.upload(message, content, name, mime)
        assert reply.text == refused("document.refused_active_content"), name
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert counts(kesbangpol) == before
    assert documents_of(kesbangpol) == []
    assert len(checker.user.bot_messages()) == seen_by_checker
    assert holder.member_id is not None
    (task,) = kesbangpol.parts.services.procedures.inbox(holder.member_id)
    assert task.step_number == STEP  # the step is still open, as it was


async def test_other_refusals_say_what_to_send_instead(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, STEP)
    message = holder.disposition()
    before = counts(kesbangpol)
    csv_with_formula = b"no;uraian;nilai\n1;Rapat;10\n2;=cmd|' /C calc'!A0;20\n"
    reply = await holder.upload(message, csv_with_formula, "data.csv", "text/csv")
    assert reply.text == refused("document.refused_formula")
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    reply = await holder.upload(message, gif, "foto.gif", "image/gif")
    assert reply.text == refused("document.wrong_type")
    assert "Yang diterima: PDF, Word, Excel" in (reply.text or "")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert counts(kesbangpol) == before


async def test_a_file_reaches_the_next_official_under_a_name_the_server_made(
    kesbangpol: World,
) -> None:
    holder = await at_step(kesbangpol, STEP)
    message = holder.disposition()
    # Harmless text under a name that shows as "laporantab.pdf", and an image named as a PDF.
    reply = await holder.upload(message, REPORT_TEXT, f"laporan{RLO}fdp.bat", "application/pdf")
    assert (reply.text or "").startswith("📎 Berkas laporanfdp.txt (Teks) diterima")
    reply = await holder.upload(message, tiny_png(), "scan.pdf", "application/pdf")
    assert (reply.text or "").startswith("📎 Berkas scan.png (Gambar PNG) diterima")
    await holder.press(message, "button.complete")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    checker = kesbangpol.officials[CHECKER]
    received = {m.document: m for m in checker.user.bot_messages() if m.document}
    assert set(received) == {"laporanfdp.txt", "scan.png"}
    assert checker.user.document_content(received["laporanfdp.txt"]) == REPORT_TEXT
    assert checker.user.document_content(received["scan.png"]) == tiny_png()
    assert all(RLO not in (m.text or "") for m in received.values())
    assert (received["scan.png"].text or "").endswith("· scan.png")
    # Uploaded from the store, not sent on by the sender's file_id.
    uploads = kesbangpol.emulator.calls_to("sendDocument")
    assert sorted(str(call.params["document"]) for call in uploads) == [
        f"<file 'laporanfdp.txt', {len(REPORT_TEXT)} bytes>",
        f"<file 'scan.png', {len(tiny_png())} bytes>",
    ]


async def test_a_caption_is_the_holders_note_and_the_same_file_again_is_kept_once(
    kesbangpol: World,
) -> None:
    holder = await at_step(kesbangpol, STEP)
    message = holder.disposition()
    report = sample_pdf("laporan triwulan III")
    holder.user.send_document(
        report, "laporan.pdf", "application/pdf", caption="Sudah diparaf", reply_to=message
    )
    (reply,) = await holder.user.wait_for_bot_messages(1)
    assert (reply.text or "").startswith("📎 Berkas laporan.pdf (PDF) diterima untuk langkah 4")
    again = await holder.upload(message, report, "laporan-lagi.pdf", "application/pdf")
    assert again.text == T(Language.ID, "document.duplicate")
    assert len(documents_of(kesbangpol)) == 1
    await holder.press(message, "button.complete")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    checker = kesbangpol.officials[CHECKER]
    assert "Catatan: Sudah diparaf" in (checker.disposition().text or "")
    assert [m.document for m in checker.user.bot_messages() if m.document] == ["laporan.pdf"]


async def wait_for_document_rows(demo: World) -> None:
    """Until the change that hands a document on has committed its outbox rows."""
    for _ in range(500):
        with demo.parts.database.reading() as session:
            if session.exec(select(OutboxRow).where(OutboxRow.kind == "document")).first():
                return
        await asyncio.sleep(0.02)
    raise AssertionError("no document was queued")


async def stop_the_sender(demo: World) -> None:
    """Stop the running bot's outbox sender, as if its process had died."""
    demo.parts.sender.stop()
    task = demo.parts.application.bot_data.get("sopbot.sender_task")
    if task is not None:
        await task


async def deliver_after_restart(demo: World) -> None:
    """A new sender, as a restarted process builds it from the database and the document
    folder alone, delivers what is pending."""
    store = LocalDocumentStore(demo.parts.services.documents.root)
    async with bot_for(demo.emulator) as bot:
        sender = OutboxSender(demo.parts.database, bot, idle_wait=0.05, documents=store)
        while await sender.deliver_pending():
            pass


async def test_a_queued_document_is_delivered_after_a_restart(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, STEP)
    message = holder.disposition()
    await stop_the_sender(kesbangpol)
    letter = sample_pdf("Format data kinerja")
    await holder.upload(message, letter, "format.pdf", "application/pdf")
    await holder.press(message, "button.complete")
    await wait_for_document_rows(kesbangpol)
    checker = kesbangpol.officials[CHECKER]
    assert not [m for m in checker.user.bot_messages() if m.document]
    await deliver_after_restart(kesbangpol)
    (delivered,) = [m for m in checker.user.bot_messages() if m.document]
    assert delivered.document == "format.pdf"
    assert checker.user.document_content(delivered) == letter


async def test_a_document_missing_from_the_store_fails_and_the_admins_hear(
    kesbangpol: World,
) -> None:
    holder = await at_step(kesbangpol, STEP)
    message = holder.disposition()
    await stop_the_sender(kesbangpol)
    await holder.upload(message, sample_pdf("Format"), "format.pdf", "application/pdf")
    await holder.press(message, "button.complete")
    await wait_for_document_rows(kesbangpol)
    (document,) = documents_of(kesbangpol)
    kesbangpol.parts.services.documents.path_of(document.storage_key).unlink()
    await deliver_after_restart(kesbangpol)
    with kesbangpol.parts.database.transaction() as session:
        row = session.exec(select(OutboxRow).where(col(OutboxRow.kind) == "document")).one()
        assert row.state == "failed"
        assert (row.last_error or "").startswith("document:")
    checker = kesbangpol.officials[CHECKER]
    assert not [m for m in checker.user.bot_messages() if m.document]
    notices = [m.text or "" for m in kesbangpol.admin.user.bot_messages()]
    assert any(text.startswith(f"⚠️ Pesan untuk {checker.name} tidak dapat") for text in notices)


async def test_a_30_mb_upload_is_refused_before_any_download(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, STEP)
    message = holder.disposition()
    before = counts(kesbangpol)
    big = b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024)
    reply = await holder.upload(message, big, "besar.pdf", "application/pdf")
    assert reply.text == T(Language.ID, "document.too_big", size="30,0")
    assert kesbangpol.emulator.calls_to("getFile") == []
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert counts(kesbangpol) == before


async def upload_through_trouble(holder: Official, title: str) -> str:
    """Upload a PDF (with ``title`` on its page) to the open step; the bot's answer."""
    reply = await holder.upload(
        holder.disposition(), sample_pdf(title), "format.pdf", "application/pdf"
    )
    return reply.text or ""


async def test_a_500_on_get_file_or_the_download_is_tried_again(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, STEP)
    faults = kesbangpol.emulator.faults
    faults.fail_next("getFile", ServerError())
    assert "diterima untuk langkah 4" in await upload_through_trouble(holder, "Format 1")
    faults.fail_next("file_download", ServerError(502, "Bad Gateway"))
    assert "diterima untuk langkah 4" in await upload_through_trouble(holder, "Format 2")
    assert faults.count(ServerError) == 2


async def test_a_short_outage_is_ridden_out(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, STEP)
    kesbangpol.emulator.faults.fail_for(1.0, ServerError(), method="getFile")
    assert "diterima untuk langkah 4" in await upload_through_trouble(holder, "Format")


# A fault test: it waits out every retry of the update in real time (some 15 s): the slow stage.
@pytest.mark.slow
async def test_a_long_outage_gets_a_plain_answer_and_changes_nothing(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, STEP)
    before = counts(kesbangpol)
    faults = kesbangpol.emulator.faults
    faults.fail_for(600, ServerError(), method="getFile")
    holder.user.send_document(
        sample_pdf("Format"), "format.pdf", "application/pdf", reply_to=holder.disposition()
    )
    # The update is handled again through the outage, then the official is told plainly.
    (answer,) = await holder.user.wait_for_bot_messages(1, timeout=60)
    assert answer.text == T(Language.ID, "error.document_not_processed", name="format.pdf").replace(
        "<b>", ""
    ).replace("</b>", "")
    assert len(kesbangpol.emulator.calls_to("getFile")) > 1  # tried again before giving up
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert counts(kesbangpol) == before
    faults.clear()
    assert "diterima untuk langkah 4" in await upload_through_trouble(holder, "Format")

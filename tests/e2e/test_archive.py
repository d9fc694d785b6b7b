"""/cari, /arsip and /ekspor through the real bot: a seed SOP played to the end with its
uploads, found by a word of its title, by its number and by its letter number; hidden from a
member who had no part in it; exported as a zip whose SHA256SUMS check against its files and
whose PDF names every document's SHA-256 and says the audit chain verified; forged buttons
refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import re
import uuid

import pdfplumber
from sqlmodel import col, select

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import TITLE, World, play, start_procedure
from sopbot.demo.staffing import next_key
from sopbot.emulator import SeenMessage
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.keyboards import Action, callback
from sopbot.storage.models import DocumentRow, InstanceRow
from tests.e2e.test_cancel_and_move import forged, other_agency
from tests.e2e.test_history import join, plain
from tests.helpers.archive import open_zip

T = default_catalog().text
LETTER = "005/UND/Kesbangpol/XI/2026"
EXPORT = "📦 Ekspor"
FORGED = plain(T(Language.ID, "answer.invalid_button"))


def t(key: str, **params: object) -> str:
    return plain(T(Language.ID, key, **params))


async def played(demo: World) -> None:
    """No. 1 started and played to the end (a step sent back once), its letter number set as
    an admin's edit stores it."""
    await start_procedure(demo)
    await play(demo)
    with demo.parts.database.transaction() as session:
        row = session.exec(select(InstanceRow).where(InstanceRow.number == 1)).one()
        assert row.state == "finished"
        row.letter_number = LETTER
        row.letter_date = dt.date(2026, 10, 30)
        row.letter_sender = "Bappeda Kota Pekalongan"
        session.add(row)


def result_numbers(message: SeenMessage) -> list[str]:
    """The procedure numbers on a page of results, in order."""
    return re.findall(r"^No\. (\d+) · ", message.text or "", re.MULTILINE)


async def test_a_finished_procedure_is_found_by_title_number_and_letter(
    kesbangpol: World,
) -> None:
    await played(kesbangpol)
    admin = kesbangpol.admin
    (found,) = await admin.say("/cari kinerja triwulan")
    lines = (found.text or "").splitlines()
    assert lines[0] == "🔎 /cari kinerja triwulan"
    assert lines[1] == t("archive.results_count", count=1, page=1, pages=1)
    assert result_numbers(found) == ["1"]
    assert f"No. 1 · {TITLE}" in lines
    assert "   STANDAR OPERASIONAL PROSEDUR PENGUMPULAN DAN PENGOLAHAN DATA KINERJA · selesai" in (
        lines
    )
    assert f"   ✉️ {LETTER}" in lines
    assert found.button_list == [f"No. 1 · {TITLE}"]
    for typed in ("/cari #1", "/cari 1", "/cari 005/und", "/cari surat:kesbangpol/xi", "/arsip"):
        (again,) = await admin.say(typed)
        assert result_numbers(again) == ["1"], typed
    for typed in ("/cari berjalan", "/cari surat:999", "/cari rapat"):
        (none,) = await admin.say(typed)
        assert t("archive.results_none") in (none.text or ""), typed
    # A search that cannot be read says why, and how to search.
    (wrong,) = await admin.say("/cari dari:31/2/2026")
    assert (wrong.text or "").startswith(t("archive.query.bad_date", value="31/2/2026"))
    (usage,) = await admin.say("/cari")
    assert (usage.text or "").startswith("🔎 Mencari prosedur")
    assert t("archive.scope_admin") in (usage.text or "")


async def test_a_member_finds_only_what_involved_them(kesbangpol: World) -> None:
    await played(kesbangpol)
    guest = await join(kesbangpol, "Tamu", "Satu")
    (hidden,) = await guest.say("/cari kinerja")
    assert t("archive.results_none") in (hidden.text or "")
    assert t("archive.own_only") in (hidden.text or "")
    (hidden_too,) = await guest.say("/arsip")
    assert result_numbers(hidden_too) == []
    (refused,) = await guest.say("/ekspor 1")
    assert refused.text == t("archive.export_not_allowed", number=1)
    bidang = kesbangpol.officials["kepala_bidang"]
    (seen,) = await bidang.say("/cari kinerja")
    assert result_numbers(seen) == ["1"]
    assert t("archive.own_only") in (seen.text or "")


async def test_the_export_is_a_zip_an_auditor_can_check(kesbangpol: World) -> None:
    await played(kesbangpol)
    admin = kesbangpol.admin
    (found,) = await admin.say("/cari kinerja")
    await admin.press_text(found, found.button_list[0])
    (card,) = await admin.user.wait_for_bot_messages(1)
    text = card.text or ""
    assert text.startswith(f"📁 {TITLE} (No. 1)")
    # The letter reads as on every disposition (messaging.letters.letter_line).
    assert f"✉️ No. Surat: {LETTER} tgl 30 Oktober 2026 dari Bappeda Kota Pekalongan" in text
    assert "🗂 Riwayat" in text  # the history, as /riwayat shows it
    assert card.button_list == [EXPORT]
    answer = await admin.press_text(card, EXPORT)
    assert answer.text == t("archive.export_preparing")
    (sent,) = await admin.user.wait_for_bot_messages(1)
    assert sent.document == "arsip-kesbangpol-pekalongan-no1.zip"
    assert (sent.text or "").startswith(f"📦 Arsip Prosedur No. 1: {TITLE}")
    assert t("archive.export_chain_intact") in (sent.text or "")
    opened = open_zip(admin.user.document_content(sent))

    with kesbangpol.parts.database.transaction() as session:
        rows = list(session.exec(select(DocumentRow).order_by(col(DocumentRow.uploaded_at))))
    # Steps 4, 7 and 9 upload, and step 4 again after step 5 sent the work back.
    assert len(rows) == 4
    # SHA256SUMS, computed here over the files as unpacked: every line checks.
    for digest, name in opened.sums:
        assert hashlib.sha256(opened.files[name]).hexdigest() == digest, name
    assert {name for _, name in opened.sums} == set(opened.files) - {"SHA256SUMS"}
    assert sorted(hashlib.sha256(d).hexdigest() for d in opened.documents().values()) == sorted(
        row.sha256 for row in rows
    )
    with pdfplumber.open(io.BytesIO(opened.pdf())) as pdf:
        words = " ".join(" ".join((page.extract_text() or "") for page in pdf.pages).split())
    flat = words.replace(" ", "")
    for row in rows:
        assert row.sha256 in flat
    assert "Rantai audit instansi" in words
    assert "Terverifikasi:" in words
    assert "TIDAK UTUH" not in words
    assert LETTER in words

    # /ekspor NO sends the same documents.
    (by_number,) = await admin.say("/ekspor 1")
    assert by_number.document == sent.document
    again = open_zip(admin.user.document_content(by_number))
    assert again.documents() == opened.documents()
    (missing,) = await admin.say("/ekspor 7")
    assert missing.text == t("history.not_found", number=7)
    (usage,) = await admin.say("/ekspor")
    assert usage.text == t("archive.export_usage")


async def test_pages_of_results_and_forged_buttons(kesbangpol: World) -> None:
    await played(kesbangpol)
    admin = kesbangpol.admin
    procedures = kesbangpol.parts.services.procedures
    starter = kesbangpol.officials["kepala_dinas"].member_id
    assert starter is not None
    for index in range(9):
        await asyncio.to_thread(
            procedures.start,
            next_key(),
            agency_id=kesbangpol.agency_id,
            sop_id=kesbangpol.definition.id,
            title=f"Data Kinerja Bulan {index + 1}",
            starter_id=starter,
        )
    await settle(kesbangpol.emulator, kesbangpol.parts)
    (first,) = await admin.say("/cari kinerja")
    assert t("archive.results_count", count=10, page=1, pages=2) in (first.text or "")
    assert result_numbers(first) == ["10", "9", "8", "7", "6", "5", "4", "3"]
    assert first.button_list[-1] == "▶️"
    await admin.press_text(first, "▶️")
    user = admin.user
    await user.wait_until(lambda: user.message(first.message_id).edited, 15.0, "page 2")
    second = user.message(first.message_id)  # the same message, edited
    assert second.text is not None
    assert second.text.splitlines()[0] == "🔎 /cari kinerja"
    assert t("archive.results_count", count=10, page=2, pages=2) in second.text
    assert result_numbers(second) == ["2", "1"]
    assert second.button_list[-1] == "◀️"

    # Forged: a page that is no number, a page button under a message that is no search, a
    # procedure of another agency, an id that is no procedure.
    assert await forged(admin, first, "Ap:abc") == FORGED
    (other_message,) = await admin.say("/tugas")
    assert await forged(admin, other_message, callback(Action.ARCHIVE_PAGE, 1)) == FORGED
    _, theirs = await other_agency(kesbangpol, 1)
    assert await forged(admin, first, callback(Action.ARCHIVE_OPEN, theirs[0])) == FORGED
    assert await forged(admin, first, callback(Action.ARCHIVE_OPEN, uuid.uuid4())) == FORGED
    # A page button pressed by someone who may see less shows them only what they may see:
    # the search runs again for the presser. And an export button forged by a guest: refused.
    guest: Official = await join(kesbangpol, "Tamu", "Dua")
    (theirs_page,) = await guest.say("/cari kinerja")
    assert result_numbers(theirs_page) == []
    with kesbangpol.parts.database.transaction() as session:
        first_id = session.exec(
            select(InstanceRow.id).where(
                InstanceRow.agency_id == kesbangpol.agency_id, InstanceRow.number == 1
            )
        ).one()
    refused = await forged(guest, theirs_page, callback(Action.ARCHIVE_OPEN, first_id))
    assert refused == t("history.not_allowed", number=1)
    query = guest.user.press_raw(theirs_page.message_id, callback(Action.ARCHIVE_EXPORT, first_id))
    await guest.user.wait_for_answer(query)
    (export_refused,) = await guest.user.wait_for_bot_messages(1)
    assert export_refused.text == t("archive.export_not_allowed", number=1)
    assert all(m.document is None for m in guest.user.bot_messages())

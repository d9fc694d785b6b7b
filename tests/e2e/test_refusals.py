"""Bad input gets a clear answer and changes nothing: strangers, the wrong holder, forged and
stale buttons, oversize and wrong-type files, double taps."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from sopbot.demo.officials import Official, settle
from sopbot.demo.samples import sample_pdf
from sopbot.demo.scenario import World, start_procedure
from sopbot.emulator import ButtonNotFound
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.keyboards import Action, callback
from sopbot.storage.models import AuditRow, DocumentRow
from tests.helpers.row_counts import rows_per_table

T = default_catalog().text


def counts(demo: World) -> dict[str, int]:
    """Rows per table (the stored updates, replies, command keys and workers' state left
    out)."""
    return rows_per_table(demo.parts.database)


async def at_step(demo: World, step: int) -> Official:
    """Start the procedure and complete steps until `step` is open; its holder."""
    await start_procedure(demo)
    while True:
        for official in demo.officials.values():
            assert official.member_id is not None
            items = demo.parts.services.procedures.inbox(official.member_id)
            if items and items[0].step_number == step:
                return official
            if items:
                message = official.disposition()
                definition_step = demo.definition.step(items[0].step_number)
                if definition_step.output_kind.value == "dokumen":
                    await official.upload(message, sample_pdf("x"), "x.pdf", "application/pdf")
                label = "button.yes" if definition_step.is_decision else "button.complete"
                await official.press(message, label)
                await settle(demo.emulator, demo.parts)
                break
        else:
            raise AssertionError(f"step {step} never opened")


async def test_a_stranger_gets_a_polite_no_and_nothing_else(kesbangpol: World) -> None:
    before = counts(kesbangpol)
    stranger = kesbangpol.emulator.add_user("Orang", "Asing")
    stranger_text = T(Language.ID, "onboarding.stranger")
    for text in ("halo", "/tugas", "/status", "/mulai", "/start", "/start tokenpalsu"):
        (answer,) = await Official(stranger, "-").say(text)
        expected = (
            stranger_text
            if text != "/start tokenpalsu"
            else T(Language.ID, "onboarding.invite_invalid")
        )
        assert answer.text == expected.replace("<b>", "").replace("</b>", "")
    stranger.send_document(sample_pdf("x"), "x.pdf", "application/pdf")
    (answer,) = await stranger.wait_for_bot_messages(1)
    assert answer.text == stranger_text
    assert counts(kesbangpol) == before


async def test_an_invitation_works_once(kesbangpol: World) -> None:
    services = kesbangpol.parts.services
    token, _ = services.onboarding.invite(
        agency_id=kesbangpol.agency_id, created_by_id=kesbangpol.admin.member_id
    )
    first = Official(kesbangpol.emulator.add_user("Tamu", "Satu"), "-")
    second = Official(kesbangpol.emulator.add_user("Tamu", "Dua"), "-")
    (welcome,) = await first.say(f"/start {token}")
    assert (welcome.text or "").startswith("Selamat datang, Tamu Satu.")
    (refused,) = await second.say(f"/start {token}")
    assert refused.text == T(Language.ID, "onboarding.invite_invalid")


async def test_the_wrong_holder_and_forged_buttons_change_nothing(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, 3)  # Kassubag Renval
    message = holder.disposition()
    other = kesbangpol.officials["sekretaris"]
    before = counts(kesbangpol)
    data = complete_data(kesbangpol, holder)
    # Another official forges a press of the holder's button.
    query = other.user.press_raw(message.message_id, data)
    answer = await other.user.wait_for_answer(query)
    assert answer.text == T(Language.ID, "answer.not_yours")
    # Data that the bot never made, or for a disposition that does not exist.
    for forged in ("s:not-a-uuid", "zz:1", "s:" + "0" * 32, "h:" + "1" * 32 + ":999", ""):
        query = holder.user.press_raw(message.message_id, forged)
        answer = await holder.user.wait_for_answer(query)
        assert answer.text in (
            T(Language.ID, "answer.invalid_button"),
            T(Language.ID, "answer.unknown_member"),
        ), forged
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert counts(kesbangpol) == before


def complete_data(demo: World, official: Official) -> str:
    """The callback data of the official's "Selesai" button, as the bot makes it."""
    assert official.member_id is not None
    (item,) = demo.parts.services.procedures.inbox(official.member_id)
    return callback(Action.COMPLETE, item.disposition_id)


async def test_a_stale_button_and_a_double_tap(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, 2)  # Sekretaris
    message = holder.disposition()
    data = complete_data(kesbangpol, holder)
    # Two taps at once: one is recorded, the other told it is already done.
    first = holder.user.press(message, holder.label("button.complete"))
    second = holder.user.press(message, holder.label("button.complete"))
    answers = {(await holder.user.wait_for_answer(q)).text for q in (first, second)}
    name = holder.name
    assert answers == {
        T(Language.ID, "answer.done"),
        T(Language.ID, "answer.already_done", person=name),
    }
    await settle(kesbangpol.emulator, kesbangpol.parts)
    # The old message no longer shows the button...
    with pytest.raises(ButtonNotFound):
        holder.user.press(holder.user.message(message.message_id), holder.label("button.complete"))
    # ...and replaying its data (an old client) changes nothing.
    before = counts(kesbangpol)
    answer = await holder.user.wait_for_answer(holder.user.press_raw(message.message_id, data))
    assert answer.text == T(Language.ID, "answer.already_done", person=name)
    assert counts(kesbangpol) == before


async def test_a_document_step_needs_a_document(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, 4)  # Petugas: the format is a document
    message = holder.disposition()
    answer = await holder.press(message, "button.complete")
    assert answer.text == T(
        Language.ID, "answer.document_required", output="format atau media pengumpulan data kinerja"
    )
    assert answer.show_alert


async def test_oversize_and_wrong_type_files_are_refused(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, 4)
    message = holder.disposition()
    before = counts(kesbangpol)
    big = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024 + 1)
    reply = await holder.upload(message, big, "besar.pdf", "application/pdf")
    assert (reply.text or "").startswith("Berkas terlalu besar (20,0 MB)")
    # An executable that claims to be a PDF, by name and by MIME type.
    reply = await holder.upload(
        message, b"MZ\x90\x00" + b"\x00" * 512, "laporan.pdf", "application/pdf"
    )
    assert (reply.text or "").startswith("Jenis berkas ini tidak diterima.")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert counts(kesbangpol) == before
    with kesbangpol.parts.database.transaction() as session:
        assert session.exec(select(DocumentRow)).all() == []


async def test_a_reply_note_and_a_rejection_with_its_reason(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, 4)
    message = holder.disposition()
    (saved,) = await holder.say("Format memakai templat 2025", reply_to=message)
    assert (saved.text or "").startswith("📝 Catatan disimpan untuk langkah 4.")
    await holder.upload(message, sample_pdf("format"), "format.pdf", "application/pdf")
    await holder.press(message, "button.complete")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    checker = kesbangpol.officials["kassubag_renval"]
    check = checker.disposition()
    assert "Catatan: Format memakai templat 2025" in (check.text or "")
    await checker.press(check, "button.no")
    (ask,) = await checker.user.wait_for_bot_messages(1)
    assert (ask.text or "").startswith("❌ Tulis apa yang tidak sesuai pada langkah 5")
    await checker.say("Kolom target belum ada")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    redo = holder.disposition()
    assert "🔁 Putaran ke-2" in (redo.text or "")
    assert "Catatan: Kolom target belum ada" in (redo.text or "")
    with kesbangpol.parts.database.transaction() as session:
        rejected = session.exec(
            select(AuditRow).where(AuditRow.action == "complete", AuditRow.entity == "step_run")
        ).all()
    assert any(r.detail.get("answer") == "tidak" for r in rejected)


async def test_hand_over_through_the_buttons(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, 2)  # Sekretaris
    colleague = kesbangpol.officials["kassubag_renval"]
    message = holder.disposition()
    await holder.press(message, "button.hand_over")
    (menu,) = await holder.user.wait_for_bot_messages(1)
    await holder.press_text(menu, colleague.name)
    (ask,) = await holder.user.wait_for_bot_messages(1)
    assert colleague.name in (ask.text or "")
    await holder.say("Saya sedang dinas luar kota")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert "Dialihkan kepada" in (holder.user.message(message.message_id).text or "")
    handed = colleague.disposition()
    assert "Langkah 2 dari 13" in (handed.text or "")
    assert "Catatan: Saya sedang dinas luar kota" in (handed.text or "")


async def test_tasks_history_status_and_language(kesbangpol: World) -> None:
    holder = await at_step(kesbangpol, 3)
    (tasks,) = await holder.say("/tugas")
    assert (tasks.text or "").startswith("📋 Tugas Anda (1)")
    (history,) = await holder.say("/riwayat 1")
    assert "Riwayat Pengolahan Data Kinerja Triwulan III 2026" in (history.text or "")
    (refused,) = await holder.say("/status")
    assert refused.text == T(Language.ID, "status_report.not_admin")
    _, status = await kesbangpol.admin.say("/status", expect=2)  # the chart, then the text
    assert "Langkah 3" in (status.text or "")
    (menu,) = await holder.say("/bahasa")
    await holder.press_text(menu, "🇬🇧 English")
    holder.language = Language.EN
    (english,) = await holder.say("/tugas")
    assert (english.text or "").startswith("📋 Your tasks (1)")
    assert holder.label("button.complete") == "✅ Done"
    await asyncio.sleep(0)

"""The letter a procedure follows up (issue 21) through the real bot: asked at /mulai (its
number, then its date as officials write it, then its sender; one tap skips it all), refused
and asked again when it cannot be right, kept across a restart, shown on every disposition, on
/status NO, /riwayat NO and /tugas; changed and removed with /surat by an admin (and by the
starter while it runs), nobody else, forged buttons included."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.lifecycle import running
from sopbot.bot.runner import sync_at_start_up
from sopbot.demo.officials import Official, settle
from sopbot.demo.samples import sample_pdf
from sopbot.demo.scenario import (
    SIMULATED_FLOOD,
    SIMULATED_INBOUND,
    TITLE,
    TypedLetter,
    World,
    _enrol,
    give_title,
    start_procedure,
)
from sopbot.emulator import BotApiEmulator, SeenMessage
from sopbot.engine.library import SopLibrary
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.keyboards import Action, callback
from sopbot.storage.database import Database
from sopbot.storage.models import AuditRow, InstanceRow
from tests.e2e.conftest import KESBANGPOL

T = default_catalog().text
WIB = ZoneInfo("Asia/Jakarta")  # Kesbangpol Pekalongan's zone
NUMBER = "005/123/Kesbangpol/2025"
SENDER = "Sekretariat Daerah Kota Pekalongan"
ADMIN = "Nur Aini (Admin)"  # the admin as a member of the agency (sopbot.demo.scenario)
NOTE_ASKED = "Tulis catatan disposisi"


def plain(text: str) -> str:
    """A catalog text as the person's app shows it (the HTML tags rendered away)."""
    return html.unescape(re.sub(r"</?[a-z]+>", "", text))


def t(key: str, **params: object) -> str:
    return plain(T(Language.ID, key, **params))


def asked_again(problem: str, question: str) -> str:
    """A refused answer's reply: what was wrong, then the same question."""
    return f"{t(f'letters.problem_{problem}')}\n\n{t(question)}"


def instances(demo: World) -> list[InstanceRow]:
    with demo.parts.database.reading() as session:
        return list(session.exec(select(InstanceRow).order_by(col(InstanceRow.number))))


def letter_audit(parts: BotParts) -> list[AuditRow]:
    with parts.database.reading() as session:
        rows = session.exec(select(AuditRow).where(AuditRow.action == "letter"))
        return sorted(rows, key=lambda row: row.id or 0)


async def settled(demo: World) -> None:
    await settle(demo.emulator, demo.parts)


async def ask_title(official: Official, demo: World) -> None:
    """/mulai and the SOP: the title is asked."""
    (menu,) = await official.say("/mulai")
    await official.press_text(menu, demo.definition.identity.name[:60])
    await official.user.wait_for_bot_messages(1)


def data_of(official: Official, message: SeenMessage, label: str) -> str:
    """The callback data of a button on a message, as a tampered client reads it."""
    for text, data in official.user.button_data(message):
        if text == label and data is not None:
            return data
    raise LookupError(label)


async def forged(official: Official, message: SeenMessage, data: str) -> str:
    """A press of callback data the person's app never showed; the bot's alert."""
    query = official.user.press_raw(message.message_id, data)
    answer = await official.user.wait_for_answer(query)
    assert answer.show_alert
    return answer.text or ""


def today_in_wib() -> dt.date:
    return dt.datetime.now(WIB).date()


async def test_a_letter_given_at_mulai_in_each_written_form_reaches_every_disposition(
    kesbangpol: World,
) -> None:
    kadis, sekretaris = kesbangpol.officials["kepala_dinas"], kesbangpol.officials["sekretaris"]
    forms = {
        "03/12/2025": "3 Desember 2025",
        "3-12-2025": "3 Desember 2025",
        "3 Desember 2025": "3 Desember 2025",
        "3 Des 2025": "3 Desember 2025",
        "17/8/25": "17 Agustus 2025",
    }
    for number, (typed, shown) in enumerate(forms.items(), start=1):
        await ask_title(kadis, kesbangpol)
        (question,) = await kadis.say(f"Data Kinerja {number}")
        assert question.text == t("letters.ask_number")
        assert question.button_list == ["Lewati", "Batal"]
        (question,) = await kadis.say(f"  {NUMBER}-{number} ")
        assert question.text == t("letters.ask_date")
        (question,) = await kadis.say(typed)
        assert question.text == t("letters.ask_sender")
        (question,) = await kadis.say(SENDER)
        assert (question.text or "").startswith(NOTE_ASKED)
        # Nothing is written before the last answer.
        assert len(instances(kesbangpol)) == number - 1
        (started,) = await kadis.say("Segera")
        line = f"✉️ No. Surat: {NUMBER}-{number} tgl {shown} dari {SENDER}"
        assert (started.text or "").splitlines() == [
            t(
                "start.started",
                title=f"Data Kinerja {number}",
                number=number,
                sop=kesbangpol.definition.identity.name,
            ),
            line,
        ]
        await settled(kesbangpol)
        disposition = sekretaris.disposition().text or ""
        assert f"Data Kinerja {number} (No. {number})" in disposition
        assert disposition.splitlines()[2] == line  # under the title
    stored = instances(kesbangpol)
    assert [(r.letter_number, r.letter_date, r.letter_sender) for r in stored] == [
        (f"{NUMBER}-{n}", dt.date(2025, 12, 3) if n < 5 else dt.date(2025, 8, 17), SENDER)
        for n in range(1, 6)
    ]
    # The next official's disposition names it too.
    await sekretaris.press(sekretaris.disposition(), "button.complete")
    await settled(kesbangpol)
    renval = kesbangpol.officials["kassubag_renval"]
    assert f"✉️ No. Surat: {NUMBER}-5 tgl 17 Agustus 2025 dari {SENDER}" in (
        renval.disposition().text or ""
    )


async def test_no_letter_is_one_tap_and_hari_ini_is_the_agencys_today(kesbangpol: World) -> None:
    kadis, sekretaris = kesbangpol.officials["kepala_dinas"], kesbangpol.officials["sekretaris"]
    await ask_title(kadis, kesbangpol)
    (question,) = await kadis.say("Tanpa surat")
    await kadis.press(question, "button.skip")
    (note,) = await kadis.user.wait_for_bot_messages(1)
    assert (note.text or "").startswith(NOTE_ASKED)
    assert kadis.user.message(question.message_id).buttons == ()
    (started,) = await kadis.say("Segera")
    assert "No. Surat" not in (started.text or "")
    await settled(kesbangpol)
    assert "No. Surat" not in (sekretaris.disposition().text or "")

    # The date given as "hari ini" (the agency's today), the sender skipped.
    await ask_title(kadis, kesbangpol)
    await kadis.say("Surat hari ini")
    before = today_in_wib()
    (question,) = await kadis.say(NUMBER)
    (question,) = await kadis.say("hari ini")
    after = today_in_wib()
    assert question.text == t("letters.ask_sender")
    await kadis.press(question, "button.skip")
    await kadis.user.wait_for_bot_messages(1)
    await kadis.say("Segera")
    second = instances(kesbangpol)[1]
    assert (second.letter_number, second.letter_sender) == (NUMBER, None)
    assert second.letter_date in (before, after)
    assert [r.letter_number for r in instances(kesbangpol)] == [None, NUMBER]


async def test_answers_that_cannot_be_right_are_refused_and_asked_again(kesbangpol: World) -> None:
    kadis = kesbangpol.officials["kepala_dinas"]
    await ask_title(kadis, kesbangpol)
    (first,) = await kadis.say(TITLE)
    # A note typed one question too early is no letter number.
    (again,) = await kadis.say("Untuk ditindaklanjuti")
    assert again.text == asked_again("number_without_digit", "letters.ask_number")
    assert again.button_list == ["Lewati", "Batal"]
    assert kadis.user.message(first.message_id).buttons == ()  # one question on the screen
    (again,) = await kadis.say("9" * 101)
    assert again.text == t("letters.too_long", length=101, limit=100)
    (question,) = await kadis.say(NUMBER)
    assert question.text == t("letters.ask_date")
    for typed, problem in [
        ("31/02/2025", "date_no_such_day"),
        ("besok pagi", "date_unreadable"),
        ("3 Desember 2099", "date_after_today"),
        ("3/12/1899", "date_too_early"),
    ]:
        (again,) = await kadis.say(typed)
        assert again.text == asked_again(problem, "letters.ask_date"), typed
        assert again.button_list == ["Lewati", "Batal"]
    # A Lewati of another of the letter's questions (an old screen's): no longer valid, and
    # the date's question stays open.
    for part in ("n", "s"):
        skip = callback(Action.LETTER_SKIP, part)
        assert await forged(kadis, again, skip) == t("answer.invalid_button")
    # The date's own Lewati, pressed on the first asking's message (its buttons gone, a
    # tampered app): only the question's current message skips it.
    stale = callback(Action.LETTER_SKIP, "d")
    assert await forged(kadis, question, stale) == t("answer.invalid_button")
    assert len(instances(kesbangpol)) == 0
    (question,) = await kadis.say("kemarin")
    assert question.text == t("letters.ask_sender")
    await kadis.press(question, "button.skip")
    await kadis.user.wait_for_bot_messages(1)
    # The sender's Lewati again, now that the note is asked: nothing happens.
    skip = callback(Action.LETTER_SKIP, "s")
    assert await forged(kadis, question, skip) == t("answer.invalid_button")
    await kadis.say("Segera")
    (stored,) = instances(kesbangpol)
    yesterday = today_in_wib() - dt.timedelta(days=1)
    assert (stored.letter_number, stored.letter_sender) == (NUMBER, None)
    assert stored.letter_date in (yesterday, yesterday + dt.timedelta(days=1))


async def test_a_file_sent_at_the_letters_question_is_the_incoming_letter(
    kesbangpol: World,
) -> None:
    kadis, sekretaris = kesbangpol.officials["kepala_dinas"], kesbangpol.officials["sekretaris"]
    await ask_title(kadis, kesbangpol)
    await kadis.say("Data Kinerja Triwulan IV")
    scan = sample_pdf("Surat Sekda 000.8/123")
    reply = await kadis.upload(None, scan, "surat-sekda.pdf", "application/pdf")
    assert reply.text == f"📎 Surat masuk surat-sekda.pdf diterima.\n\n{t('letters.ask_number')}"
    (question,) = await kadis.say("000.8/123/Setda/2025")
    await kadis.press(question, "button.skip")
    (question,) = await kadis.user.wait_for_bot_messages(1)
    await kadis.press(question, "button.skip")
    await kadis.user.wait_for_bot_messages(1)
    await kadis.say("Segera")
    await settled(kesbangpol)
    assert [m.document for m in sekretaris.user.bot_messages() if m.document] == ["surat-sekda.pdf"]
    assert "✉️ No. Surat: 000.8/123/Setda/2025\n" in (sekretaris.disposition().text or "")


def bot_on(
    library: SopLibrary, emulator: BotApiEmulator, database: Database, tmp_path: Path
) -> BotParts:
    """A bot as `sopbot run` starts it, on a database that outlives it."""
    return build_bot(
        token=emulator.token,
        database=database,
        library=sync_at_start_up(database, library, check_every=0),
        documents_dir=tmp_path / "documents",
        base_url=f"http://127.0.0.1:{emulator.port}",
        sender_idle_wait=0.2,
        inbound=SIMULATED_INBOUND,
        flood=SIMULATED_FLOOD,
    )


async def test_the_letters_questions_survive_a_restart(
    library: SopLibrary, database: Database, tmp_path: Path
) -> None:
    definition = library.definitions[KESBANGPOL]
    async with BotApiEmulator() as emulator:
        parts = bot_on(library, emulator, database, tmp_path)
        async with running(parts):
            demo = await _enrol(emulator, parts, definition)
            kadis = demo.officials["kepala_dinas"]
            await ask_title(kadis, demo)
            await kadis.say(TITLE)
            (question,) = await kadis.say(NUMBER)
            assert question.text == t("letters.ask_date")
            await settle(emulator, parts)
        parts = bot_on(library, emulator, database, tmp_path)
        async with running(parts):
            (question,) = await kadis.say("3 Des 2025")
            assert question.text == t("letters.ask_sender")
            (question,) = await kadis.say(SENDER)
            await kadis.press(question, "button.skip")
            (started,) = await kadis.user.wait_for_bot_messages(1)
            assert (started.text or "").endswith(
                f"✉️ No. Surat: {NUMBER} tgl 3 Desember 2025 dari {SENDER}"
            )
            await settle(emulator, parts)
        with database.reading() as session:
            (row,) = session.exec(select(InstanceRow))
            assert (row.letter_number, row.letter_date) == (NUMBER, dt.date(2025, 12, 3))


async def test_an_admin_changes_the_letter_and_nobody_else_can(kesbangpol: World) -> None:
    await start_procedure(kesbangpol, letter=TypedLetter(NUMBER, "3/12/2025", SENDER))
    admin, sekretaris = kesbangpol.admin, kesbangpol.officials["sekretaris"]
    held = sekretaris.disposition()
    line = f"✉️ No. Surat: {NUMBER} tgl 3 Desember 2025 dari {SENDER}"
    assert line in (held.text or "")

    # Someone who neither started it nor is an admin: refused, by command and by button.
    (refused,) = await sekretaris.say("/surat 1")
    assert refused.text == t("letters.not_allowed")
    (usage,) = await sekretaris.say("/surat")
    assert usage.text == t("letters.usage")
    (card,) = await admin.say("/surat 1")
    assert card.text == "\n".join(
        [
            t("letters.card_header", title=TITLE, number=1),
            f"Nomor: {NUMBER}",
            "Tanggal: 3 Desember 2025",
            f"Pengirim: {SENDER}",
        ]
    )
    assert card.button_list == ["✏️ Nomor", "📅 Tanggal", "🏢 Pengirim", "🗑 Hapus surat"]
    before = len(letter_audit(kesbangpol.parts))
    for label in ("✏️ Nomor", "🗑 Hapus surat"):
        assert await forged(sekretaris, held, data_of(admin, card, label)) == t(
            "letters.not_allowed"
        )
    instance_id = instances(kesbangpol)[0].id
    for data in (
        callback(Action.LETTER_CLEAR_CONFIRM, instance_id),
        callback(Action.LETTER_EDIT, instance_id, "s"),
    ):
        assert await forged(sekretaris, held, data) == t("letters.not_allowed")
    # Malformed, or naming what is not there: no longer valid, whatever the button says.
    for data in ("Le:" + "0" * 32 + ":n", f"Le:{instance_id.hex}:z", "Lc:x", "Ly:" + "1" * 32):
        assert await forged(admin, card, data) == t("answer.invalid_button"), data
    (missing,) = await admin.say("/surat 7")
    assert missing.text == t("history.not_found", number=7)
    await settled(kesbangpol)
    assert len(letter_audit(kesbangpol.parts)) == before
    assert instances(kesbangpol)[0].letter_number == NUMBER

    # The admin changes the date: a wrong one is asked again; the holder's message is
    # edited to show the new one, and no new message rings their phone.
    seen = len(sekretaris.user.bot_messages())
    await admin.press_text(card, "📅 Tanggal")
    (question,) = await admin.user.wait_for_bot_messages(1)
    assert question.text == t("letters.edit_ask_date", title=TITLE, number=1)
    (again,) = await admin.say("31/02/2025")
    assert again.text == f"{t('letters.problem_date_no_such_day')}\n\n{question.text}"
    (changed,) = await admin.say("4 Des 2025")
    assert changed.text == "\n\n".join(
        [
            t("letters.changed", title=TITLE, number=1),
            "\n".join(
                [
                    t("letters.card_header", title=TITLE, number=1),
                    f"Nomor: {NUMBER}",
                    "Tanggal: 4 Desember 2025",
                    f"Pengirim: {SENDER}",
                ]
            ),
        ]
    )
    await settled(kesbangpol)
    edited = sekretaris.user.message(held.message_id)
    assert f"✉️ No. Surat: {NUMBER} tgl 4 Desember 2025 dari {SENDER}" in (edited.text or "")
    assert edited.button_list == held.button_list  # still live
    assert len(sekretaris.user.bot_messages()) == seen

    # The sender cleared with "-", the number set with the command itself.
    await admin.press_text(changed, "🏢 Pengirim")
    await admin.user.wait_for_bot_messages(1)
    await admin.say("-")
    (changed,) = await admin.say("/surat 1 B-77/Kesbangpol/2025")
    assert "Nomor: B-77/Kesbangpol/2025\nTanggal: 4 Desember 2025\nPengirim: -" in (
        changed.text or ""
    )
    await settled(kesbangpol)
    new_line = "✉️ No. Surat: B-77/Kesbangpol/2025 tgl 4 Desember 2025"
    assert new_line in (sekretaris.user.message(held.message_id).text or "").splitlines()

    # Every view names it: /status NO, /tugas, /riwayat with who changed what.
    _, status = await admin.say("/status 1", expect=2)  # its timeline, then the text
    assert (status.text or "").splitlines()[1] == new_line
    (tasks,) = await sekretaris.say("/tugas")
    assert f"   {new_line}" in (tasks.text or "").splitlines()
    (history,) = await admin.say("/riwayat 1")
    lines = (history.text or "").splitlines()
    assert lines[1] == new_line
    assert [line.split(" · ", 1)[1] for line in lines if "No. Surat " in line] == [
        f"{ADMIN} mengubah No. Surat menjadi {NUMBER} tgl 4 Desember 2025 dari {SENDER}",
        f"{ADMIN} mengubah No. Surat menjadi {NUMBER} tgl 4 Desember 2025",
        f"{ADMIN} mengubah No. Surat menjadi B-77/Kesbangpol/2025 tgl 4 Desember 2025",
    ]

    # Removed, after a confirmation; "Tidak jadi" first keeps it.
    (card,) = await admin.say("/surat 1")
    await admin.press_text(card, "🗑 Hapus surat")
    (confirmation,) = await admin.user.wait_for_bot_messages(1)
    assert confirmation.text == t(
        "letters.clear_confirm", letter="B-77/Kesbangpol/2025", title=TITLE, number=1
    )
    kept = await admin.press_text(confirmation, "↩️ Tidak jadi")
    assert kept.text == t("letters.kept")
    assert instances(kesbangpol)[0].letter_number == "B-77/Kesbangpol/2025"
    (card,) = await admin.say("/surat 1")
    await admin.press_text(card, "🗑 Hapus surat")
    (confirmation,) = await admin.user.wait_for_bot_messages(1)
    await admin.press_text(confirmation, "🗑 Ya, hapus")
    (removed,) = await admin.user.wait_for_bot_messages(1)
    assert removed.text == "\n\n".join(
        [
            t("letters.removed", title=TITLE, number=1),
            t("letters.card_header", title=TITLE, number=1) + "\n" + t("letters.card_none"),
        ]
    )
    assert removed.button_list == ["➕ Isi nomor surat"]
    await settled(kesbangpol)
    assert "No. Surat" not in (sekretaris.user.message(held.message_id).text or "")
    (history,) = await admin.say("/riwayat 1")
    assert (history.text or "").endswith(f"{ADMIN} menghapus No. Surat B-77/Kesbangpol/2025")
    # Audited: one row per change, by the admin, the letter before and after kept.
    rows = letter_audit(kesbangpol.parts)[before:]
    assert [row.actor_id for row in rows] == [admin.member_id] * 4
    assert rows[-1].detail == {
        "was_letter_number": "B-77/Kesbangpol/2025",
        "was_letter_date": "2025-12-04",
        "removed": True,
    }


async def test_the_starter_changes_it_while_it_runs_and_only_an_admin_after(
    kesbangpol: World,
) -> None:
    await start_procedure(kesbangpol)  # no letter
    kadis, admin = kesbangpol.officials["kepala_dinas"], kesbangpol.admin
    (card,) = await kadis.say("/surat 1")
    assert card.text == "\n".join(
        [t("letters.card_header", title=TITLE, number=1), t("letters.card_none")]
    )
    # Without a number there is no date to give: only the number's button, and a forged
    # date button is told why.
    assert card.button_list == ["➕ Isi nomor surat"]
    date_data = data_of(kadis, card, "➕ Isi nomor surat").replace(":n", ":d")
    assert await forged(kadis, card, date_data) == t("letters.problem_number_first")
    await kadis.press_text(card, "➕ Isi nomor surat")
    await kadis.user.wait_for_bot_messages(1)
    (changed,) = await kadis.say(NUMBER)
    assert (changed.text or "").startswith(t("letters.changed", title=TITLE, number=1))
    # Once it has ended, the starter may not; an admin still may (the record's number).
    (confirmation,) = await kadis.say("/batal 1 Salah SOP")
    await kadis.press_text(confirmation, "⛔ Ya, batalkan")
    await kadis.user.wait_for_bot_messages(1)
    (refused,) = await kadis.say("/surat 1 999/1/2025")
    assert refused.text == t("letters.ended")
    assert await forged(kadis, changed, data_of(kadis, changed, "✏️ Nomor")) == t("letters.ended")
    (done,) = await admin.say("/surat 1 999/1/2025")
    assert "Nomor: 999/1/2025" in (done.text or "")
    await settled(kesbangpol)
    assert instances(kesbangpol)[0].letter_number == "999/1/2025"
    assert [row.actor_id for row in letter_audit(kesbangpol.parts)] == [
        kadis.member_id,
        admin.member_id,
    ]


async def test_give_title_types_the_letter_as_the_demo_does(kesbangpol: World) -> None:
    """The helper the demo plays /mulai with: the letter's parts, each skipped when None."""
    kadis = kesbangpol.officials["kepala_dinas"]
    await ask_title(kadis, kesbangpol)
    await give_title(kadis, "Dengan surat", TypedLetter(NUMBER, None, SENDER))
    await kadis.say("Segera")
    (row,) = instances(kesbangpol)
    assert (row.letter_number, row.letter_date, row.letter_sender) == (NUMBER, None, SENDER)

"""Issue 16, item 1: long and odd text through the real bot against the emulator.

A title of 830 "&" was 4150 characters of HTML: the splitter cut it inside <b>, Telegram refused
every message that carried it, and the views broke for as long as the procedure ran. Telegram
counts a message after parsing its HTML, in UTF-16 units; so must the bot.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import World, act, start_procedure
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.storage.models import DispositionRow, InstanceRow

T = default_catalog().text
SENDS = ("sendMessage", "editMessageText", "sendDocument")


def instances(demo: World) -> int:
    with demo.parts.database.reading() as session:
        return int(session.exec(select(func.count()).select_from(InstanceRow)).one())


def refused_sends(demo: World) -> list[str]:
    """What Telegram refused of the bot's messages (nothing, when the HTML is right)."""
    return [
        f"{call.method}: {call.description}"
        for call in demo.emulator.calls
        if call.method in SENDS and not call.ok
    ]


def apologies(demo: World) -> list[str]:
    """Every "Maaf, terjadi kesalahan" anyone got."""
    sorry = T(Language.ID, "error.unexpected")
    people = [*demo.officials.values(), demo.admin]
    return [
        person.name
        for person in people
        for message in person.user.bot_messages()
        if message.text == sorry
    ]


def holder_of(demo: World, step: int) -> Official:
    procedures = demo.parts.services.procedures
    for official in demo.officials.values():
        assert official.member_id is not None
        if any(item.step_number == step for item in procedures.inbox(official.member_id)):
            return official
    raise AssertionError(f"nobody holds step {step}")


async def ask_for_a_title(demo: World) -> Official:
    starter = demo.officials[demo.definition.first_step.role]
    (menu,) = await starter.say("/mulai")
    await starter.press_text(menu, demo.definition.identity.name[:60])
    (ask,) = await starter.user.wait_for_bot_messages(1)
    assert (ask.text or "").startswith("Tulis judul prosedur ini")
    return starter


async def test_a_title_of_830_ampersands_is_refused_naming_the_limit(kesbangpol: World) -> None:
    starter = await ask_for_a_title(kesbangpol)
    (refusal,) = await starter.say("&" * 830)
    assert refusal.text == T(Language.ID, "ask.title_too_long", length=830, limit=250)
    assert instances(kesbangpol) == 0
    # The question stays open: a title within the limit is taken.
    (ask_letter,) = await starter.say("&" * 250)
    assert (ask_letter.text or "").startswith("✉️ Apakah prosedur ini menindaklanjuti sebuah surat?")
    await starter.press(ask_letter, "button.skip")
    (ask_note,) = await starter.user.wait_for_bot_messages(1)
    assert (ask_note.text or "").startswith("Tulis catatan disposisi")
    (refusal,) = await starter.say("<b>" * 400)  # 1200 characters: over the note's limit
    assert refusal.text == T(Language.ID, "ask.note_too_long", length="1.200", limit="1.000")
    (started,) = await starter.say("&<>" * 333)
    assert (started.text or "").startswith("▶️ Prosedur " + "&" * 250 + " dimulai (No. 1)")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert instances(kesbangpol) == 1
    assert refused_sends(kesbangpol) == []
    assert apologies(kesbangpol) == []


async def test_a_long_title_and_note_of_html_characters_reach_everyone(kesbangpol: World) -> None:
    title, note = "&" * 250, "&<>" * 333  # 1250 and 4995 characters once escaped
    await start_procedure(kesbangpol, title=title, note=note)
    holder = holder_of(kesbangpol, 2)
    disposition = holder.disposition()
    text = disposition.text or ""
    assert f"{title} (No. 1)" in text
    assert f"Catatan: {note}" in text
    await act(kesbangpol, holder, 2, 1, {})
    closed = holder.user.message(disposition.message_id)
    assert (closed.text or "").splitlines()[-1].startswith("✅ Selesai · ")
    assert closed.buttons == ()
    admin, next_holder = kesbangpol.admin, holder_of(kesbangpol, 3)
    for official, command in (
        (admin, "/status"),
        (admin, "/status 1"),
        (admin, "/riwayat 1"),
        (next_holder, "/tugas"),
    ):
        # /status sends its picture first, then the text.
        *_, answer = await official.say(command, expect=2 if "/status" in command else 1)
        assert title in (answer.text or ""), command
    assert refused_sends(kesbangpol) == []
    assert apologies(kesbangpol) == []


ODD_TITLES = [
    "📄" * 100 + " Nota <dinas> & \u200fرسالة\u200f",
    "\u202eLaporan\u202c " + "👩‍💼" * 40 + ' "A&B" ',
    "Rapat\u0007 \u001b[31m" + "🇮🇩" * 50,
]


async def test_views_split_cleanly_whatever_the_titles_hold(kesbangpol: World) -> None:
    count = 12  # enough that /status and /tugas need more than one message
    for number in range(count):
        await start_procedure(
            kesbangpol, title=f"{ODD_TITLES[number % 3]} {number + 1}", note="Segera"
        )
    assert instances(kesbangpol) == count
    holder = holder_of(kesbangpol, 2)
    for official, command in ((kesbangpol.admin, "/status"), (holder, "/tugas")):
        before = len(official.user.bot_messages())
        official.user.send_text(command)
        await official.user.wait_for_bot_messages(2)
        await settle(kesbangpol.emulator, kesbangpol.parts)
        answers = official.user.bot_messages()[before:]
        # /status's chart is drawn whatever the titles hold (what the font lacks left out).
        assert [m.photo for m in answers].count(True) == (command == "/status"), command
        shown = "\n".join(m.text or "" for m in answers)
        for number in range(count):
            title = f"{ODD_TITLES[number % 3]} {number + 1}".strip()
            assert title in shown, (command, number)
    for number in (1, 2, 3):
        title = f"{ODD_TITLES[number - 1]} {number}"
        for command in (f"/status {number}", f"/riwayat {number}"):
            answers = await kesbangpol.admin.say(command, expect=2 if "/status" in command else 1)
            assert answers[0].photo == ("/status" in command), command
            assert title in (answers[-1].text or ""), command
    assert refused_sends(kesbangpol) == []
    assert apologies(kesbangpol) == []


async def test_a_long_note_or_reason_is_refused_naming_the_limit_and_kept_nothing(
    kesbangpol: World,
) -> None:
    await start_procedure(kesbangpol)
    holder = holder_of(kesbangpol, 2)
    message = holder.disposition()
    (refusal,) = await holder.say("📄" * 501, reply_to=message)  # 501 emoji: 1002 units
    assert refusal.text == T(Language.ID, "ask.note_too_long", length="1.002", limit="1.000")
    await holder.press(message, "button.send_back")
    await holder.user.wait_for_bot_messages(1)
    (refusal,) = await holder.say("&" * 1001)
    assert refusal.text == T(Language.ID, "ask.reason_too_long", length="1.001", limit="1.000")
    procedures = kesbangpol.parts.services.procedures
    assert holder.member_id is not None
    (item,) = procedures.inbox(holder.member_id)
    assert item.step_number == 2  # nothing moved, and no note was kept
    with kesbangpol.parts.database.reading() as session:
        kept = session.get(DispositionRow, item.disposition_id)
        assert kept is not None
        assert kept.note is None
    (done,) = await holder.say("&" * 1000)  # the question stayed open
    assert done.text == T(Language.ID, "answer.done")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert procedures.inbox(holder.member_id) == []
    assert refused_sends(kesbangpol) == []

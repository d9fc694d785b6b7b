"""Inline keyboards: presses, answers, edits, stale buttons, forged callback data, transcripts."""

from __future__ import annotations

import pytest
import telegram
from telegram.error import BadRequest

from sopbot.emulator import BotApiEmulator, ButtonNotFound, SimulatedUser, render_chat
from tests.emulator import bot_for, buttons


@pytest.fixture
def budi(emulator: BotApiEmulator) -> SimulatedUser:
    """A person the bot may write to."""
    return emulator.add_user("Budi", "Santoso", username="budi", started=True)


DISPOSITION = buttons([("Selesai", "done:7"), ("Kembalikan", "back:7")], [("Alihkan", "hand:7")])


async def test_a_press_becomes_a_callback_query_and_its_answer_a_toast(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    sent = await bot.send_message(budi.id, "Disposisi: periksa surat", reply_markup=DISPOSITION)
    message = budi.last_bot_message()
    assert message.buttons == (("Selesai", "Kembalikan"), ("Alihkan",))
    query_id = budi.press(message, "Kembalikan")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert (query.id, query.data, query.from_user.id) == (query_id, "back:7", budi.id)
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert query.chat_instance
    assert await query.answer("Dikembalikan ke langkah 1")
    answer = await budi.wait_for_answer(query_id)
    assert (answer.kind, answer.text) == ("toast", "Dikembalikan ke langkah 1")
    second = budi.press(message.message_id, "Selesai")
    await bot.answer_callback_query(second, text="Tidak bisa", show_alert=True)
    assert [(a.kind, a.text) for a in budi.answers()] == [
        ("toast", "Dikembalikan ke langkah 1"),
        ("alert", "Tidak bisa"),
    ]


async def test_a_press_is_answered_once_and_briefly(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    await bot.send_message(budi.id, "Pilih", reply_markup=DISPOSITION)
    query_id = budi.press(budi.last_bot_message(), "Selesai")
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    await bot.answer_callback_query(query_id)
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    for unknown in (query_id, "12345"):
        with pytest.raises(BadRequest, match=r"^Query is too old"):
            await bot.answer_callback_query(unknown)
        assert emulator.calls_to("answerCallbackQuery")[-1].description == too_old
    assert [a.kind for a in budi.answers()] == ["silent"]


async def test_an_edit_changes_the_message_and_an_identical_edit_is_refused(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    sent = await bot.send_message(budi.id, "Langkah 1: <b>terbuka</b>", parse_mode="HTML")
    edited = await bot.edit_message_text(
        "Langkah 1: <b>selesai</b>", budi.id, sent.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Langkah 1: selesai"
    assert edited.edit_date is not None
    assert budi.last_bot_message().edited
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_text(
            "Langkah 1: <b>selesai</b>", budi.id, sent.message_id, parse_mode="HTML"
        )
    assert emulator.calls_to("editMessageText")[-1].description == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    # The same characters without the bold are a different content: that edit is allowed.
    await bot.edit_message_text("Langkah 1: selesai", budi.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"^Message to edit not found$"):
        await bot.edit_message_text("?", budi.id, 999)
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await bot.edit_message_text("?", budi.id, budi.send_text("halo").message_id)


async def test_editing_the_markup_away_makes_the_old_buttons_unpressable(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    sent = await bot.send_message(budi.id, "Disposisi", reply_markup=DISPOSITION)
    before_edit = budi.last_bot_message()
    await bot.edit_message_reply_markup(
        budi.id, sent.message_id, reply_markup=buttons([("Buka lagi", "reopen:7")])
    )
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_reply_markup(
            budi.id, sent.message_id, reply_markup=buttons([("Buka lagi", "reopen:7")])
        )
    # The person still holds the old snapshot, but only the message as it is now can be pressed.
    with pytest.raises(ButtonNotFound, match="no button 'Selesai' now"):
        budi.press(before_edit, "Selesai")
    budi.press(before_edit, "Buka lagi")
    await bot.edit_message_reply_markup(budi.id, sent.message_id)  # no markup: buttons gone
    assert budi.message(sent.message_id).buttons == ()
    assert not budi.message(sent.message_id).edited  # a keyboard change is not an "edit"
    with pytest.raises(ButtonNotFound):
        budi.press(sent.message_id, "Buka lagi")
    updates = await bot.get_updates()
    assert [u.callback_query.data for u in updates if u.callback_query] == ["reopen:7"]


async def test_a_text_edit_without_reply_markup_removes_the_keyboard(
    bot: telegram.Bot, budi: SimulatedUser
) -> None:
    sent = await bot.send_message(budi.id, "Disposisi", reply_markup=DISPOSITION)
    await bot.edit_message_text("Disposisi (selesai)", budi.id, sent.message_id)
    assert budi.last_bot_message().buttons == ()
    with pytest.raises(ButtonNotFound):
        budi.press(sent.message_id, "Selesai")


async def test_forged_callback_data_reaches_the_bot(bot: telegram.Bot, budi: SimulatedUser) -> None:
    sent = await bot.send_message(budi.id, "Disposisi", reply_markup=DISPOSITION)
    # A tampered client can read the callback data a phone hides, and send its own.
    assert budi.button_data(sent.message_id) == [
        ("Selesai", "done:7"),
        ("Kembalikan", "back:7"),
        ("Alihkan", "hand:7"),
    ]
    budi.press_raw(sent.message_id, "done:8")  # a step that is not Budi's
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    assert update.callback_query.data == "done:8"
    with pytest.raises(LookupError):
        budi.press_raw(999, "done:7")


async def test_the_transcript_reads_like_the_phone(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    question = budi.send_text("/tugas")
    sent = await bot.send_message(budi.id, "Tugas Anda:\nPeriksa surat", reply_markup=DISPOSITION)
    query_id = budi.press(sent.message_id, "Selesai")
    await bot.answer_callback_query(query_id, text="Tercatat")
    await bot.edit_message_text("Tugas Anda:\nPeriksa surat ✓", budi.id, sent.message_id)
    await bot.send_message(budi.id, "Terima kasih", reply_to_message_id=question.message_id)
    budi.press_raw(sent.message_id, "done:99")
    assert render_chat(budi) == "\n".join(
        [
            "── Budi Santoso (@budi) ──",
            "[Budi] /tugas",
            "[Bot, edited] Tugas Anda:",
            "              Periksa surat ✓",
            "  » Budi pressed [ Selesai ]",
            "  » toast: Tercatat",
            "[Bot] ↪ Budi: /tugas",
            "      Terima kasih",
            "  » Budi sent forged callback data 'done:99'",
        ]
    )
    assert emulator.render_chat(budi) == budi.transcript()


async def test_group_messages_and_presses(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    siti = emulator.add_user("Siti")
    group = emulator.add_group("Sekretariat", [budi, siti])
    group.send_text(siti, "/status")
    sent = await bot.send_message(group.chat_id, "Status: 2 tugas", reply_markup=DISPOSITION)
    group.press(budi, sent.message_id, "Alihkan")
    updates = await bot.get_updates()
    message, press = updates[0].message, updates[1].callback_query
    assert message is not None
    assert press is not None
    assert (message.chat.type, message.chat.title) == ("group", "Sekretariat")
    assert press.from_user.id == budi.id
    assert render_chat(group).splitlines()[:3] == [
        "── Sekretariat ──",
        "[Siti] /status",
        "[Bot] Status: 2 tugas",
    ]
    stranger = emulator.add_user("Orang", started=True)
    with pytest.raises(LookupError):
        group.send_text(stranger, "halo")


async def test_a_press_expires_when_the_emulator_is_told_to_forget_it() -> None:
    now = [100.0]
    async with BotApiEmulator(callback_query_ttl=15, clock=lambda: now[0]) as emulator:
        budi = emulator.add_user("Budi", started=True)
        async with bot_for(emulator) as bot:
            sent = await bot.send_message(budi.id, "Disposisi", reply_markup=DISPOSITION)
            prompt = budi.press(sent.message_id, "Selesai")
            late = budi.press(sent.message_id, "Kembalikan")
            await bot.answer_callback_query(prompt)
            now[0] += 16  # Telegram forgets presses the bot leaves unanswered for long
            with pytest.raises(BadRequest, match=r"^Query is too old"):
                await bot.answer_callback_query(late)

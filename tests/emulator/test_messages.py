"""sendMessage: the Message it returns, and every refusal Telegram would give."""

from __future__ import annotations

import pytest
import telegram
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden

from sopbot.emulator import BotApiEmulator, SimulatedUser
from tests.emulator import buttons, raw_call


def refusal(emulator: BotApiEmulator, method: str = "sendMessage") -> str | None:
    """Telegram's description of the last refusal, exactly (PTB lower-cases its exceptions)."""
    return emulator.calls_to(method)[-1].description


@pytest.fixture
def budi(emulator: BotApiEmulator) -> SimulatedUser:
    """A person who has already written to the bot."""
    person = emulator.add_user("Budi", "Santoso", username="budi")
    person.send_text("/start")
    return person


async def test_a_sent_message_has_telegrams_shape(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    message = await bot.send_message(
        budi.id,
        "Tugas <b>baru</b>: 🗂 <i>Surat Masuk</i> &amp; <a href='https://contoh.go.id'>arsip</a>",
        parse_mode="HTML",
        reply_markup=buttons([("Selesai", "done:7"), ("Kembalikan", "back:7")]),
    )
    assert message.message_id == 2  # the person's /start was 1: ids count per chat
    assert message.text == "Tugas baru: 🗂 Surat Masuk & arsip"
    assert message.from_user is not None
    assert message.from_user.is_bot
    assert message.chat.id == budi.id
    assert message.date is not None
    entities = [(e.type, message.parse_entity(e)) for e in message.entities]
    assert entities == [("bold", "baru"), ("italic", "Surat Masuk"), ("text_link", "arsip")]
    assert message.entities[2].url == "https://contoh.go.id"
    assert message.reply_markup == buttons([("Selesai", "done:7"), ("Kembalikan", "back:7")])
    seen = budi.last_bot_message()
    assert (seen.text, seen.buttons, seen.from_bot) == (
        "Tugas baru: 🗂 Surat Masuk & arsip",
        (("Selesai", "Kembalikan"),),
        True,
    )


async def test_markdown_v2_is_parsed_and_unescaped_reserved_characters_refused(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    message = await bot.send_message(
        budi.id, r"*Langkah 2\.* selesai \(_tepat waktu_\)", parse_mode="MarkdownV2"
    )
    assert message.text == "Langkah 2. selesai (tepat waktu)"
    assert [(e.type, message.parse_entity(e)) for e in message.entities] == [
        ("bold", "Langkah 2."),
        ("italic", "tepat waktu"),
    ]
    with pytest.raises(BadRequest, match="reserved"):
        await bot.send_message(budi.id, "Langkah 2. selesai", parse_mode="MarkdownV2")
    assert refusal(emulator) == (
        "Bad Request: can't parse entities: "
        "Character '.' is reserved and must be escaped with the preceding '\\'"
    )


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>tebal", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>tebal</i>", 'Unmatched end tag at byte offset 8, expected "</b>", found "</i>"'),
        ("<blink>kedip</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("Nilai a < b", 'Unsupported start tag "" at byte offset 8'),
        ("selesai</b>", "Unexpected end tag at byte offset 7"),
    ],
)
async def test_bad_html_is_refused(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser, html: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match=r"^Can't parse entities"):
        await bot.send_message(budi.id, html, parse_mode="HTML")
    assert refusal(emulator) == f"Bad Request: can't parse entities: {reason}"


async def test_text_length_is_counted_after_parsing(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    await bot.send_message(budi.id, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(budi.id, "a" * 4097)
    assert emulator.calls_to("sendMessage")[-1].description == "Bad Request: message is too long"
    for empty in ("", "   \n ", "<b></b>"):
        with pytest.raises(BadRequest, match=r"^Message text is empty$"):
            await bot.send_message(budi.id, empty, parse_mode="HTML")


async def test_text_length_counts_utf16_code_units_after_escapes_are_read(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    # 830 escaped ampersands are 4150 characters of HTML but 830 of text: Telegram takes them.
    await bot.send_message(budi.id, "<b>" + "&amp;" * 830 + "</b>", parse_mode="HTML")
    await bot.send_message(budi.id, "📄" * 2048)  # 2048 characters, 4096 UTF-16 units
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(budi.id, "📄" * 2048 + "a")  # 2049 characters, 4097 units
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(budi.id, "<i>" + "📄" * 2049 + "</i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_document(
            budi.id, b"%PDF-1.4 x", filename="nota.pdf", caption="📄" * 513
        )  # 513 characters, 1026 units
    with pytest.raises(BadRequest, match=r"^Can't parse entities"):
        await bot.send_message(budi.id, "<b>" + "&amp;" * 800, parse_mode="HTML")  # cut short
    assert refusal(emulator) == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )


async def test_entity_offsets_count_utf16_code_units(
    bot: telegram.Bot, budi: SimulatedUser
) -> None:
    message = await bot.send_message(budi.id, "📄📄 <b>Nota</b>", parse_mode="HTML")
    assert [(e.offset, e.length) for e in message.entities] == [(5, 4)]  # each 📄 counts 2
    assert message.parse_entity(message.entities[0]) == "Nota"


async def test_an_unknown_chat_is_not_found(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(987654321, "Halo")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message("@nobody", "Halo")


async def test_the_bot_cannot_write_first_or_after_being_blocked(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    siti = emulator.add_user("Siti")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(siti.id, "Halo")
    siti.send_text("halo")
    await bot.send_message(siti.id, "Halo Siti")
    siti.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(siti.id, "Halo lagi")
    assert [m.text for m in siti.messages()] == ["halo", "Halo Siti"]


async def test_callback_data_is_limited_to_64_bytes(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    await bot.send_message(budi.id, "ok", reply_markup=buttons([("Ya", "x" * 64)]))
    # 33 characters, but 66 bytes in UTF-8: Telegram counts bytes.
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(budi.id, "too long", reply_markup=buttons([("Ya", "é" * 33)]))
    assert refusal(emulator) == "Bad Request: BUTTON_DATA_INVALID"
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(budi.id, "too long", reply_markup=buttons([("Ya", "x" * 65)]))


async def test_every_inline_button_needs_exactly_one_action(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    both = InlineKeyboardButton("Ya", callback_data="ya")
    object.__setattr__(both, "url", "https://contoh.go.id")  # PTB would not build this itself
    for markup, reason in (
        (InlineKeyboardMarkup([[InlineKeyboardButton("Ya")]]), "Text buttons are unallowed"),
        (InlineKeyboardMarkup([[both]]), "exactly one action"),
    ):
        with pytest.raises(BadRequest, match=r"^Can't parse inline keyboard button"):
            await bot.send_message(budi.id, "Pilih", reply_markup=markup)
        assert reason in (refusal(emulator) or "")
    with pytest.raises(BadRequest, match=r"^Button_url_invalid$"):
        await bot.send_message(
            budi.id,
            "Buka",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Buka", url="ftp://x")]]),
        )


async def test_replies_by_reply_parameters_or_reply_to_message_id(
    emulator: BotApiEmulator, bot: telegram.Bot, budi: SimulatedUser
) -> None:
    question = budi.send_text("Kapan rapatnya?")
    answer = await bot.send_message(
        budi.id, "Besok", reply_parameters=ReplyParameters(question.message_id)
    )
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Kapan rapatnya?"
    old_style = await raw_call(
        emulator,
        "sendMessage",
        json={"chat_id": budi.id, "text": "Jam 9", "reply_to_message_id": 1},
    )
    assert old_style.json()["result"]["reply_to_message"]["message_id"] == 1
    with pytest.raises(BadRequest, match=r"^Message to be replied not found$"):
        await bot.send_message(budi.id, "?", reply_parameters=ReplyParameters(999))
    unanchored = await bot.send_message(
        budi.id, "!", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )
    assert unanchored.reply_to_message is None
    assert budi.messages()[2].reply_to == question.message_id


async def test_a_person_sees_text_messages_and_command_entities(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    ani = emulator.add_user("Ani")
    ani.send_text("/status@sopbot_demo_bot 42")
    ani.send_text("tolong /bantuan")
    updates = await bot.get_updates()
    first, second = (u.message for u in updates)
    assert first is not None
    assert second is not None
    assert [(e.type, e.offset, e.length) for e in first.entities] == [("bot_command", 0, 23)]
    assert [(e.type, e.offset, e.length) for e in second.entities] == [("bot_command", 7, 8)]
    with pytest.raises(ValueError, match="empty"):
        ani.send_text("  ")


async def test_a_reply_keyboard_replaces_the_phones_keyboard_until_removed(
    bot: telegram.Bot, budi: SimulatedUser
) -> None:
    menu = ReplyKeyboardMarkup([["📋 Tugas saya", "📊 Status"], ["❓ Bantuan"]])
    sent = await bot.send_message(budi.id, "Menu", reply_markup=menu)
    assert sent.reply_markup is None  # only inline keyboards belong to a message
    assert budi.reply_keyboard() == (("📋 Tugas saya", "📊 Status"), ("❓ Bantuan",))
    await bot.send_message(budi.id, "Menu ditutup", reply_markup=ReplyKeyboardRemove())
    assert budi.reply_keyboard() == ()

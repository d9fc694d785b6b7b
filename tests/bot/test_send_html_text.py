"""Sending a reply without building a Message: the id, the buttons, and Telegram's refusals
arrive as they would through send_message (against the local Bot API emulator)."""

from __future__ import annotations

import pytest
import telegram
from telegram.error import BadRequest, Forbidden

from sopbot.delivery.sender import edit_html_text, markup, send_html_text
from sopbot.emulator import BotApiEmulator
from sopbot.messaging.keyboards import Button


async def test_html_text_and_buttons_arrive_and_the_message_id_is_returned(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    siti = emulator.add_user("Siti")
    siti.send_text("/start")
    keyboard = markup([[Button("Selesai", "d:1"), Button("Tolak", "d:2")]])
    first = await send_html_text(bot, siti.id, "<b>Tugas</b> &amp; catatan", keyboard)
    second = await send_html_text(bot, siti.id, "Tanpa tombol")
    seen = siti.bot_messages()
    assert [m.message_id for m in seen] == [first, second]
    assert seen[0].text == "Tugas & catatan"
    assert seen[0].buttons == (("Selesai", "Tolak"),)
    assert seen[1].buttons == ()


async def test_telegrams_refusals_are_raised_as_send_message_raises_them(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    siti = emulator.add_user("Siti")
    with pytest.raises(Forbidden, match="bot can't initiate conversation"):
        await send_html_text(bot, siti.id, "Halo")
    siti.send_text("halo")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await send_html_text(bot, siti.id, "<b> </b>")
    assert [m.text for m in siti.messages()] == ["halo"]


async def test_html_telegram_cannot_parse_is_sent_again_as_plain_text(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    siti = emulator.add_user("Siti")
    siti.send_text("/start")
    keyboard = markup([[Button("Selesai", "d:1")]])
    sent = await send_html_text(bot, siti.id, "<b>Nota &amp; <i>surat</b> a < b", keyboard)
    (message,) = siti.bot_messages()
    assert (message.message_id, message.text, message.buttons) == (
        sent,
        "Nota & surat a < b",
        (("Selesai",),),
    )
    refused = emulator.calls_to("sendMessage")[0].description
    assert (refused or "").startswith("Bad Request: can't parse entities")
    await edit_html_text(bot, siti.id, sent, "<b>Selesai</b> · <i>tanpa penutup")
    (edited,) = siti.bot_messages()
    assert (edited.text, edited.buttons) == ("Selesai · tanpa penutup", ())

"""getUpdates: long polling, offsets, one poller at a time, and a real Application polling."""

from __future__ import annotations

import asyncio
import time

import pytest
import telegram
from telegram import Update
from telegram.error import Conflict
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from sopbot.emulator import BotApiEmulator
from tests.emulator import bot_for


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    budi = emulator.add_user("Budi", "Santoso", username="budi")
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await emulator.wait_until(lambda: emulator.waiting_polls == 1)
    assert not poll.done()  # the poll is being held: nothing has happened yet
    started = time.monotonic()
    budi.send_text("/start abc")
    updates = await poll
    assert time.monotonic() - started < 5  # loosely: long before the 10 s timeout
    [update] = updates
    message = update.message
    assert message is not None
    assert message.text == "/start abc"
    assert message.from_user is not None
    assert (message.from_user.id, message.from_user.language_code) == (budi.id, "id")
    assert message.chat.id == budi.id
    assert message.chat.type == "private"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 6)]


async def test_a_long_poll_with_nothing_to_say_waits_for_its_timeout(bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.5  # loosely: it was held, not answered at once


async def test_an_offset_confirms_the_updates_before_it(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    budi = emulator.add_user("Budi")
    for text in ("satu", "dua", "tiga"):
        budi.send_text(text)
    first = await bot.get_updates()
    assert [u.message.text for u in first if u.message] == ["satu", "dua", "tiga"]
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [u.update_id for u in first]  # not confirmed yet
    rest = await bot.get_updates(offset=first[1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["tiga"]
    assert emulator.pending_update_count == 1
    assert await bot.get_updates(offset=first[2].update_id + 1) == ()
    assert emulator.pending_update_count == 0


async def test_limit_and_negative_offset(emulator: BotApiEmulator, bot: telegram.Bot) -> None:
    budi = emulator.add_user("Budi")
    for text in ("satu", "dua", "tiga"):
        budi.send_text(text)
    assert [u.message.text for u in await bot.get_updates(limit=2) if u.message] == [
        "satu",
        "dua",
    ]
    # A negative offset keeps only the last updates and forgets the others.
    assert [u.message.text for u in await bot.get_updates(offset=-1) if u.message] == ["tiga"]
    assert emulator.pending_update_count == 1


async def test_a_newer_poll_ends_the_older_with_a_conflict(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=10))
    await emulator.wait_until(lambda: emulator.waiting_polls == 1)
    # A second bot process with the same token (one Bot sends one getUpdates at a time).
    async with bot_for(emulator) as second_instance:
        newer = asyncio.create_task(second_instance.get_updates(timeout=0))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await older
        assert await newer == ()


async def test_an_application_polls_and_answers_start(emulator: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet whoever wrote /start, with the argument they gave."""
        assert update.message is not None
        assert update.effective_user is not None
        await update.message.reply_text(
            f"Halo {update.effective_user.first_name}, kode {' '.join(context.args or [])}",
            do_quote=True,
        )

    application = (
        ApplicationBuilder()
        .token(emulator.token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    budi = emulator.add_user("Budi", "Santoso", username="budi")
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        sent = budi.send_text("/start abc")
        [reply] = await budi.wait_for_bot_messages(1, timeout=5)
        await application.updater.stop()
        await application.stop()
    assert reply.text == "Halo Budi, kode abc"
    assert reply.from_bot
    assert reply.reply_to == sent.message_id  # reply_parameters made it a reply
    assert [call.method for call in emulator.calls][:2] == ["getMe", "deleteWebhook"]
    assert emulator.pending_update_count == 0  # the updater confirmed what it handled

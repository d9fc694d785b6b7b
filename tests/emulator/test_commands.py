"""setMyCommands / getMyCommands / deleteMyCommands, per scope and language."""

from __future__ import annotations

import pytest
import telegram
from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import BadRequest

from sopbot.emulator import BotApiEmulator
from tests.emulator import raw_call

INDONESIAN = [BotCommand("tugas", "Tugas saya"), BotCommand("status", "Posisi prosedur")]
ENGLISH = [BotCommand("tugas", "My tasks"), BotCommand("status", "Where procedures stand")]


async def test_commands_are_kept_per_language_and_scope(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    await bot.set_my_commands(INDONESIAN)
    await bot.set_my_commands(ENGLISH, language_code="en")
    admin = emulator.add_user("Admin", language_code="en")
    admin_menu = [BotCommand("laporan", "Laporan admin")]
    await bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin.id))
    assert await bot.get_my_commands() == tuple(INDONESIAN)
    assert await bot.get_my_commands(language_code="en") == tuple(ENGLISH)
    assert await bot.get_my_commands(language_code="fr") == ()  # exactly that key, no fallback
    assert await bot.get_my_commands(scope=BotCommandScopeChat(admin.id)) == tuple(admin_menu)
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    # What each person's app shows: the most specific scope, in their language if set.
    budi = emulator.add_user("Budi", language_code="id")
    james = emulator.add_user("James", language_code="en")
    assert budi.command_menu() == [("tugas", "Tugas saya"), ("status", "Posisi prosedur")]
    assert james.command_menu() == [("tugas", "My tasks"), ("status", "Where procedures stand")]
    assert admin.command_menu() == [("laporan", "Laporan admin")]
    assert await bot.delete_my_commands(language_code="en")
    assert await bot.get_my_commands(language_code="en") == ()
    assert james.command_menu() == budi.command_menu()


@pytest.mark.parametrize(
    ("command", "description", "reason"),
    [
        ("Tugas", "Tugas saya", "BOT_COMMAND_INVALID"),
        ("/tugas", "Tugas saya", "BOT_COMMAND_INVALID"),
        ("t" * 33, "Tugas saya", "BOT_COMMAND_INVALID"),
        ("tugas", " ", "command description must be non-empty"),
        ("tugas", "x" * 257, "BOT_COMMAND_DESCRIPTION_INVALID"),
    ],
)
async def test_bad_commands_are_refused(
    emulator: BotApiEmulator, bot: telegram.Bot, command: str, description: str, reason: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand(command, description)])
    assert emulator.calls_to("setMyCommands")[-1].description == f"Bad Request: {reason}"
    assert await bot.get_my_commands() == ()


async def test_malformed_command_lists_are_refused(
    emulator: BotApiEmulator, bot: telegram.Bot
) -> None:
    missing = await raw_call(emulator, "setMyCommands", json={"commands": [{"command": "a"}]})
    assert missing.json()["description"] == (
        "Bad Request: can't parse BotCommand: Can't find field \"description\""
    )
    with pytest.raises(BadRequest, match=r"(?i)lang_code_invalid"):
        await bot.set_my_commands(INDONESIAN, language_code="IND")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.set_my_commands(INDONESIAN, scope=BotCommandScopeChat(31337))

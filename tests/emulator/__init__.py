"""Tests of the Bot API emulator, driven by the real python-telegram-bot over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from sopbot.emulator import BotApiEmulator


@asynccontextmanager
async def running_emulator() -> AsyncIterator[BotApiEmulator]:
    """A started emulator, stopped afterwards."""
    async with BotApiEmulator() as emulator:
        yield emulator


@asynccontextmanager
async def bot_for(emulator: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    """A real python-telegram-bot Bot pointed at the emulator, initialised (it called getMe)."""
    bot = telegram.Bot(
        emulator.token, base_url=emulator.base_url, base_file_url=emulator.base_file_url
    )
    async with bot:
        yield bot


def buttons(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (text, callback_data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


async def raw_call(
    emulator: BotApiEmulator,
    method: str,
    *,
    token: str | None = None,
    http_method: str = "POST",
    json: object = None,
    data: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """A hand-made HTTP call, for what python-telegram-bot never sends (JSON bodies, GET)."""
    url = f"{emulator.base_url}{token or emulator.token}/{method}"
    async with httpx.AsyncClient() as client:
        return await client.request(http_method, url, json=json, data=data, params=params)

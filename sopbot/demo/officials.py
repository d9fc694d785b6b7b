"""Simulated officials who use the bot exactly as people do: through Telegram messages and
buttons, against the emulator. The demo and the end-to-end tests drive them."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from sopbot.bot.app import BotParts
from sopbot.emulator import BotApiEmulator, CallbackAnswer, SeenMessage, SimulatedUser
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.storage.backlog import owed_work

# Every action waits for its effect; nothing here sleeps a fixed time to "be sure".
WAIT = 15.0

NAMES = (
    "Budi Santoso",
    "Siti Rahmawati",
    "Agus Prasetyo",
    "Dewi Lestari",
    "Rudi Hartono",
    "Maya Sari",
    "Andi Wijaya",
    "Rina Kusuma",
    "Hendra Gunawan",
    "Wulan Pratiwi",
)


async def settle(emulator: BotApiEmulator, parts: BotParts, within: float = WAIT) -> None:
    """Wait until the bot has taken every update and delivered every outbox message."""
    deadline = time.monotonic() + within
    quiet_rounds = 0
    while time.monotonic() < deadline:
        pending = await asyncio.to_thread(owed_work, parts.database)
        if pending == 0 and emulator.pending_update_count == 0:
            quiet_rounds += 1
            if quiet_rounds >= 3:  # stays quiet: no handler is still about to write
                return
        else:
            quiet_rounds = 0
            parts.sender.wake()
        await asyncio.sleep(0.02)
    raise TimeoutError("the bot did not settle")


@dataclass
class Official:
    """A person at their phone: reads the chat, replies, presses buttons."""

    user: SimulatedUser
    role_name: str
    member_id: int | None = None
    language: Language = Language.ID
    log: list[str] = field(default_factory=list)

    def label(self, key: str) -> str:
        """A button's label as this person's app shows it."""
        return default_catalog().text(self.language, key)

    @property
    def name(self) -> str:
        """The person's name."""
        return self.user.full_name

    async def say(
        self, text: str, reply_to: SeenMessage | None = None, expect: int = 1
    ) -> list[SeenMessage]:
        """Send a text and read the bot's answer."""
        self.user.send_text(text, reply_to=reply_to)
        return await self.user.wait_for_bot_messages(expect, timeout=WAIT)

    async def press(self, message: SeenMessage, label_key: str) -> CallbackAnswer:
        """Press the button with this catalog label on a message."""
        query = self.user.press(message, self.label(label_key))
        return await self.user.wait_for_answer(query, timeout=WAIT)

    async def press_text(self, message: SeenMessage, text: str) -> CallbackAnswer:
        """Press a button by its text."""
        query = self.user.press(message, text)
        return await self.user.wait_for_answer(query, timeout=WAIT)

    async def upload(
        self, message: SeenMessage | None, content: bytes, name: str, mime: str
    ) -> SeenMessage:
        """Send a file (as a reply to the disposition) and read the bot's answer."""
        self.user.send_document(content, name, mime, reply_to=message)
        (answer,) = await self.user.wait_for_bot_messages(1, timeout=WAIT)
        return answer

    def disposition(self) -> SeenMessage:
        """The newest message that still has the buttons of a live disposition."""
        live = {
            self.label(key)
            for key in (
                "button.complete",
                "button.yes",
                "button.claim",
                "button.send_back",
                "button.hand_over",
            )
        }
        for message in reversed(self.user.bot_messages()):
            if live & set(message.button_list):
                return message
        raise LookupError(f"{self.name} has no live disposition on screen")

    def live_buttons(self) -> list[tuple[int, list[str]]]:
        """Every bot message that still shows buttons: (message id, labels)."""
        return [(m.message_id, m.button_list) for m in self.user.bot_messages() if m.buttons]

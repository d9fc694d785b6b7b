"""A local Telegram Bot API for tests and `sopbot demo`: no token, no internet.

`BotApiEmulator` serves the Bot API over real HTTP on 127.0.0.1, so the real
python-telegram-bot `Application` runs against it unchanged; `SimulatedUser` plays the people.
"""

from sopbot.emulator.emulator import DEFAULT_TOKEN, BotApiEmulator
from sopbot.emulator.errors import ApiError
from sopbot.emulator.faults import (
    DropConnection,
    Fault,
    FaultInjector,
    FaultRule,
    Hang,
    ServerError,
    TooManyRequests,
)
from sopbot.emulator.simulated_user import (
    ButtonNotFound,
    ChatWindow,
    SeenMessage,
    SeenPress,
    SimulatedGroup,
    SimulatedUser,
)
from sopbot.emulator.state import ApiCall, CallbackAnswer, WebhookDelivery
from sopbot.emulator.transcript import render_chat

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "ButtonNotFound",
    "CallbackAnswer",
    "ChatWindow",
    "DropConnection",
    "Fault",
    "FaultInjector",
    "FaultRule",
    "Hang",
    "SeenMessage",
    "SeenPress",
    "ServerError",
    "SimulatedGroup",
    "SimulatedUser",
    "TooManyRequests",
    "WebhookDelivery",
    "render_chat",
]

"""`BotApiEmulator`: a local Telegram Bot API for one bot, with simulated people.

    async with BotApiEmulator() as emulator:
        budi = emulator.add_user("Budi", "Santoso", username="budi")
        bot = telegram.Bot(emulator.token, base_url=emulator.base_url,
                           base_file_url=emulator.base_file_url)
        budi.send_text("/start")
        ...

Nothing is global: several emulators can run at once, each on its own port.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from types import TracebackType

from tornado.httpserver import HTTPServer

from sopbot.emulator.faults import Clock, FaultInjector
from sopbot.emulator.server import ApiBackend, make_server
from sopbot.emulator.simulated_user import SimulatedGroup, SimulatedUser
from sopbot.emulator.state import (
    Account,
    ApiCall,
    ChatState,
    EmulatorState,
    WebhookDelivery,
)
from sopbot.emulator.webhook import WebhookSender

DEFAULT_TOKEN = "123456:TEST-TOKEN"  # noqa: S105 - a made-up token, the emulator's default


class BotApiEmulator:
    """A Bot API server on 127.0.0.1 for one bot, and the people who talk to it."""

    def __init__(  # noqa: PLR0913 - keyword-only settings of a test server
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "sopbot_demo_bot",
        *,
        bot_first_name: str = "SOP Bot",
        webhook_retry_delay: float = 0.1,
        webhook_timeout: float = 10.0,
        webhook_parallel: bool = False,
        callback_query_ttl: float | None = None,
        latency: float = 0.0,
        clock: Clock = time.monotonic,
    ) -> None:
        bot_id, _, _ = token.partition(":")
        self.token = token
        self.bot = Account(
            id=int(bot_id) if bot_id.isdigit() else 1,
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
        )
        self.state = EmulatorState(bot=self.bot, monotonic=clock)
        self.state.callback_query_ttl = callback_query_ttl
        self.faults = FaultInjector(clock=clock)
        # As Telegram: several webhook posts at once, a chat's one at a time (off by default,
        # which keeps the order of every test's updates fixed).
        self._webhook = WebhookSender(
            self.state, webhook_retry_delay, webhook_timeout, parallel=webhook_parallel
        )
        self._server: HTTPServer | None = None
        self._port: int | None = None
        self._users: list[SimulatedUser] = []
        self.latency = latency  # seconds added to every Bot API call (a round trip)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 at a free port."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self.state.stopping = False
        backend = ApiBackend(self.token, self.state, self.faults, self._webhook, self.latency)
        self._server, self._port = make_server(backend)

    async def stop(self) -> None:
        """Release waiting requests, stop the webhook sender and close every connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self.state.stopping = True
        self.state.signal.notify()
        server.stop()
        await asyncio.sleep(0)  # let released long polls answer before connections close
        await self._webhook.stop()
        await server.close_all_connections()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The port the emulator listens on."""
        if self._port is None:
            raise RuntimeError("the emulator has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(...): the token and method follow it."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder().base_file_url(...)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- people and chats --------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
        *,
        started: bool = False,
    ) -> SimulatedUser:
        """A new person; the bot may write to them only after they write first (or `started`)."""
        state = self.state
        account = Account(state.ids.user(), first_name, last_name, username, language_code)
        chat = ChatState(
            id=account.id,
            type="private",
            chat_instance=str(-7_000_000_000_000_000_000 + account.id),
            person=account,
            started=started,
        )
        state.people[account.id] = account
        state.chats[chat.id] = chat
        user = SimulatedUser(state, account, chat)
        self._users.append(user)
        return user

    def add_group(self, title: str, members: Iterable[SimulatedUser] = ()) -> SimulatedGroup:
        """A group with the bot and these people in it."""
        state = self.state
        group_id = state.ids.group()
        chat = ChatState(
            id=group_id,
            type="group",
            chat_instance=str(-7_000_000_000_000_000_000 - group_id),
            title=title,
            members=[member.account for member in members],
        )
        state.chats[chat.id] = chat
        return SimulatedGroup(state, chat)

    @property
    def users(self) -> list[SimulatedUser]:
        """Everyone added so far."""
        return list(self._users)

    def render_chat(self, chat: SimulatedUser | SimulatedGroup) -> str:
        """A chat as readable text, as a phone would show it."""
        return chat.transcript()

    # --- what happened -----------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every call the bot made, oldest first."""
        return list(self.state.calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls of one method (any letter case)."""
        return [call for call in self.state.calls if call.method.lower() == method.lower()]

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every attempt to POST an update to the webhook."""
        return list(self.state.webhook_deliveries)

    @property
    def waiting_polls(self) -> int:
        """How many getUpdates long polls are being held right now (the bot is listening)."""
        return self.state.polls_waiting

    @property
    def pending_update_count(self) -> int:
        """Updates the bot has not confirmed yet."""
        return len(self.state.updates)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain deadline reads better
    ) -> None:
        """Wait until `condition()` holds; it is checked whenever the emulator's state changes."""
        if not await self.state.signal.wait_until(condition, timeout):
            raise TimeoutError(f"the condition did not hold within {timeout}s")

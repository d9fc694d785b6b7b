"""Running a built bot: the inbox (polling or webhook), the processor, and an orderly stop.

The same steps serve `sopbot run`, `sopbot demo` and the end-to-end tests: initialise the
Application and its post_init (command menu, outbox sender, reminders), start receiving into the
inbox, process from it; on exit, the reverse. `sopbot run` first waits for the Bot API to answer
(`reach_bot_api`), so that an outage at start-up is waited out as one while running is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from tornado.httpserver import HTTPServer

from sopbot.bot.app import BotParts
from sopbot.bot.chat_claims import LeasedChats, LocalChats
from sopbot.bot.inbox import (
    LONG_POLL_SECONDS,
    MAX_ATTEMPTS,
    InboxPoller,
    InboxProcessor,
    SecondPoller,
    UpdateInbox,
)
from sopbot.bot.webhook_server import require_usable_secret, webhook_server
from sopbot.bot.worker import Worker, webhook_workers_live
from sopbot.delivery.telegram_errors import retry_after_seconds
from sopbot.storage.process_locks import HeldLock, LockKey

log = logging.getLogger(__name__)

# Waits between attempts to reach the Bot API at start-up: doubling from a second up to a
# minute, as the poller waits out an outage once the bot runs.
FIRST_RETRY_WAIT = 1.0
LONGEST_RETRY_WAIT = 60.0


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Where Telegram posts updates, and where this process listens for them."""

    url: str  # the public HTTPS URL, path included
    path: str
    secret: str
    listen: str = "127.0.0.1"
    port: int = 8443


class BotApiRefused(Exception):
    """The Bot API answered, and not as it would for this bot: trying again will not help.

    The message says what is wrong and how to fix it (and never carries the token).
    """


async def reach_bot_api(
    bot: Bot,
    stop: asyncio.Event,
    *,
    server: str,
    first_wait: float = FIRST_RETRY_WAIT,
    longest_wait: float = LONGEST_RETRY_WAIT,
) -> bool:
    """Initialise the bot (its getMe), waiting out a temporary outage with bounded back-off.

    True once the Bot API at `server` (its address, shown in the log) answered; False when
    `stop` was set first. A network error, a timeout, a 5xx or a 429 is logged in one line and
    tried again; a refused token or a server that is no Bot API raises BotApiRefused.
    """
    wait, attempt = first_wait, 1
    while True:
        trying = asyncio.ensure_future(bot.initialize())
        if not await _finished_before(trying, stop):
            return False
        try:
            trying.result()
            return True
        except RetryAfter as exc:
            reason, pause = "flood control", max(retry_after_seconds(exc), wait)
        except BadRequest as exc:  # a NetworkError in PTB's tree, but Telegram's final word
            raise BotApiRefused(
                f"The server at {server} refused getMe ({exc.message}): set "
                "TELEGRAM_API_BASE_URL to the Bot API server's address."
            ) from exc
        except NetworkError as exc:  # TimedOut and the 5xx are NetworkErrors too
            reason, pause = f"{type(exc).__name__}: {exc}", wait
        except InvalidToken as exc:
            raise BotApiRefused(_token_refused(exc, server)) from exc
        except TelegramError as exc:
            raise BotApiRefused(
                f"The server at {server} answered getMe, but not as a Telegram Bot API server "
                f"({exc.message}): set TELEGRAM_API_BASE_URL to the Bot API server's address, "
                "e.g. https://api.telegram.org."
            ) from exc
        log.warning(
            "cannot reach the Bot API at %s (%s); trying again in %.0f s (attempt %d)",
            server,
            reason,
            pause,
            attempt,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
        if stop.is_set():
            return False
        wait, attempt = min(longest_wait, wait * 2), attempt + 1


async def _finished_before(work: asyncio.Future[None], stop: asyncio.Event) -> bool:
    """Wait for `work` unless `stop` comes first (then cancel it): whether it finished."""
    stopping = asyncio.ensure_future(stop.wait())
    either: set[asyncio.Future[Any]] = {work, stopping}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if work.done():
        return True
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError, TelegramError):
        await work
    return False


def _token_refused(refusal: InvalidToken, server: str) -> str:
    """What a refused getMe means. PTB's own message names the token: never shown."""
    cause = refusal.__cause__
    said = cause.message if isinstance(cause, TelegramError) else ""
    if "not found" in said.lower():
        return (
            f"The Bot API at {server} answered 404 Not Found to getMe: TELEGRAM_BOT_TOKEN is "
            "not a whole token from @BotFather, or TELEGRAM_API_BASE_URL is not the address "
            "of a Bot API server (e.g. https://api.telegram.org)."
        )
    return (
        f"The Bot API at {server} rejected TELEGRAM_BOT_TOKEN ({said or 'Unauthorized'}): the "
        "token is wrong or was revoked. Copy the bot's current token from @BotFather "
        "(/mybots, API Token) into TELEGRAM_BOT_TOKEN."
    )


@asynccontextmanager
async def running(
    parts: BotParts,
    *,
    poll_timeout: int = LONG_POLL_SECONDS,
    webhook: WebhookConfig | None = None,
    stop: asyncio.Event | None = None,
) -> AsyncIterator[BotParts]:
    """The bot receiving and handling updates until the block ends.

    The process joins the workers sharing the database (`bot.worker.Worker`): with several
    (PostgreSQL) each chat is handled by the worker holding its lease, and one leads the
    timed jobs. Polling is one worker: SecondPoller when another process polls this bot on the
    same database, beside webhook workers, or (Telegram's 409) anywhere; raised when the block
    ends, which `stop` (set then) makes it do at once.
    """
    if webhook is not None:
        # A secret that would let strangers in stops everything before anything starts.
        require_usable_secret(webhook.secret)
    poller_lock = None if webhook is not None else await asyncio.to_thread(_take_polling, parts)
    receiving = _Receiving(parts, poll_timeout=poll_timeout, webhook=webhook, stop=stop)
    try:
        await receiving.start()
        try:
            if webhook is not None:
                # Inside the try: when Telegram refuses the webhook, what started is stopped.
                await parts.application.bot.set_webhook(
                    webhook.url, secret_token=webhook.secret, allowed_updates=Update.ALL_TYPES
                )
            yield parts
        finally:
            await receiving.stop()
    finally:
        if poller_lock is not None:
            await asyncio.to_thread(poller_lock.release)
    if receiving.failures:
        raise receiving.failures[0]


class _Receiving:
    """What `running` starts and stops: the Application, this worker, the processor, and the
    poller or the webhook server."""

    def __init__(
        self,
        parts: BotParts,
        *,
        poll_timeout: int,
        webhook: WebhookConfig | None,
        stop: asyncio.Event | None,
    ) -> None:
        self.parts = parts
        self.poll_timeout = poll_timeout
        self.webhook = webhook
        self.stop_event = stop
        database, clock = parts.database, parts.services.clock
        self.worker = Worker(
            database,
            mode="polling" if webhook is None else "webhook",
            leader_jobs=parts.leader_jobs,
            flood=parts.sender.flood,
            ledger=parts.sender.ledger,
            clock=clock,
        )
        self.inbox = UpdateInbox(database, clock)
        claims = (
            LocalChats()
            if database.is_sqlite
            else LeasedChats(database, self.worker.worker_id, clock, max_attempts=MAX_ATTEMPTS)
        )
        self.processor = InboxProcessor(parts.application, self.inbox, claims)
        self.failures: list[BaseException] = []
        self._handling: list[asyncio.Task[None]] = []
        self._poller: asyncio.Task[None] | None = None
        self._server: HTTPServer | None = None

    async def start(self) -> None:
        """Start the Application (post_init: menu, sender, scheduler), join the workers,
        then receive."""
        application = self.parts.application
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await self.worker.start()
        self._handling = [
            asyncio.create_task(self.processor.run(), name="inbox-processor"),
            asyncio.create_task(self.worker.run(), name="worker-heartbeat"),
        ]
        if self.webhook is None:
            poller = InboxPoller(application, self.inbox, self.processor, timeout=self.poll_timeout)
            self._poller = asyncio.create_task(poller.run(), name="inbox-poller")
            self._poller.add_done_callback(self._poller_ended)
        else:
            self._server = webhook_server(
                self.webhook.path, self.inbox, self.processor, self.webhook.secret
            )
            self._server.listen(self.webhook.port, address=self.webhook.listen)

    async def stop(self) -> None:
        """Stop receiving, finish what is in hand, leave the workers, stop the Application."""
        if self._server is not None:
            self._server.stop()
        if self._poller is not None:
            self._poller.cancel()  # an unconfirmed batch is simply sent again next time
            with contextlib.suppress(asyncio.CancelledError, SecondPoller):
                await self._poller
        self.processor.stop()
        processing, beating = self._handling or (None, None)
        if processing is not None:
            # Every update in hand is finished before this worker leaves (and its leases go).
            await asyncio.gather(processing, return_exceptions=True)
        await self.worker.stop()
        if beating is not None:
            await asyncio.gather(beating, return_exceptions=True)
        application = self.parts.application
        await application.stop()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        await application.shutdown()

    def _poller_ended(self, task: asyncio.Task[None]) -> None:
        """The poller stopped by itself: keep why (raised when `running` ends) and stop."""
        if task.cancelled() or (failure := task.exception()) is None:
            return
        log.error("%s", failure)
        self.failures.append(failure)
        if self.stop_event is not None:
            self.stop_event.set()


def _take_polling(parts: BotParts) -> HeldLock | None:
    """The right to poll: refused (SecondPoller) when another process polls this bot on the
    same database, or webhook workers receive its updates (the poller's deleteWebhook would
    take their updates away). On SQLite the database's own lock file keeps a second process
    out (`process_locks.lock_sqlite_file`)."""
    database = parts.database
    if webhook_workers_live(database, parts.services.clock):
        raise SecondPoller(
            "Webhook workers are running for this bot on this database: polling now would "
            "delete their webhook. Run this worker with WEBHOOK_URL set like the others (see "
            "docs/deploy.md), or stop them first."
        )
    if database.is_sqlite:
        return None
    lock = HeldLock(database, LockKey.POLLER)
    if not lock.try_take():
        raise SecondPoller(
            "Another sopbot process polls this bot on this database. Polling is one worker: "
            "stop the other `sopbot run`, or run several workers behind a webhook "
            "(WEBHOOK_URL; see docs/deploy.md)."
        )
    return lock

"""Running a built bot: the inbox (polling or webhook), the processor, and an orderly stop.

The same steps serve `sopbot run`, `sopbot demo` and the end-to-end tests: initialise the
Application and its post_init (command menu, outbox sender, reminders), start receiving into the
inbox, process from it; on exit, the reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from telegram import Update

from sopbot.bot.app import BotParts
from sopbot.bot.inbox import LONG_POLL_SECONDS, InboxPoller, InboxProcessor, UpdateInbox
from sopbot.bot.webhook_server import require_usable_secret, webhook_server


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Where Telegram posts updates, and where this process listens for them."""

    url: str  # the public HTTPS URL, path included
    path: str
    secret: str
    listen: str = "127.0.0.1"
    port: int = 8443


@asynccontextmanager
async def running(
    parts: BotParts,
    *,
    poll_timeout: int = LONG_POLL_SECONDS,
    webhook: WebhookConfig | None = None,
) -> AsyncIterator[BotParts]:
    """The bot receiving and handling updates until the block ends."""
    application = parts.application
    if webhook is not None:
        # A secret that would let strangers in stops everything before anything starts.
        require_usable_secret(webhook.secret)
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    inbox = UpdateInbox(parts.database, parts.services.clock)
    processor = InboxProcessor(application, inbox)
    tasks = [asyncio.create_task(processor.run(), name="inbox-processor")]
    server = None
    if webhook is None:
        poller = InboxPoller(application, inbox, processor, timeout=poll_timeout)
        tasks.append(asyncio.create_task(poller.run(), name="inbox-poller"))
    else:
        server = webhook_server(webhook.path, inbox, processor, webhook.secret)
        server.listen(webhook.port, address=webhook.listen)
        await application.bot.set_webhook(
            webhook.url, secret_token=webhook.secret, allowed_updates=Update.ALL_TYPES
        )
    try:
        yield parts
    finally:
        if server is not None:
            server.stop()
        for task in tasks[1:]:
            task.cancel()  # the poller: an unconfirmed batch is simply sent again next time
        processor.stop()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await application.stop()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        await application.shutdown()

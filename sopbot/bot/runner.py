"""`sopbot run`: the bot against Telegram (or a local Bot API server), by polling or webhook."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import signal
from typing import TextIO

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.flood import FloodLimits
from sopbot.bot.lifecycle import WebhookConfig, running
from sopbot.bot.settings import Settings
from sopbot.engine.library import load_library
from sopbot.services.commands import utc_now
from sopbot.storage.audit_chain import seal_plain_chains
from sopbot.storage.audit_key import InvalidAuditKey
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade

EXIT_OK = 0
EXIT_CONFIG = 2

log = logging.getLogger(__name__)


def run(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """Start the bot and run until interrupted."""
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        print(
            "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the environment "
            "or in .env (see .env.example). To try sopbot without a token: `sopbot demo`.",
            file=err,
        )
        return EXIT_CONFIG
    if settings.webhook_url and settings.webhook_secret is None:
        print(
            "WEBHOOK_SECRET is required with WEBHOOK_URL: Telegram sends it back with each "
            "update, and updates without it are refused.",
            file=err,
        )
        return EXIT_CONFIG
    try:
        audit_key = settings.checked_audit_key()
    except InvalidAuditKey as unusable:
        print(unusable, file=err)
        return EXIT_CONFIG
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    token = settings.telegram_bot_token.get_secret_value()
    database = Database(settings.database_url, audit_key=audit_key)
    upgrade(database)
    for chain in seal_plain_chains(database, utc_now()):
        log.info("audit chain %s sealed under the audit key", chain)
    library = load_library(settings.definitions_dir())
    for problem in library.problems:
        log.warning("%s", problem)
    parts = build_bot(
        token=token,
        database=database,
        library=library,
        documents_dir=settings.documents_dir,
        base_url=settings.telegram_api_base_url,
        bot_username=settings.telegram_bot_username,
        flood=FloodLimits(
            overall_per_second=settings.flood_per_second,
            per_private_chat_per_second=settings.flood_per_chat_per_second,
        ),
        audit_anchor_file=settings.audit_anchor_file,
    )
    log.info(
        "sopbot starting with %d SOP(s), database %s",
        len(library.definitions),
        database.url.render_as_string(hide_password=True),
    )
    webhook = None
    if settings.webhook_url:
        assert settings.webhook_secret is not None  # noqa: S101 - checked above
        # The path is derived from the token, so it is unguessable without containing it.
        path = hashlib.sha256(token.encode()).hexdigest()[:32]
        webhook = WebhookConfig(
            url=f"{settings.webhook_url.rstrip('/')}/{path}",
            path=path,
            secret=settings.webhook_secret.get_secret_value(),
            listen=settings.webhook_listen,
            port=settings.webhook_port,
        )
    asyncio.run(_serve(parts, webhook))
    return EXIT_OK


async def _serve(parts: BotParts, webhook: WebhookConfig | None) -> None:
    """Run until SIGINT or SIGTERM, then stop in order (nothing stored is lost)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    async with running(parts, webhook=webhook):
        log.info("sopbot is running (%s)", "webhook" if webhook else "long polling")
        await stop.wait()
    log.info("sopbot stopped")

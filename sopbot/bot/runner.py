"""`sopbot run`: the bot against Telegram (or a local Bot API server), by polling or webhook."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import signal
from typing import TextIO

from telegram.error import NetworkError, TelegramError

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.inbox import SecondPoller
from sopbot.bot.lifecycle import BotApiRefused, WebhookConfig, reach_bot_api, running
from sopbot.bot.preflight import settings_problems
from sopbot.bot.settings import Settings
from sopbot.delivery.flood import FloodLimits
from sopbot.delivery.redaction import install_token_redaction, redact
from sopbot.engine.library import SopLibrary, load_library
from sopbot.handlers.inbound_limit import InboundLimits
from sopbot.services.commands import utc_now
from sopbot.services.live_definitions import DEFAULT_CHECK_SECONDS, LiveDefinitions
from sopbot.services.sop_catalog import FileOutcome, SopCatalog
from sopbot.storage.audit_chain import seal_plain_chains
from sopbot.storage.audit_key import InvalidAuditKey
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from sopbot.storage.process_locks import LockKey, SqliteInUse, lock_sqlite_file, one_at_a_time

EXIT_OK = 0
EXIT_STARTUP = 1  # Telegram refused a start-up call (e.g. the webhook URL)
EXIT_CONFIG = 2  # a setting or the token cannot work: the message says how to fix it

log = logging.getLogger(__name__)


def run(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """Start the bot and run until interrupted; a setting or a token that cannot work is
    reported with its fix (exit 2)."""
    problems = settings_problems(settings)
    if problems:
        for problem in problems:
            print(problem, file=err)
        return EXIT_CONFIG
    try:
        audit_key = settings.checked_audit_key()
    except InvalidAuditKey as unusable:
        print(unusable, file=err)
        return EXIT_CONFIG
    assert settings.telegram_bot_token is not None  # noqa: S101 - checked above
    token = settings.telegram_bot_token.get_secret_value()
    install_token_redaction(token)  # before anything can log
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    database = Database(settings.database_url, audit_key=audit_key)
    try:
        # Kept for the life of the process: SQLite is served by one process.
        _held_for_life = lock_sqlite_file(database)
    except SqliteInUse as held:
        print(
            f"Another sopbot process serves this SQLite database (it holds {held}). SQLite is "
            "one worker: stop the other one, or run several workers on PostgreSQL "
            "(docs/deploy.md).",
            file=err,
        )
        return EXIT_CONFIG
    library = load_library(settings.definitions_dir())
    # Workers starting together take turns: one migrates, seals and syncs, the next finds it
    # done.
    with one_at_a_time(database, LockKey.START_UP):
        upgrade(database)
        with database.unit_of_work() as uow:
            sealed = seal_plain_chains(uow, utc_now())
        for chain in sealed:
            log.info("audit chain %s sealed under the audit key", chain)
        definitions = sync_at_start_up(database, library)
    parts = build_bot(
        token=token,
        database=database,
        library=definitions,
        documents_dir=settings.documents_dir,
        base_url=settings.telegram_api_base_url,
        bot_username=settings.telegram_bot_username,
        flood=FloodLimits(
            overall_per_second=settings.flood_per_second,
            per_private_chat_per_second=settings.flood_per_chat_per_second,
        ),
        audit_anchor_file=settings.audit_anchor_file,
        inbound=InboundLimits(burst=settings.inbound_burst, per_second=settings.inbound_per_second),
    )
    log.info(
        "sopbot starting with %d SOP(s), database %s",
        len(definitions.definitions),
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
    try:
        return asyncio.run(serve(parts, webhook, server=settings.telegram_api_base_url))
    except (BotApiRefused, SecondPoller) as refusal:
        print(redact(str(refusal)), file=err)
        return EXIT_CONFIG
    except NetworkError as error:
        # Between getMe and the first poll: rare enough that a restart is the answer.
        print(
            f"The Bot API went out of reach while sopbot was starting ({redact(error.message)});"
            " start it again.",
            file=err,
        )
        return EXIT_STARTUP
    except TelegramError as refusal:
        # E.g. Telegram refusing the webhook URL: its description says why.
        print(f"Telegram refused a start-up call: {redact(refusal.message)}", file=err)
        return EXIT_STARTUP


def sync_at_start_up(
    database: Database, library: SopLibrary, *, check_every: float = DEFAULT_CHECK_SECONDS
) -> LiveDefinitions:
    """Sync the SOP folder into the installed catalog (so a file put in sop_defs/ still just
    works), log what was installed and what was refused, and give the live view of the
    catalog that the bot starts procedures from."""
    catalog = SopCatalog(database)
    report = catalog.sync_files(library)
    for synced in report.with_outcome(FileOutcome.INSTALLED):
        log.info(
            "SOP %s installed from %s (version %s)", synced.sop_id, synced.file, synced.version
        )
    for synced in report.with_outcome(FileOutcome.REFUSED):
        kept = (
            f"version {synced.current.version} stays installed"
            if synced.current is not None
            else "it is not installed"
        )
        log.warning("SOP file %s refused (%s):", synced.file, kept)
        for problem in synced.problems:
            log.warning("  %s", problem)
    for synced in report.files:
        if synced.outcome is not FileOutcome.REFUSED:
            for problem in synced.problems:
                log.warning("%s", problem)
    for synced in report.with_outcome(FileOutcome.MISSING):
        log.warning(
            "SOP %s: its file is gone; version %s stays installed",
            synced.sop_id,
            synced.current.version if synced.current else "?",
        )
    for problem in report.other_problems:
        log.warning("%s", problem)
    return LiveDefinitions(catalog, agencies=library.agencies, check_every=check_every)


async def serve(
    parts: BotParts,
    webhook: WebhookConfig | None,
    *,
    server: str,
) -> int:
    """Wait for the Bot API, then run until SIGINT or SIGTERM and stop in order (nothing
    stored is lost). A signal while the Bot API is still out of reach stops as cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        reached = await reach_bot_api(parts.application.bot, stop, server=server)
    except BotApiRefused:
        await parts.application.bot.shutdown()
        raise
    if not reached:
        await parts.application.bot.shutdown()
        log.info("sopbot stopped before the Bot API answered")
        return EXIT_OK
    async with running(parts, webhook=webhook, stop=stop):
        log.info("sopbot is running (%s)", "webhook" if webhook else "long polling")
        await stop.wait()
    log.info("sopbot stopped")
    return EXIT_OK

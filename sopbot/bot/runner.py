"""`sopbot run`: the bot against Telegram (or a local Bot API server), by polling or webhook."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import signal
import socket
from typing import TextIO

from pydantic import SecretStr
from telegram.error import NetworkError, TelegramError

from sopbot.bot.app import BotParts, build_bot
from sopbot.bot.health_server import bind_health_port, health_server
from sopbot.bot.inbox import SecondPoller
from sopbot.bot.lifecycle import BotApiRefused, WebhookConfig, reach_bot_api, running
from sopbot.bot.log_format import setup_logging
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
from sopbot.storage.database import Database, password_of
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
    setup_logging(
        level=settings.log_level,
        form=settings.log_format,
        secrets=[_secret_text(settings.webhook_secret), _secret_text(settings.audit_key)],
        database_password=password_of(settings.database_url),
    )
    health = _bind_health(settings)  # now: a port in use stops sopbot before anything starts
    if isinstance(health, str):
        print(health, file=err)
        return EXIT_CONFIG
    database = Database(settings.database_url, audit_key=audit_key)
    refusal = _serve_alone_on_sqlite(database)
    if refusal is not None:
        print(refusal, file=err)
        return EXIT_CONFIG
    definitions = prepare_database(database, load_library(settings.definitions_dir()))
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
    webhook = _webhook_config(settings, token)
    try:
        return asyncio.run(
            serve(parts, webhook, server=settings.telegram_api_base_url, health=health)
        )
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


def _bind_health(settings: Settings) -> list[socket.socket] | str | None:
    """The health server's port, bound; None when switched off (port 0); when it cannot be
    had, what to do about it."""
    if not settings.health_port:
        return None
    try:
        return bind_health_port(settings.health_listen, settings.health_port)
    except OSError as error:
        return (
            f"SOPBOT_HEALTH_PORT {settings.health_port} on {settings.health_listen} cannot be "
            f"used ({os.strerror(error.errno) if error.errno else error}): choose a free port, "
            "or 0 for no health server."
        )


def _secret_text(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


# The lock file of a SQLite database, held for the life of the process.
_HELD: list[object] = []


def _serve_alone_on_sqlite(database: Database) -> str | None:
    """Take the SQLite database's lock file for this process; why not, when another has it."""
    try:
        _HELD.append(lock_sqlite_file(database))
    except SqliteInUse as held:
        return (
            f"Another sopbot process serves this SQLite database (it holds {held}). SQLite is "
            "one worker: stop the other one, or run several workers on PostgreSQL "
            "(docs/deploy.md)."
        )
    return None


def prepare_database(database: Database, library: SopLibrary) -> LiveDefinitions:
    """Migrate, seal old audit chains and sync the SOP folder, one worker at a time (workers
    starting together take turns: the next finds it done); the live catalog."""
    with one_at_a_time(database, LockKey.START_UP):
        upgrade(database)
        with database.unit_of_work() as uow:
            sealed = seal_plain_chains(uow, utc_now())
        for chain in sealed:
            log.info("audit chain %s sealed under the audit key", chain)
        return sync_at_start_up(database, library)


def _webhook_config(settings: Settings, token: str) -> WebhookConfig | None:
    """Where Telegram posts updates, when the settings name a webhook URL."""
    if not settings.webhook_url:
        return None
    assert settings.webhook_secret is not None  # noqa: S101 - checked by the preflight
    # The path is derived from the token, so it is unguessable without containing it.
    path = hashlib.sha256(token.encode()).hexdigest()[:32]
    return WebhookConfig(
        url=f"{settings.webhook_url.rstrip('/')}/{path}",
        path=path,
        secret=settings.webhook_secret.get_secret_value(),
        listen=settings.webhook_listen,
        port=settings.webhook_port,
    )


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
    health: list[socket.socket] | None = None,
) -> int:
    """Wait for the Bot API, then run until SIGINT or SIGTERM and stop in order (nothing
    stored is lost). A signal while the Bot API is still out of reach stops as cleanly.
    With `health` (bound sockets), /healthz, /readyz and /metrics are served there while
    the bot runs."""
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
    bot = parts.application.bot
    async with (
        health_server(health, database=parts.database, bot=bot),
        running(parts, webhook=webhook, stop=stop),
    ):
        log.info("sopbot is running (%s)", "webhook" if webhook else "long polling")
        await stop.wait()
    log.info("sopbot stopped")
    return EXIT_OK

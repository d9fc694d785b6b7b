"""The composition root of the bot: builds the services and the python-telegram-bot Application.

The same factory serves `sopbot run` (real Telegram or a local Bot API server), `sopbot demo`
and the end-to-end tests (the emulator): only the token and the Bot API base URL differ.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sopbot.bot.acting_sweep import SWEEP_SECONDS, ActingTermsJob
from sopbot.bot.audit_anchor import AuditAnchorJob
from sopbot.bot.bot_api_request import AiohttpRequest
from sopbot.bot.reminders import ReminderObserver, ReminderScheduler
from sopbot.bot.transition_metrics import ChangeHooks, CountTransitions
from sopbot.bot.worker import LeaderJobs
from sopbot.delivery import metrics
from sopbot.delivery.flood import FloodControl, FloodLimits
from sopbot.delivery.redaction import install_token_redaction
from sopbot.delivery.sender import OutboxSender
from sopbot.delivery.telegram_errors import is_transient
from sopbot.engine.library import DefinitionSource
from sopbot.handlers import (
    acting,
    archive,
    calendar,
    dispositions,
    inbound_limit,
    letters,
    monitoring_reports,
    onboarding,
    operators,
    people,
    positions,
    procedure_admin,
    reports,
    rosters,
    sop_admin,
    starting,
    uploads,
)
from sopbot.handlers.common import (
    BotServices,
    answer,
    claim_of,
    current_member,
    install,
    language_of,
    send_html,
    services_of,
    stranger,
)
from sopbot.handlers.inbound_limit import InboundLimits
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.notices import Notifier
from sopbot.services.acting_terms import ActingTerms
from sopbot.services.alerts import AlertService
from sopbot.services.archive import ArchiveService
from sopbot.services.audit_anchor import AuditAnchorService
from sopbot.services.commands import utc_now
from sopbot.services.live_definitions import LiveDefinitions
from sopbot.services.monitoring import MonitoringService
from sopbot.services.onboarding import OnboardingService
from sopbot.services.pending import PendingInputs
from sopbot.services.procedures import ProcedureService
from sopbot.services.sop_catalog import SopCatalog
from sopbot.services.sop_imports import SopImportService
from sopbot.services.views import Views
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.notice_writer import NoticeWriter

log = logging.getLogger(__name__)

COMMANDS = (
    "tugas",
    "mulai",
    "riwayat",
    "cari",
    "arsip",
    "ekspor",
    "status",
    "undang",
    "kalender",
    "sop",
    "batal",
    "surat",
    "pindah",
    "jabatan",
    "pegawai",
    "plt",
    "impor_pegawai",
    "laporan",
    "bahasa",
    "bantuan",
)
COMMAND_ECHO_LIMIT = 40  # characters of an unknown command repeated back (slash and @bot)
# Updates are handled concurrently (a slow upload must not hold up others); the database
# serialises what must be serialised.
CONCURRENT_UPDATES = 32
# Open HTTP connections to the Bot API (PTB's default is 256): the flood limits (30 msg/s)
# and the chats handled at once keep far fewer requests in flight. A request waits up to
# POOL_WAIT seconds for a free connection instead of failing after PTB's one second.
HTTP_CONNECTIONS = 16
POOL_WAIT = 15.0
# getUpdates: one long poll at a time on a connection of its own, as PTB sets it up.
POLL_CONNECTIONS = 1
POLL_POOL_WAIT = 1.0


def bot_api_request() -> AiohttpRequest:
    """How the bot's API calls (all but getUpdates) go out: HTTP_CONNECTIONS pooled
    connections, a request waiting up to POOL_WAIT seconds for a free one."""
    return AiohttpRequest(connections=HTTP_CONNECTIONS, pool_timeout=POOL_WAIT)


def get_updates_request() -> AiohttpRequest:
    """How getUpdates goes out (PTB keeps it apart, so a long poll never holds up a reply)."""
    return AiohttpRequest(connections=POLL_CONNECTIONS, pool_timeout=POLL_POOL_WAIT)


@dataclass
class BotParts:
    """What a running bot is made of, for the runner, the demo and the tests."""

    application: Application[Any, Any, Any, Any, Any, Any]
    services: BotServices
    sender: OutboxSender
    database: Database
    reminders: ReminderScheduler
    leader_jobs: LeaderJobs  # the timed jobs one worker runs for all (bot.worker)
    audit_anchor: AuditAnchorJob | None = None  # the daily anchor (when a file is given)


def quiet_http_logs() -> None:
    """Keep the HTTP libraries from logging request URLs, which contain the bot token."""
    for name in ("aiohttp", "httpx", "httpcore", "telegram.request"):
        logging.getLogger(name).setLevel(logging.WARNING)


def build_bot(  # noqa: PLR0913 - the composition root's wiring, keyword-only
    *,
    token: str,
    database: Database,
    library: DefinitionSource,
    documents_dir: Path,
    base_url: str = "https://api.telegram.org",
    bot_username: str | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    sender_idle_wait: float = 1.0,
    flood: FloodLimits | None = None,
    inbound: InboundLimits | None = None,
    audit_anchor_file: Path | None = None,
    acting_sweep_seconds: float = SWEEP_SECONDS,
) -> BotParts:
    """Wire the services and the Application (not started); with `audit_anchor_file`, the
    audit trail is anchored daily to the admins and to that file; Plt/Plh terms are applied
    every `acting_sweep_seconds` and at start-up."""
    install_token_redaction(token)
    quiet_http_logs()
    base = base_url.rstrip("/")
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .concurrent_updates(CONCURRENT_UPDATES)
        .request(bot_api_request())
        .get_updates_request(get_updates_request())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    procedures = ProcedureService(database, library, clock=clock, observer=NoticeWriter(Notifier()))
    documents = LocalDocumentStore(documents_dir)
    sender = OutboxSender(
        database,
        application.bot,
        clock=clock,
        idle_wait=sender_idle_wait,
        flood=FloodControl(flood),
        documents=documents,
    )
    views = Views(procedures, clock=clock)
    services = BotServices(
        procedures=procedures,
        onboarding=OnboardingService(procedures, clock=clock),
        views=views,
        monitoring=MonitoringService(procedures, clock=clock),
        pending=PendingInputs(database, clock=clock),
        catalog=default_catalog(),
        documents=documents,
        sender=sender,
        bot_username=bot_username or "",
        clock=clock,
        sop_imports=_sop_imports(procedures, library, documents, clock),
        archive=ArchiveService(views, documents, clock=clock),
    )
    reminders = ReminderScheduler(AlertService(procedures, clock=clock), wake_sender=sender.wake)
    # After the notices: the reminders of the steps a change opens, and the metrics' count.
    procedures.reminders = ChangeHooks(ReminderObserver(reminders), CountTransitions())
    application.bot_data["sopbot.reminders"] = reminders
    audit_anchor = None
    if audit_anchor_file is not None:
        anchors = AuditAnchorService(database, audit_anchor_file, clock=clock)
        audit_anchor = AuditAnchorJob(anchors, wake_sender=sender.wake)
    acting_terms = ActingTermsJob(
        ActingTerms(procedures, clock=clock),
        every_seconds=acting_sweep_seconds,
        wake_sender=sender.wake,
    )
    leader_jobs = LeaderJobs(reminders, audit_anchor, acting_terms)
    install(application, services)
    inbound_limit.register(application, inbound)
    for feature in (
        onboarding,
        starting,
        dispositions,
        uploads,
        reports,
        calendar,
        sop_admin,
        acting,  # /plt
        procedure_admin,  # /batal, /pindah
        positions,  # /jabatan
        people,  # /pegawai
        operators,  # /instansi (operator admins)
        rosters,  # /impor_pegawai
        letters,  # /surat
        monitoring_reports,  # /laporan
        archive,  # /cari, /arsip, /ekspor
    ):
        feature.register(application)
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, _unknown_command)
    )
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE, _anything_else))
    application.add_handler(CallbackQueryHandler(_unknown_button))
    application.add_error_handler(_on_error)
    return BotParts(application, services, sender, database, reminders, leader_jobs, audit_anchor)


def _sop_imports(
    procedures: ProcedureService,
    library: DefinitionSource,
    documents: LocalDocumentStore,
    clock: Callable[[], dt.datetime],
) -> SopImportService:
    """Importing SOPs from Telegram installs into the catalog the running bot follows (a live
    library); with a fixed library (some tests), into a catalog nothing reads back."""
    if isinstance(library, LiveDefinitions):
        return SopImportService(
            procedures,
            catalog=library.catalog,
            documents=documents,
            refresh=library.refresh,
            clock=clock,
        )
    catalog = SopCatalog(procedures.database, clock=clock)
    return SopImportService(procedures, catalog=catalog, documents=documents, clock=clock)


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Learn the bot's name, set the command menu in both languages, start the sender and
    the reminders' scheduler."""
    services: BotServices = application.bot_data["sopbot.services"]
    me = await application.bot.get_me()
    services.bot_username = me.username or services.bot_username
    catalog = services.catalog
    for language, code in ((Language.ID, None), (Language.EN, "en")):
        commands = [BotCommand(c, catalog.text(language, f"command.{c}")) for c in COMMANDS]
        await application.bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=code
        )
    if services.sender is not None:
        application.bot_data["sopbot.sender_task"] = asyncio.create_task(
            services.sender.run(), name="outbox-sender"
        )
    reminders: ReminderScheduler = application.bot_data["sopbot.reminders"]
    # The looks at the runs this worker opens; the leader's part (rebuilding every look from
    # the database, the digests, the anchor, the Plt/Plh sweep) starts once the worker knows
    # it leads (`bot.worker.Worker`, from `lifecycle.running`).
    await reminders.start(lead=False)


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services: BotServices = application.bot_data["sopbot.services"]
    application.bot_data["sopbot.reminders"].stop()
    task = application.bot_data.pop("sopbot.sender_task", None)
    if services.sender is not None:
        services.sender.stop()
    if task is not None:
        await asyncio.gather(task, return_exceptions=True)


async def _unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command no handler knows: say so and list the commands (the polite no for others)."""
    member = await current_member(update, context)
    if member is None:
        await stranger(update, context)
        return
    catalog, language = services_of(context).catalog, language_of(member, update)
    message = update.effective_message
    typed = ((message.text if message else None) or "/").split(maxsplit=1)[0]
    lines = [
        catalog.text(
            language,
            "unknown_command.header",
            # Telegram allows 32 characters after the slash; anything longer is cut, not echoed.
            command=html.escape(typed[:COMMAND_ECHO_LIMIT], quote=False),
        )
    ]
    lines += [
        catalog.text(
            language,
            "unknown_command.line",
            command=name,
            description=catalog.text(language, f"command.{name}"),
        )
        for name in COMMANDS
    ]
    await send_html(message, "\n".join(lines), context=context)


async def _anything_else(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, free text and the like: a hint for members, the polite no for others."""
    member = await current_member(update, context)
    if member is None:
        await stranger(update, context)
        return
    services = services_of(context)
    await send_html(
        update.effective_message,
        services.catalog.text(language_of(member, update), "hint.text"),
        context=context,
    )


async def _unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Callback data no handler recognises: forged or from an old version."""
    query = update.callback_query
    if query is None:
        return
    member = await current_member(update, context)
    services = services_of(context)
    await answer(
        query,
        services.catalog.text(language_of(member, update), "answer.invalid_button"),
        show_alert=True,
    )


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The last resort. Trouble that may pass (Telegram down, a 429, a dropped connection) is
    not the person's concern: the inbox tries the update again (`InboxProcessor`). Anything
    else is a bug: logged with the update id (never the token), and the person is told."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    claim = claim_of(context, update_id)
    if error is not None and is_transient(error) and claim is not None:
        log.warning("update %s met passing trouble (%s); it will be tried again", update_id, error)
        claim.passing_failure = f"{type(error).__name__}: {error}"
        return
    log.error("error while handling update %s", update_id, exc_info=error)
    metrics.error_seen("handler")
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        services = services_of(context)
        language = Language.of(
            update.effective_user.language_code if update.effective_user else None
        )
        if update.callback_query is not None:
            await answer(
                update.callback_query,
                services.catalog.text(language, "error.unexpected"),
                show_alert=True,
            )
        else:
            await send_html(
                None,
                html.escape(services.catalog.text(language, "error.unexpected")),
                context=context,
                chat_id=update.effective_chat.id,
            )
    except Exception:
        log.exception("could not tell the person about the error")

"""What every handler shares: the services, who is writing, their language, polite refusals.

Handlers are thin: they turn a Telegram update into our values, call a service (in a worker
thread, since the database is synchronous), and answer. Services decide; the server checks
every button and command again, whatever the message showed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes

from sopbot.delivery.sender import OutboxSender, edit_html_text, markup, send_html_text
from sopbot.delivery.telegram_errors import is_transient, retry_after_seconds
from sopbot.engine.errors import DomainError
from sopbot.engine.letters import MAX_NUMBER_LENGTH, MAX_SENDER_LENGTH
from sopbot.messaging.catalog import Catalog, Language
from sopbot.messaging.formatting import (
    NOTE_LIMIT,
    REASON_LIMIT,
    TITLE_LIMIT,
    escape,
    fit_caption,
    split_message,
    utf16_length,
)
from sopbot.messaging.keyboards import Keyboard, to_payload
from sopbot.messaging.numbers import quantity
from sopbot.services.archive import ArchiveService
from sopbot.services.commands import CLAIMS_KEY, ClaimsInHand, CommandKey, InboxClaim
from sopbot.services.monitoring import MonitoringService
from sopbot.services.onboarding import MemberView, OnboardingService
from sopbot.services.pending import PendingInput, PendingInputs
from sopbot.services.procedures import ProcedureService
from sopbot.services.sop_imports import SopImportService
from sopbot.services.views import Views
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.file_types import ALLOWED_TYPES_DESCRIPTION
from sopbot.storage.file_types import Refusal as FileRefusal
from sopbot.storage.replies import queue_reply

log = logging.getLogger(__name__)

T = TypeVar("T")
INPUT_LIMIT = NOTE_LIMIT  # a note or caption sent with a file (see `input_refusal` for text)
REPLY_ATTEMPTS = 4
# Seconds a reply waits for a 429's retry_after, at most; a longer wait goes to the outbox.
MAX_REPLY_WAIT = 30.0

# Telegram's refusal codes mapped to the catalog's answers.
_REFUSAL_KEYS = {
    "already_done": "answer.already_done",
    "step_moved": "answer.moved",
    "not_your_step": "answer.not_yours",
    "step_not_open": "answer.not_open",
    "instance_not_running": "answer.not_running",
    "document_required": "answer.document_required",
    "not_a_decision": "answer.not_a_decision",
    "cannot_claim": "answer.cannot_claim",
    "nothing_to_return_to": "answer.nothing_to_return",
    "not_allowed": "answer.not_allowed",
    "reason_required": "answer.reason_required",
    "unknown_member": "answer.unknown_member",
    "unknown_sop": "answer.unknown_sop",
    "invalid_hand_over": "answer.invalid_hand_over",
    # What a button names is gone or never was (an old or forged button).
    "not_found": "answer.invalid_button",
}


# The longest answer each question takes, and the refusal that names the limit: what a
# message can carry around it (see messaging.formatting). "note" is a reply to a disposition.
_INPUT_LIMITS = {
    "start_title": (TITLE_LIMIT, "ask.title_too_long"),
    "start_note": (NOTE_LIMIT, "ask.note_too_long"),
    "note": (NOTE_LIMIT, "ask.note_too_long"),
    "reason_no": (REASON_LIMIT, "ask.reason_too_long"),
    "reason_send_back": (REASON_LIMIT, "ask.reason_too_long"),
    "proc_cancel_reason": (REASON_LIMIT, "ask.reason_too_long"),
    "proc_cancel_confirm": (REASON_LIMIT, "ask.reason_too_long"),
    "proc_move_reason": (REASON_LIMIT, "ask.reason_too_long"),
    "reason_hand_over": (REASON_LIMIT, "ask.reason_too_long"),
    # The letter's parts (/mulai, /surat): the number's and the sender's columns.
    "start_letter": (MAX_NUMBER_LENGTH, "letters.too_long"),
    "start_letter_date": (MAX_NUMBER_LENGTH, "letters.too_long"),
    "start_letter_sender": (MAX_SENDER_LENGTH, "letters.too_long"),
    "letter_edit": (MAX_SENDER_LENGTH, "letters.too_long"),
}


@dataclass
class BotServices:
    """Everything the handlers use, built once by the composition root."""

    procedures: ProcedureService
    onboarding: OnboardingService
    views: Views
    monitoring: MonitoringService  # /laporan: Mutu Baku compliance, the monitoring forms
    pending: PendingInputs
    catalog: Catalog
    documents: LocalDocumentStore
    sender: OutboxSender | None
    bot_username: str
    clock: Callable[[], dt.datetime]
    sop_imports: SopImportService | None = None  # /sop: importing SOPs (a live catalog)
    archive: ArchiveService | None = None  # /cari, /arsip, /ekspor


SERVICES_KEY = "sopbot.services"


def services_of(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    """The services the application was built with."""
    found = context.application.bot_data[SERVICES_KEY]
    assert isinstance(found, BotServices)  # noqa: S101 - set by the composition root
    return found


def install(application: Application[Any, Any, Any, Any, Any, Any], services: BotServices) -> None:
    """Make the services available to every handler."""
    application.bot_data[SERVICES_KEY] = services


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking database work without stalling the bot's event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


def claim_of(context: ContextTypes.DEFAULT_TYPE, update_id: int | None) -> InboxClaim | None:
    """The claim of the stored update being handled (None outside the inbox processor)."""
    claims = context.application.bot_data.get(CLAIMS_KEY)
    if not isinstance(claims, ClaimsInHand) or update_id is None:
        return None
    return claims.of(update_id)


def command_key(update: Update, context: ContextTypes.DEFAULT_TYPE) -> CommandKey:
    """The idempotency key of an update: unique per message or button press, stable on replay;
    with the stored update's claim, so the command marks it processed with its effects.

    Telegram restarts update ids after a quiet week, so the key is built from what stays
    unique: the chat and message id of a message, or the id of a callback query.
    """
    claim = claim_of(context, update.update_id)
    if update.callback_query is not None:
        return CommandKey(f"cb:{update.callback_query.id}", claim)
    message = update.effective_message
    if message is not None:
        return CommandKey(f"msg:{message.chat_id}:{message.message_id}", claim)
    return CommandKey(f"update:{update.update_id}", claim)


async def current_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> MemberView | None:
    """The member writing, or None for someone the bot does not know."""
    user = update.effective_user
    if user is None:
        return None
    onboarding = services_of(context).onboarding
    return await onboarding.database.point_read(onboarding.member_for, user.id)


def language_of(member: MemberView | None, update: Update) -> Language:
    """The member's chosen language, else the one their Telegram app uses."""
    if member is not None and member.language:
        return Language.of(member.language)
    user = update.effective_user
    return Language.of(user.language_code if user else None)


async def send_html(
    message: Message | None,
    text: str,
    keyboard: Keyboard | None = None,
    *,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int | None = None,
) -> int | None:
    """Answer in the chat: split over 4096 characters, buttons under the last part; the last
    part's message id (None when it went to the outbox, see below).

    Each part keeps the chat's flood limits (the outbox sender's own `FloodControl`), and
    passing trouble is retried. When Telegram will not take a part now (down, or a long 429),
    it and the parts after it go to the outbox, which delivers them later: a reply is late
    rather than lost, and the handler's work, already committed, is not undone by it.
    """
    parts = split_message(text)
    target = chat_id if chat_id is not None else (message.chat_id if message else None)
    if target is None:
        return None
    services = services_of(context)
    message_id: int | None = None
    for index, part in enumerate(parts):
        keys = markup(keyboard) if index == len(parts) - 1 else None
        try:
            message_id = await _with_retries(
                lambda part=part, keys=keys: send_html_text(  # type: ignore[misc]
                    context.bot, target, part, keys
                ),
                services,
                target,
            )
            if services.sender is not None:
                services.sender.ledger.saw(target, message_id)
        except TelegramError as exc:
            if not is_transient(exc):
                raise
            await _defer(services, target, parts[index:], keyboard, exc)
            return None
    return message_id


async def edit_html(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    message_id: int,
    text: str,
    keyboard: Keyboard | None = None,
) -> None:
    """Replace a bot message's text (its first 4096 characters) and buttons, paced by the
    chat's flood limits; a message that is as it should be already is left alone."""
    services = services_of(context)
    part = split_message(text)[0]

    async def edit() -> None:
        try:
            await edit_html_text(context.bot, chat_id, message_id, part, markup(keyboard))
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    await _with_retries(edit, services, chat_id)


async def send_file(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    content: bytes,
    file_name: str,
    caption: str | None = None,
) -> int:
    """Send a document the bot made (a rendered SOP, a draft), its caption plain text cut to
    Telegram's limit; its message id."""
    services = services_of(context)

    async def send() -> int:
        sent = await context.bot.send_document(
            chat_id,
            content,
            filename=file_name,
            caption=fit_caption(caption) if caption else None,
            # A large file (an archive up to 50 MB) needs longer than the default to go up:
            # as long as it takes at 1 Mbit/s, so a slow office line is not cut off mid-file.
            write_timeout=max(UPLOAD_WRITE_TIMEOUT, len(content) / UPLOAD_BYTES_PER_SECOND),
        )
        return sent.message_id

    return await _with_retries(send, services, chat_id)


async def send_picture(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    content: bytes,
    caption: str | None = None,
    keyboard: Keyboard | None = None,
) -> int:
    """Send a picture the bot drew as a photo, with a plain caption cut to Telegram's limit
    and buttons under it; its message id."""
    services = services_of(context)

    async def send() -> int:
        sent = await context.bot.send_photo(
            chat_id,
            content,
            caption=fit_caption(caption) if caption else None,
            reply_markup=markup(keyboard),
        )
        return sent.message_id

    return await _with_retries(send, services, chat_id)


async def _defer(
    services: BotServices, chat_id: int, parts: list[str], keyboard: Keyboard | None, exc: Exception
) -> None:
    """Hand an undelivered reply to the outbox (see `send_html`)."""
    database = services.procedures.database
    kept = await in_thread(
        queue_reply, database, chat_id, parts, to_payload(keyboard), services.clock()
    )
    log.warning(
        "a reply to chat %s could not be sent (%s); %s",
        chat_id,
        type(exc).__name__,
        "left in the outbox for later" if kept else "not kept (not a member's chat)",
    )
    wake_sender_of(services)


async def _with_retries(
    call: Callable[[], Awaitable[T]], services: BotServices, chat_id: int | None
) -> T:
    """A direct reply, paced by the chat's flood limits and retried through passing trouble:
    a 429 is waited out (up to MAX_REPLY_WAIT), a 5xx or a dropped connection backs off."""
    for attempt in range(REPLY_ATTEMPTS):
        if chat_id is not None and services.sender is not None:
            await services.sender.flood.acquire(chat_id)
        try:
            return await call()
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            if seconds > MAX_REPLY_WAIT or attempt == REPLY_ATTEMPTS - 1:
                raise
            await asyncio.sleep(seconds)
        except (TimedOut, NetworkError) as exc:
            if not is_transient(exc) or attempt == REPLY_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def answer(
    query: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Answer a button press (the toast), retried through passing trouble.

    It never raises for the transport: the press's effect is already committed, and its
    lasting answer is the edited disposition that the outbox delivers; a toast that cannot be
    shown is logged, not turned into "please try again" for work that was done.
    """
    for attempt in range(REPLY_ATTEMPTS):
        try:
            await query.answer(text, show_alert=show_alert)
            return
        except BadRequest as exc:
            # Too old or already answered (an earlier try did reach Telegram): nothing to do.
            log.info("a button press could not be answered: %s", exc)
            return
        except RetryAfter as exc:
            await asyncio.sleep(min(retry_after_seconds(exc), MAX_REPLY_WAIT))
        except TelegramError as exc:
            if not is_transient(exc):
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    log.warning("a button press was not answered after %d tries", REPLY_ATTEMPTS)


async def remove_buttons(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take the buttons off the message a press came from (paced like any message). A message
    that has none already is left as it is."""
    message = query.message
    services = services_of(context)

    async def edit() -> None:
        try:
            await query.edit_message_reply_markup(None)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    try:
        await _with_retries(edit, services, message.chat.id if message else None)
    except TelegramError as exc:
        if not is_transient(exc):
            raise
        log.warning("buttons could not be taken off a message: %s", exc)


def input_refusal(catalog: Catalog, language: Language, kind: str, text: str) -> str | None:
    """Why a typed answer is too long for its question (naming the limit), or None if it fits.

    Counted as Telegram counts the messages that will carry it: `&` is one, an emoji two.
    """
    limit, key = _INPUT_LIMITS.get(kind, (NOTE_LIMIT, "ask.note_too_long"))
    length = utf16_length(text)
    if length <= limit:
        return None
    return catalog.text(
        language, key, length=quantity(length, language), limit=quantity(limit, language)
    )


# The answer to each reason the upload checks refuse a file (each names what to send instead),
# for a step's output and for an SOP document alike.
FILE_REFUSAL_KEYS = {
    FileRefusal.NOT_ACCEPTED: "document.wrong_type",
    FileRefusal.MACROS: "document.refused_macros",
    FileRefusal.ACTIVE_CONTENT: "document.refused_active_content",
    FileRefusal.FORMULA: "document.refused_formula",
    FileRefusal.ARCHIVE: "document.refused_archive",
    FileRefusal.ENCRYPTED: "document.refused_encrypted",
}


def file_refusal_text(catalog: Catalog, language: Language, refusal: FileRefusal) -> str:
    """Why the upload checks refuse a file, and what to send instead."""
    return catalog.text(language, FILE_REFUSAL_KEYS[refusal], allowed=ALLOWED_TYPES_DESCRIPTION)


def refusal_text(services: BotServices, language: Language, error: DomainError) -> str:
    """A domain refusal in the member's words, naming who acted where it matters."""
    key = _REFUSAL_KEYS.get(error.code, "answer.not_allowed")
    params: dict[str, object] = {}
    if error.code == "already_done":
        by = error.params.get("by_member_id")
        names = services.procedures.member_names([by] if isinstance(by, int) else [])
        params["person"] = names.get(by, "-") if isinstance(by, int) else "-"
    elif error.code == "step_moved":
        to = error.params.get("to_member_id")
        names = services.procedures.member_names([to] if isinstance(to, int) else [])
        params["person"] = names.get(to, "-") if isinstance(to, int) else "-"
    elif error.code == "document_required":
        params["output"] = error.params.get("output", "-")
    return services.catalog.text(language, key, **params)


@dataclass(frozen=True, slots=True)
class Caller:
    """The member behind an update, with the services and the language to answer in."""

    member: MemberView
    services: BotServices
    language: Language

    def text(self, key: str, /, **params: Any) -> str:
        """A catalog text in the caller's language."""
        return self.services.catalog.text(self.language, key, **params)


MemberHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, Caller], Coroutine[Any, Any, None]]


def members_only(
    handler: MemberHandler,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """Run the handler for members only; anyone else gets the polite explanation.

    Every command, message and button goes through here, so who may use the bot is decided in
    one place.
    """

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        member = await current_member(update, context)
        if member is None:
            await stranger(update, context)
            return
        caller = Caller(member, services_of(context), language_of(member, update))
        await handler(update, context, caller)

    return guarded


def admins_only(
    handler: MemberHandler,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """Run the handler for the agency's admins only (members_only first); any other member is
    told the command is for admins, and nothing else happens. The handler still acts only on
    the caller's own agency: services check every id a command or button names against it."""

    async def for_admins(
        update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
    ) -> None:
        if not caller.member.is_admin:
            await refuse(update, context, caller.text("status_report.not_admin"))
            return
        await handler(update, context, caller)

    return members_only(functools.wraps(handler)(for_admins))


def operators_only(
    handler: MemberHandler,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """Run the handler for operator admins only (those who create agencies and name their
    first admins); anyone else is told so, and nothing else happens."""

    async def for_operators(
        update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
    ) -> None:
        if not caller.member.is_operator:
            await refuse(update, context, caller.text("status_report.not_operator"))
            return
        await handler(update, context, caller)

    return members_only(functools.wraps(handler)(for_operators))


async def refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Say no: as an alert to a button press, as a message to anything else."""
    if update.callback_query is not None:
        await answer(update.callback_query, text, show_alert=True)
        return
    await send_html(update.effective_message, text, context=context)


async def stranger(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anyone the bot does not know gets a polite explanation and nothing else."""
    services = services_of(context)
    text = services.catalog.text(language_of(None, update), "onboarding.stranger")
    if update.callback_query is not None:
        await answer(update.callback_query, text, show_alert=True)
        return
    await send_html(update.effective_message, text, context=context)


def wake_sender(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Deliver what the last command wrote to the outbox now."""
    wake_sender_of(services_of(context))


def wake_sender_of(services: BotServices) -> None:
    """Deliver what was just written to the outbox now."""
    if services.sender is not None:
        services.sender.wake()


async def tell_not_processed(
    application: Application[Any, Any, Any, Any, Any, Any], update: Update
) -> None:
    """Tell a member, through the outbox (Telegram is in trouble right now), that what they
    sent could not be handled and that they should send it again."""
    chat = update.effective_chat
    if chat is None:
        return
    services: BotServices = application.bot_data[SERVICES_KEY]
    member = (
        await in_thread(services.onboarding.member_for, update.effective_user.id)
        if (update.effective_user is not None)
        else None
    )
    language = language_of(member, update)
    message = update.effective_message
    document = message.document if message is not None else None
    text = (
        services.catalog.text(
            language, "error.document_not_processed", name=escape(document.file_name or "-")
        )
        if document is not None
        else services.catalog.text(language, "error.not_processed")
    )
    database = services.procedures.database
    await in_thread(queue_reply, database, chat.id, [text], None, services.clock())
    wake_sender_of(services)


async def ask_question(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int | None,
    member_id: int,
    kind: str,
    payload: dict[str, Any],
    text: str,
    keyboard: Keyboard | None,
) -> None:
    """Wait for the member's answer to a question, and ask it; the message that asks is
    remembered, so its buttons (Batal, Lewati) come off once it is answered."""
    services = services_of(context)
    await in_thread(services.pending.ask, member_id, kind, payload)
    message_id = await send_html(None, text, keyboard, context=context, chat_id=chat_id)
    if message_id is not None:
        await in_thread(services.pending.shown, member_id, kind, message_id)


async def clear_prompt(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int | None, pending: PendingInput
) -> None:
    """Take the buttons off the message that asked an answered question."""
    message_id = pending.prompt_message_id
    if chat_id is None or message_id is None:
        return
    services = services_of(context)

    async def edit() -> None:
        try:
            await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
        except BadRequest as exc:  # gone, or without buttons already
            log.info("the buttons of question %s stay as they are: %s", message_id, exc)

    try:
        await _with_retries(edit, services, chat_id)
    except TelegramError as exc:
        if not is_transient(exc):
            raise
        log.warning("a question's buttons could not be taken off: %s", exc)


def procedure_number(text: str) -> int | None:
    """A procedure's number as people type it ("3", "#3", "No.3"); None for anything else."""
    cleaned = text.lstrip("#").removeprefix("No.").strip()
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 9 else None


async def say_here(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, keyboard: Keyboard | None = None
) -> None:
    """A message in the chat the update came from (a press's chat, or a command's)."""
    chat = update.effective_chat
    await send_html(None, text, keyboard, context=context, chat_id=chat.id if chat else None)


UPLOAD_WRITE_TIMEOUT = 20.0  # seconds to send a file up, at the least
UPLOAD_BYTES_PER_SECOND = 125_000  # 1 Mbit/s: the slowest upload a file's timeout allows for

HEAVY_JOBS_AT_ONCE = 2
"""Files that take seconds of CPU (/laporan's reports, /ekspor's zips) made at once by the
whole bot: the rest wait their turn, so a row of taps cannot stall everyone's work."""
_HEAVY_JOBS_KEY = "sopbot.heavy_jobs"


class HeavyJobs:
    """Who is having a heavy file made now (one at a time per member), and the few slots the
    whole bot makes them in."""

    def __init__(self, at_once: int = HEAVY_JOBS_AT_ONCE) -> None:
        self._members: set[int] = set()
        self._slots = asyncio.Semaphore(at_once)

    @contextlib.asynccontextmanager
    async def turn(self, member_id: int) -> AsyncIterator[bool]:
        """Wait for a slot and yield True; yield False at once when the member has a job
        being made already (the caller says so and makes nothing)."""
        if member_id in self._members:
            yield False
            return
        self._members.add(member_id)
        try:
            async with self._slots:
                yield True
        finally:
            self._members.discard(member_id)


def heavy_jobs(context: ContextTypes.DEFAULT_TYPE) -> HeavyJobs:
    """The application's heavy jobs (made on first use)."""
    jobs = context.application.bot_data.setdefault(_HEAVY_JOBS_KEY, HeavyJobs())
    assert isinstance(jobs, HeavyJobs)  # noqa: S101 - only this module sets it
    return jobs

"""Documents (and photos of signed pages) sent as step outputs.

The size is checked before anything is downloaded (Telegram lets bots download 20 MB at most);
the type is decided from the content, never from the name or the claimed MIME type; the file is
kept under a name the server chooses, and handed on under a cleaned name ending in the detected
type's extension. A download Telegram fails (a 5xx, a timeout) is tried again a few times before
the official is asked to send the file again. A file is for the disposition it replies to, or
for the sender's only open task; with several, the bot asks which.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from telegram import Bot, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from sopbot.delivery.telegram_errors import is_transient
from sopbot.engine.errors import DomainError
from sopbot.handlers.common import (
    INPUT_LIMIT,
    Caller,
    answer,
    command_key,
    file_refusal_text,
    in_thread,
    language_of,
    members_only,
    refusal_text,
    remove_buttons,
    send_html,
    services_of,
    wake_sender,
)
from sopbot.handlers.rosters import import_roster, roster_question, wants_roster
from sopbot.handlers.sop_admin import (
    DOCUMENT_QUESTION,
    FIX_QUESTION,
    import_document,
    wants_import,
    wants_yaml,
)
from sopbot.handlers.starting import START_NOTE, START_QUESTIONS, ask_start_question
from sopbot.messaging.formatting import escape
from sopbot.messaging.keyboards import Action, Button, callback, decode
from sopbot.messaging.numbers import megabytes
from sopbot.services.commands import CommandKey
from sopbot.services.onboarding import MemberView
from sopbot.services.pending import PendingInput
from sopbot.services.procedures import DocumentAttached, NewDocument
from sopbot.services.views import TaskView
from sopbot.storage.file_names import clean_name, delivery_name
from sopbot.storage.file_types import MAX_DOWNLOAD_BYTES, Refusal, detect_file_type

FALLBACK_NAME = "dokumen"
"""Shown for a file whose sender gave no usable name."""
Importer = Callable[
    [Update, ContextTypes.DEFAULT_TYPE, Caller, str, bytes, PendingInput | None],
    Awaitable[None],
]
"""What an admin's file goes to: the SOP importer, or the staff list's."""


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """What Telegram told us of a file someone sent (none of it trusted but the ids)."""

    file_id: str
    file_unique_id: str
    name: str
    size: int | None
    caption: str | None
    key: str  # the idempotency key: the message that carried the file


def _incoming(update: Update) -> IncomingFile | None:
    message = update.effective_message
    if message is None:
        return None
    key = f"msg:{message.chat_id}:{message.message_id}"
    caption = message.caption.strip()[:INPUT_LIMIT] if message.caption else None
    if message.document is not None:
        document = message.document
        # The sender's name is cleaned once, here: it is shown to people and is the stem of
        # the name the file is handed on under, never a path.
        name = clean_name(document.file_name) or FALLBACK_NAME
        return IncomingFile(
            document.file_id, document.file_unique_id, name, document.file_size, caption, key
        )
    if message.photo:
        photo = max(message.photo, key=lambda p: (p.file_size or 0, p.width * p.height))
        return IncomingFile(
            photo.file_id, photo.file_unique_id, "foto.jpg", photo.file_size, caption, key
        )
    return None


@members_only
async def file_message(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A document or photo: check it, then attach it to the right disposition."""
    message = update.effective_message
    incoming = _incoming(update)
    if message is None or incoming is None:
        return
    if incoming.size is not None and incoming.size > MAX_DOWNLOAD_BYTES:
        size = megabytes(incoming.size, caller.language)
        await send_html(message, caller.text("document.too_big", size=size), context=context)
        return
    pending = await in_thread(caller.services.pending.peek, caller.member.id)
    importing = await _import_question(caller, pending)
    if await _taken_by_admin_command(update, context, caller, incoming, pending, importing):
        return
    if pending is not None and pending.kind in START_QUESTIONS and not pending.expired:
        await _incoming_letter(update, context, caller.member, incoming, pending)
        return
    disposition_id = await _disposition_replied_to(message, caller)
    # A file replying to a task is that task's output, whatever an import waits for.
    if (
        importing is not None
        and disposition_id is None
        and await _taken_by_import(update, context, caller, incoming, importing)
    ):
        return
    if disposition_id is None:
        tasks = await in_thread(caller.services.views.tasks, caller.member.id)
        if not tasks:
            await send_html(message, caller.text("document.no_task"), context=context)
            return
        if len(tasks) > 1:
            await _ask_which_task(message, context, caller, incoming, tasks)
            return
        disposition_id = tasks[0].disposition_id
    await receive(update, context, caller, disposition_id, incoming)


async def _taken_by_admin_command(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    incoming: IncomingFile,
    pending: PendingInput | None,
    importing: PendingInput | None,
) -> bool:
    """A file captioned /sop or /impor_pegawai, or the staff list the bot asked for
    (handlers/rosters.py), goes to its importer; a member who is not an admin is told the
    command is for admins (such a file is never a step's output). False for any other file."""
    message = update.effective_message
    roster = await roster_question(caller, pending)
    importer: Importer
    if wants_import(incoming.caption):
        importer, waiting = import_document, importing
    elif wants_roster(incoming.caption) or (
        # The list the bot asked for, unless the file replies to a task (its output).
        roster is not None
        and message is not None
        and await _disposition_replied_to(message, caller) is None
    ):
        importer, waiting = import_roster, roster
    else:
        return False
    if caller.member.is_admin:
        await _sop_document(update, context, caller, incoming, waiting, importer)
    else:
        await send_html(message, caller.text("status_report.not_admin"), context=context)
    return True


async def _import_question(caller: Caller, pending: PendingInput | None) -> PendingInput | None:
    """The SOP import's open question for a file (the first document, or a review's corrected
    .yaml), if the bot waits for one from this admin. An admin demoted since the bot asked
    has it cleared: their file is an upload like anyone's."""
    if pending is None or pending.expired or pending.kind not in (DOCUMENT_QUESTION, FIX_QUESTION):
        return None
    if not caller.member.is_admin:
        await in_thread(caller.services.pending.clear, caller.member.id)
        return None
    return pending


async def _taken_by_import(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    incoming: IncomingFile,
    importing: PendingInput,
) -> bool:
    """Hand a file that replies to no task to the import waiting for it; False when it is a
    step's output after all: the review waits for its corrected .yaml, this is another file,
    and the admin has a task (panduan: "Berkas lain ... tetap menjadi output langkah"). With
    no task, the answer says a .yaml is expected."""
    if importing.kind == DOCUMENT_QUESTION or wants_yaml(incoming.name):
        await _sop_document(update, context, caller, incoming, importing)
        return True
    if await in_thread(caller.services.views.tasks, caller.member.id):
        return False
    text = caller.text("sop.yaml_expected", name=escape(incoming.name))
    await send_html(update.effective_message, text, context=context)
    return True


async def _disposition_replied_to(message: Message, caller: Caller) -> uuid.UUID | None:
    """The disposition shown in the bot's message that `message` replies to, if any."""
    if message.reply_to_message is None:
        return None
    return await in_thread(
        caller.services.procedures.disposition_for_message,
        message.chat_id,
        message.reply_to_message.message_id,
    )


async def _ask_which_task(
    message: Message,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    incoming: IncomingFile,
    tasks: Sequence[TaskView],
) -> None:
    """Keep the file's details as a pending question and ask which of the tasks it is for."""
    await in_thread(caller.services.pending.ask, caller.member.id, "upload_pick", asdict(incoming))
    keyboard = [
        [
            Button(
                caller.text("hint.pick_label", number=task.instance_number, step=task.step_label),
                callback(Action.UPLOAD_FOR, task.disposition_id),
            )
        ]
        for task in tasks[:20]
    ]
    keyboard.append([Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))])
    await send_html(
        message,
        caller.text("document.which_step", name=escape(incoming.name)),
        keyboard,
        context=context,
    )


async def _incoming_letter(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    member: MemberView,
    incoming: IncomingFile,
    pending: PendingInput,
) -> None:
    """A file sent while /mulai waits for the note or for a part of the letter: the incoming
    letter (surat masuk); the question waits on."""
    services = services_of(context)
    language = language_of(member, update)
    t = services.catalog.text
    chat = update.effective_chat
    checked = await _download_and_check(update, context, member, incoming)
    if checked is None:
        return
    payload = {**pending.payload, "letter": asdict(checked.document)}
    if pending.kind != START_NOTE:
        received = t(language, "letters.file_received", name=escape(checked.name))
        await ask_start_question(
            context,
            chat.id if chat else None,
            member.id,
            language,
            pending.kind,
            payload,
            lead=received,
        )
        return
    await in_thread(services.pending.ask, member.id, START_NOTE, payload)
    keyboard = [
        [
            Button(t(language, "button.skip"), callback(Action.SKIP)),
            Button(t(language, "button.cancel"), callback(Action.CANCEL_INPUT)),
        ]
    ]
    await send_html(
        None,
        t(language, "start.letter_received", name=escape(checked.name)),
        keyboard,
        context=context,
        chat_id=chat.id if chat else None,
    )


async def _sop_document(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    incoming: IncomingFile,
    pending: PendingInput | None,
    importer: Importer = import_document,
) -> None:
    """An admin's SOP document (asked for by /sop, or sent with the caption /sop), or another
    file an admin command asked for (`importer`: a staff list): download it within the size
    limit and hand it to the importer."""
    chat = update.effective_chat
    chat_id = chat.id if chat else None
    too_big = caller.text("document.too_big", size=megabytes(incoming.size or 0, caller.language))
    try:
        content = await _download(context.bot, incoming.file_id)
    except _TooBig:
        await send_html(None, too_big, context=context, chat_id=chat_id)
        return
    except TelegramError as error:
        if is_transient(error):
            raise  # the inbox handles the update again once the trouble has passed
        refused_as_too_big = isinstance(error, BadRequest) and "too big" in str(error).lower()
        text = too_big if refused_as_too_big else caller.text("document.failed")
        await send_html(None, text, context=context, chat_id=chat_id)
        return
    await importer(update, context, caller, incoming.name, content, pending)


@members_only
async def upload_target_picked(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """The answer to "which task is this file for?"."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services, language = caller.member, caller.services, caller.language
    pressed = decode(query.data)
    disposition_id = pressed.uuid_at(0) if pressed else None
    pending = await in_thread(services.pending.take, member.id)
    if (
        disposition_id is None
        or pending is None
        or pending.kind != "upload_pick"
        or pending.expired
    ):
        await answer(
            query, services.catalog.text(language, "answer.invalid_button"), show_alert=True
        )
        return
    await answer(query)
    await remove_buttons(query, context)
    await receive(update, context, caller, disposition_id, IncomingFile(**pending.payload))


@dataclass(frozen=True, slots=True)
class _Checked:
    """A file that passed the checks and is kept: its record, its kind's label and the name
    it is handed on under."""

    document: NewDocument
    kind: str
    name: str


class _TooBig(Exception):
    """Telegram says the file is over the download limit."""


async def _download_and_check(
    update: Update, context: ContextTypes.DEFAULT_TYPE, member: MemberView, incoming: IncomingFile
) -> _Checked | None:
    """Download a file, check its size and kind by content, keep it; None (with a reply
    saying what to do) when it is refused or cannot be fetched."""
    services = services_of(context)
    language = language_of(member, update)
    t = services.catalog.text
    chat = update.effective_chat
    chat_id = chat.id if chat else None
    too_big = t(language, "document.too_big", size=megabytes(incoming.size or 0, language))
    try:
        content = await _download(context.bot, incoming.file_id)
    except _TooBig:
        await send_html(None, too_big, context=context, chat_id=chat_id)
        return None
    except TelegramError as error:
        if is_transient(error):
            raise  # the inbox handles the update again once the trouble has passed
        refused_as_too_big = isinstance(error, BadRequest) and "too big" in str(error).lower()
        text = too_big if refused_as_too_big else t(language, "document.failed")
        await send_html(None, text, context=context, chat_id=chat_id)
        return None
    found = await in_thread(detect_file_type, content)
    if isinstance(found, Refusal):
        text = file_refusal_text(services.catalog, language, found)
        await send_html(None, text, context=context, chat_id=chat_id)
        return None
    stored = await in_thread(services.documents.put, content, found)
    document = NewDocument(
        telegram_file_id=incoming.file_id,
        telegram_file_unique_id=incoming.file_unique_id,
        original_name=incoming.name,
        mime_type=found.mime,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
    )
    return _Checked(document, found.label, delivery_name(incoming.name, found.extension))


async def _download(bot: Bot, file_id: str) -> bytes:
    """The file's bytes from Telegram; _TooBig when the file is over the limit. Trouble that
    may pass is not retried here: the inbox handles the whole update again (`InboxProcessor`)."""
    telegram_file = await bot.get_file(file_id)
    if telegram_file.file_size is not None and telegram_file.file_size > MAX_DOWNLOAD_BYTES:
        raise _TooBig
    content = bytes(await telegram_file.download_as_bytearray())
    if len(content) > MAX_DOWNLOAD_BYTES:
        raise _TooBig
    return content


async def receive(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    disposition_id: uuid.UUID,
    incoming: IncomingFile,
) -> None:
    """Download, check by content, keep, and attach to the disposition."""
    chat = update.effective_chat
    chat_id = chat.id if chat else None
    try:
        # Refuse before downloading when the person may not act on this disposition.
        step = await in_thread(caller.services.procedures.check, caller.member.id, disposition_id)
    except DomainError as refusal:
        await _tell_refusal(context, caller, chat_id, refusal)
        return
    checked = await _download_and_check(update, context, caller.member, incoming)
    if checked is None:
        return
    # Keyed by the message that carried the file (the update handled now may be the press
    # that picked its task), and marking the update handled now.
    key = CommandKey(incoming.key, command_key(update, context).inbox)
    try:
        attached = await _attach(caller, key, disposition_id, checked.document, incoming.caption)
    except DomainError as refusal:
        await _tell_refusal(context, caller, chat_id, refusal)
        return
    text = _received_text(caller, attached, checked, step)
    await send_html(None, text, context=context, chat_id=chat_id)
    if not attached.duplicate:
        wake_sender(context)


async def _tell_refusal(
    context: ContextTypes.DEFAULT_TYPE, caller: Caller, chat_id: int | None, refusal: DomainError
) -> None:
    """Tell the person why the service refused."""
    text = await in_thread(refusal_text, caller.services, caller.language, refusal)
    await send_html(None, text, context=context, chat_id=chat_id)


async def _attach(
    caller: Caller,
    key: CommandKey,
    disposition_id: uuid.UUID,
    document: NewDocument,
    caption: str | None,
) -> DocumentAttached:
    """Attach the kept file to the disposition, and its caption as the holder's note (a
    command of its own, keyed after the file's); DomainError when either is refused."""
    procedures = caller.services.procedures
    outcome = await in_thread(
        procedures.attach_document,
        key,
        member_id=caller.member.id,
        disposition_id=disposition_id,
        document=document,
    )
    if caption:
        await in_thread(
            procedures.save_note,
            replace(key, value=f"{key.value}:note"),
            member_id=caller.member.id,
            disposition_id=disposition_id,
            note=caption,
        )
    return outcome.result


def _received_text(caller: Caller, attached: DocumentAttached, checked: _Checked, step: str) -> str:
    """The answer to a file attached: received (its name, kind, step and procedure), or
    already there."""
    if attached.duplicate:
        return caller.text("document.duplicate")
    return caller.text(
        "document.received",
        name=escape(checked.name),
        type=escape(checked.kind),
        step=escape(step),
        title=escape(attached.title),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the upload handlers."""
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & (filters.Document.ALL | filters.PHOTO), file_message
        )
    )
    application.add_handler(
        CallbackQueryHandler(upload_target_picked, pattern=f"^{Action.UPLOAD_FOR.value}:")
    )

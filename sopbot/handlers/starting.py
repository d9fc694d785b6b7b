"""/mulai: pick an SOP, give a title, the letter it is about (optional: its number, then its
date and sender) and an optional note, and the first disposition goes out."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.engine.letters import (
    Letter,
    LetterError,
    LetterPart,
    means_none,
    read_date,
    read_number,
    read_sender,
)
from sopbot.handlers.common import (
    BotServices,
    Caller,
    answer,
    ask_question,
    command_key,
    in_thread,
    language_of,
    members_only,
    refusal_text,
    remove_buttons,
    send_html,
    services_of,
    wake_sender,
)
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import escape
from sopbot.messaging.keyboards import Action, Button, callback, decode
from sopbot.messaging.letters import letter_line
from sopbot.services.onboarding import MemberView
from sopbot.services.pending import PROMPT_KEY
from sopbot.services.procedures import NewDocument

START_TITLE = "start_title"
START_NOTE = "start_note"
# The letter's questions (issue 21), between the title and the note: its number, then its
# date and its sender. Their answers wait in the question's payload until the procedure
# starts: nothing is written before the last answer, and a restart loses nothing.
START_LETTER = "start_letter"
START_LETTER_DATE = "start_letter_date"
START_LETTER_SENDER = "start_letter_sender"
LETTER_QUESTIONS = {
    START_LETTER: (LetterPart.NUMBER, "letters.ask_number"),
    START_LETTER_DATE: (LetterPart.DATE, "letters.ask_date"),
    START_LETTER_SENDER: (LetterPart.SENDER, "letters.ask_sender"),
}
START_QUESTIONS = frozenset({*LETTER_QUESTIONS, START_NOTE})
"""The questions of /mulai at which a file sent is the incoming letter (surat masuk)."""
# The payload's keys for the letter ("letter" is the incoming letter's file, see uploads).
LETTER_NUMBER, LETTER_DATE, LETTER_SENDER = "letter_number", "letter_date", "letter_sender"


@members_only
async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/mulai: the SOPs this member may start, as buttons."""
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    startable = await in_thread(services.procedures.startable, member.id)
    if not startable:
        await send_html(update.effective_message, t(language, "start.no_sop"), context=context)
        return
    keyboard = [
        [Button(d.identity.name[:60], callback(Action.PICK_SOP, sop_button_id(d.id)))]
        for d in startable
    ]
    await send_html(
        update.effective_message, t(language, "start.pick_sop"), keyboard, context=context
    )


@members_only
async def sop_picked(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """An SOP button of /mulai: ask for the title."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    pressed = decode(query.data)
    pressed_id = pressed.parts[0] if pressed and pressed.parts else None
    startable = await in_thread(services.procedures.startable, member.id)
    picked = next((d for d in startable if sop_button_id(d.id) == pressed_id), None)
    if picked is None:
        await answer(query, t(language, "answer.invalid_button"), show_alert=True)
        return
    await answer(query)
    await remove_buttons(query, context)
    keyboard = [[Button(t(language, "button.cancel"), callback(Action.CANCEL_INPUT))]]
    chat = update.effective_chat
    await ask_question(
        context,
        chat.id if chat else None,
        member.id,
        START_TITLE,
        {"sop_id": picked.id},
        t(language, "start.ask_title"),
        keyboard,
    )


async def ask_start_question(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int | None,
    member_id: int,
    language: Language,
    kind: str,
    payload: dict[str, Any],
    *,
    lead: str | None = None,
) -> None:
    """Ask one of /mulai's optional questions (the letter's parts, the note), with its Lewati
    and Batal; `lead` comes first (why the last answer was refused, a file received)."""
    services = services_of(context)
    t = services.catalog.text
    if kind in LETTER_QUESTIONS:
        part, key = LETTER_QUESTIONS[kind]
        skip = callback(Action.LETTER_SKIP, part.value)
    else:
        key, skip = "start.ask_note", callback(Action.SKIP)
    keyboard = [
        [
            Button(t(language, "button.skip"), skip),
            Button(t(language, "button.cancel"), callback(Action.CANCEL_INPUT)),
        ]
    ]
    text = t(language, key)
    payload = {k: v for k, v in payload.items() if k != PROMPT_KEY}
    await ask_question(
        context,
        chat_id,
        member_id,
        kind,
        payload,
        f"{lead}\n\n{text}" if lead else text,
        keyboard,
    )


@members_only
async def letter_skipped(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A "Lewati" of the letter's questions: no letter at all (its number), or no date, or no
    sender. The button names the question it skips; a button of a question that is no longer
    open changes nothing."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services, language = caller.member, caller.services, caller.language
    pressed = decode(query.data)
    part = pressed.part(0) if pressed else None
    pending = await in_thread(services.pending.peek, member.id)
    if (
        pending is None
        or pending.expired
        or pending.kind not in LETTER_QUESTIONS
        or LETTER_QUESTIONS[pending.kind][0].value != part
        # The button of this question's own message: a "Lewati" left on an earlier /mulai's
        # question of the same kind skips nothing now.
        or (
            pending.prompt_message_id is not None
            and query.message is not None
            and query.message.message_id != pending.prompt_message_id
        )
    ):
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    await answer(query)
    await remove_buttons(query, context)
    chat = update.effective_chat
    # No number: no letter, straight to the note; no date: the sender; no sender: the note.
    following = START_LETTER_SENDER if pending.kind == START_LETTER_DATE else START_NOTE
    await ask_start_question(
        context, chat.id if chat else None, member.id, language, following, pending.payload
    )


@members_only
async def note_skipped(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """The "Lewati" button: start without a note."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services, language = caller.member, caller.services, caller.language
    pending = await in_thread(services.pending.take, member.id)
    if pending is None or pending.kind != START_NOTE or pending.expired:
        await answer(
            query,
            services.catalog.text(language, "answer.invalid_button"),
            show_alert=True,
        )
        return
    await answer(query)
    await remove_buttons(query, context)
    await _start(update, context, member, pending.payload, note=None)


async def answer_start_input(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    member: MemberView,
    kind: str,
    payload: dict[str, Any],
    text: str,
) -> None:
    """A title, a part of the letter, or a note typed for /mulai."""
    services = services_of(context)
    language = language_of(member, update)
    chat = update.effective_chat
    chat_id = chat.id if chat else None
    if kind == START_TITLE:
        payload = {**payload, "title": text}
        await ask_start_question(context, chat_id, member.id, language, START_LETTER, payload)
    elif kind in LETTER_QUESTIONS:
        try:
            following, payload = _letter_answer(services, member, kind, payload, text)
        except LetterError as refusal:
            # The same question again, saying what was wrong; nothing is kept of the answer.
            lead = services.catalog.text(language, f"letters.problem_{refusal.problem.value}")
            await ask_start_question(
                context, chat_id, member.id, language, kind, payload, lead=lead
            )
            return
        await ask_start_question(context, chat_id, member.id, language, following, payload)
    elif kind == START_NOTE:
        await _start(update, context, member, payload, note=text)


def _letter_answer(
    services: BotServices, member: MemberView, kind: str, payload: dict[str, Any], text: str
) -> tuple[str, dict[str, Any]]:
    """Read an answer to a letter question: the next question and the payload with the
    answer kept ("-": none). Raises LetterError for an answer that cannot be right."""
    if kind == START_LETTER:
        if means_none(text):
            return START_NOTE, payload
        return START_LETTER_DATE, {**payload, LETTER_NUMBER: read_number(text)}
    if kind == START_LETTER_DATE:
        if means_none(text):
            return START_LETTER_SENDER, payload
        today = services.clock().astimezone(ZoneInfo(member.agency_timezone)).date()
        day = read_date(text, today=today)
        return START_LETTER_SENDER, {**payload, LETTER_DATE: day.isoformat()}
    if means_none(text):
        return START_NOTE, payload
    return START_NOTE, {**payload, LETTER_SENDER: read_sender(text)}


def _letter_of(payload: dict[str, Any]) -> Letter | None:
    """The letter /mulai's answers gave, if its number was given."""
    number = payload.get(LETTER_NUMBER)
    if not number:
        return None
    day = payload.get(LETTER_DATE)
    sender = payload.get(LETTER_SENDER)
    return Letter(
        str(number),
        dt.date.fromisoformat(str(day)) if day else None,
        str(sender) if sender else None,
    )


async def _start(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    member: MemberView,
    payload: dict[str, Any],
    *,
    note: str | None,
) -> None:
    services = services_of(context)
    language = language_of(member, update)
    chat = update.effective_chat
    sop_id = str(payload["sop_id"])
    try:
        letter = _letter_of(payload)
        outcome = await in_thread(
            services.procedures.start,
            command_key(update, context),
            agency_id=member.agency_id,
            sop_id=sop_id,
            title=str(payload["title"]),
            starter_id=member.id,
            note=note,
            documents=[NewDocument(**payload["letter"])] if "letter" in payload else [],
            letter=letter,
        )
    except DomainError as refusal:
        await send_html(
            None,
            await in_thread(refusal_text, services, language, refusal),
            context=context,
            chat_id=chat.id if chat else None,
        )
        return
    definition = await in_thread(services.procedures.library.get, sop_id)
    lines = [
        services.catalog.text(
            language,
            "start.started",
            title=escape(payload["title"]),
            number=outcome.result.number,
            sop=escape(definition.identity.name if definition else sop_id),
        )
    ]
    if letter is not None:
        lines.append(letter_line(services.catalog, language, letter))
    await send_html(None, "\n".join(lines), context=context, chat_id=chat.id if chat else None)
    wake_sender(context)


def sop_button_id(sop_id: str) -> str:
    """What a /mulai button carries for an SOP: a short digest of its id, which stays the same
    while SOPs are installed and withdrawn around it (a place in the list would not, now that
    the list changes without a restart); the server finds it among the SOPs the member may
    start."""
    return hashlib.sha256(sop_id.encode("utf-8")).hexdigest()[:16]


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the /mulai handlers."""
    application.add_handler(
        CommandHandler(["mulai", "start_sop"], start_command, filters=filters.ChatType.PRIVATE)
    )
    application.add_handler(CallbackQueryHandler(sop_picked, pattern=f"^{Action.PICK_SOP.value}:"))
    application.add_handler(CallbackQueryHandler(note_skipped, pattern=f"^{Action.SKIP.value}$"))
    application.add_handler(
        CallbackQueryHandler(letter_skipped, pattern=f"^{Action.LETTER_SKIP.value}:")
    )

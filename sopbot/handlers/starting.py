"""/mulai: pick an SOP, give a title and an optional note, and the first disposition goes out."""

from __future__ import annotations

import hashlib
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.handlers.common import (
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
from sopbot.messaging.formatting import escape
from sopbot.messaging.keyboards import Action, Button, callback, decode
from sopbot.services.onboarding import MemberView
from sopbot.services.pending import PROMPT_KEY
from sopbot.services.procedures import NewDocument


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
        "start_title",
        {"sop_id": picked.id},
        t(language, "start.ask_title"),
        keyboard,
    )


@members_only
async def note_skipped(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """The "Lewati" button: start without a note."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services, language = caller.member, caller.services, caller.language
    pending = await in_thread(services.pending.take, member.id)
    if pending is None or pending.kind != "start_note" or pending.expired:
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
    """A title or a note typed for /mulai."""
    services = services_of(context)
    language = language_of(member, update)
    t = services.catalog.text
    if kind == "start_title":
        keyboard = [
            [
                Button(t(language, "button.skip"), callback(Action.SKIP)),
                Button(t(language, "button.cancel"), callback(Action.CANCEL_INPUT)),
            ]
        ]
        chat = update.effective_chat
        payload = {k: v for k, v in payload.items() if k != PROMPT_KEY}
        await ask_question(
            context,
            chat.id if chat else None,
            member.id,
            "start_note",
            {**payload, "title": text},
            t(language, "start.ask_note"),
            keyboard,
        )
    elif kind == "start_note":
        await _start(update, context, member, payload, note=text)


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
        outcome = await in_thread(
            services.procedures.start,
            command_key(update, context),
            agency_id=member.agency_id,
            sop_id=sop_id,
            title=str(payload["title"]),
            starter_id=member.id,
            note=note,
            documents=[NewDocument(**payload["letter"])] if "letter" in payload else [],
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
    await send_html(
        None,
        services.catalog.text(
            language,
            "start.started",
            title=escape(payload["title"]),
            number=outcome.result.number,
            sop=escape(definition.identity.name if definition else sop_id),
        ),
        context=context,
        chat_id=chat.id if chat else None,
    )
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

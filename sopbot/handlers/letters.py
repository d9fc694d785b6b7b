"""/surat: the letter a procedure is about (nomor surat / nomor agenda, its date and sender),
shown with buttons to change each part or remove it; `/surat NO <nomor>` sets the number at
once. For an agency admin (any procedure of the agency, running or ended) and for a
procedure's starter while it runs.

The flow: `/surat NO` -> the card (the letter and its buttons) -> a part's button -> the new
value, typed (a pending question, with Batal; "-" clears a date or a sender) -> changed, the
card again. "Hapus surat" asks to confirm. Every button names ids only; the services check
them again, and the change is audited and shown on the procedure's live dispositions.
"""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.engine.letters import (
    LetterEdit,
    LetterError,
    LetterPart,
    means_none,
    read_date,
    read_number,
    read_sender,
)
from sopbot.handlers.common import (
    Caller,
    answer,
    ask_question,
    command_key,
    in_thread,
    members_only,
    procedure_number,
    refusal_text,
    refuse,
    remove_buttons,
    say_here,
    wake_sender,
)
from sopbot.messaging.formatting import escape
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, decode
from sopbot.messaging.letters import letter_date
from sopbot.services.letters import LetterCard, LetterDesk
from sopbot.services.pending import PendingInput

EDIT_QUESTION = "letter_edit"
"""The kind of the question that waits for a part of a letter (`dispositions` routes it)."""

_ASK_KEYS = {
    LetterPart.NUMBER: "letters.edit_ask_number",
    LetterPart.DATE: "letters.edit_ask_date",
    LetterPart.SENDER: "letters.edit_ask_sender",
}
_PART_BUTTONS = {
    LetterPart.NUMBER: "letters.button_number",
    LetterPart.DATE: "letters.button_date",
    LetterPart.SENDER: "letters.button_sender",
}


def _desk(caller: Caller) -> LetterDesk:
    return LetterDesk(caller.services.procedures)


def _refusal_text(caller: Caller, refusal: DomainError, number: int | None) -> str:
    """Why not, in the caller's words."""
    if isinstance(refusal, LetterError):
        return caller.text(f"letters.problem_{refusal.problem.value}")
    if refusal.code == "not_found":
        if number is None:
            return caller.text("answer.invalid_button")
        return caller.text("history.not_found", number=number)
    if refusal.code == "not_allowed":
        return caller.text("letters.not_allowed")
    if refusal.code == "instance_not_running":
        return caller.text("letters.ended")
    return refusal_text(caller.services, caller.language, refusal)


async def _refuse(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    refusal: DomainError,
    number: int | None = None,
) -> None:
    """Say no: an alert to a press, a message to a command."""
    await refuse(update, context, await in_thread(_refusal_text, caller, refusal, number))


def card_text(caller: Caller, card: LetterCard) -> str:
    """The procedure's letter, part by part (a part not known: "-")."""
    letter = card.letter
    header = caller.text("letters.card_header", title=escape(card.title), number=card.number)
    if letter is None:
        return f"{header}\n{caller.text('letters.card_none')}"
    lines = [
        header,
        caller.text("letters.card_number", value=escape(letter.number)),
        caller.text(
            "letters.card_date",
            value=letter_date(letter.date, caller.language) if letter.date else "-",
        ),
        caller.text("letters.card_sender", value=escape(letter.sender or "-")),
    ]
    return "\n".join(lines)


def card_keyboard(caller: Caller, card: LetterCard) -> Keyboard:
    """A button per part to change; "Hapus surat" when there is a letter. Without one, only
    the number can be given (the date and the sender belong to a number)."""
    if card.letter is None:
        label = caller.text("letters.button_add")
        return [
            [Button(label, callback(Action.LETTER_EDIT, card.instance_id, LetterPart.NUMBER.value))]
        ]
    return [
        [
            Button(
                caller.text(_PART_BUTTONS[part]),
                callback(Action.LETTER_EDIT, card.instance_id, part.value),
            )
            for part in LetterPart
        ],
        [
            Button(
                caller.text("letters.button_clear"), callback(Action.LETTER_CLEAR, card.instance_id)
            )
        ],
    ]


async def _show_card(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    card: LetterCard,
    lead: str | None = None,
) -> None:
    text = card_text(caller, card)
    await say_here(
        update, context, f"{lead}\n\n{text}" if lead else text, card_keyboard(caller, card)
    )


# -- /surat -------------------------------------------------------------------------------


@members_only
async def letter_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/surat NO: the procedure's letter with its buttons; /surat NO <nomor>: set the number."""
    args = context.args or []
    number = procedure_number(args[0]) if args else None
    if number is None:
        await say_here(update, context, caller.text("letters.usage"))
        return
    try:
        card = await in_thread(_desk(caller).card, caller.member.id, number=number)
    except DomainError as refusal:
        await _refuse(update, context, caller, refusal, number)
        return
    typed = " ".join(args[1:]).strip()
    if not typed:
        await _show_card(update, context, caller, card)
        return
    try:
        edit = LetterEdit(LetterPart.NUMBER, read_number(typed))
    except LetterError as refusal:
        await say_here(update, context, _refusal_text(caller, refusal, number))
        return
    await _change(update, context, caller, card.instance_id, edit)


async def _change(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    instance_id: uuid.UUID,
    edit: LetterEdit,
) -> None:
    """Make the change (checked again by the service), then show the card as it now stands;
    a refusal is told why."""
    try:
        outcome = await in_thread(
            caller.services.procedures.change_letter,
            command_key(update, context),
            member_id=caller.member.id,
            instance_id=instance_id,
            edits=[edit],
        )
    except DomainError as refusal:
        await say_here(update, context, await in_thread(_refusal_text, caller, refusal, None))
        return
    result = outcome.result
    key = "letters.changed" if result.changed else "letters.unchanged"
    if edit.part is None:
        key = "letters.removed"
    lead = caller.text(key, title=escape(result.title), number=result.number)
    card = LetterCard(result.instance_id, result.number, result.title, result.letter)
    await _show_card(update, context, caller, card, lead)
    wake_sender(context)


# -- the buttons --------------------------------------------------------------------------


@members_only
async def edit_picked(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A part's button: ask for its new value (checked now, and again when it changes)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    instance_id = pressed.uuid_at(0) if pressed else None
    part_code = pressed.part(1) if pressed else None
    part = next((p for p in LetterPart if p.value == part_code), None)
    if instance_id is None or part is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        card = await in_thread(_desk(caller).card, caller.member.id, instance_id=instance_id)
    except DomainError as refusal:
        await _refuse(update, context, caller, refusal)
        return
    if part is not LetterPart.NUMBER and card.letter is None:
        await answer(query, caller.text("letters.problem_number_first"), show_alert=True)
        return
    await answer(query)
    await remove_buttons(query, context)
    await _ask_part(update, context, caller, card, part)


async def _ask_part(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    card: LetterCard,
    part: LetterPart,
    lead: str | None = None,
) -> None:
    chat = update.effective_chat
    text = caller.text(_ASK_KEYS[part], title=escape(card.title), number=card.number)
    await ask_question(
        context,
        chat.id if chat else None,
        caller.member.id,
        EDIT_QUESTION,
        {"instance_id": card.instance_id.hex, "part": part.value},
        f"{lead}\n\n{text}" if lead else text,
        [[Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))]],
    )


async def answer_text(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    text: str,
) -> None:
    """A new value typed for a part of the letter: changed, or the question again, saying what
    was wrong."""
    try:
        instance_id = uuid.UUID(hex=str(pending.payload["instance_id"]))
        part = LetterPart(str(pending.payload["part"]))
    except (KeyError, ValueError):
        await say_here(update, context, caller.text("answer.invalid_button"))
        return
    try:
        edit = _edit_of(caller, part, text)
    except LetterError as refusal:
        try:
            card = await in_thread(_desk(caller).card, caller.member.id, instance_id=instance_id)
        except DomainError as gone:
            await say_here(update, context, await in_thread(_refusal_text, caller, gone, None))
            return
        await _ask_part(update, context, caller, card, part, _refusal_text(caller, refusal, None))
        return
    await _change(update, context, caller, instance_id, edit)


def _edit_of(caller: Caller, part: LetterPart, text: str) -> LetterEdit:
    """The change a typed value asks for ("-": a date or a sender cleared); LetterError for a
    value that cannot be right."""
    if part is LetterPart.NUMBER:
        return LetterEdit(part, read_number(text))
    if means_none(text):
        return LetterEdit(part, None)
    if part is LetterPart.DATE:
        zone = ZoneInfo(caller.member.agency_timezone)
        today = caller.services.clock().astimezone(zone).date()
        return LetterEdit(part, read_date(text, today=today))
    return LetterEdit(part, read_sender(text))


@members_only
async def clear_picked(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """ "Hapus surat": ask to confirm, naming the letter that would go."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    instance_id = pressed.uuid_at(0) if pressed else None
    if instance_id is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        card = await in_thread(_desk(caller).card, caller.member.id, instance_id=instance_id)
    except DomainError as refusal:
        await _refuse(update, context, caller, refusal)
        return
    await answer(query)
    await remove_buttons(query, context)
    if card.letter is None:
        await _show_card(update, context, caller, card)
        return
    keyboard = [
        [
            Button(
                caller.text("letters.button_clear_yes"),
                callback(Action.LETTER_CLEAR_CONFIRM, card.instance_id),
            ),
            Button(caller.text("letters.button_clear_no"), callback(Action.LETTER_CLEAR_KEEP)),
        ]
    ]
    text = caller.text(
        "letters.clear_confirm",
        letter=escape(card.letter.number),
        title=escape(card.title),
        number=card.number,
    )
    await say_here(update, context, text, keyboard)


@members_only
async def clear_confirmed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "Ya, hapus": the letter is removed (the audit trail keeps what it was)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    instance_id = pressed.uuid_at(0) if pressed else None
    if instance_id is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        await in_thread(_desk(caller).card, caller.member.id, instance_id=instance_id)
    except DomainError as refusal:
        await _refuse(update, context, caller, refusal)
        return
    await answer(query)
    await remove_buttons(query, context)
    await _change(update, context, caller, instance_id, LetterEdit(None))


@members_only
async def clear_kept(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """ "Tidak jadi": the letter stays."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    await answer(query, caller.text("letters.kept"))
    await remove_buttons(query, context)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /surat and its buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler(["surat", "letter"], letter_command, filters=private))
    for action, handler in (
        (Action.LETTER_EDIT, edit_picked),
        (Action.LETTER_CLEAR, clear_picked),
        (Action.LETTER_CLEAR_CONFIRM, clear_confirmed),
    ):
        application.add_handler(CallbackQueryHandler(handler, pattern=f"^{action.value}:"))
    application.add_handler(
        CallbackQueryHandler(clear_kept, pattern=f"^{Action.LETTER_CLEAR_KEEP.value}$")
    )

"""Acting on a disposition: its buttons (Selesai, Sesuai / Tidak sesuai, Kembalikan, Alihkan,
Ambil), the reasons they ask for, and notes replied to a disposition message."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from sopbot.engine.definition import DecisionAnswer
from sopbot.engine.errors import DomainError
from sopbot.handlers import letters, procedure_admin
from sopbot.handlers.acting import answer_plt_text
from sopbot.handlers.common import (
    BotServices,
    Caller,
    answer,
    ask_question,
    clear_prompt,
    command_key,
    in_thread,
    input_refusal,
    members_only,
    refusal_text,
    remove_buttons,
    send_html,
    wake_sender,
)
from sopbot.handlers.operators import answer_text as operator_answer_text
from sopbot.handlers.positions import POSITION_QUESTIONS
from sopbot.handlers.positions import answer_text as position_answer_text
from sopbot.handlers.rosters import ROSTER_QUESTION
from sopbot.handlers.rosters import answer_text as roster_answer_text
from sopbot.handlers.sop_admin import SOP_QUESTIONS
from sopbot.handlers.sop_admin import answer_text as sop_answer_text
from sopbot.handlers.sop_admin import question_expired as sop_question_expired
from sopbot.handlers.starting import answer_start_input
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import escape
from sopbot.messaging.keyboards import Action, Button, Pressed, callback, decode
from sopbot.services.acting_admin import FLOW_KIND as PLT_FLOW
from sopbot.services.agency_setup import OPERATOR_QUESTIONS
from sopbot.services.onboarding import MemberView
from sopbot.services.pending import PendingInput

_DISPOSITION_ACTIONS = (
    Action.COMPLETE,
    Action.YES,
    Action.NO,
    Action.ANSWER,
    Action.ANSWER_BACK,
    Action.SEND_BACK,
    Action.HAND_OVER,
    Action.HAND_TO,
    Action.CLAIM,
)


@members_only
async def button(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A button on a disposition message; everything is checked again on the server."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    pressed = decode(query.data)
    disposition_id = pressed.uuid_at(0) if pressed else None
    if pressed is None or disposition_id is None:
        await answer(query, t(language, "answer.invalid_button"), show_alert=True)
        return
    key = command_key(update, context)
    procedures = services.procedures
    try:
        if pressed.action is Action.COMPLETE:
            await in_thread(
                procedures.complete, key, member_id=member.id, disposition_id=disposition_id
            )
            await answer(query, t(language, "answer.done"))
        elif pressed.action in (Action.YES, Action.ANSWER):
            await _answer_question(update, context, caller, disposition_id, pressed)
        elif pressed.action is Action.CLAIM:
            await in_thread(
                procedures.claim, key, member_id=member.id, disposition_id=disposition_id
            )
            await answer(query, t(language, "answer.claimed"))
        elif pressed.action in (Action.NO, Action.ANSWER_BACK):
            back = DecisionAnswer.NO.value if pressed.action is Action.NO else pressed.part(1)
            await _ask_reason_no(update, context, caller, disposition_id, back)
        elif pressed.action is Action.SEND_BACK:
            step = await in_thread(procedures.check, member.id, disposition_id)
            await answer(query)
            await _ask(
                update,
                context,
                services,
                language,
                (member.id, "reason_send_back", {"disposition_id": disposition_id.hex}),
                t(language, "ask.reason_send_back", step=escape(step)),
            )
        elif pressed.action is Action.HAND_OVER:
            await _offer_colleagues(update, context, services, member, language, disposition_id)
        elif pressed.action is Action.HAND_TO:
            await _ask_hand_over_reason(
                update, context, services, member, language, disposition_id, pressed.int_at(1)
            )
    except DomainError as refusal:
        await answer(
            query, await in_thread(refusal_text, services, language, refusal), show_alert=True
        )
    wake_sender(context)


async def _answer_question(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    disposition_id: uuid.UUID,
    pressed: Pressed,
) -> None:
    """ "Sesuai", or a labelled answer that goes on: decided at once. The answer's key is
    checked by the engine, which refuses one that needs a reason (the answers that send the
    work back come as ANSWER_BACK and ask for it first)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - from a button
    member, services, language = caller.member, caller.services, caller.language
    key = DecisionAnswer.YES.value if pressed.action is Action.YES else pressed.part(1)
    if key is None:
        await answer(
            query, services.catalog.text(language, "answer.invalid_button"), show_alert=True
        )
        return
    await in_thread(
        services.procedures.decide,
        command_key(update, context),
        member_id=member.id,
        disposition_id=disposition_id,
        answer=key,
    )
    await answer(query, services.catalog.text(language, "answer.done"))


async def _ask_reason_no(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    disposition_id: uuid.UUID,
    answer_key: str | None,
) -> None:
    """Ask why the work goes back, remembering which answer sends it (checked first: an answer
    that goes on, or none, is refused like any answer the question does not have)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - from a button
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    chosen = (
        await in_thread(services.procedures.branch, member.id, disposition_id, answer_key)
        if answer_key is not None
        else None
    )
    if chosen is None or not chosen.branch.rejects:
        await answer(query, t(language, "answer.not_a_decision"), show_alert=True)
        return
    branch = chosen.branch
    await answer(query)
    text = t(language, "ask.reason_no", step=escape(chosen.step_label))
    if branch.label:
        text = f"{t(language, 'ask.reason_for_answer', answer=escape(branch.label))}\n{text}"
    payload = {"disposition_id": disposition_id.hex, "answer": branch.key}
    await _ask(update, context, services, language, (member.id, "reason_no", payload), text)


async def _ask(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: BotServices,
    language: Language,
    question: tuple[int, str, dict[str, Any]],
    text: str,
) -> None:
    """Ask for a reason (member, kind, payload), with a Batal button under the question."""
    keyboard = [
        [Button(services.catalog.text(language, "button.cancel"), callback(Action.CANCEL_INPUT))]
    ]
    chat = update.effective_chat
    member_id, kind, payload = question
    await ask_question(context, chat.id if chat else None, member_id, kind, payload, text, keyboard)


async def _offer_colleagues(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: BotServices,
    member: MemberView,
    language: Language,
    disposition_id: uuid.UUID,
) -> None:
    query = update.callback_query
    assert query is not None  # noqa: S101 - from a button
    step = await in_thread(services.procedures.check, member.id, disposition_id)
    colleagues = await in_thread(services.procedures.colleagues, member.id)
    t = services.catalog.text
    await answer(query)
    chat = update.effective_chat
    if not colleagues:
        await send_html(
            None,
            t(language, "ask.no_colleague"),
            context=context,
            chat_id=chat.id if chat else None,
        )
        return
    keyboard = [
        [Button(name[:60], callback(Action.HAND_TO, disposition_id, member_id))]
        for member_id, name in colleagues
    ]
    keyboard.append([Button(t(language, "button.cancel"), callback(Action.CANCEL_INPUT))])
    await send_html(
        None,
        t(language, "ask.pick_colleague", step=step),
        keyboard,
        context=context,
        chat_id=chat.id if chat else None,
    )


async def _ask_hand_over_reason(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: BotServices,
    member: MemberView,
    language: Language,
    disposition_id: uuid.UUID,
    to_member_id: int | None,
) -> None:
    query = update.callback_query
    assert query is not None  # noqa: S101 - from a button
    colleagues = dict(await in_thread(services.procedures.colleagues, member.id))
    if to_member_id is None or to_member_id not in colleagues:
        await answer(
            query, services.catalog.text(language, "answer.unknown_member"), show_alert=True
        )
        return
    await in_thread(services.procedures.check, member.id, disposition_id)
    await answer(query)
    await _ask(
        update,
        context,
        services,
        language,
        (
            member.id,
            "reason_hand_over",
            {"disposition_id": disposition_id.hex, "to_member_id": to_member_id},
        ),
        services.catalog.text(
            language, "ask.reason_hand_over", person=escape(colleagues[to_member_id])
        ),
    )


@members_only
async def cancel_input(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """The "Batal" button under a question: stop waiting for the answer."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services, language = caller.member, caller.services, caller.language
    await in_thread(services.pending.clear, member.id)
    await answer(query, services.catalog.text(language, "ask.cancelled"))
    await remove_buttons(query, context)


@members_only
async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """Plain text: the answer to an open question, a note for a disposition, or a hint."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    text = message.text.strip()
    reply_to = message.reply_to_message
    disposition_id = None
    if reply_to is not None:
        disposition_id = await in_thread(
            services.procedures.disposition_for_message, message.chat_id, reply_to.message_id
        )
    pending = await _question_answered(services, member.id, disposition_id)
    if pending is not None:
        if pending.expired:
            await clear_prompt(context, message.chat_id, pending)
            if pending.kind in SOP_QUESTIONS:  # the review is still open: ask again
                await sop_question_expired(update, context, caller)
                return
            await send_html(message, t(language, "ask.expired"), context=context)
            return
        too_long = input_refusal(services.catalog, language, pending.kind, text)
        if too_long is not None:  # the question stays open for a shorter answer
            await in_thread(services.pending.ask, member.id, pending.kind, pending.payload)
            await send_html(message, too_long, context=context)
            return
        await clear_prompt(context, message.chat_id, pending)  # answered: no Batal any more
        await _answer_pending(update, context, caller, pending, text)
        return
    if disposition_id is not None:
        too_long = input_refusal(services.catalog, language, "note", text)
        if too_long is not None:
            await send_html(message, too_long, context=context)
            return
        await _keep_note(update, context, services, member, language, disposition_id, text)
        return
    await send_html(message, t(language, "hint.text"), context=context)


AdminAnswer = Callable[
    [Update, ContextTypes.DEFAULT_TYPE, Caller, PendingInput, str], Coroutine[Any, Any, None]
]


async def _roster_answer(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    _text: str,
) -> None:
    await roster_answer_text(update, context, caller, pending)


# The admin's questions, and the feature each answer goes to: one table, so that every one of
# them is routed here and every one gives way to a text that replies to a task.
_ADMIN_QUESTIONS: tuple[tuple[Callable[[str], bool], AdminAnswer], ...] = (
    (lambda kind: kind in SOP_QUESTIONS, sop_answer_text),  # an SOP import's review
    (lambda kind: kind.startswith(procedure_admin.PENDING_PREFIX), procedure_admin.answer_text),
    (lambda kind: kind in POSITION_QUESTIONS, position_answer_text),  # /jabatan
    (lambda kind: kind in OPERATOR_QUESTIONS, operator_answer_text),  # /instansi
    (lambda kind: kind == ROSTER_QUESTION, _roster_answer),  # /impor_pegawai
    (lambda kind: kind == PLT_FLOW, answer_plt_text),  # /plt
    (lambda kind: kind == letters.EDIT_QUESTION, letters.answer_text),  # /surat
)


def _admin_answer(kind: str) -> AdminAnswer | None:
    """The feature an admin's question of this kind belongs to, if it is one."""
    return next((answer for owns, answer in _ADMIN_QUESTIONS if owns(kind)), None)


async def _question_answered(
    services: BotServices, member_id: int, disposition_id: uuid.UUID | None
) -> PendingInput | None:
    """The open question a text answers, taken; None when there is none, or when the text
    replies to a task while an admin's question waits (an SOP import's time, a reason for
    /batal, a name for /jabatan): then the text is the task's note, and the question stays
    open."""
    if disposition_id is None:
        return await in_thread(services.pending.take, member_id)
    pending = await in_thread(services.pending.peek, member_id)
    if pending is None or _admin_answer(pending.kind) is not None:
        return None
    return await in_thread(services.pending.take, member_id)


async def _answer_pending(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    text: str,
) -> None:
    """The typed answer to an open question, handed to the feature that asked it."""
    member, services, language = caller.member, caller.services, caller.language
    admin_answer = _admin_answer(pending.kind)
    if admin_answer is not None:
        await admin_answer(update, context, caller, pending, text)
        return
    try:
        if pending.kind.startswith("start_"):
            await answer_start_input(update, context, member, pending.kind, pending.payload, text)
        else:
            await _answer_reason(
                update, context, services, member, language, pending.kind, pending.payload, text
            )
    except DomainError as refusal:
        await send_html(
            update.effective_message,
            await in_thread(refusal_text, services, language, refusal),
            context=context,
        )
    wake_sender(context)


async def _answer_reason(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: BotServices,
    member: MemberView,
    language: Language,
    kind: str,
    payload: dict[str, Any],
    text: str,
) -> None:
    """A reason typed for "Tidak sesuai", "Kembalikan" or "Alihkan"."""
    disposition_id = uuid.UUID(hex=str(payload["disposition_id"]))
    key = command_key(update, context)
    procedures = services.procedures
    if kind == "reason_no":
        await in_thread(
            procedures.decide,
            key,
            member_id=member.id,
            disposition_id=disposition_id,
            # Questions asked before labelled answers existed carry no answer: "tidak".
            answer=str(payload.get("answer", DecisionAnswer.NO.value)),
            reason=text,
        )
    elif kind == "reason_send_back":
        await in_thread(
            procedures.send_back,
            key,
            member_id=member.id,
            disposition_id=disposition_id,
            reason=text,
        )
    elif kind == "reason_hand_over":
        await in_thread(
            procedures.hand_over,
            key,
            member_id=member.id,
            disposition_id=disposition_id,
            to_member_id=int(payload["to_member_id"]),
            reason=text,
        )
    await send_html(
        update.effective_message, services.catalog.text(language, "answer.done"), context=context
    )


async def _keep_note(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    services: BotServices,
    member: MemberView,
    language: Language,
    disposition_id: uuid.UUID,
    text: str,
) -> None:
    message = update.effective_message
    try:
        await in_thread(
            services.procedures.save_note,
            command_key(update, context),
            member_id=member.id,
            disposition_id=disposition_id,
            note=text,
        )
        step = await in_thread(services.procedures.check, member.id, disposition_id)
    except DomainError as refusal:
        await send_html(
            message, await in_thread(refusal_text, services, language, refusal), context=context
        )
        return
    await send_html(
        message, services.catalog.text(language, "note.saved", step=step), context=context
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the disposition handlers."""
    codes = "".join(a.value for a in _DISPOSITION_ACTIONS)
    application.add_handler(CallbackQueryHandler(button, pattern=f"^[{codes}]:"))
    application.add_handler(
        CallbackQueryHandler(cancel_input, pattern=f"^{Action.CANCEL_INPUT.value}$")
    )
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, text_message)
    )

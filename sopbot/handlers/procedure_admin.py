"""/batal: cancel a running procedure (its starter, or an agency admin), with a reason and a
confirmation; /pindah: an agency admin moves a stuck step to another official of its role, or
to a Plt/Plh in office, with a reason. /status NO shows a button for each.

The flow of /batal: the list (paged buttons) or `/batal NO` -> the reason, typed (a pending
question, with Batal) -> a confirmation with the title and the reason -> cancelled. The flow of
/pindah: `/pindah NO` (or a button of /status NO) -> the step and its holder -> who may take it
-> the reason, typed -> moved. Every button names ids only; the services check them again.
"""

from __future__ import annotations

import uuid
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.engine.instance import EntityKind, InstanceState, TransitionAction
from sopbot.handlers.common import (
    Caller,
    admins_only,
    answer,
    ask_question,
    command_key,
    edit_html,
    in_thread,
    members_only,
    procedure_number,
    refusal_text,
    refuse,
    remove_buttons,
    say_here,
    wake_sender,
)
from sopbot.messaging.formatting import escape, local_time, shorten
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, decode
from sopbot.services.pending import PendingInput
from sopbot.services.procedure_admin import (
    Candidate,
    MoveChoice,
    ProcedureAdmin,
    ProcedureSummary,
    RunningProcedure,
)

PAGE_SIZE = 8
BUTTON_TEXT = 60  # characters of a name or a title on a button
PENDING_PREFIX = "proc_"
"""The kinds of this module's questions start so (`dispositions` hands their answers here)."""
ASK_CANCEL_REASON = "proc_cancel_reason"
CONFIRM_CANCEL = "proc_cancel_confirm"
ASK_MOVE_REASON = "proc_move_reason"


def _admin(caller: Caller) -> ProcedureAdmin:
    return ProcedureAdmin(caller.services.procedures)


async def _refuse(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    refusal: DomainError,
    number: int | None = None,
) -> None:
    """Why not, in the caller's words: an alert to a press, a message to a command."""
    await refuse(update, context, await in_thread(_refusal_text, caller, refusal, number))


def _refusal_text(caller: Caller, refusal: DomainError, number: int | None) -> str:
    code = refusal.code
    if code == "not_found":
        if number is None:
            return caller.text("answer.invalid_button")
        return caller.text("history.not_found", number=number)
    if code == "instance_not_running":
        if number is None:
            return caller.text("answer.not_running")
        return caller.text("procedure_admin.not_running", number=number)
    if code == "not_serving_role":
        return caller.text("procedure_admin.not_a_candidate")
    return refusal_text(caller.services, caller.language, refusal)


# -- /batal ------------------------------------------------------------------------------


@members_only
async def cancel_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/batal: the running procedures the caller may cancel; /batal NO [reason]: that one."""
    member = caller.member
    args = context.args or []
    if not args:
        await _send_cancel_list(update, context, caller, page=0)
        return
    number = procedure_number(args[0])
    if number is None:
        await say_here(update, context, caller.text("procedure_admin.cancel_usage"))
        return
    try:
        target = await in_thread(_admin(caller).cancel_target, member.id, number=number)
    except DomainError as refusal:
        if refusal.code == "not_allowed":
            text = caller.text("procedure_admin.cancel_not_allowed", number=number)
            await say_here(update, context, text)
            return
        await _refuse(update, context, caller, refusal, number)
        return
    reason = " ".join(args[1:]).strip()
    if reason:
        await _confirm_cancel(update, context, caller, target, reason)
    else:
        await _ask_cancel_reason(update, context, caller, target)


async def _send_cancel_list(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, *, page: int
) -> None:
    procedures = await in_thread(_admin(caller).cancellable, caller.member.id)
    if not procedures:
        await say_here(update, context, caller.text("procedure_admin.cancel_none"))
        return
    text, keyboard = _cancel_page(caller, procedures, page)
    await say_here(update, context, text, keyboard)


def _cancel_page(
    caller: Caller, procedures: list[ProcedureSummary], page: int
) -> tuple[str, Keyboard]:
    """One page of the list: a button per procedure, and the arrows to the others."""
    pages = max(1, -(-len(procedures) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = procedures[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    keyboard: Keyboard = [
        [
            Button(
                shorten(
                    caller.text("procedure_admin.procedure_button", number=p.number, title=p.title),
                    BUTTON_TEXT,
                ),
                callback(Action.CANCEL_PROCEDURE, p.instance_id),
            )
        ]
        for p in shown
    ]
    arrows = []
    if page > 0:
        arrows.append(
            Button(caller.text("button.page_previous"), callback(Action.CANCEL_PAGE, page - 1))
        )
    if page < pages - 1:
        arrows.append(
            Button(caller.text("button.page_next"), callback(Action.CANCEL_PAGE, page + 1))
        )
    if arrows:
        keyboard.append(arrows)
    lines = [caller.text("procedure_admin.cancel_pick", count=len(procedures))]
    if pages > 1:
        lines.append(caller.text("procedure_admin.page", page=page + 1, pages=pages))
    return "\n".join(lines), keyboard


@members_only
async def cancel_page(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """An arrow of the /batal list: the list again, at that page (read afresh)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    page = pressed.int_at(0) if pressed else None
    message = query.message
    if page is None or message is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    procedures = await in_thread(_admin(caller).cancellable, caller.member.id)
    await answer(query)
    if not procedures:
        await edit_html(
            context, message.chat.id, message.message_id, caller.text("procedure_admin.cancel_none")
        )
        return
    text, keyboard = _cancel_page(caller, procedures, page)
    await edit_html(context, message.chat.id, message.message_id, text, keyboard)


@members_only
async def cancel_picked(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A procedure of the /batal list (or of /status NO): ask why."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    instance_id = pressed.uuid_at(0) if pressed else None
    if instance_id is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        target = await in_thread(
            _admin(caller).cancel_target, caller.member.id, instance_id=instance_id
        )
    except DomainError as refusal:
        await _refuse(update, context, caller, refusal)
        return
    await answer(query)
    await _ask_cancel_reason(update, context, caller, target)


async def _ask_cancel_reason(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, target: ProcedureSummary
) -> None:
    chat = update.effective_chat
    await ask_question(
        context,
        chat.id if chat else None,
        caller.member.id,
        ASK_CANCEL_REASON,
        {"instance_id": target.instance_id.hex},
        caller.text(
            "procedure_admin.cancel_ask_reason",
            title=escape(target.title),
            number=target.number,
            sop=escape(target.sop_name),
        ),
        # Its own "Batal": the answer says the procedure was NOT cancelled, which the common
        # "Dibatalkan." would leave in doubt here.
        [[Button(caller.text("button.cancel"), callback(Action.CANCEL_KEEP))]],
    )


async def _confirm_cancel(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    target: ProcedureSummary,
    reason: str,
) -> None:
    """Show what will be cancelled and why, with Ya / Tidak jadi; the reason waits with the
    question (a text typed now replaces it)."""
    chat = update.effective_chat
    keyboard = [
        [
            Button(
                caller.text("procedure_admin.confirm_button"),
                callback(Action.CANCEL_CONFIRM, target.instance_id),
            ),
            Button(caller.text("procedure_admin.keep_button"), callback(Action.CANCEL_KEEP)),
        ]
    ]
    await ask_question(
        context,
        chat.id if chat else None,
        caller.member.id,
        CONFIRM_CANCEL,
        {"instance_id": target.instance_id.hex, "reason": reason},
        caller.text(
            "procedure_admin.cancel_confirm",
            title=escape(target.title),
            number=target.number,
            sop=escape(target.sop_name),
            reason=escape(reason),
        ),
        keyboard,
    )


@members_only
async def cancel_confirmed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "Ya, batalkan": the procedure is cancelled with the reason waiting with the question.
    A second tap, or a button whose question is gone, is told why nothing happens."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    member, services = caller.member, caller.services
    pressed = decode(query.data)
    instance_id = pressed.uuid_at(0) if pressed else None
    pending = await in_thread(services.pending.peek, member.id)
    if (
        instance_id is None
        or pending is None
        or pending.expired
        or pending.kind != CONFIRM_CANCEL
        or pending.payload.get("instance_id") != instance_id.hex
    ):
        await _stale_confirmation(update, context, caller, instance_id)
        return
    reason = str(pending.payload.get("reason", ""))
    try:
        # Under the press's key: handled again after a crash, it answers as it did.
        outcome = await in_thread(
            services.procedures.cancel,
            command_key(update, context),
            member_id=member.id,
            instance_id=instance_id,
            reason=reason,
        )
    except DomainError as refusal:
        await in_thread(services.pending.clear, member.id)
        await _refuse(update, context, caller, refusal)
        await remove_buttons(query, context)
        return
    await in_thread(services.pending.clear, member.id)
    await answer(query)
    await remove_buttons(query, context)
    result = outcome.result
    await say_here(
        update,
        context,
        caller.text(
            "procedure_admin.cancelled",
            title=escape(result.title),
            number=result.number,
            reason=escape(reason),
        ),
    )
    wake_sender(context)


async def _stale_confirmation(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    instance_id: uuid.UUID | None,
) -> None:
    """A confirmation pressed when its question is no longer open: say why (cancelled
    already, by this tap's twin, say), or that the button is no longer valid."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    text = caller.text("answer.invalid_button")
    if instance_id is not None:
        try:
            await in_thread(_admin(caller).cancel_target, caller.member.id, instance_id=instance_id)
        except DomainError as refusal:
            text = await in_thread(_refusal_text, caller, refusal, None)
    await answer(query, text, show_alert=True)
    await remove_buttons(query, context)


@members_only
async def cancel_kept(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """ "Tidak jadi", or "Batal" under the reason: nothing is cancelled; the question closes."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pending = await in_thread(caller.services.pending.peek, caller.member.id)
    if pending is not None and pending.kind in (ASK_CANCEL_REASON, CONFIRM_CANCEL):
        await in_thread(caller.services.pending.clear, caller.member.id)
    await answer(query, caller.text("procedure_admin.kept"))
    await remove_buttons(query, context)


# -- /pindah -----------------------------------------------------------------------------


@admins_only
async def move_command(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/pindah NO: the live dispositions of the procedure, one button each."""
    args = context.args or []
    number = procedure_number(args[0]) if args else None
    if number is None:
        await say_here(update, context, caller.text("procedure_admin.move_usage"))
        return
    try:
        found = await in_thread(_admin(caller).open_steps, caller.member.id, number)
    except DomainError as refusal:
        await _refuse(update, context, caller, refusal, number)
        return
    keyboard = _move_buttons(caller, found, "procedure_admin.move_step_button")
    if not keyboard:
        await say_here(update, context, caller.text("procedure_admin.move_no_open", number=number))
        return
    summary = found.summary
    text = caller.text(
        "procedure_admin.move_pick_step", title=escape(summary.title), number=summary.number
    )
    await say_here(update, context, text, keyboard)


def _move_buttons(caller: Caller, found: RunningProcedure, key: str) -> Keyboard:
    """A button to move each live disposition of a running procedure (its label: `key`)."""
    return [
        [
            Button(
                shorten(caller.text(key, step=step.step_label, person=holder.holder), BUTTON_TEXT),
                callback(Action.MOVE_STEP, holder.disposition_id),
            )
        ]
        for step in found.open_steps
        for holder in step.holders
    ]


@members_only
async def move_picked(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A step to move: who may take it, one button each."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    disposition_id = pressed.uuid_at(0) if pressed else None
    if disposition_id is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        choice = await in_thread(_admin(caller).move_choice, caller.member.id, disposition_id)
    except DomainError as refusal:
        await _refuse(update, context, caller, refusal)
        return
    await answer(query)
    step = choice.step
    if not choice.candidates:
        text = caller.text("procedure_admin.move_no_candidate", step=escape(step.step_label))
        await say_here(update, context, text)
        return
    keyboard: Keyboard = [
        [Button(_candidate_label(caller, c), callback(Action.MOVE_TO, disposition_id, c.member_id))]
        for c in choice.candidates
    ]
    keyboard.append([Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))])
    text = caller.text(
        "procedure_admin.move_pick_person",
        step=escape(step.step_label),
        activity=escape(step.activity),
        title=escape(choice.procedure.title),
        number=choice.procedure.number,
        person=escape(choice.disposition.holder),
    )
    await say_here(update, context, text, keyboard)


def _candidate_label(caller: Caller, candidate: Candidate) -> str:
    if candidate.acting is None:
        text = caller.text(
            "procedure_admin.candidate_button",
            name=candidate.name,
            position=candidate.position,
        )
    else:
        text = caller.text(
            "procedure_admin.candidate_acting_button",
            name=candidate.name,
            prefix=candidate.acting.prefix,
            position=candidate.position,
        )
    return shorten(text, BUTTON_TEXT)


@members_only
async def move_to_picked(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """The person to move the step to: ask why (checked now, and again when it moves)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    disposition_id = pressed.uuid_at(0) if pressed else None
    to_member_id = pressed.int_at(1) if pressed else None
    if disposition_id is None or to_member_id is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        choice: MoveChoice = await in_thread(
            _admin(caller).move_choice, caller.member.id, disposition_id
        )
    except DomainError as refusal:
        await _refuse(update, context, caller, refusal)
        return
    person = next((c for c in choice.candidates if c.member_id == to_member_id), None)
    if person is None:
        await answer(query, caller.text("procedure_admin.not_a_candidate"), show_alert=True)
        return
    await answer(query)
    await remove_buttons(query, context)
    chat = update.effective_chat
    await ask_question(
        context,
        chat.id if chat else None,
        caller.member.id,
        ASK_MOVE_REASON,
        # The names the answer shows, as the admin chose them (the move checks again).
        {
            "disposition_id": disposition_id.hex,
            "to_member_id": to_member_id,
            "step": choice.step.step_label,
            "holder": choice.disposition.holder,
            "person": person.name,
        },
        caller.text(
            "procedure_admin.move_ask_reason",
            step=escape(choice.step.step_label),
            holder=escape(choice.disposition.holder),
            person=escape(person.name),
        ),
        [[Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))]],
    )


# -- typed answers -----------------------------------------------------------------------


async def answer_text(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    text: str,
) -> None:
    """A reason typed for /batal (or a new one while its confirmation waits), or for /pindah."""
    try:
        if pending.kind in (ASK_CANCEL_REASON, CONFIRM_CANCEL):
            instance_id = uuid.UUID(hex=str(pending.payload["instance_id"]))
            target = await in_thread(
                _admin(caller).cancel_target, caller.member.id, instance_id=instance_id
            )
            await _confirm_cancel(update, context, caller, target, text)
        elif pending.kind == ASK_MOVE_REASON:
            await _move(update, context, caller, pending, text)
    except DomainError as refusal:
        await say_here(update, context, await in_thread(_refusal_text, caller, refusal, None))


async def _move(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    reason: str,
) -> None:
    payload = pending.payload
    outcome = await in_thread(
        caller.services.procedures.reassign,
        command_key(update, context),
        member_id=caller.member.id,
        disposition_id=uuid.UUID(hex=str(payload["disposition_id"])),
        to_member_id=int(payload["to_member_id"]),
        reason=reason,
    )
    await say_here(
        update,
        context,
        caller.text(
            "procedure_admin.moved",
            step=escape(str(payload.get("step", "-"))),
            title=escape(outcome.result.title),
            number=outcome.result.number,
            holder=escape(str(payload.get("holder", "-"))),
            person=escape(str(payload.get("person", "-"))),
        ),
    )
    wake_sender(context)


# -- /status NO --------------------------------------------------------------------------


async def status_extras(caller: Caller, number: int) -> tuple[list[str], Keyboard | None]:
    """What /status NO adds for an admin: on a running procedure, a button to move each live
    step and one to cancel it; on a cancelled one, who cancelled it, when and why."""
    if not caller.member.is_admin:
        return [], None
    try:
        found = await in_thread(_admin(caller).procedure, caller.member.agency_id, number)
    except DomainError:
        return [], None
    summary = found.summary
    if summary.state is InstanceState.CANCELLED:
        return [await in_thread(_cancelled_line, caller, number)], None
    if summary.state is not InstanceState.RUNNING:
        return [], None
    keyboard = _move_buttons(caller, found, "procedure_admin.status_move_button")
    keyboard.append(
        [
            Button(
                caller.text("procedure_admin.status_cancel_button"),
                callback(Action.CANCEL_PROCEDURE, summary.instance_id),
            )
        ]
    )
    return [], keyboard


def _cancelled_line(caller: Caller, number: int) -> str:
    """Who cancelled the procedure, when and why, from its history."""
    history = caller.services.views.history(caller.member.agency_id, number)
    entry = next(
        (
            e
            for e in reversed(history.entries)
            if e.entity is EntityKind.INSTANCE and e.action is TransitionAction.CANCEL
        ),
        None,
    )
    if entry is None:
        return ""
    return caller.text(
        "procedure_admin.status_cancelled_line",
        person=escape(entry.actor or caller.text("procedure_admin.operator")),
        when=local_time(entry.at, caller.member.agency_timezone, caller.language),
        reason=escape(entry.reason or ""),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /batal and /pindah, and their buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler(["batal", "cancel"], cancel_command, filters=private))
    application.add_handler(CommandHandler(["pindah", "move"], move_command, filters=private))
    for action, handler in (
        (Action.CANCEL_PROCEDURE, cancel_picked),
        (Action.CANCEL_PAGE, cancel_page),
        (Action.CANCEL_CONFIRM, cancel_confirmed),
        (Action.MOVE_STEP, move_picked),
        (Action.MOVE_TO, move_to_picked),
    ):
        application.add_handler(CallbackQueryHandler(handler, pattern=f"^{action.value}:"))
    application.add_handler(
        CallbackQueryHandler(cancel_kept, pattern=f"^{Action.CANCEL_KEEP.value}$")
    )

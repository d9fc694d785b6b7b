"""/instansi (alias /agencies), for operator admins: every agency with its admins, members and
installed SOPs (paged); "Buat instansi", a few questions ending in a summary and "Buat"; and
per agency "Tunjuk admin" (a typed name -> an admin member and a single-use link the operator
passes on) and "Cabut" for its admin invitations still open.

`sopbot.services.operators` and `sopbot.services.agency_setup` decide and check everything
(the caller is an operator, the agency and the invitation exist, a button answers the question
open now); this module turns updates into their calls and their views into messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from telegram import CallbackQuery, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.engine.time_zones import INDONESIAN_ZONES
from sopbot.engine.working_calendar import DayRule
from sopbot.handlers.common import (
    Caller,
    answer,
    ask_question,
    command_key,
    edit_html,
    in_thread,
    operators_only,
    refuse,
    send_html,
)
from sopbot.messaging.formatting import escape, local_time, shorten, zone_name
from sopbot.messaging.keyboards import Action, Button, Keyboard, Pressed, callback, decode
from sopbot.services.agency_setup import (
    ADMIN_QUESTION,
    AGENCY_QUESTION,
    USE_KEY,
    AgencyDraft,
    AgencySetup,
    Problem,
    Stage,
)
from sopbot.services.operators import AgencyDetail, AgencyPage, OperatorService
from sopbot.services.organization import InvalidSetup
from sopbot.services.pending import PendingInput

BUTTON_NAME = 40  # characters of an agency's or a person's name on a button

T = TypeVar("T")


def _operators(caller: Caller) -> OperatorService:
    return OperatorService(caller.services.procedures, clock=caller.services.clock)


def _setup(caller: Caller) -> AgencySetup:
    return AgencySetup(caller.services.procedures, clock=caller.services.clock)


# -- the list and one agency -------------------------------------------------------------------


@operators_only
async def agencies_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/instansi: the first page of the agencies, and "Buat instansi"."""
    listing = await _call(
        update, context, caller, _operators(caller).agencies_page, caller.member.id, 0
    )
    if listing is None:
        return
    text, keyboard = _list_message(caller, listing)
    await send_html(update.effective_message, text, keyboard, context=context)


@operators_only
async def page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """◀️ ▶️ (and "Daftar instansi"): a page of the agencies, in the same message."""
    query, pressed = _pressed(update)
    page = pressed.int_at(0) if pressed else None
    if page is None:
        await _invalid(query, caller)
        return
    listing = await _call(
        update, context, caller, _operators(caller).agencies_page, caller.member.id, page
    )
    if listing is None:
        return
    await _edit(update, context, *_list_message(caller, listing))
    await answer(query)


@operators_only
async def agency_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """An agency's button: its admins, members, SOPs and open admin invitations."""
    query, pressed = _pressed(update)
    agency_id = pressed.int_at(0) if pressed else None
    if agency_id is None:
        await _invalid(query, caller)
        return
    detail = await _call(
        update, context, caller, _operators(caller).agency_detail, caller.member.id, agency_id
    )
    if detail is None:
        return
    await _edit(update, context, *_detail_message(caller, detail))
    await answer(query)


def _list_message(caller: Caller, listing: AgencyPage) -> tuple[str, Keyboard]:
    lines = [caller.text("operator.list_header", count=listing.total)]
    keyboard: Keyboard = []
    for summary in listing.agencies:
        agency = summary.agency
        lines.append(
            caller.text(
                "operator.list_item",
                name=escape(agency.name),
                key=escape(agency.key),
                zone=zone_name(agency.timezone),
                admins=_admins(caller, summary.admins),
                members=summary.members,
                sops=summary.sops,
            )
        )
        label = caller.text("operator_button.agency", name=shorten(agency.name, BUTTON_NAME))
        keyboard.append([Button(label, callback(Action.OPERATOR_AGENCY, agency.id))])
    if not listing.agencies:
        lines.append(caller.text("operator.list_none"))
    else:
        lines.append("")
        lines.append(caller.text("operator.list_footer"))
    if listing.pages > 1:
        lines.append(caller.text("operator.page", page=listing.page + 1, pages=listing.pages))
        keyboard.append(_page_row(caller, listing.page, listing.pages))
    keyboard.append([Button(caller.text("operator_button.new"), callback(Action.OPERATOR_NEW))])
    return "\n".join(lines), keyboard


def _page_row(caller: Caller, page: int, pages: int) -> list[Button]:
    row: list[Button] = []
    if page > 0:
        previous = caller.text("button.page_previous")
        row.append(Button(previous, callback(Action.OPERATOR_PAGE, page - 1)))
    if page + 1 < pages:
        row.append(
            Button(caller.text("button.page_next"), callback(Action.OPERATOR_PAGE, page + 1))
        )
    return row


def _detail_message(caller: Caller, detail: AgencyDetail) -> tuple[str, Keyboard]:
    summary = detail.summary
    agency = summary.agency
    lines = [
        caller.text("operator.detail_header", name=escape(agency.name), key=escape(agency.key)),
        caller.text(
            "operator.detail_settings",
            zone=zone_name(agency.timezone),
            day=caller.text(f"operator.day_{agency.day_rule.value}"),
        ),
        caller.text("operator.detail_admins", admins=_admins(caller, summary.admins)),
        caller.text("operator.detail_counts", members=summary.members, sops=summary.sops),
    ]
    if summary.sops == 0:
        lines.append(caller.text("operator.detail_no_sops"))
    lines.append("")
    keyboard: Keyboard = [
        [Button(caller.text("operator_button.admin"), callback(Action.OPERATOR_ADMIN, agency.id))]
    ]
    if detail.invitations:
        lines.append(caller.text("operator.detail_invitations"))
    else:
        lines.append(caller.text("operator.detail_no_invitations"))
    for invitation in detail.invitations:
        name = invitation.member_name or caller.text("operator.anyone")
        lines.append(
            caller.text(
                "operator.detail_invitation",
                name=escape(name),
                expires=local_time(invitation.expires_at, agency.timezone, caller.language),
            )
        )
        label = caller.text("operator_button.revoke", name=shorten(name, BUTTON_NAME))
        data = callback(Action.OPERATOR_REVOKE, agency.id, invitation.id)
        keyboard.append([Button(label, data)])
    keyboard.append(
        [Button(caller.text("operator_button.back"), callback(Action.OPERATOR_PAGE, 0))]
    )
    return "\n".join(lines), keyboard


def _admins(caller: Caller, names: tuple[str, ...]) -> str:
    return escape(", ".join(names)) if names else caller.text("operator.no_admin")


# -- creating an agency ------------------------------------------------------------------------


@operators_only
async def new_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """ "Buat instansi": ask the new agency's name."""
    query, _ = _pressed(update)
    draft = await _call(update, context, caller, _setup(caller).begin, caller.member.id)
    if draft is None:
        return
    await answer(query)
    await _ask(context, update, caller, draft)


@operators_only
async def choice_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A button of the new agency's questions (the key, the zone, "hari"): the next question,
    in the same message."""
    query, pressed = _pressed(update)
    parts = pressed.parts if pressed else ()
    if len(parts) != 3:  # the flow, the stage, the choice
        await _invalid(query, caller)
        return
    flow, stage, choice = parts
    draft = await _call(
        update, context, caller, _setup(caller).chosen, caller.member.id, flow, stage, choice
    )
    if draft is None:
        return
    await _edit(update, context, *_stage_message(caller, draft))
    await answer(query)


@operators_only
async def create_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "Buat": the agency is created; the summary says so, and the new agency is shown with
    "Tunjuk admin"."""
    query, pressed = _pressed(update)
    flow = pressed.part(0) if pressed else None
    if flow is None:
        await _invalid(query, caller)
        return
    setup = _setup(caller)
    try:
        made = await in_thread(setup.create, command_key(update, context), caller.member.id, flow)
    except InvalidSetup as refusal:  # the key was taken meanwhile
        key = escape(str(refusal.params.get("key", "")))
        await _edit(update, context, caller.text("operator.not_created", key=key), None)
        await answer(query)
        return
    except DomainError as refusal:
        await refuse(update, context, _refusal_text(caller, refusal))
        return
    created = caller.text(
        "operator.created",
        name=escape(made.name),
        key=escape(made.key),
        zone=zone_name(made.timezone),
    )
    await _edit(update, context, created, None)
    await answer(query)
    detail = await in_thread(_operators(caller).agency_detail, caller.member.id, made.agency_id)
    text, keyboard = _detail_message(caller, detail)
    await send_html(None, text, keyboard, context=context, chat_id=_chat_id(update))


async def _ask(
    context: ContextTypes.DEFAULT_TYPE,
    update: Update,
    caller: Caller,
    draft: AgencyDraft,
    problem: str | None = None,
) -> None:
    """Ask the draft's question in a new message (and wait for its typed answer)."""
    text, keyboard = _stage_message(caller, draft)
    if problem is not None:
        text = f"{problem}\n\n{text}"
    await ask_question(
        context,
        _chat_id(update),
        caller.member.id,
        AGENCY_QUESTION,
        draft.payload(),
        text,
        keyboard,
    )


def _stage_message(caller: Caller, draft: AgencyDraft) -> tuple[str, Keyboard]:
    """The question of the draft's stage, with its buttons and Batal."""
    name, key = escape(draft.name), escape(draft.key)
    choices: list[list[Button]] = []
    if draft.stage is Stage.NAME:
        text = caller.text("operator.ask_name")
    elif draft.stage is Stage.KEY:
        text = caller.text("operator.ask_key", name=name, key=key)
        label = caller.text("operator_button.use_key", key=shorten(draft.key, BUTTON_NAME))
        choices.append([Button(label, _choice(draft, USE_KEY))])
    elif draft.stage is Stage.ZONE:
        text = caller.text("operator.ask_zone", name=name, key=key)
        choices.append([Button(zone, _choice(draft, zone)) for zone in INDONESIAN_ZONES])
    elif draft.stage is Stage.DAY:
        text = caller.text("operator.ask_day", name=name, key=key, zone=draft.zone)
        choices.extend(
            [Button(caller.text(f"operator_button.day_{rule.value}"), _choice(draft, rule.value))]
            for rule in DayRule
        )
    else:
        text = caller.text(
            "operator.summary",
            name=name,
            key=key,
            zone=f"{draft.zone} ({draft.timezone})",
            day=caller.text(f"operator.day_{draft.day_rule}"),
        )
        label = caller.text("operator_button.create")
        choices.append([Button(label, callback(Action.OPERATOR_CREATE, draft.flow))])
    cancel = Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))
    return text, [*choices, [cancel]]


def _choice(draft: AgencyDraft, choice: str) -> str:
    return callback(Action.OPERATOR_CHOICE, draft.flow, draft.stage.value, choice)


# -- naming an agency's admin, revoking an invitation ------------------------------------------


@operators_only
async def admin_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """ "Tunjuk admin": ask the admin's name."""
    query, pressed = _pressed(update)
    agency_id = pressed.int_at(0) if pressed else None
    if agency_id is None:
        await _invalid(query, caller)
        return
    summary = await _call(
        update, context, caller, _operators(caller).check_agency, caller.member.id, agency_id
    )
    if summary is None:
        return
    await answer(query)
    await _ask_admin(context, update, caller, agency_id, summary.agency.name)


async def _ask_admin(
    context: ContextTypes.DEFAULT_TYPE,
    update: Update,
    caller: Caller,
    agency_id: int,
    agency_name: str,
    problem: str | None = None,
) -> None:
    text = caller.text("operator.ask_admin", agency=escape(agency_name))
    if problem is not None:
        text = f"{problem}\n\n{text}"
    keyboard = [[Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))]]
    await ask_question(
        context,
        _chat_id(update),
        caller.member.id,
        ADMIN_QUESTION,
        {"agency_id": agency_id, "agency_name": agency_name},
        text,
        keyboard,
    )


@operators_only
async def revoke_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "Cabut": the admin invitation is revoked; the agency is shown again without it."""
    query, pressed = _pressed(update)
    agency_id = pressed.int_at(0) if pressed else None
    invitation_id = pressed.int_at(1) if pressed else None
    if agency_id is None or invitation_id is None:
        await _invalid(query, caller)
        return
    operators = _operators(caller)
    try:
        outcome = await in_thread(
            operators.revoke_admin_invitation,
            command_key(update, context),
            operator_id=caller.member.id,
            agency_id=agency_id,
            invitation_id=invitation_id,
        )
        detail = await in_thread(operators.agency_detail, caller.member.id, agency_id)
    except DomainError as refusal:
        await refuse(update, context, _refusal_text(caller, refusal))
        return
    await _edit(update, context, *_detail_message(caller, detail))
    name = outcome.result.member_name or caller.text("operator.anyone")
    await answer(query, caller.text("operator.revoked", name=name), show_alert=True)


# -- typed answers -----------------------------------------------------------------------------


async def answer_text(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    text: str,
) -> None:
    """Text typed while an operator's question waits: the new agency's name or key, or the
    name of an agency's admin."""
    try:
        if pending.kind == AGENCY_QUESTION:
            await _agency_answer(update, context, caller, pending, text)
        elif pending.kind == ADMIN_QUESTION:
            await _admin_answer(update, context, caller, pending, text)
    except DomainError as refusal:
        await send_html(update.effective_message, _refusal_text(caller, refusal), context=context)


async def _agency_answer(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    text: str,
) -> None:
    step = await in_thread(_setup(caller).typed, caller.member.id, pending.payload, text)
    problem = None
    if step.problem is Problem.KEY_INVALID or step.problem is Problem.KEY_TAKEN:
        typed = escape(shorten(text.strip(), 80))
        problem = caller.text(f"operator.{step.problem.value}", key=typed)
    elif step.problem is not None:
        problem = caller.text(f"operator.{step.problem.value}")
    await _ask(context, update, caller, step.draft, problem)


async def _admin_answer(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    text: str,
) -> None:
    agency_id = pending.payload.get("agency_id")
    agency_name = str(pending.payload.get("agency_name", ""))
    if not isinstance(agency_id, int):
        await send_html(
            update.effective_message, caller.text("answer.invalid_button"), context=context
        )
        return
    try:
        link = await in_thread(
            _operators(caller).name_admin,
            command_key(update, context),
            operator_id=caller.member.id,
            agency_id=agency_id,
            name=text,
        )
    except InvalidSetup:  # an empty or too long name: asked again
        problem = caller.text("operator.name_too_long" if text.strip() else "operator.name_empty")
        await _ask_admin(context, update, caller, agency_id, agency_name, problem)
        return
    lines = [
        caller.text(
            "operator.admin_named",
            name=escape(link.member_name),
            agency=escape(link.agency_name),
            expires=local_time(link.expires_at, link.agency_timezone, caller.language),
            link=escape(f"https://t.me/{caller.services.bot_username}?start={link.token}"),
        )
    ]
    if link.renewed:
        lines.append(caller.text("operator.admin_renewed", name=escape(link.member_name)))
    await send_html(update.effective_message, "\n\n".join(lines), context=context)


# -- shared ------------------------------------------------------------------------------------


async def _call(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    function: Callable[..., T],
    *args: Any,
) -> T | None:
    """`function(*args)` in a worker thread; a refusal is said to the operator and gives None."""
    try:
        return await in_thread(function, *args)
    except DomainError as refusal:
        await refuse(update, context, _refusal_text(caller, refusal))
        return None


def _pressed(update: Update) -> tuple[CallbackQuery, Pressed | None]:
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    return query, decode(query.data)


def _chat_id(update: Update) -> int | None:
    chat = update.effective_chat
    return chat.id if chat else None


async def _edit(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, keyboard: Keyboard | None
) -> None:
    """Replace the pressed message's text and buttons."""
    query = update.callback_query
    chat_id = _chat_id(update)
    if query is None or query.message is None or chat_id is None:
        return
    await edit_html(context, chat_id, query.message.message_id, text, keyboard)


async def _invalid(query: CallbackQuery, caller: Caller) -> None:
    await answer(query, caller.text("answer.invalid_button"), show_alert=True)


def _refusal_text(caller: Caller, refusal: DomainError) -> str:
    if refusal.code == "not_operator":
        return caller.text("status_report.not_operator")
    return caller.text("answer.invalid_button")


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /instansi (/agencies) and its buttons."""
    application.add_handler(
        CommandHandler(["instansi", "agencies"], agencies_command, filters=filters.ChatType.PRIVATE)
    )
    for action, handler, whole in (
        (Action.OPERATOR_PAGE, page_pressed, False),
        (Action.OPERATOR_AGENCY, agency_pressed, False),
        (Action.OPERATOR_NEW, new_pressed, True),
        (Action.OPERATOR_CHOICE, choice_pressed, False),
        (Action.OPERATOR_CREATE, create_pressed, False),
        (Action.OPERATOR_ADMIN, admin_pressed, False),
        (Action.OPERATOR_REVOKE, revoke_pressed, False),
    ):
        pattern = f"^{action.value}$" if whole else f"^{action.value}:"
        application.add_handler(CallbackQueryHandler(handler, pattern=pattern))

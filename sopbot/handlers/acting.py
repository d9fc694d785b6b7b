"""/plt (alias /acting), for agency admins: the Plt/Plh in office and scheduled, "Akhiri" with a
confirmation, and "Tunjuk Plt/Plh": position, person, Plt or Plh, for whom, start, end,
decree, then a summary to confirm. Every press is checked again by the service
(`services.acting_admin`), which keeps the flow's answers where a restart does not lose them.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.engine.organization import ActingKind
from sopbot.engine.term_times import zone_label
from sopbot.handlers.common import (
    Caller,
    admins_only,
    answer,
    claim_of,
    edit_html,
    in_thread,
    refuse,
    remove_buttons,
    send_html,
    wake_sender,
)
from sopbot.messaging.acting_notices import TermTexts, TermView
from sopbot.messaging.formatting import escape
from sopbot.messaging.keyboards import Action, Button, Keyboard, Pressed, callback, decode
from sopbot.messaging.numbers import quantity
from sopbot.services.acting_admin import (
    FLOW_KIND,
    PAGE_SIZE,
    VACANT,
    ActingAdmin,
    AlreadyAnswered,
    FlowView,
    Stage,
    StaleFlow,
    TermDone,
    TermListing,
)
from sopbot.services.commands import CommandKey
from sopbot.services.organization import OrganizationService
from sopbot.services.pending import PendingInput
from sopbot.storage.acting_terms import ListedTerm

_TEXTS = TermTexts()
# A refusal's code -> its text (anything else: the generic "not allowed").
_REFUSALS = {
    "not_found": "answer.invalid_button",
    "plt_stale": "plt.stale",
    "not_allowed": "status_report.not_admin",
    "unknown_member": "answer.unknown_member",
}
# Refusals of "Tunjuk" that asking for the end again mends.
_END_AGAIN = ("end_passed", "end_not_after_start")
_QUESTION_KEYS = {
    Stage.POSITION: "plt.pick_position",
    Stage.MEMBER: "plt.pick_member",
    Stage.KIND: "plt.pick_kind",
    Stage.FOR: "plt.pick_for",
    Stage.START: "plt.ask_start",
    Stage.END: "plt.ask_end",
    Stage.DECREE: "plt.ask_decree",
}


@admins_only
async def plt_command(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/plt: the agency's Plt/Plh in office and scheduled, with "Akhiri" and "Tunjuk"."""
    listing = await in_thread(_service(caller).listing, caller.member.id)
    text, keyboard = _overview(caller, listing, 0)
    await send_html(update.effective_message, text, keyboard, context=context)


@admins_only
async def plt_button(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A /plt button; the service checks the flow, the turn and the agency of what it names."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    if pressed is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        await _dispatch(update, context, caller, pressed)
    except AlreadyAnswered:
        await answer(query)  # a double tap: the first press is being answered
    except DomainError as refusal:
        await refuse(update, context, _refusal(caller, refusal))
    wake_sender(context)


async def _dispatch(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> None:
    action = pressed.action
    if action is Action.PLT_LIST_PAGE:
        await _list_page(update, context, caller, pressed)
    elif action is Action.PLT_NEW:
        view = await in_thread(_service(caller).begin, caller.member.id)
        await _answered(update, context, remove=False)
        await _ask(update, context, caller, view)
    elif action in (Action.PLT_PICK, Action.PLT_PAGE, Action.PLT_CANCEL, Action.PLT_APPOINT):
        await _flow_press(update, context, caller, pressed)
    elif action in (Action.PLT_END, Action.PLT_END_CONFIRM, Action.PLT_END_KEEP):
        await _end_press(update, context, caller, pressed)
    else:
        raise StaleFlow("not a /plt button")


async def _flow_press(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> None:
    """A button of an appointment in progress: an answer, a page, Batal or Tunjuk."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - from a button
    service, admin_id = _service(caller), caller.member.id
    flow_id, turn = pressed.part(0), pressed.int_at(1)
    if flow_id is None or (turn is None and pressed.action is not Action.PLT_CANCEL):
        raise StaleFlow("malformed /plt button")
    if pressed.action is Action.PLT_CANCEL:
        await in_thread(service.cancel, admin_id, flow_id)
        await answer(query, caller.text("plt.cancelled"))
        await remove_buttons(query, context)
        return
    assert turn is not None  # noqa: S101 - checked above
    if pressed.action is Action.PLT_PAGE:
        page = pressed.int_at(2)
        view = await in_thread(service.page, admin_id, flow_id, turn, page or 0)
        text, keyboard = _question(caller, view)
        await answer(query)
        if query.message is not None:
            await edit_html(
                context, query.message.chat.id, query.message.message_id, text, keyboard
            )
        return
    if pressed.action is Action.PLT_APPOINT:
        await _appoint(update, context, caller, flow_id, turn)
        return
    picked = pressed.part(2)
    if picked is None:
        raise StaleFlow("malformed /plt button")
    view = await in_thread(service.pick, admin_id, flow_id, turn, picked)
    await _answered(update, context, remove=True)
    await _ask(update, context, caller, view)


async def _appoint(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, flow_id: str, turn: int
) -> None:
    """ "Tunjuk" (a double tap, under the same key, is answered as the first). An end that has
    passed meanwhile is asked for again."""
    service, admin_id = _service(caller), caller.member.id
    key = CommandKey(f"plt:{admin_id}:{flow_id}:{turn}", claim_of(context, update.update_id))
    try:
        done = await in_thread(service.appoint, key, admin_id, flow_id, turn)
    except DomainError as refusal:
        if refusal.params.get("problem") not in _END_AGAIN:
            raise
        view = await in_thread(service.end_again, admin_id, flow_id)
        await _answered(update, context, remove=True)
        await send_html(None, _refusal(caller, refusal), context=context, chat_id=_chat_id(update))
        await _ask(update, context, caller, view)
        return
    await _tell_done(update, context, caller, done, "plt.appointed")


async def _end_press(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> None:
    """ "Akhiri" (asks to confirm), "Ya, akhiri" (ends the term now) or "Tidak jadi"."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - from a button
    if pressed.action is Action.PLT_END_KEEP:
        await answer(query, caller.text("plt.end_kept"))
        await remove_buttons(query, context)
        return
    acting_id = pressed.int_at(0)
    if acting_id is None:
        raise StaleFlow("malformed /plt button")
    service, admin_id = _service(caller), caller.member.id
    if pressed.action is Action.PLT_END_CONFIRM:
        key = CommandKey(f"plt-end:{admin_id}:{acting_id}", claim_of(context, update.update_id))
        done = await in_thread(service.end, key, admin_id, acting_id)
        await _tell_done(update, context, caller, done, "plt.ended")
        return
    listed, zone = await in_thread(service.term, admin_id, acting_id)
    view = _term_view(listed, zone)
    text = caller.text(
        "plt.end_confirm",
        term=_TEXTS.title(view, caller.language),
        person=escape(listed.member_name),
        period=_TEXTS.period(view, caller.language),
    )
    keyboard = [
        [
            Button(caller.text("plt.button_end_yes"), callback(Action.PLT_END_CONFIRM, acting_id)),
            Button(caller.text("plt.button_end_no"), callback(Action.PLT_END_KEEP)),
        ]
    ]
    await answer(query)
    await send_html(None, text, keyboard, context=context, chat_id=_chat_id(update))


async def _tell_done(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, done: TermDone, key: str
) -> None:
    """The appointment or the end, as the admin is told (a double tap: only a toast)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - from a button
    await answer(query, caller.text("plt.done_toast"))
    if done.replayed:
        return
    await remove_buttons(query, context)
    view = _term_view(done.term, done.timezone)
    text = caller.text(
        "plt.appointed_later" if done.starts_later and key == "plt.appointed" else key,
        term=_TEXTS.title(view, caller.language),
        person=escape(done.term.member_name),
        period=_TEXTS.period(view, caller.language),
        start=_TEXTS.start(view, caller.language),
        count=quantity(done.instances_rerouted, caller.language),
    )
    await send_html(None, text, context=context, chat_id=_chat_id(update))


async def _list_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, pressed: Pressed
) -> None:
    query = update.callback_query
    assert query is not None  # noqa: S101 - from a button
    listing = await in_thread(_service(caller).listing, caller.member.id)
    text, keyboard = _overview(caller, listing, pressed.int_at(0) or 0)
    await answer(query)
    if query.message is not None:
        await edit_html(context, query.message.chat.id, query.message.message_id, text, keyboard)


async def answer_plt_text(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    text: str,
) -> None:
    """A typed answer while appointing (a start, an end, a decree number): taken, or refused
    with why, and the next question (or the same again) is asked."""
    try:
        view = await in_thread(_service(caller).typed, caller.member.id, pending.payload, text)
    except DomainError as refusal:
        await send_html(update.effective_message, _refusal(caller, refusal), context=context)
        return
    if view.problem is not None:
        await send_html(
            update.effective_message,
            caller.text(f"plt.problem_{view.problem}", zone=zone_label(view.timezone)),
            context=context,
        )
    await _ask(update, context, caller, view)


# -- rendering ---------------------------------------------------------------------------------


def _overview(caller: Caller, listing: TermListing, page: int) -> tuple[str, Keyboard]:
    """The terms of one page, in office first, then scheduled; an "Akhiri" button each."""
    terms = list(listing.terms)
    pages = max(1, -(-len(terms) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    lines = [caller.text("plt.header", agency=escape(caller.member.agency_name))]
    keyboard: Keyboard = []
    if not terms:
        lines.append(caller.text("plt.none"))
    shown = list(enumerate(terms, start=1))[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    heading = None
    for index, listed in shown:
        in_office = listed.acting.valid_from <= listing.now
        section = "plt.in_office" if in_office else "plt.scheduled"
        if section != heading:
            lines.append(caller.text(section))
            heading = section
        lines.extend(_term_lines(caller, index, listed, listing.timezone))
        keyboard.append(
            [
                Button(
                    caller.text("plt.button_end", index=index, person=listed.member_name[:40]),
                    callback(Action.PLT_END, listed.acting.id),
                )
            ]
        )
    if pages > 1:
        keyboard.append(_page_row(caller, page, pages, lambda p: callback(Action.PLT_LIST_PAGE, p)))
    keyboard.append([Button(caller.text("plt.button_new"), callback(Action.PLT_NEW))])
    lines.append(caller.text("plt.usage" if terms else "plt.usage_none"))
    return "\n".join(lines), keyboard


def _term_lines(caller: Caller, index: int, listed: ListedTerm, zone: str) -> list[str]:
    view = _term_view(listed, zone)
    lines = [
        caller.text(
            "plt.item",
            index=index,
            term=_TEXTS.title(view, caller.language),
            person=escape(listed.member_name),
        ),
        caller.text("plt.item_period", period=_TEXTS.period(view, caller.language)),
    ]
    if listed.acting.decree:
        lines.append(caller.text("plt.item_decree", decree=escape(listed.acting.decree)))
    return lines


def _question(caller: Caller, view: FlowView) -> tuple[str, Keyboard]:
    """The flow's current question and its buttons."""
    flow = view.flow
    token, turn = flow.flow, flow.turn
    if view.stage is Stage.CONFIRM:
        text = _summary(caller, view)
    else:
        text = caller.text(
            _QUESTION_KEYS[view.stage],
            position=escape(view.position_name),
            person=escape(view.member_name),
            zone=zone_label(view.timezone),
        )
    keyboard: Keyboard = [
        [Button(pick.name[:60], callback(Action.PLT_PICK, token, turn, pick.id))]
        for pick in view.choices
    ]
    if view.pages > 1:
        keyboard.append(
            _page_row(
                caller, flow.page, view.pages, lambda p: callback(Action.PLT_PAGE, token, turn, p)
            )
        )
    extra = _stage_buttons(caller, view)
    if extra:
        keyboard.append(extra)
    if view.stage is Stage.POSITION and not view.choices:
        text = caller.text("plt.no_positions")
    elif view.stage is Stage.MEMBER and not view.choices:
        text = f"{text}\n{caller.text('plt.no_members')}"
    keyboard.append([Button(caller.text("plt.button_cancel"), callback(Action.PLT_CANCEL, token))])
    return text, keyboard


def _stage_buttons(caller: Caller, view: FlowView) -> list[Button]:
    """The buttons a question has besides its list: Plt/Plh, "Jabatan kosong", "Sekarang",
    "Tanpa batas", "Lewati", "Tunjuk"."""
    flow = view.flow
    token, turn = flow.flow, flow.turn

    def pick(label: str, value: str | int) -> Button:
        return Button(caller.text(label), callback(Action.PLT_PICK, token, turn, value))

    if view.stage is Stage.KIND:
        return [pick("plt.button_plt", "plt"), pick("plt.button_plh", "plh")]
    if view.stage is Stage.FOR:
        return [pick("plt.button_vacant", VACANT)]
    if view.stage is Stage.START:
        return [pick("plt.button_now", "now")]
    if view.stage is Stage.END and flow.kind == "plt":
        return [pick("plt.button_no_end", "none")]
    if view.stage is Stage.DECREE:
        return [pick("plt.button_skip", "skip")]
    if view.stage is Stage.CONFIRM:
        return [
            Button(caller.text("plt.button_appoint"), callback(Action.PLT_APPOINT, token, turn))
        ]
    return []


def _summary(caller: Caller, view: FlowView) -> str:
    """The appointment as it will be made, to confirm."""
    flow = view.flow
    now_text = caller.text("plt.start_now")
    term = TermView(
        kind=ActingKind(flow.kind or ActingKind.PLT.value),
        member_name=view.member_name,
        position_name=view.position_name,
        for_member_name=view.for_member_name,
        valid_from=flow.starts_at or caller.services.clock(),
        valid_to=flow.ends_at,
        decree=flow.decree,
        timezone=view.timezone,
    )
    period = _TEXTS.period(term, caller.language)
    if flow.starts_at is None:
        period = caller.text(
            "acting.period",
            start=now_text,
            end=_TEXTS.end(term, caller.language),
            zone=zone_label(view.timezone),
        )
    return caller.text(
        "plt.summary",
        term=_TEXTS.title(term, caller.language),
        person=escape(view.member_name),
        period=period,
        decree=escape(flow.decree or "-"),
    )


def _page_row(caller: Caller, page: int, pages: int, data: Any) -> list[Button]:
    row = []
    if page > 0:
        row.append(Button(caller.text("button.page_previous"), data(page - 1)))
    row.append(Button(f"{page + 1}/{pages}", data(page)))
    if page < pages - 1:
        row.append(Button(caller.text("button.page_next"), data(page + 1)))
    return row


async def _ask(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, view: FlowView
) -> None:
    """Send the flow's question; the message is remembered so that its buttons come off once
    a typed answer is given."""
    text, keyboard = _question(caller, view)
    message_id = await send_html(None, text, keyboard, context=context, chat_id=_chat_id(update))
    if message_id is not None:
        await in_thread(caller.services.pending.shown, caller.member.id, FLOW_KIND, message_id)


async def _answered(update: Update, context: ContextTypes.DEFAULT_TYPE, *, remove: bool) -> None:
    query = update.callback_query
    if query is None:
        return
    await answer(query)
    if remove:
        await remove_buttons(query, context)


def _term_view(listed: ListedTerm, zone: str) -> TermView:
    acting = listed.acting
    return TermView(
        kind=acting.kind,
        member_name=listed.member_name,
        position_name=listed.position_name,
        for_member_name=listed.for_member_name,
        valid_from=acting.valid_from,
        valid_to=acting.valid_to,
        decree=acting.decree,
        timezone=zone,
    )


def _refusal(caller: Caller, refusal: DomainError) -> str:
    problem = refusal.params.get("problem")
    if refusal.code == "invalid_setup" and isinstance(problem, str):
        return caller.text(f"plt.problem_{problem}", zone="")
    return caller.text(_REFUSALS.get(refusal.code, "answer.not_allowed"))


def _chat_id(update: Update) -> int | None:
    chat = update.effective_chat
    return chat.id if chat else None


def _service(caller: Caller) -> ActingAdmin:
    services = caller.services
    organization = OrganizationService(services.procedures, clock=services.clock)
    return ActingAdmin(organization, clock=services.clock)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /plt and its buttons."""
    application.add_handler(
        CommandHandler(["plt", "acting"], plt_command, filters=filters.ChatType.PRIVATE)
    )
    application.add_handler(CallbackQueryHandler(plt_button, pattern=r"^P[a-z](:|$)"))

"""/sop (agency admins): the agency's installed SOPs with their versions and documents, and
importing an SOP from the agency's own Word, PDF or .yaml file through a review with buttons.

The import, the review and the install are decided by `sopbot.services.sop_imports`; this
module turns updates into its calls and its views into messages. The review is one message,
edited in place as the admin answers; the preview is the rendered table as pictures, the last
one carrying "Pasang" and "Batal".
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError, NotFound
from sopbot.handlers.common import (
    Caller,
    admins_only,
    answer,
    ask_question,
    clear_prompt,
    command_key,
    edit_html,
    file_refusal_text,
    in_thread,
    members_only,
    remove_buttons,
    send_file,
    send_html,
    send_picture,
)
from sopbot.messaging.formatting import escape, local_time, shorten
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, decode
from sopbot.services.pending import PendingInput
from sopbot.services.sop_imports import (
    CatalogMovedOn,
    ExecutorQuestion,
    FixNeeded,
    ImportRefused,
    ImportStarted,
    InvalidStandardTime,
    Op,
    Preview,
    ReviewView,
    RoleQuestion,
    SopCatalogPage,
    SopImportService,
    TimeQuestion,
)

log = logging.getLogger(__name__)

DOCUMENT_QUESTION = "sop_document"  # the pending question: the admin's next file is an SOP
FIX_QUESTION = "sop_fix"  # the pending question: the review's corrected .yaml (its draft_id)
TIME_QUESTION = "sop_time"  # the pending question: a typed standard time for the review
SOP_QUESTIONS = (DOCUMENT_QUESTION, FIX_QUESTION, TIME_QUESTION)
MARKS_SHOWN = 20  # '??' marks and problems listed at the fix stage (the rest counted)
VERSIONS_SHOWN = 3  # installs listed per SOP in /sop (the newest)
BUTTON_TITLE = 40  # characters of an SOP's title on its document button
CHOSEN = "☑️ "  # marks a chosen role or position on its button


def _service(caller: Caller) -> SopImportService:
    service = caller.services.sop_imports
    assert service is not None  # noqa: S101 - wired by the composition root
    return service


def wants_yaml(file_name: str) -> bool:
    """True for a file named as a .yaml (what the fix stage of a review waits for)."""
    return file_name.lower().endswith((".yaml", ".yml"))


def wants_import(caption: str | None) -> bool:
    """True for a document sent with the caption /sop (an import, as /sop impor asks)."""
    command = (caption or "").split(maxsplit=1)[0].lower() if caption else ""
    return command == "/sop" or command.startswith("/sop@")


# -- /sop --------------------------------------------------------------------------------------


@admins_only
async def sop_command(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/sop: the agency's SOPs with their versions; /sop impor asks for a document."""
    message = update.effective_message
    args = [a.lower() for a in (context.args or [])]
    if args and args[0] in ("impor", "import"):
        await ask_for_document(context, message.chat_id if message else None, caller)
        return
    listing = await in_thread(_service(caller).catalog_page, caller.member.id, 0)
    text, keyboard = _catalog_message(caller, listing)
    await send_html(message, text, keyboard, context=context)


@members_only
async def page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """◀️ ▶️ under /sop: another page of the agency's SOPs, in the same message."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    page = pressed.int_at(0) if pressed else None
    chat = update.effective_chat
    if page is None or chat is None or query.message is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        listing = await in_thread(_service(caller).catalog_page, caller.member.id, page)
    except DomainError as refusal:
        await _refuse_press(query, caller, refusal)
        return
    text, keyboard = _catalog_message(caller, listing)
    await edit_html(context, chat.id, query.message.message_id, text, keyboard)
    await answer(query)


def _catalog_message(caller: Caller, listing: SopCatalogPage) -> tuple[str, Keyboard]:
    member = caller.member
    lines = [caller.text("sop.header", agency=escape(member.agency_name), count=listing.total)]
    keyboard: Keyboard = []
    if not listing.sops:
        lines.append(caller.text("sop.none"))
    for sop in listing.sops:
        lines.append(caller.text("sop.item", title=escape(sop.title), sop_id=escape(sop.sop_id)))
        current = next((v for v in sop.versions if not v.withdrawn), None)
        for installed in sop.versions[:VERSIONS_SHOWN]:
            state = ""
            if installed is current:
                state = caller.text("sop.current")
            elif installed.withdrawn:
                state = caller.text("sop.withdrawn")
            lines.append(
                caller.text(
                    "sop.version_line",
                    version=escape(installed.version),
                    at=local_time(installed.installed_at, member.agency_timezone, caller.language),
                    by=escape(installed.installed_by or caller.text("sop.by_server")),
                    origin=caller.text(f"sop.origin_{installed.origin.value}"),
                    state=state,
                )
            )
        if len(sop.versions) > VERSIONS_SHOWN:
            lines.append(caller.text("sop.more_versions", count=len(sop.versions) - VERSIONS_SHOWN))
        if current is not None:
            label = caller.text("button.sop_document", title=shorten(sop.title, BUTTON_TITLE))
            keyboard.append([Button(label, callback(Action.SOP_DOCUMENT, current.install_id))])
    if listing.pages > 1:
        lines.append(caller.text("sop.page", page=listing.page + 1, pages=listing.pages))
        keyboard.append(_page_row(caller, listing.page, listing.pages, Action.SOP_PAGE))
    lines.append("")
    lines.append(caller.text("sop.footer"))
    review = listing.open_review
    if review is not None:
        label = caller.text("button.sop_resume", name=shorten(review.file_name, BUTTON_TITLE))
        show = callback(Action.SOP_REVIEW, review.draft_id, review.turn, Op.SHOW.value)
        keyboard.append([Button(label, show)])
    keyboard.append([Button(caller.text("button.sop_import"), callback(Action.SOP_IMPORT))])
    return "\n".join(lines), keyboard


def _page_row(
    caller: Caller, page: int, pages: int, action: Action, *before: str | int
) -> list[Button]:
    """◀️ ▶️ for a paged list (only the directions that lead somewhere)."""
    row: list[Button] = []
    if page > 0:
        row.append(Button(caller.text("button.page_previous"), callback(action, *before, page - 1)))
    if page + 1 < pages:
        row.append(Button(caller.text("button.page_next"), callback(action, *before, page + 1)))
    return row


async def ask_for_document(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int | None,
    caller: Caller,
    text_key: str = "sop.ask_document",
) -> None:
    """Wait for the admin's SOP document (their next file goes to the importer)."""
    keyboard = [[Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))]]
    await ask_question(
        context, chat_id, caller.member.id, DOCUMENT_QUESTION, {}, caller.text(text_key), keyboard
    )


@admins_only
async def import_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "➕ Impor SOP": ask for the document."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    await answer(query)
    chat = update.effective_chat
    await ask_for_document(context, chat.id if chat else None, caller)


@members_only
async def document_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "📄 Dokumen": the installed version drawn as the official document (PDF)."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    install_id = pressed.int_at(0) if pressed else None
    chat = update.effective_chat
    if install_id is None or chat is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        rendered = await in_thread(_service(caller).rendered, caller.member.id, install_id)
    except DomainError as refusal:
        await _refuse_press(query, caller, refusal)
        return
    caption = caller.text("sop.document_caption", title=rendered.title, version=rendered.version)
    await send_file(context, chat.id, rendered.content, rendered.file_name, caption)
    await answer(query)


# -- importing ---------------------------------------------------------------------------------


async def import_document(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    file_name: str,
    content: bytes,
    pending: PendingInput | None,
) -> None:
    """A document an admin sent as an SOP: import it and open its review. Sent while the
    review asks for its corrected .yaml, it is that draft's fix (and keeps its name)."""
    chat = update.effective_chat
    if chat is None:
        return
    fixing: int | None = None
    if pending is not None and pending.kind == DOCUMENT_QUESTION:
        await clear_prompt(context, chat.id, pending)
        await in_thread(caller.services.pending.clear, caller.member.id)
    elif pending is not None and pending.kind == FIX_QUESTION:
        draft_id = pending.payload.get("draft_id")
        fixing = draft_id if isinstance(draft_id, int) else None
    try:
        outcome = await in_thread(
            _service(caller).begin, caller.member.id, content, file_name, fixing=fixing
        )
    except DomainError:  # no longer an admin since the file was sent
        text = caller.text("status_report.not_admin")
        await send_html(None, text, context=context, chat_id=chat.id)
        return
    if isinstance(outcome, ImportRefused):
        await send_html(
            None, _refused_text(caller, file_name, outcome), context=context, chat_id=chat.id
        )
        return
    await _tell_import(context, chat.id, caller, file_name, outcome)
    await show_review(context, chat.id, caller, outcome.review)


def _refused_text(caller: Caller, file_name: str, refused: ImportRefused) -> str:
    if refused.yaml_expected:
        return caller.text("sop.yaml_expected", name=escape(file_name))
    if refused.refusal is not None:
        reason = escape(refused.refusal.text(caller.language))
    elif refused.file_refusal is not None:
        reason = file_refusal_text(caller.services.catalog, caller.language, refused.file_refusal)
    else:
        reason = ""
    return caller.text("sop.refused", name=escape(file_name), reason=reason)


async def _tell_import(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    caller: Caller,
    file_name: str,
    started: ImportStarted,
) -> None:
    """What was read: the replaced draft, the counts and the report."""
    lines: list[str] = []
    if started.replaced is not None:
        lines.append(caller.text("sop.replaced", name=escape(started.replaced)))
    summary = started.summary
    lines.append(
        caller.text(
            "sop.summary",
            name=escape(file_name),
            steps=summary.steps,
            roles=summary.roles,
            decisions=summary.decisions,
            undecided=summary.undecided,
        )
    )
    report = summary.report.render(caller.language, as_html=True)
    if report:
        lines += ["", caller.text("sop.report_header"), report]
    await send_html(None, "\n".join(lines), context=context, chat_id=chat_id)


# -- the review --------------------------------------------------------------------------------


async def show_review(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    caller: Caller,
    view: ReviewView,
    *,
    edit: int | None = None,
    query: Any = None,
    toast: str | None = None,
) -> None:
    """Show the review's question (editing message `edit`, or as a new message), wait for a
    typed answer where one is asked, answer the press `query` (with `toast`) once the
    question is on the screen, and send the preview's pictures."""
    text, keyboard = _review_message(caller, view)
    message_id: int | None = None
    if edit is not None:
        try:
            await edit_html(context, chat_id, edit, text, keyboard)
            message_id = edit
        except BadRequest as exc:  # too old to edit, or gone: the review goes on below it
            log.info("the review message %s could not be edited: %s", edit, exc)
    if message_id is None:
        message_id = await send_html(None, text, keyboard, context=context, chat_id=chat_id)
    pending = caller.services.pending
    member_id = caller.member.id
    if view.time is not None:
        await in_thread(pending.ask, member_id, TIME_QUESTION, {"draft_id": view.draft_id})
        if message_id is not None:
            await in_thread(pending.shown, member_id, TIME_QUESTION, message_id)
    elif view.fix is not None:
        await in_thread(pending.ask, member_id, FIX_QUESTION, {"draft_id": view.draft_id})
    else:
        await _forget_question(caller)
    if query is not None:  # before the pictures: Telegram's window for an answer is short
        await answer(query, toast)
    if view.preview is not None:
        await _send_pictures(context, chat_id, caller, view)


async def _send_pictures(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, caller: Caller, view: ReviewView
) -> None:
    preview = view.preview
    assert preview is not None  # noqa: S101 - checked by the caller
    pictures = await in_thread(_service(caller).preview_pictures, caller.member.id, view.draft_id)
    title = preview.definition.identity.name
    buttons = [
        [
            _review_button(caller, view, "button.install", Op.INSTALL),
            _review_button(caller, view, "button.cancel_import", Op.CANCEL),
        ]
    ]
    for page, picture in enumerate(pictures, start=1):
        caption = caller.text("sop.picture_caption", title=title, page=page, pages=len(pictures))
        keyboard = buttons if page == len(pictures) else None
        await send_picture(context, chat_id, picture, caption, keyboard)


def _review_button(
    caller: Caller, view: ReviewView, label: str, op: Op, number: int | None = None, **params: Any
) -> Button:
    """A button of the review's current turn, its label from the catalog."""
    return _review_choice(view, caller.text(label, **params), op, number)


def _review_choice(view: ReviewView, text: str, op: Op, number: int | None = None) -> Button:
    """A button of the review's current turn, labelled as given (a role, a position, a time)."""
    parts: list[str | int] = [view.draft_id, view.turn, op.value]
    if number is not None:
        parts.append(number)
    return Button(text, callback(Action.SOP_REVIEW, *parts))


def _review_message(caller: Caller, view: ReviewView) -> tuple[str, Keyboard]:
    if view.executor is not None:
        return _executor_message(caller, view, view.executor)
    if view.time is not None:
        return _time_message(caller, view, view.time)
    if view.role is not None:
        return _role_message(caller, view, view.role)
    if view.preview is not None:
        return _preview_message(caller, view.preview), []
    assert view.fix is not None  # noqa: S101 - the one stage left
    return _fix_message(caller, view, view.fix)


def _cancel_row(caller: Caller, view: ReviewView) -> list[Button]:
    return [_review_button(caller, view, "button.cancel_import", Op.CANCEL)]


def _executor_message(
    caller: Caller, view: ReviewView, question: ExecutorQuestion
) -> tuple[str, Keyboard]:
    step = question.step
    names = {role.key: role.name for role in question.roles}
    activity = escape(shorten(step.activity, 300))
    number, total = step.index + 1, question.total
    if step.executor_undecided:
        suggested = names.get(step.suggestion or "")
        suggestion = caller.text("sop.suggestion", role=escape(suggested)) if suggested else ""
        lines = [
            caller.text(
                "sop.executor_undecided",
                number=number,
                total=total,
                activity=activity,
                suggestion=suggestion,
            )
        ]
    else:
        roles = ", ".join(names.get(key, key) for key in step.executors)
        lines = [
            caller.text(
                "sop.executor_read",
                number=number,
                total=total,
                activity=activity,
                roles=escape(roles),
            )
        ]
    if question.how is not None:
        how = f"{question.how.text(caller.language, as_html=True)} ({escape(question.how.where)})"
        lines.append(caller.text("sop.how", how=how))
    keyboard: Keyboard = []
    role_buttons: list[Button] = []
    if question.several:
        picked = ", ".join(names.get(key, key) for key in question.picked)
        lines.append(
            caller.text(
                "sop.pick_several", picked=escape(picked) or caller.text("sop.nothing_picked")
            )
        )
        for index, role in enumerate(question.roles):
            mark = CHOSEN if role.key in question.picked else ""
            role_buttons.append(
                _review_choice(view, mark + shorten(role.name, 40), Op.TOGGLE, index)
            )
        keyboard += _pairs(role_buttons)
        if question.picked:
            keyboard.append([_review_button(caller, view, "button.next", Op.NEXT)])
    else:
        lines.append(
            caller.text("sop.pick_undecided" if step.executor_undecided else "sop.pick_one")
        )
        if not step.executor_undecided:
            keyboard.append([_review_button(caller, view, "button.correct", Op.CONFIRM)])
        for index, role in enumerate(question.roles):
            role_buttons.append(_review_choice(view, shorten(role.name, 40), Op.PICK, index))
        keyboard += _pairs(role_buttons)
        keyboard.append([_review_button(caller, view, "button.several", Op.SEVERAL)])
    if question.rest_decided and not step.executor_undecided:
        keyboard.append([_review_button(caller, view, "button.correct_rest", Op.REST)])
    keyboard.append(_cancel_row(caller, view))
    return "\n".join(lines), keyboard


def _time_message(caller: Caller, view: ReviewView, question: TimeQuestion) -> tuple[str, Keyboard]:
    step = question.step
    params = {
        "number": escape(step.label),
        "activity": escape(shorten(step.activity, 300)),
        "written": escape(step.time_written),
    }
    if not step.time_written:
        key = "sop.time_missing"
    elif question.candidates:
        key = "sop.time_question"
    else:
        key = "sop.time_typed"
    keyboard: Keyboard = [
        [
            _review_choice(view, candidate, Op.TIME, i)
            for i, candidate in enumerate(question.candidates)
        ]
    ]
    keyboard = [row for row in keyboard if row]
    keyboard.append(_cancel_row(caller, view))
    return caller.text(key, **params), keyboard


def _fix_message(caller: Caller, view: ReviewView, fix: FixNeeded) -> tuple[str, Keyboard]:
    marked = {m.line for m in fix.open_marks}
    items = [caller.text("sop.fix_mark", line=m.line, key=escape(m.key)) for m in fix.open_marks]
    items += [
        caller.text("sop.fix_problem", problem=escape(shorten(str(p), 300)))
        for p in fix.problems
        if p.line not in marked
    ]
    # Listed up to MARKS_SHOWN, the rest counted: the message (and its instructions at the
    # end) stays within Telegram's 4096 characters.
    lines = [caller.text("sop.fix_header", name=escape(view.file_name)), *items[:MARKS_SHOWN]]
    if len(items) > MARKS_SHOWN:
        lines.append(caller.text("sop.fix_more", count=len(items) - MARKS_SHOWN))
    lines.append(caller.text("sop.fix_footer"))
    keyboard = [
        [_review_button(caller, view, "button.send_draft", Op.YAML)],
        _cancel_row(caller, view),
    ]
    return "\n".join(lines), keyboard


def _role_message(caller: Caller, view: ReviewView, question: RoleQuestion) -> tuple[str, Keyboard]:
    lines = [
        caller.text(
            "sop.role_question",
            number=question.number,
            total=question.total,
            role=escape(question.role.name),
        )
    ]
    if question.existing:
        existing = ", ".join(p.name for p in question.existing)
        lines.append(caller.text("sop.role_existing", positions=escape(existing)))
    chosen = [p.name for p in question.picked]
    if chosen:
        lines.append(caller.text("sop.role_picked", positions=escape(", ".join(chosen))))
    if not question.positions and not question.existing:
        lines.append(caller.text("sop.role_no_positions"))
    lines.append(caller.text("sop.role_skip_warning"))
    picked = {p.id for p in question.picked}
    buttons = [
        _review_choice(
            view, (CHOSEN if p.id in picked else "") + shorten(p.name, 40), Op.TOGGLE, p.id
        )
        for p in question.positions
    ]
    keyboard = _pairs(buttons)
    if question.pages > 1:
        lines.append(caller.text("sop.page", page=question.page + 1, pages=question.pages))
        paging = []
        if question.page > 0:
            paging.append(
                _review_button(caller, view, "button.page_previous", Op.PAGE, question.page - 1)
            )
        if question.page + 1 < question.pages:
            paging.append(
                _review_button(caller, view, "button.page_next", Op.PAGE, question.page + 1)
            )
        keyboard.append(paging)
    last_row = [_review_button(caller, view, "button.skip_role", Op.SKIP)]
    if question.picked or question.existing:
        last_row.insert(0, _review_button(caller, view, "button.next", Op.NEXT))
    keyboard.append(last_row)
    keyboard.append(_cancel_row(caller, view))
    return "\n".join(lines), keyboard


def _preview_message(caller: Caller, preview: Preview) -> str:
    definition = preview.definition
    lines = [
        caller.text(
            "sop.preview",
            title=escape(definition.identity.name),
            sop_id=escape(definition.id),
            version=escape(definition.version),
        )
    ]
    if preview.current is not None and preview.current.digest != definition.digest:
        lines.append(
            caller.text(
                "sop.preview_replaces",
                title=escape(preview.current_title),
                sop_id=escape(preview.current.sop_id),
                version=escape(preview.current.version),
            )
        )
    lines += [
        caller.text("sop.preview_mapped", role=escape(role), positions=escape(", ".join(names)))
        for role, names in preview.mapped
    ]
    if preview.unmapped:
        lines.append(caller.text("sop.preview_unmapped", roles=escape(", ".join(preview.unmapped))))
    return "\n".join(lines)


def _pairs(buttons: list[Button]) -> Keyboard:
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


@members_only
async def review_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A button of an import's review, checked by the service against the review as it is."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    draft_id = pressed.int_at(0) if pressed else None
    turn = pressed.int_at(1) if pressed else None
    op = pressed.part(2) if pressed else None
    number = pressed.int_at(3) if pressed and len(pressed.parts) > 3 else None
    chat = update.effective_chat
    message = query.message
    if draft_id is None or turn is None or op is None or chat is None or message is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    service = _service(caller)
    member_id = caller.member.id
    try:
        if op == Op.CANCEL.value:
            name = await in_thread(service.cancel, member_id, draft_id)
            await remove_buttons(query, context)
            await send_html(
                None,
                caller.text("sop.cancelled", name=escape(name)),
                context=context,
                chat_id=chat.id,
            )
            await _forget_question(caller)
            await answer(query)
            return
        if op == Op.YAML.value:
            draft = await in_thread(service.draft_file, member_id, draft_id)
            caption = caller.text("sop.draft_caption", name=draft.file_name)
            await send_file(context, chat.id, draft.content, draft.file_name, caption)
            await answer(query)
            return
        if op == Op.SHOW.value:  # "▶️ Lanjutkan impor" under /sop
            if not await _show_again(context, chat.id, caller, draft_id, query=query):
                await answer(query, caller.text("answer.invalid_button"), show_alert=True)
            return
        if op == Op.INSTALL.value:
            await _install(update, context, caller, draft_id, turn)
            return
        view = await in_thread(service.press, member_id, draft_id, turn, op, number)
    except DomainError as refusal:
        # A press of the presser's own open review that is no longer its current turn (the
        # inbox replaying a press whose answer was lost, a double tap, an old screen): the
        # current question again, so the review never ends in a dead end.
        if isinstance(refusal, NotFound) and await _show_again(
            context, chat.id, caller, draft_id, edit=message.message_id, query=query, stale=turn
        ):
            return
        await _refuse_press(query, caller, refusal)
        return
    # Answered once the review shows its next question: the press's spinner ends with it.
    await show_review(context, chat.id, caller, view, edit=message.message_id, query=query)


async def _show_again(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    caller: Caller,
    draft_id: int,
    *,
    edit: int | None = None,
    query: Any = None,
    stale: int | None = None,
) -> bool:
    """Show the current question of the caller's open review `draft_id` again (editing
    message `edit`, or below); False when the caller has no such open review, or when the
    review's turn is still `stale` (a forged button of the current question)."""
    try:
        view = await in_thread(_service(caller).open_review, caller.member.id)
    except DomainError:
        return False
    if view is None or view.draft_id != draft_id or view.turn == stale:
        return False
    toast = caller.text("sop.review_again") if query is not None else None
    await show_review(context, chat_id, caller, view, edit=edit, query=query, toast=toast)
    return True


async def _install(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, draft_id: int, turn: int
) -> None:
    """ "📥 Pasang": install, then say which version runs now; when another version was
    installed since the preview, say so and show the preview again."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None  # noqa: S101 - checked by the caller
    assert chat is not None  # noqa: S101 - checked by the caller
    service = _service(caller)
    try:
        outcome = await in_thread(
            service.install, command_key(update, context), caller.member.id, draft_id, turn
        )
    except CatalogMovedOn as moved:
        await remove_buttons(query, context)
        view = await in_thread(service.rebase_preview, caller.member.id, draft_id)
        title = view.preview.definition.identity.name if view.preview else str(moved)
        text = caller.text("sop.install_outdated", title=escape(title))
        await send_html(None, text, context=context, chat_id=chat.id)
        await show_review(context, chat.id, caller, view, query=query)
        return
    await remove_buttons(query, context)
    installed = outcome.result
    key = "sop.installed" if installed.changed else "sop.unchanged"
    lines = [
        caller.text(
            key,
            title=escape(installed.title),
            version=escape(installed.version),
            sop_id=escape(installed.sop_id),
        )
    ]
    if installed.mapped:
        lines.append(caller.text("sop.installed_mapped", count=installed.mapped))
    if installed.unmapped:
        lines.append(caller.text("sop.installed_unmapped", roles=escape(installed.unmapped)))
    await send_html(None, "\n".join(lines), context=context, chat_id=chat.id)
    await _forget_question(caller)
    await answer(query)


async def _forget_question(caller: Caller) -> None:
    """The review ended, or asks nothing typed: the bot waits for no typed time or corrected
    .yaml of it any more (a question of another feature stays)."""
    pending = caller.services.pending
    waiting = await in_thread(pending.peek, caller.member.id)
    if waiting is not None and waiting.kind in (TIME_QUESTION, FIX_QUESTION):
        await in_thread(pending.clear, caller.member.id)


async def _refuse_press(query: Any, caller: Caller, refusal: DomainError) -> None:
    key = "status_report.not_admin" if refusal.code == "not_allowed" else "answer.invalid_button"
    await answer(query, caller.text(key), show_alert=True)


# -- typed answers -----------------------------------------------------------------------------


async def answer_text(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    pending: PendingInput,
    text: str,
) -> None:
    """Text typed while the review waits: a standard time, or (by mistake) instead of a file."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None:
        return
    if pending.kind == DOCUMENT_QUESTION:
        await ask_for_document(context, chat.id, caller, "sop.send_a_document")
        return
    draft_id = pending.payload.get("draft_id")
    if not isinstance(draft_id, int):
        await send_html(message, caller.text("answer.invalid_button"), context=context)
        return
    if pending.kind == FIX_QUESTION:  # the corrected .yaml is a file: the question stays
        await in_thread(
            caller.services.pending.ask, caller.member.id, FIX_QUESTION, pending.payload
        )
        await send_html(message, caller.text("sop.send_a_yaml"), context=context)
        return
    service = _service(caller)
    try:
        view = await in_thread(service.answer_time, caller.member.id, draft_id, text)
    except InvalidStandardTime:
        await send_html(
            message, caller.text("sop.time_invalid", time=escape(text[:50])), context=context
        )
        try:
            view = await in_thread(service.view, caller.member.id, draft_id)
        except DomainError:  # the review ended, or the admin is one no more, meanwhile
            return
    except DomainError:
        await send_html(message, caller.text("answer.invalid_button"), context=context)
        return
    await show_review(context, chat.id, caller, view)


async def question_expired(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A typed answer to a review's question that waited too long: the review is still open,
    so its current question is shown again (and waits again)."""
    chat = update.effective_chat
    if chat is None:
        return
    try:
        view = await in_thread(_service(caller).open_review, caller.member.id)
    except DomainError:
        view = None
    if view is None:
        await send_html(update.effective_message, caller.text("ask.expired"), context=context)
        return
    await show_review(context, chat.id, caller, view)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /sop and the buttons of its list and of an import's review."""
    application.add_handler(CommandHandler("sop", sop_command, filters=filters.ChatType.PRIVATE))
    application.add_handler(
        CallbackQueryHandler(import_pressed, pattern=f"^{Action.SOP_IMPORT.value}$")
    )
    application.add_handler(
        CallbackQueryHandler(document_pressed, pattern=f"^{Action.SOP_DOCUMENT.value}:")
    )
    application.add_handler(
        CallbackQueryHandler(review_pressed, pattern=f"^{Action.SOP_REVIEW.value}:")
    )
    application.add_handler(
        CallbackQueryHandler(page_pressed, pattern=f"^{Action.SOP_PAGE.value}:")
    )

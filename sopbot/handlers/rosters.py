"""/impor_pegawai (/roster, agency admins): an agency's people and positions from one staff list.

The admin is asked for the file (a pending question, with the template to fill in); the file
comes through `handlers/uploads.py`, which downloads it within Telegram's limit and hands it
here when the bot asked for it or when it is captioned /impor_pegawai. The preview is one
message, paged with ◀️ ▶️, with "Buat" and "Batal"; after "Buat", each person's invitation link
is listed (as messages and as an Excel file) for the admin to pass on. Every button names the
roster and its turn only; `sopbot.services.roster_imports` checks that the roster is the
presser's own, open, of their agency, and of that turn.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.documents.roster_files import links_workbook, template_workbook
from sopbot.documents.roster_reading import RosterRefusal
from sopbot.engine.errors import DomainError
from sopbot.handlers.common import (
    Caller,
    admins_only,
    answer,
    ask_question,
    clear_prompt,
    command_key,
    edit_html,
    in_thread,
    remove_buttons,
    send_file,
    send_html,
)
from sopbot.messaging.formatting import escape, local_time, shorten, utf16_length
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, decode
from sopbot.messaging.numbers import megabytes, quantity
from sopbot.services.pending import PendingInput
from sopbot.services.roster_imports import (
    IssuedInvitation,
    NotAnAdmin,
    RosterApplied,
    RosterChanged,
    RosterImportService,
    RosterRefused,
    RosterView,
)
from sopbot.services.roster_plan import SkippedRow
from sopbot.storage.file_types import Refusal as FileRefusal

ROSTER_QUESTION = "roster_file"
"""The pending question: the admin's next file is a staff list."""
COMMANDS = ("impor_pegawai", "roster")
PAGE_BUDGET = 3000
"""UTF-16 units of a preview page's lists (the page's head and instruction take the rest of
Telegram's 4096)."""
LINKS_IN_MESSAGES = 100
"""Invitation links listed in messages; a longer list is in the Excel file only."""
BUTTON_NAME = 30  # characters of a file name on a button

_SKIP_ORDER = (
    "no_name",
    "no_position",
    "nip_as_number",
    "nip_rounded",
    "nip_length",
    "nip_not_digits",
    "username_invalid",
    "too_long",
    "nip_twice",
    "nip_of_member",
    "name_twice",
    "name_of_member",
    "username_twice",
    "username_of_member",
)


class Op(StrEnum):
    """What a preview button asks for (travels in its callback data)."""

    PAGE = "p"  # ◀️ ▶️: another page of the preview, in the same message
    CREATE = "ok"  # ✅ Buat
    CANCEL = "x"  # ✖️ Batal
    SHOW = "s"  # ▶️ Pratinjau: the open roster's preview again (from /impor_pegawai)


def _service(caller: Caller) -> RosterImportService:
    services = caller.services
    return RosterImportService(services.procedures, clock=services.clock)


def wants_roster(caption: str | None) -> bool:
    """True for a document captioned /impor_pegawai or /roster."""
    command = (caption or "").split(maxsplit=1)[0].lower() if caption else ""
    return any(command == f"/{c}" or command.startswith(f"/{c}@") for c in COMMANDS)


# -- asking for the file -------------------------------------------------------------------------


@admins_only
async def roster_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/impor_pegawai: ask for the staff list, with the template to fill in."""
    chat = update.effective_chat
    if chat is None:
        return
    waiting = await in_thread(_service(caller).open_roster, caller.member.id)
    lines = [caller.text("roster.ask")]
    keyboard: Keyboard = []
    if waiting is not None:
        lines += ["", caller.text("roster.open_preview", name=escape(waiting.file_name))]
        label = caller.text("roster.button_show", name=shorten(waiting.file_name, BUTTON_NAME))
        show = callback(Action.ROSTER, waiting.roster_id, waiting.turn, Op.SHOW.value)
        keyboard.append([Button(label, show)])
    keyboard.append([Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))])
    member_id = caller.member.id
    await ask_question(context, chat.id, member_id, ROSTER_QUESTION, {}, "\n".join(lines), keyboard)
    template = await in_thread(template_workbook, caller.text("roster.template_sheet"))
    name, caption = caller.text("roster.template_file"), caller.text("roster.template_caption")
    await send_file(context, chat.id, template, name, caption)


async def roster_question(caller: Caller, pending: PendingInput | None) -> PendingInput | None:
    """The open question for a staff list, if the bot waits for one from this admin. An admin
    demoted since the bot asked has it cleared: their file is an upload like anyone's."""
    if pending is None or pending.expired or pending.kind != ROSTER_QUESTION:
        return None
    if not caller.member.is_admin:
        await in_thread(caller.services.pending.clear, caller.member.id)
        return None
    return pending


async def answer_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, pending: PendingInput
) -> None:
    """Text typed while the bot waits for the staff list: it asks for the file again."""
    chat = update.effective_chat
    keyboard = [[Button(caller.text("button.cancel"), callback(Action.CANCEL_INPUT))]]
    await ask_question(
        context,
        chat.id if chat else None,
        caller.member.id,
        ROSTER_QUESTION,
        pending.payload,
        caller.text("roster.send_a_file"),
        keyboard,
    )


# -- the file ------------------------------------------------------------------------------------


async def import_roster(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    file_name: str,
    content: bytes,
    pending: PendingInput | None,
) -> None:
    """A staff list an admin sent: read it and show what importing it would do."""
    chat = update.effective_chat
    if chat is None:
        return
    if pending is not None and pending.kind == ROSTER_QUESTION:
        await clear_prompt(context, chat.id, pending)
        await in_thread(caller.services.pending.clear, caller.member.id)
    service = _service(caller)
    try:
        found = await in_thread(
            service.begin, command_key(update, context), caller.member.id, content, file_name
        )
        if isinstance(found, RosterRefused):
            text = _refused_text(caller, file_name, found)
            await send_html(None, text, context=context, chat_id=chat.id)
            return
        view = await in_thread(service.view, caller.member.id, found.roster_id)
    except NotAnAdmin:  # no longer an admin since the file was sent
        text = caller.text("status_report.not_admin")
        await send_html(None, text, context=context, chat_id=chat.id)
        return
    except DomainError:  # handled before, and confirmed or replaced since
        await send_html(None, caller.text("roster.not_open"), context=context, chat_id=chat.id)
        return
    if found.replaced is not None:
        text = caller.text("roster.replaced", name=escape(found.replaced))
        await send_html(None, text, context=context, chat_id=chat.id)
    await show_preview(context, chat.id, caller, view)


_UPLOAD_KEYS = {
    FileRefusal.NOT_ACCEPTED: "roster.upload_not_accepted",
    FileRefusal.MACROS: "roster.upload_macros",
    FileRefusal.ACTIVE_CONTENT: "roster.upload_active_content",
    FileRefusal.FORMULA: "roster.upload_formula",
    FileRefusal.ARCHIVE: "roster.upload_archive",
    FileRefusal.ENCRYPTED: "roster.upload_encrypted",
}


def _refused_text(caller: Caller, file_name: str, refused: RosterRefused) -> str:
    if refused.upload is not None:
        reason = caller.text(_UPLOAD_KEYS[refused.upload])
    else:
        assert refused.reading is not None  # noqa: S101 - one of the two is set
        reason = _reading_refusal(caller, refused.reading)
    return caller.text("roster.refused", name=escape(file_name), reason=reason)


def _reading_refusal(caller: Caller, refusal: RosterRefusal) -> str:
    key = f"roster.refused_{refusal.reason.value}"
    if refusal.reason.value == "unreadable" and refusal.row is not None:
        key = "roster.refused_unreadable_row"
    limit: object = refusal.limit
    if refusal.reason.value == "too_big" and refusal.limit is not None:
        limit = megabytes(refusal.limit, caller.language)
    elif isinstance(limit, int):
        limit = quantity(limit, caller.language)
    params = {"row": refusal.row, "column": escape(refusal.column or ""), "limit": limit}
    return caller.text(key, **params)


# -- the preview -----------------------------------------------------------------------------------


async def show_preview(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    caller: Caller,
    view: RosterView,
    *,
    page: int = 0,
    edit: int | None = None,
) -> None:
    """One page of the preview, with its buttons: as a new message, or editing `edit`."""
    pages = preview_pages(caller, view)
    page = min(max(page, 0), len(pages) - 1)
    keyboard = _preview_keyboard(caller, view, page, len(pages))
    if edit is not None:
        await edit_html(context, chat_id, edit, pages[page], keyboard)
    else:
        await send_html(None, pages[page], keyboard, context=context, chat_id=chat_id)


def preview_pages(caller: Caller, view: RosterView) -> list[str]:
    """The preview as pages, each within a message: the head, a share of the lists, and
    what to do."""
    counts = view.counts
    language = caller.language
    where = (
        caller.text("roster.where_sheet", sheet=escape(view.sheet), row=view.header_row)
        if view.sheet
        else caller.text("roster.where_csv", row=view.header_row)
    )
    head = [
        caller.text("roster.preview", name=escape(view.file_name), where=where),
        caller.text(
            "roster.counts",
            members=quantity(counts.members, language),
            positions=quantity(counts.new_positions, language),
            existing=quantity(counts.existing_positions, language),
            skipped=quantity(counts.skipped_rows, language),
        ),
    ]
    if not view.has_nip:
        head.append(caller.text("roster.no_nip_column"))
    instruction = caller.text(
        "roster.instruction" if view.plan.members else "roster.nothing_to_create"
    )
    chunks = _paged(_detail_lines(caller, view), PAGE_BUDGET)
    texts = []
    for number, chunk in enumerate(chunks, start=1):
        parts = ["\n".join(head), "\n".join(chunk)]
        if len(chunks) > 1:
            parts.append(caller.text("roster.page", page=number, pages=len(chunks)))
        parts.append(instruction)
        texts.append("\n\n".join(part for part in parts if part))
    return texts


def _paged(lines: Sequence[str], budget: int) -> list[list[str]]:
    """The lines in pages of at most `budget` UTF-16 units (a longer line alone on its page)."""
    pages: list[list[str]] = [[]]
    used = 0
    for line in lines:
        size = utf16_length(line) + 1
        if pages[-1] and used + size > budget:
            pages.append([])
            used = 0
        pages[-1].append(line)
        used += size
    return pages


def _detail_lines(caller: Caller, view: RosterView) -> list[str]:
    """The preview's lists: new and existing positions, spellings to check, rows not
    imported (grouped by why), people to create."""
    plan = view.plan
    lines: list[str] = []
    for key, positions in (
        ("roster.new_positions", plan.new_positions),
        ("roster.existing_positions", plan.existing_positions),
    ):
        if positions:
            lines.append(caller.text(key, count=quantity(len(positions), caller.language)))
            lines += [
                caller.text("roster.position_item", name=escape(p.name), count=len(p.rows))
                for p in positions
            ]
    if plan.similar:
        lines.append(caller.text("roster.similar_header"))
        for similar in plan.similar:
            key = "roster.similar_existing" if similar.existing else "roster.similar_in_file"
            where = ", ".join(str(row) for row in similar.rows)
            lines.append(
                caller.text(key, name=escape(similar.name), rows=where, like=escape(similar.like))
            )
    if plan.skipped:
        rows = len({skip.row for skip in plan.skipped})
        lines.append(caller.text("roster.skipped_header", count=quantity(rows, caller.language)))
        lines += _skipped_lines(caller, plan.skipped)
    if plan.members:
        count = quantity(len(plan.members), caller.language)
        lines.append(caller.text("roster.members_header", count=count))
        for member in plan.members:
            details = "".join(
                f" · {part}"
                for part in (
                    caller.text("roster.nip", nip=member.nip) if member.nip else "",
                    f"@{escape(member.username)}" if member.username else "",
                )
                if part
            )
            lines.append(
                caller.text(
                    "roster.member_item",
                    row=member.row,
                    name=escape(member.name),
                    position=escape(member.position_name),
                    details=details,
                )
            )
    return lines


def _skipped_lines(caller: Caller, skipped: Sequence[SkippedRow]) -> list[str]:
    """The rows not imported, under the reason of each group (in a fixed order)."""
    order = {reason: index for index, reason in enumerate(_SKIP_ORDER)}
    ordered = sorted(skipped, key=lambda s: (order.get(s.reason, len(order)), s.row))
    lines: list[str] = []
    for reason, group in itertools.groupby(ordered, key=lambda s: s.reason):
        lines.append(caller.text(f"roster.skip_{reason}"))
        for skip in group:
            parts = [
                escape(skip.name) if skip.name else "",
                f"<code>{escape(skip.value)}</code>" if skip.value else "",
                caller.text("roster.same_as_row", row=skip.other_row) if skip.other_row else "",
                caller.text("roster.registered_as", name=escape(skip.member))
                if skip.member
                else "",
            ]
            details = "".join(f" · {part}" for part in parts if part)
            lines.append(caller.text("roster.skip_item", row=skip.row, details=details))
    return lines


def _preview_keyboard(caller: Caller, view: RosterView, page: int, pages: int) -> Keyboard:
    assert view.roster_id is not None  # noqa: S101 - a stored roster
    roster_id, turn = view.roster_id, view.turn
    keyboard: Keyboard = []
    if pages > 1:
        paging = []
        if page > 0:
            data = callback(Action.ROSTER, roster_id, turn, Op.PAGE.value, page - 1)
            paging.append(Button(caller.text("button.page_previous"), data))
        if page + 1 < pages:
            data = callback(Action.ROSTER, roster_id, turn, Op.PAGE.value, page + 1)
            paging.append(Button(caller.text("button.page_next"), data))
        keyboard.append(paging)
    last: list[Button] = []
    if view.plan.members:
        label = caller.text("roster.button_create", count=len(view.plan.members))
        last.append(Button(label, callback(Action.ROSTER, roster_id, turn, Op.CREATE.value)))
    cancel = callback(Action.ROSTER, roster_id, turn, Op.CANCEL.value)
    last.append(Button(caller.text("roster.button_cancel"), cancel))
    keyboard.append(last)
    return keyboard


# -- the buttons -----------------------------------------------------------------------------------


@admins_only
async def roster_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A button of a roster's preview, checked by the service against the roster as it is."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    roster_id = pressed.int_at(0) if pressed else None
    turn = pressed.int_at(1) if pressed else None
    op = pressed.part(2) if pressed else None
    chat = update.effective_chat
    if roster_id is None or turn is None or op not in set(Op) or chat is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    service = _service(caller)
    try:
        if op == Op.CREATE:
            await _create(update, context, caller, roster_id, turn)
            return
        if op == Op.CANCEL:
            key = command_key(update, context)
            name = await in_thread(service.cancel, key, caller.member.id, roster_id)
            await remove_buttons(query, context)
            text = caller.text("roster.cancelled", name=escape(name))
            await send_html(None, text, context=context, chat_id=chat.id)
            await answer(query)
            return
        view = await in_thread(service.view, caller.member.id, roster_id)
    except DomainError:
        await answer(query, caller.text("roster.not_open"), show_alert=True)
        return
    page = (pressed.int_at(3) if pressed else None) or 0
    message = query.message
    if op == Op.PAGE and message is not None:
        await show_preview(context, chat.id, caller, view, page=page, edit=message.message_id)
    else:
        await show_preview(context, chat.id, caller, view)
    await answer(query)


async def _create(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, roster_id: int, turn: int
) -> None:
    """ "Buat": create everything, then list each person's invitation link. When the agency
    changed since the preview, nothing is created: the new preview is shown."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None  # noqa: S101 - checked by the caller
    assert chat is not None  # noqa: S101 - checked by the caller
    service = _service(caller)
    try:
        applied = await in_thread(
            service.confirm, command_key(update, context), caller.member.id, roster_id, turn
        )
    except RosterChanged:
        await remove_buttons(query, context)
        view = await in_thread(service.rebase, caller.member.id, roster_id, turn)
        await send_html(None, caller.text("roster.changed"), context=context, chat_id=chat.id)
        await show_preview(context, chat.id, caller, view)
        await answer(query)
        return
    await remove_buttons(query, context)
    await answer(query)
    confirmed = applied.confirmed
    if applied.replayed:
        text = caller.text(
            "roster.already_created",
            name=escape(confirmed.file_name),
            members=quantity(confirmed.members, caller.language),
        )
        await send_html(None, text, context=context, chat_id=chat.id)
        return
    await send_links(context, chat.id, caller, applied)


async def send_links(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, caller: Caller, applied: RosterApplied
) -> None:
    """What was created, each person's invitation link to pass on, and the same as a file."""
    confirmed = applied.confirmed
    member = caller.member
    language = caller.language
    expires = local_time(confirmed.expires_at, member.agency_timezone, language)
    lines = [
        caller.text(
            "roster.created",
            members=quantity(confirmed.members, language),
            positions=quantity(confirmed.new_positions, language),
            name=escape(confirmed.file_name),
        ),
        caller.text("roster.pass_on", expires=expires),
        "",
    ]
    invitations = applied.invitations
    link = caller.services.bot_username
    if len(invitations) <= LINKS_IN_MESSAGES:
        lines += [
            caller.text(
                "roster.link_item",
                number=number,
                name=escape(invitation.name),
                position=escape(invitation.position),
                only=(
                    caller.text("roster.only_account", username=escape(invitation.username))
                    if invitation.username
                    else ""
                ),
                link=escape(_link(link, invitation.token)),
            )
            for number, invitation in enumerate(invitations, start=1)
        ]
    else:
        count = quantity(len(invitations), language)
        lines.append(caller.text("roster.links_in_file", count=count))
    await send_html(None, "\n".join(lines), context=context, chat_id=chat_id)
    if invitations:
        content = await in_thread(_links_file, caller, invitations, expires)
        made = caller.services.clock().astimezone(ZoneInfo(member.agency_timezone)).date()
        name = caller.text("roster.links_file", date=made.isoformat())
        caption = caller.text(
            "roster.links_caption", count=quantity(len(invitations), language), expires=expires
        )
        await send_file(context, chat_id, content, name, caption)


def _link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def _links_file(caller: Caller, invitations: Sequence[IssuedInvitation], expires: str) -> bytes:
    headers = [
        caller.text(f"roster.file_{column}")
        for column in ("number", "name", "position", "nip", "username", "link", "expires")
    ]
    rows: list[list[str | int]] = [
        [
            number,
            invitation.name,
            invitation.position,
            invitation.nip or "",
            f"@{invitation.username}" if invitation.username else "",
            _link(caller.services.bot_username, invitation.token),
            expires,
        ]
        for number, invitation in enumerate(invitations, start=1)
    ]
    return links_workbook(caller.text("roster.links_sheet"), headers, rows)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /impor_pegawai (/roster) and the buttons of a roster's preview."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler(list(COMMANDS), roster_command, filters=private))
    application.add_handler(
        CallbackQueryHandler(roster_pressed, pattern=f"^{Action.ROSTER.value}:")
    )

"""/cari (search the agency's procedures), /arsip (those that ended, newest first) and
/ekspor NO (a procedure's documents and the PDF of its history, as a zip for an auditor).

/cari takes words and filters in one line (`sopbot.engine.archive_query` reads them; /cari
alone shows how). The results come eight to a page, a button per procedure (its id) and arrows
(the page number): nothing else travels in a button. A page's search is the one its own message
shows on its first line (`🔎 /cari ...`, written by the bot, which the person cannot edit), read
back with the same reader; the search then runs again for the member pressing, so a button
never shows what its presser may not see. A procedure's button opens its summary and history,
with "📦 Ekspor"; the service checks every id against the presser's agency and rights (an
admin: every procedure of the agency; anyone else: those they were part of).

An export is built in a worker thread (hashing every file, a PDF, a zip) and sent as a
document; one over Telegram's 50 MB is refused with the command that writes it on the server.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.engine.archive_query import ArchiveQuery, QueryError, parse_query, query_text
from sopbot.engine.errors import NotAllowed, NotFound
from sopbot.engine.instance import InstanceState
from sopbot.handlers.common import (
    Caller,
    answer,
    edit_html,
    heavy_jobs,
    in_thread,
    members_only,
    procedure_number,
    refuse,
    say_here,
    send_file,
)
from sopbot.handlers.reports import timeline
from sopbot.messaging.formatting import escape, local_time, shorten
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, decode
from sopbot.messaging.letters import letter_line
from sopbot.messaging.numbers import megabytes, quantity
from sopbot.services.archive import (
    ArchiveCard,
    ArchiveItem,
    ArchivePage,
    ArchiveService,
    ArchiveTooLarge,
    ExportedArchive,
)

BUTTON_TEXT = 60  # characters of a title on a button
TITLE_TEXT = 90  # characters of a title on a line of results
SOP_TEXT = 70  # characters of an SOP's name there: eight results keep to one message, so the
# page's buttons stay under the message whose first line names the search
SEARCH_COMMAND = "/cari"
"""How a results page names its search on its first line (in every language)."""


def _archive(caller: Caller) -> ArchiveService:
    archive = caller.services.archive
    assert archive is not None  # noqa: S101 - the composition root wires it
    return archive


def _typed_after_command(update: Update) -> str:
    """What the member typed after the command, quotes and all (context.args would split a
    quoted name)."""
    message = update.effective_message
    text = (message.text if message else None) or ""
    parts = text.split(None, 1)  # the command, then the rest (after a space or a line break)
    return parts[1].strip() if len(parts) > 1 else ""


# -- /cari and /arsip --------------------------------------------------------------------


@members_only
async def search_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/cari WORDS AND FILTERS: the first page of what they find; /cari alone: how to."""
    typed = _typed_after_command(update)
    if not typed:
        await say_here(update, context, _usage(caller))
        return
    query = await _read(update, context, caller, typed)
    if query is None:
        return
    if query.is_empty:
        await say_here(update, context, _usage(caller))
        return
    await _send_page(update, context, caller, query, 0)


@members_only
async def archive_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/arsip [WORDS AND FILTERS]: the procedures that ended, newest first."""
    query = await _read(update, context, caller, _typed_after_command(update))
    if query is not None:
        await _send_page(update, context, caller, query.ended(), 0)


async def _read(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, typed: str
) -> ArchiveQuery | None:
    """The search typed, or None once the member is told what cannot be read in it."""
    try:
        return parse_query(typed)
    except QueryError as problem:
        params = {name: escape(value) for name, value in problem.params.items()}
        text = "\n".join(
            [
                caller.text(f"archive.query.{problem.problem.value}", **params),
                caller.text("archive.query.help"),
            ]
        )
        await say_here(update, context, text)
        return None


async def _send_page(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    query: ArchiveQuery,
    page: int,
) -> None:
    try:
        found = await in_thread(_archive(caller).search, caller.member.id, query, page=page)
    except NotAllowed:  # left the agency since this update was read
        await refuse(update, context, caller.text("answer.not_allowed"))
        return
    text, keyboard = _results(caller, found)
    await say_here(update, context, text, keyboard)


@members_only
async def page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """An arrow under the results: the same search (read from the message's first line) at
    that page, run again for the presser."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    page = pressed.int_at(0) if pressed else None
    message = query.message
    text = getattr(message, "text", None) if message is not None else None
    search = _search_of(text)
    if page is None or message is None or search is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        found = await in_thread(_archive(caller).search, caller.member.id, search, page=page)
    except NotAllowed:  # left the agency since this update was read
        await refuse(update, context, caller.text("answer.not_allowed"))
        return
    await answer(query)
    shown, keyboard = _results(caller, found)
    await edit_html(context, message.chat.id, message.message_id, shown, keyboard)


def _search_of(text: str | None) -> ArchiveQuery | None:
    """The search a results message shows on its first line, or None when it shows none."""
    first = (text or "").split("\n", 1)[0]
    _, command, rest = first.partition(SEARCH_COMMAND)
    if not command:
        return None
    try:
        query = parse_query(rest.strip())
    except QueryError:
        return None
    return None if query.is_empty else query


def _results(caller: Caller, found: ArchivePage) -> tuple[str, Keyboard | None]:
    """A page of results: the search, how many, a line per procedure; a button for each and
    arrows to the pages before and after."""
    lines = [caller.text("archive.results_search", query=escape(query_text(found.query)))]
    if found.unknown_sop and found.query.sop is not None:
        lines.append(caller.text("archive.unknown_sop", sop=escape(found.query.sop)))
    if found.unknown_official and found.query.official is not None:
        lines.append(caller.text("archive.unknown_official", name=escape(found.query.official)))
    if not found.items:
        lines.append(caller.text("archive.results_none"))
        if found.own_only:
            lines.append(caller.text("archive.own_only"))
        return "\n".join(lines), None
    lines.append(
        caller.text(
            "archive.results_count",
            count=quantity(found.total, caller.language),
            page=found.page + 1,
            pages=found.pages,
        )
    )
    if found.own_only:
        lines.append(caller.text("archive.own_only"))
    keyboard: Keyboard = []
    for item in found.items:
        lines.append("")
        lines.extend(_item_lines(caller, item, found.timezone))
        label = caller.text("archive.result_button", number=item.number, title=item.title)
        keyboard.append(
            [Button(shorten(label, BUTTON_TEXT), callback(Action.ARCHIVE_OPEN, item.instance_id))]
        )
    arrows = []
    if found.page > 0:
        arrows.append(
            Button(
                caller.text("button.page_previous"), callback(Action.ARCHIVE_PAGE, found.page - 1)
            )
        )
    if found.page < found.pages - 1:
        arrows.append(
            Button(caller.text("button.page_next"), callback(Action.ARCHIVE_PAGE, found.page + 1))
        )
    if arrows:
        keyboard.append(arrows)
    return "\n".join(lines), keyboard


def _item_lines(caller: Caller, item: ArchiveItem, zone: str) -> list[str]:
    """A procedure in the results: number and title; SOP and state; dates; the letter."""
    lines = [
        caller.text(
            "archive.item_title", number=item.number, title=escape(shorten(item.title, TITLE_TEXT))
        ),
        caller.text(
            "archive.item_sop",
            sop=escape(shorten(item.sop_name, SOP_TEXT)),
            state=caller.text(f"archive.state.{item.state.value}"),
        ),
    ]
    started = _day(item.started_at, zone)
    if item.finished_at is None:
        lines.append(caller.text("archive.item_started", started=started))
    else:
        key = (
            "archive.item_cancelled"
            if item.state is InstanceState.CANCELLED
            else "archive.item_finished"
        )
        lines.append(caller.text(key, started=started, ended=_day(item.finished_at, zone)))
    if item.letter is not None:
        lines.append(caller.text("archive.item_letter", letter=escape(item.letter.number)))
    return lines


def _day(moment: dt.datetime, zone: str) -> str:
    """A date on a line of results: 3/11/2026 (the agency's day)."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day}/{local.month}/{local.year}"


def _usage(caller: Caller) -> str:
    scope = "archive.scope_admin" if caller.member.is_admin else "archive.scope_member"
    return "\n".join([caller.text("archive.usage"), caller.text(scope)])


# -- one procedure: its summary, and its export ------------------------------------------


@members_only
async def open_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A procedure of the results: its summary and history, with "📦 Ekspor"."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    instance_id = pressed.uuid_at(0) if pressed else None
    if instance_id is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    try:
        card = await in_thread(_archive(caller).card, caller.member.id, instance_id)
    except NotFound:
        await refuse(update, context, caller.text("answer.invalid_button"))
        return
    except NotAllowed as refusal:
        number = refusal.params.get("number", "-")
        await refuse(update, context, caller.text("history.not_allowed", number=number))
        return
    await answer(query)
    keyboard = (
        [
            [
                Button(
                    caller.text("archive.export_button"),
                    callback(Action.ARCHIVE_EXPORT, card.item.instance_id),
                )
            ]
        ]
        if caller.member.is_admin  # the export is the admins' (the server checks it again)
        else None
    )
    await say_here(update, context, _card(caller, card), keyboard)


def _card(caller: Caller, card: ArchiveCard) -> str:
    """The summary of a procedure, then its history as /riwayat shows it."""
    item, zone, language = card.item, card.timezone, caller.language
    lines = [
        caller.text("archive.card_title", title=escape(item.title), number=item.number),
        caller.text(
            "archive.card_sop", sop=escape(item.sop_name), version=escape(card.sop_version)
        ),
        caller.text("archive.card_state", state=caller.text(f"archive.state.{item.state.value}")),
        caller.text(
            "archive.card_started",
            when=local_time(item.started_at, zone, language),
            person=escape(card.started_by),
        ),
    ]
    if item.finished_at is not None:
        when = local_time(item.finished_at, zone, language)
        if item.state is InstanceState.CANCELLED:
            lines.append(
                caller.text(
                    "archive.card_cancelled", when=when, reason=escape(card.cancel_reason or "-")
                )
            )
        else:
            lines.append(caller.text("archive.card_finished", when=when))
    if item.letter is not None:
        lines.append(letter_line(caller.services.catalog, caller.language, item.letter))
    lines.append(caller.text("archive.card_documents", count=quantity(card.documents, language)))
    lines.append("")
    lines.append(timeline(caller.services, language, zone, card.history))
    return "\n".join(lines)


@members_only
async def export_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/ekspor NO: the procedure's zip (its admins and the people it involved)."""
    number = procedure_number(_typed_after_command(update))
    if number is None:
        await say_here(update, context, caller.text("archive.export_usage"))
        return
    await _export(update, context, caller, number=number)


@members_only
async def export_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "📦 Ekspor" under a procedure's summary: its zip."""
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    pressed = decode(query.data)
    instance_id = pressed.uuid_at(0) if pressed else None
    if instance_id is None:
        await answer(query, caller.text("answer.invalid_button"), show_alert=True)
        return
    await answer(query, caller.text("archive.export_preparing"))
    await _export(update, context, caller, instance_id=instance_id)


async def _export(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    *,
    number: int | None = None,
    instance_id: uuid.UUID | None = None,
) -> None:
    """Build the zip in a worker thread and send it, or say why not (one at a time for each
    member, a few at a time for the bot: see `HeavyJobs`)."""
    async with heavy_jobs(context).turn(caller.member.id) as allowed:
        if not allowed:
            await say_here(update, context, caller.text("archive.export_busy"))
            return
        await _export_now(update, context, caller, number=number, instance_id=instance_id)


async def _export_now(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    *,
    number: int | None,
    instance_id: uuid.UUID | None,
) -> None:
    buffer = io.BytesIO()
    try:
        exported = await in_thread(
            _archive(caller).export,
            caller.member.id,
            buffer,
            instance_id=instance_id,
            number=number,
            language=caller.language,
        )
    except NotFound:
        text = (
            caller.text("history.not_found", number=number)
            if number is not None
            else caller.text("answer.invalid_button")
        )
        await say_here(update, context, text)
        return
    except NotAllowed as refusal:
        shown = number if number is not None else refusal.params.get("number", "-")
        await say_here(update, context, caller.text("archive.export_not_allowed", number=shown))
        return
    except ArchiveTooLarge as refusal:
        await say_here(update, context, _too_large(caller, refusal, number))
        return
    chat = update.effective_chat
    assert chat is not None  # noqa: S101 - a private chat's command or button
    await send_file(
        context, chat.id, buffer.getvalue(), exported.file_name, _caption(caller, exported)
    )


def _too_large(caller: Caller, refusal: ArchiveTooLarge, number: int | None) -> str:
    size, limit = refusal.params.get("size", 0), refusal.params.get("limit", 0)
    shown = number if number is not None else refusal.params.get("number", "-")
    return caller.text(
        "archive.export_too_large",
        number=shown,
        size=megabytes(int(size) if isinstance(size, int) else 0, caller.language),
        limit=megabytes(int(limit) if isinstance(limit, int) else 0, caller.language),
        agency=escape(caller.member.agency_key),
    )


def _caption(caller: Caller, exported: ExportedArchive) -> str:
    """The zip's caption: what it holds, and any trouble the PDF reports (plain text)."""
    record = exported.record
    lines = [
        caller.text(
            "archive.export_caption",
            number=record.number,
            title=record.title,
            documents=quantity(exported.documents_in_zip, caller.language),
        )
    ]
    if exported.documents_left_out:
        lines.append(
            caller.text(
                "archive.export_left_out",
                count=quantity(exported.documents_left_out, caller.language),
            )
        )
    key = "archive.export_chain_intact" if record.chain.intact else "archive.export_chain_broken"
    lines.append(caller.text(key))
    return "\n".join(lines)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /cari, /arsip, /ekspor and their buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler(["cari", "search"], search_command, filters=private))
    application.add_handler(CommandHandler(["arsip", "archive"], archive_command, filters=private))
    application.add_handler(CommandHandler(["ekspor", "export"], export_command, filters=private))
    for action, handler in (
        (Action.ARCHIVE_PAGE, page_pressed),
        (Action.ARCHIVE_OPEN, open_pressed),
        (Action.ARCHIVE_EXPORT, export_pressed),
    ):
        application.add_handler(CallbackQueryHandler(handler, pattern=f"^{action.value}:"))

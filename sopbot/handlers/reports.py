"""/tugas (my open steps), /riwayat (an instance's timeline), /status (the agency, for admins;
with a picture: the agency's running procedures, or one procedure's steps against their Mutu
Baku)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import NotFound
from sopbot.engine.instance import EntityKind, TransitionAction
from sopbot.handlers.common import (
    BotServices,
    Caller,
    in_thread,
    members_only,
    procedure_number,
    send_html,
    send_picture,
)
from sopbot.handlers.procedure_admin import status_extras
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import (
    due_time,
    escape,
    local_clock,
    local_date,
    local_time,
    short_duration,
    zone_name,
)
from sopbot.messaging.letters import letter_line, letter_summary
from sopbot.messaging.numbers import quantity, standard_time
from sopbot.services.onboarding import MemberView
from sopbot.services.status_pictures import running_picture, timeline_picture
from sopbot.services.views import HistoryEntry, InstanceHistory, InstanceStatus, StepTiming

log = logging.getLogger(__name__)


@members_only
async def tasks_command(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/tugas: my open steps, overdue first, with their deadlines."""
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    tasks = await services.views.database.point_read(services.views.tasks, member.id)
    if not tasks:
        await send_html(update.effective_message, t(language, "tasks.none"), context=context)
        return
    zone = member.agency_timezone
    catalog = services.catalog
    lines = [t(language, "tasks.header", count=quantity(len(tasks), language))]
    for index, task in enumerate(tasks, start=1):
        lines.append(
            t(
                language,
                "tasks.item",
                index=index,
                title=escape(task.title),
                number=task.instance_number,
                step=escape(task.step_label),
                activity=escape(task.activity),
            )
        )
        if task.letter is not None:
            lines.append(
                t(language, "letters.indent", line=letter_line(catalog, language, task.letter))
            )
        lines.append(
            t(language, "tasks.received", received=local_time(task.received_at, zone, language))
        )
        if task.due_at is not None:
            due = due_time(task.due_at, zone, language, task.standard)
            lines.append(t(language, "tasks.due", due=due))
        if task.late_by is not None:
            lines.append(
                t(
                    language,
                    "tasks.overdue",
                    late=short_duration(
                        task.late_by.total_seconds(), language, working_day=task.working_day
                    ),
                )
            )
    await send_html(update.effective_message, "\n".join(lines), context=context)


def _number_argument(context: ContextTypes.DEFAULT_TYPE) -> int | None:
    if not context.args:
        return None
    return procedure_number(context.args[0])


@members_only
async def history_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/riwayat NO: the timeline of an instance (its admins and the people it involved)."""
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    number = _number_argument(context)
    if number is None:
        await send_html(update.effective_message, t(language, "history.usage"), context=context)
        return
    try:
        # Only the member's own agency is searched: another agency's number reads as not found.
        history = await in_thread(services.views.history, member.agency_id, number)
    except NotFound:
        await _say_not_found(update, context, caller, number)
        return
    if not (member.is_admin or history.involves(member.id)):
        await send_html(
            update.effective_message,
            t(language, "history.not_allowed", number=number),
            context=context,
        )
        return
    await send_html(
        update.effective_message,
        timeline(services, language, member.agency_timezone, history),
        context=context,
    )


def timeline(services: BotServices, language: Language, zone: str, history: InstanceHistory) -> str:
    """The history under one heading per local day, each line with its time of day (/riwayat,
    and a procedure opened from /cari)."""
    t = services.catalog.text
    lines = [
        t(
            language,
            "history.header",
            title=escape(history.title),
            number=history.number,
            sop=escape(history.sop_name),
        )
    ]
    if history.letter is not None:
        lines.append(letter_line(services.catalog, language, history.letter))
    current_day = None
    for entry in history.entries:
        text = (
            _letter_history(services, language, entry)
            if entry.action is TransitionAction.LETTER
            else _history_text(services, language, entry)
        )
        if not text:
            continue
        day = local_date(entry.at, zone, language)
        if day != current_day:
            lines.append(t(language, "history.day", day=day, zone=zone_name(zone)))
            current_day = day
        lines.append(
            t(language, "history.line", text=text, when=local_clock(entry.at, zone, language))
        )
    return "\n".join(lines)


_INSTANCE_TEXTS = {
    TransitionAction.START: "history.start",
    TransitionAction.FINISH: "history.finish",
    TransitionAction.CANCEL: "procedure_admin.history_cancelled",
}
_DISPOSITION_TEXTS = {
    TransitionAction.SEND: "history.sent",
    TransitionAction.COMPLETE: "history.done",
    TransitionAction.CLAIM: "history.claimed",
    TransitionAction.HAND_OVER: "history.handed_over",
    TransitionAction.REROUTE: "history.rerouted",
}


def _history_text(services: BotServices, language: Language, entry: HistoryEntry) -> str | None:
    t = services.catalog.text
    person = escape(entry.person or "-")
    reason = escape(entry.reason or "")
    step = escape(entry.step_label or str(entry.step_number or "-"))
    key: str | None = None
    params: dict[str, object] = {}
    # Who cancelled, or moved someone's step: the command line acts as the server's operator.
    actor = escape(entry.actor or t(language, "procedure_admin.operator"))
    if entry.entity is EntityKind.INSTANCE:
        key = _INSTANCE_TEXTS.get(entry.action)
        params = {"actor": actor, "reason": reason}
    elif entry.entity is EntityKind.STEP_RUN:
        if entry.action is TransitionAction.OPEN:
            key, params = "history.step_open", {"step": step, "round": entry.round or 1}
        elif entry.action is TransitionAction.COMPLETE:
            key = {"ya": "history.step_yes", "tidak": "history.step_no"}.get(
                entry.answer or "", "history.step_complete"
            )
            params = {"step": step, "reason": reason}
        elif entry.action is TransitionAction.SEND_BACK:
            key, params = "history.step_returned", {"step": step, "reason": reason}
        elif entry.action is TransitionAction.CANCEL:
            key, params = "history.step_cancelled", {"step": step}
    elif entry.entity is EntityKind.DISPOSITION:
        key = _DISPOSITION_TEXTS.get(entry.action)
        if entry.action is TransitionAction.HAND_OVER and entry.actor_id != entry.person_id:
            key = "procedure_admin.history_moved"  # an admin's move, not the holder's Alihkan
        params = {"person": person, "reason": reason, "actor": actor}
    elif entry.entity is EntityKind.DOCUMENT:
        key, params = (
            "history.document",
            {"person": person, "name": escape(entry.document_name or "-")},
        )
    return t(language, key, **params) if key else None


def _letter_history(services: BotServices, language: Language, entry: HistoryEntry) -> str:
    """A change of the letter: given, changed (to what) or removed (what it was), by whom."""
    t = services.catalog.text
    actor = escape(entry.actor or t(language, "procedure_admin.operator"))
    if entry.letter is None:
        was = entry.letter_was.number if entry.letter_was else "-"
        return t(language, "letters.history_removed", actor=actor, letter=escape(was))
    key = "letters.history_changed" if entry.letter_was else "letters.history_set"
    summary = letter_summary(services.catalog, language, entry.letter)
    return t(language, key, actor=actor, letter=summary)


@members_only
async def status_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/status (admins): every running instance; /status NO: each step against its Mutu Baku."""
    member, services, language = caller.member, caller.services, caller.language
    t = services.catalog.text
    if not member.is_admin:
        await send_html(
            update.effective_message, t(language, "status_report.not_admin"), context=context
        )
        return
    number = _number_argument(context)
    try:
        statuses = await in_thread(services.views.status, member.agency_id, number)
    except NotFound:
        await _say_not_found(update, context, caller, number)
        return
    if number is not None:
        status = statuses[0]
        extra, keyboard = await status_extras(caller, number)  # move a step, cancel
        await _picture_first(
            update,
            context,
            partial(timeline_picture, status, language, services.catalog),
            t(language, "status_chart.caption_timeline", number=status.number, title=status.title),
        )
        await send_html(
            update.effective_message,
            "\n".join([_status_detail(services, language, member, status), *extra]),
            keyboard,
            context=context,
        )
        return
    if not statuses:
        await send_html(
            update.effective_message, t(language, "status_report.none"), context=context
        )
        return
    await _picture_first(
        update,
        context,
        partial(running_picture, member.agency_name, statuses, language, services.catalog),
        t(language, "status_chart.caption_running", agency=member.agency_name),
    )
    lines = [
        t(
            language,
            "status_report.header",
            agency=escape(member.agency_name),
            count=quantity(len(statuses), language),
        )
    ]
    for status in statuses:
        lines.append(
            t(
                language,
                "status_report.item",
                number=status.number,
                title=escape(status.title),
                sop=escape(status.sop_name),
            )
        )
        for timing in status.open_steps:
            lines.append(
                t(
                    language,
                    "status_report.item_step",
                    step=escape(timing.step_label),
                    activity=escape(_short(timing.activity)),
                    people=_people(services, language, timing),
                    spent=short_duration(
                        timing.spent.total_seconds(),
                        language,
                        working_day=status.working_day.total_seconds(),
                    ),
                    standard=standard_time(timing.standard, language),
                    late=t(language, "status_report.late") if timing.late else "",
                )
            )
    await send_html(update.effective_message, "\n".join(lines), context=context)


async def _picture_first(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    draw: Callable[[], bytes],
    caption: str,
) -> None:
    """The picture /status sends before its text (the text, with its buttons, comes last,
    under the thumb). The text is the answer: a picture that cannot be drawn or sent is
    logged and left out, and the text goes all the same."""
    message = update.effective_message
    if message is None:
        return
    try:
        picture = await in_thread(draw)
    except Exception:  # whatever breaks the drawing, the text must still go
        log.exception("the /status picture could not be drawn")
        return
    try:
        await send_picture(context, message.chat_id, picture, caption)
    except TelegramError:
        log.exception("the /status picture could not be sent")


def _status_detail(
    services: BotServices, language: Language, member: MemberView, status: InstanceStatus
) -> str:
    t = services.catalog.text
    state = t(language, f"status_report.{status.state}")
    lines = [
        t(
            language,
            "status_report.detail_header",
            title=escape(status.title),
            number=status.number,
            sop=escape(status.sop_name),
            state=state,
        )
    ]
    if status.letter is not None:
        lines.append(letter_line(services.catalog, language, status.letter))
    for timing in status.steps:
        lines.append(
            t(
                language,
                "status_report.detail_line",
                step=escape(timing.step_label),
                activity=escape(_short(timing.activity)),
                round=t(language, "status_report.round", round=timing.round)
                if timing.round > 1
                else "",
                people=_people(services, language, timing),
                spent=short_duration(
                    timing.spent.total_seconds(),
                    language,
                    working_day=status.working_day.total_seconds(),
                ),
                standard=standard_time(timing.standard, language),
                late=t(language, "status_report.late") if timing.late else "",
            )
        )
    return "\n".join(lines)


def _people(services: BotServices, language: Language, timing: StepTiming) -> str:
    if not timing.people:
        return services.catalog.text(language, "status_report.vacant")
    return escape(", ".join(timing.people))


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the report commands."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler(["tugas", "tasks"], tasks_command, filters=private))
    application.add_handler(
        CommandHandler(["riwayat", "history"], history_command, filters=private)
    )
    application.add_handler(CommandHandler("status", status_command, filters=private))


async def _say_not_found(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, number: int | None
) -> None:
    """No procedure with this number in the member's agency (another agency's reads so too)."""
    text = caller.text("history.not_found", number=number)
    await send_html(update.effective_message, text, context=context)

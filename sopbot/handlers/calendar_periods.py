"""/kalender jam (agency admins): the periods of other working hours (Ramadan) set, changed and
removed from Telegram, in the words `sopbot calendar hours` takes.

    /kalender jam                                   the hours, each period with ✖️ Hapus
    /kalender jam DARI SAMPAI HARI JAM NAMA         a new period, or its dates and hours changed
    /kalender jam HARI JAM NAMA                     another weekday of a period that exists
    /kalender jam hapus NAMA                        remove a period

`sopbot.services.calendar_admin.CalendarAdmin` stores and audits the change (as the admin) and
counts the open steps' due times again; the reminders are planned again after it. A button names
a period by its first day (an agency's periods never share a day) and the server looks it up in
the presser's own agency at the press.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import CallbackQuery, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from sopbot.engine.errors import DomainError
from sopbot.engine.hours_text import parse_intervals, parse_weekdays
from sopbot.engine.working_calendar import HoursPeriod
from sopbot.engine.written_dates import WrittenDateError, parse_day
from sopbot.handlers.common import (
    Caller,
    admins_only,
    answer,
    edit_html,
    in_thread,
    refuse,
    send_html,
)
from sopbot.messaging.formatting import escape, shorten
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, decode
from sopbot.messaging.numbers import quantity
from sopbot.messaging.working_hours import period_dates, weekly_hours
from sopbot.services.calendar_admin import CalendarAdmin, PeriodChanged

BUTTON_NAME = 40  # characters of a period's name on its button
_DAY = "%Y%m%d"  # a period's first day in a button
_REMOVE_WORDS = ("hapus", "clear")


class _Unreadable(Exception):
    """The form could not be read; the catalog text that says why."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


async def hours_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, args: list[str]
) -> None:
    """/kalender jam [...] (the caller is an admin: /kalender checked it)."""
    message = update.effective_message
    if not args:
        text, keyboard = await _overview(caller)
        await send_html(message, text, keyboard, context=context)
        return
    if args[0].lower() in _REMOVE_WORDS:
        name = " ".join(args[1:])
        answer_text = await _remove(context, caller, name) if name else _usage(caller)
        await send_html(message, answer_text, context=context)
        return
    try:
        answer_text = await _set(context, caller, args)
    except _Unreadable as unreadable:
        answer_text = f"{unreadable.text}\n\n{_usage(caller)}"
    await send_html(message, answer_text, context=context)


async def _overview(caller: Caller) -> tuple[str, Keyboard]:
    """The regular hours and each current or coming period, with a button to remove it."""
    today = caller.services.clock().date()
    hours = await in_thread(
        _admin(caller).working_hours, caller.member.agency_id, ending_from=today
    )
    catalog, language = caller.services.catalog, caller.language
    week = {day: tuple(hours.regular.by_weekday.get(day, ())) for day in range(7)}
    lines = [
        caller.text("calendar_hours.header", agency=escape(caller.member.agency_name)),
        caller.text("calendar.hours", hours=weekly_hours(week, language, catalog)),
    ]
    keyboard: Keyboard = []
    for period in hours.periods:
        lines.append(_period_line(caller, period))
        label = caller.text("calendar_hours.button_remove", name=shorten(period.name, BUTTON_NAME))
        data = callback(Action.CALENDAR_PERIOD_ASK, period.first.strftime(_DAY))
        keyboard.append([Button(label, data)])
    if not hours.periods:
        lines.append(caller.text("calendar_hours.none"))
    lines.append("")
    lines.append(_usage(caller))
    return "\n".join(lines), keyboard


def _period_line(caller: Caller, period: HoursPeriod) -> str:
    return caller.text(
        "calendar.hours_period",
        name=escape(period.name),
        dates=period_dates(period.first, period.last, caller.language),
        hours=weekly_hours(period.by_weekday, caller.language, caller.services.catalog),
    )


def _usage(caller: Caller) -> str:
    return caller.text("calendar_hours.usage")


async def _set(context: ContextTypes.DEFAULT_TYPE, caller: Caller, args: list[str]) -> str:
    """A period's hours as the form gives them; the answer says what was stored."""
    first, last, rest = _dates(caller, args)
    if len(rest) < 3:  # weekdays, hours and a name of at least one word
        raise _Unreadable(caller.text("calendar_hours.name_missing"))
    try:
        weekdays = parse_weekdays(rest[0])
    except ValueError:
        raise _Unreadable(
            caller.text("calendar_hours.bad_weekdays", text=escape(rest[0]))
        ) from None
    try:
        intervals = parse_intervals(rest[1])
    except ValueError:
        raise _Unreadable(caller.text("calendar_hours.bad_hours", text=escape(rest[1]))) from None
    name = " ".join(rest[2:])
    admin, member = _admin(caller), caller.member
    try:
        changed: PeriodChanged = await in_thread(
            admin.set_period_hours,
            member.agency_id,
            name,
            weekdays,
            intervals,
            first=first,
            last=last,
            actor_id=member.id,
        )
    except DomainError as refusal:
        return _refusal(caller, refusal, name)
    await plan_alerts_again(context)
    hours = await in_thread(admin.working_hours, member.agency_id, ending_from=dt.date.min)
    stored = next((p for p in hours.periods if p.name == changed.name), None)
    shown = (
        weekly_hours(stored.by_weekday, caller.language, caller.services.catalog)
        if stored is not None
        else "-"
    )
    return caller.text(
        "calendar_hours.saved",
        name=escape(changed.name),
        dates=period_dates(changed.first, changed.last, caller.language),
        hours=shown,
        moved=quantity(changed.moved, caller.language),
    )


def _dates(caller: Caller, args: list[str]) -> tuple[dt.date | None, dt.date | None, list[str]]:
    """The form's first and last day (both, or neither) and the words after them."""
    found: list[dt.date] = []
    for word in args[:2]:
        try:
            found.append(parse_day(word))
        except WrittenDateError:
            break
    if len(found) == 1:
        raise _Unreadable(caller.text("calendar_hours.bad_dates"))
    if found:
        return found[0], found[1], args[2:]
    return None, None, args


async def _remove(context: ContextTypes.DEFAULT_TYPE, caller: Caller, name: str) -> str:
    """Remove the caller's agency's period of this name; the answer says so, or why not."""
    member = caller.member
    try:
        changed = await in_thread(
            _admin(caller).remove_period, member.agency_id, name, actor_id=member.id
        )
    except DomainError as refusal:
        return _refusal(caller, refusal, name)
    await plan_alerts_again(context)
    clean = " ".join(name.split())
    return caller.text(
        "calendar_hours.removed",
        name=escape(clean),
        moved=quantity(changed.moved, caller.language),
    )


def _refusal(caller: Caller, refusal: DomainError, name: str) -> str:
    """Why a period's change was refused, in the caller's words."""
    shown = escape(" ".join(name.split()))
    if refusal.code == "calendar_periods_overlap":
        first = dt.date.fromisoformat(str(refusal.params.get("first")))
        last = dt.date.fromisoformat(str(refusal.params.get("last")))
        return caller.text(
            "calendar_hours.overlap",
            other=escape(str(refusal.params.get("name", ""))),
            dates=period_dates(first, last, caller.language),
        )
    if refusal.code == "calendar_period_dates_missing":
        return caller.text("calendar_hours.dates_missing", name=shown)
    if refusal.code == "calendar_period_not_found":
        return caller.text("calendar_hours.not_found", name=shown)
    return caller.text("calendar_hours.refused")


# -- the buttons -------------------------------------------------------------------------------


@admins_only
async def overview_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "Kembali": the working hours and periods again, in the same message."""
    query = _query(update)
    text, keyboard = await _overview(caller)
    await _edit(update, context, text, keyboard)
    await answer(query)


@admins_only
async def ask_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """ "✖️ Hapus": asks to confirm, naming the period."""
    query = _query(update)
    period = await _pressed_period(update, caller)
    if period is None:
        await refuse(update, context, caller.text("answer.invalid_button"))
        return
    day = period.first.strftime(_DAY)
    text = caller.text(
        "calendar_hours.ask_remove",
        name=escape(period.name),
        dates=period_dates(period.first, period.last, caller.language),
    )
    keyboard = [
        [
            Button(
                caller.text("calendar_hours.button_confirm"),
                callback(Action.CALENDAR_PERIOD_REMOVE, day),
            )
        ],
        [Button(caller.text("calendar_hours.button_back"), callback(Action.CALENDAR_HOURS))],
    ]
    await _edit(update, context, text, keyboard)
    await answer(query)


@admins_only
async def remove_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """ "✅ Ya, hapus": the period is removed (a second tap finds none: refused)."""
    query = _query(update)
    period = await _pressed_period(update, caller)
    if period is None:
        await refuse(update, context, caller.text("answer.invalid_button"))
        return
    text = await _remove(context, caller, period.name)
    await _edit(update, context, text, None)
    await answer(query)


async def _pressed_period(update: Update, caller: Caller) -> HoursPeriod | None:
    """The caller's agency's period that starts on the day the button names, if any."""
    pressed = decode(_query(update).data)
    written = pressed.part(0) if pressed else None
    if written is None or len(written) != len("20270208"):
        return None
    try:
        day = dt.date.fromisoformat(written)  # YYYYMMDD, as `_DAY` writes it
    except ValueError:
        return None
    hours = await in_thread(
        _admin(caller).working_hours, caller.member.agency_id, ending_from=dt.date.min
    )
    return next((p for p in hours.periods if p.first == day), None)


def _query(update: Update) -> CallbackQuery:
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    return query


async def _edit(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, keyboard: Keyboard | None
) -> None:
    query, chat = _query(update), update.effective_chat
    if query.message is None or chat is None:
        return
    await edit_html(context, chat.id, query.message.message_id, text, keyboard)


async def plan_alerts_again(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The due times moved: the reminder scheduler plans the alerts again."""
    reminders = context.application.bot_data.get("sopbot.reminders")
    if reminders is not None:
        await reminders.rebuild()


def _admin(caller: Caller) -> CalendarAdmin:
    return CalendarAdmin(caller.services.procedures, clock=caller.services.clock)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the buttons of /kalender jam."""
    application.add_handler(
        CallbackQueryHandler(overview_pressed, pattern=f"^{Action.CALENDAR_HOURS.value}$")
    )
    application.add_handler(
        CallbackQueryHandler(ask_pressed, pattern=f"^{Action.CALENDAR_PERIOD_ASK.value}:")
    )
    application.add_handler(
        CallbackQueryHandler(remove_pressed, pattern=f"^{Action.CALENDAR_PERIOD_REMOVE.value}:")
    )

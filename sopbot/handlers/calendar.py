"""/kalender (agency admins): the working calendar ahead (days off, working hours and the periods
of other hours such as Ramadan), and the agency's own changes to its days off."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.engine.written_dates import WrittenDateError, parse_day
from sopbot.handlers import calendar_periods
from sopbot.handlers.calendar_periods import hours_command, plan_alerts_again
from sopbot.handlers.common import Caller, in_thread, members_only, send_html
from sopbot.messaging.formatting import escape
from sopbot.messaging.numbers import quantity
from sopbot.messaging.working_hours import period_dates, weekly_hours
from sopbot.services.calendar_admin import CalendarAdmin, CalendarChanged

DAYS_AHEAD = 60  # what /kalender shows (the catalog's header and "none" texts say so)

# The word after /kalender -> the change it asks for.
_CHANGES = {
    "libur": "off",
    "off": "off",
    "masuk": "working",
    "work": "working",
    "hapus": "clear",
    "clear": "clear",
}
_CHANGED_LABELS = {
    "off": "calendar.change_off",
    "working": "calendar.change_working",
    "clear": "calendar.change_cleared",
}
# A refusal's code -> its text; any other calendar refusal reads as `calendar.refused`.
_REFUSALS = {
    "calendar_day_not_changed": "calendar.not_changed",
    "calendar_reason_missing": "calendar.reason_missing",
    "not_found": "error.not_found",
}


@members_only
async def calendar_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """Show the days off ahead, or change one: /kalender libur|masuk|hapus TANGGAL [alasan]."""
    message = update.effective_message
    if not caller.member.is_admin:
        await send_html(message, caller.text("status_report.not_admin"), context=context)
        return
    args = list(context.args or [])
    if args and args[0].lower() in ("jam", "hours"):
        await hours_command(update, context, caller, args[1:])
        return
    change = _CHANGES.get(args[0].lower()) if args else None
    if change is None:
        answer = await _calendar_ahead(caller)
    else:
        answer = await _change_day(context, caller, change, args[1:])
    await send_html(message, answer, context=context)


async def _calendar_ahead(caller: Caller) -> str:
    """The days off of the next `DAYS_AHEAD` days, and how to change them."""
    today = caller.services.clock().date()
    days = await in_thread(
        _admin(caller).days,
        caller.member.agency_id,
        today,
        today + dt.timedelta(days=DAYS_AHEAD),
    )
    lines = [caller.text("calendar.header", agency=escape(caller.member.agency_name))]
    rule = await in_thread(_admin(caller).day_rule, caller.member.agency_id)
    lines.append(caller.text(f"calendar.day_rule_{rule.value}"))
    lines.extend(
        caller.text(
            "calendar.line",
            date=d.day.isoformat(),
            name=escape(d.name),
            source=caller.text(f"calendar.{d.source}"),
        )
        for d in days
    )
    if not days:
        lines.append(caller.text("calendar.none"))
    lines.append("")
    lines.extend(await _working_hours(caller, today))
    lines.append(caller.text("calendar_hours.hint"))
    lines.append("")
    lines.append(caller.text("calendar.usage"))
    return "\n".join(lines)


async def _working_hours(caller: Caller, today: dt.date) -> list[str]:
    """The regular working hours, then each current or upcoming period of other hours."""
    hours = await in_thread(
        _admin(caller).working_hours, caller.member.agency_id, ending_from=today
    )
    catalog, language = caller.services.catalog, caller.language
    week = {day: tuple(hours.regular.by_weekday.get(day, ())) for day in range(7)}
    lines = [caller.text("calendar.hours", hours=weekly_hours(week, language, catalog))]
    lines.extend(
        caller.text(
            "calendar.hours_period",
            name=escape(period.name),
            dates=period_dates(period.first, period.last, language),
            hours=weekly_hours(period.by_weekday, language, catalog),
        )
        for period in hours.periods
    )
    return lines


async def _change_day(
    context: ContextTypes.DEFAULT_TYPE, caller: Caller, change: str, args: list[str]
) -> str:
    """Make a day off, a working day, or undo the agency's change (`args`: the date, then the
    reason); the answer names how many open steps got a new due time, or why nothing changed."""
    if not args or (change != "clear" and len(args) < 2):
        return caller.text("calendar.usage")
    try:
        day = parse_day(args[0])
    except WrittenDateError:
        return caller.text("calendar.bad_date")
    try:
        changed = await _apply(caller, change, day, reason=" ".join(args[1:]))
    except DomainError as refusal:
        return caller.text(_REFUSALS.get(refusal.code, "calendar.refused"))
    await plan_alerts_again(context)
    return caller.text(
        "calendar.changed",
        date=day.isoformat(),
        change=caller.text(_CHANGED_LABELS[change]),
        moved=quantity(changed.moved, caller.language),
    )


async def _apply(caller: Caller, change: str, day: dt.date, *, reason: str) -> CalendarChanged:
    """Store the change of one day, as the caller."""
    admin, member = _admin(caller), caller.member
    if change == "clear":
        return await in_thread(admin.clear_day, member.agency_id, day, member.id)
    return await in_thread(admin.set_day, member.agency_id, day, change, reason, member.id)


def _admin(caller: Caller) -> CalendarAdmin:
    return CalendarAdmin(caller.services.procedures, clock=caller.services.clock)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /kalender."""
    application.add_handler(
        CommandHandler(["kalender", "calendar"], calendar_command, filters=filters.ChatType.PRIVATE)
    )
    calendar_periods.register(application)  # the buttons of /kalender jam

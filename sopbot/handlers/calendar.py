"""/kalender (agency admins): the working calendar ahead, and the agency's own changes to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from sopbot.engine.errors import DomainError
from sopbot.engine.written_dates import WrittenDateError, parse_day
from sopbot.handlers.common import Caller, in_thread, members_only, send_html, services_of
from sopbot.messaging.formatting import escape
from sopbot.messaging.numbers import quantity
from sopbot.services.calendar_admin import CalendarAdmin

_CHANGES = {
    "libur": "off",
    "off": "off",
    "masuk": "working",
    "work": "working",
    "hapus": "clear",
    "clear": "clear",
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
    services = services_of(context)
    admin = CalendarAdmin(services.procedures, clock=services.clock)
    args = list(context.args or [])
    change = _CHANGES.get(args[0].lower()) if args else None
    if change is not None:
        if len(args) < 2 or (change != "clear" and len(args) < 3):
            await send_html(message, caller.text("calendar.usage"), context=context)
            return
        try:
            day = parse_day(args[1])
        except WrittenDateError:
            await send_html(message, caller.text("calendar.bad_date"), context=context)
            return
        reason = " ".join(args[2:])
        try:
            if change == "clear":
                moved = await in_thread(
                    admin.clear_day, caller.member.agency_id, day, caller.member.id
                )
            else:
                moved = await in_thread(
                    admin.set_day, caller.member.agency_id, day, change, reason, caller.member.id
                )
        except DomainError as refusal:
            await send_html(message, escape(str(refusal)), context=context)
            return
        reminders = context.application.bot_data.get("sopbot.reminders")
        if reminders is not None:
            await reminders.rebuild()  # the due times moved: plan the alerts again
        label = {
            "off": "calendar.change_off",
            "working": "calendar.change_working",
            "clear": "calendar.change_cleared",
        }[change]
        await send_html(
            message,
            caller.text(
                "calendar.changed",
                date=day.isoformat(),
                change=caller.text(label),
                moved=quantity(moved, caller.language),
            ),
            context=context,
        )
        return
    today = services.clock().date()
    days = await in_thread(
        admin.days, caller.member.agency_id, today, today + dt.timedelta(days=60)
    )
    lines = [caller.text("calendar.header", agency=escape(caller.member.agency_name))]
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
    lines.append(caller.text("calendar.usage"))
    await send_html(message, "\n".join(lines), context=context)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /kalender."""
    application.add_handler(
        CommandHandler(["kalender", "calendar"], calendar_command, filters=filters.ChatType.PRIVATE)
    )

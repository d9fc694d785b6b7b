"""/laporan (agency admins): the Permenpan RB 35/2012 monitoring form, the evaluation form and
the Mutu Baku compliance report of one SOP, or the compliance report of the whole agency, over a
period, as PDF and XLSX files, the compliance charts as photos.

The flow is three edits of one message, every choice carried by its buttons (so a restart in
between loses nothing): the SOP (or the whole agency) -> the period (a month, a semester, a
year, as `sopbot.engine.report_periods` names them) -> the report and the paper (F4 or A4).
Every press is checked again on the server: an admin, of the agency whose SOP the button names.
The files are made in a worker thread; a second tap while they are being made is told so.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from sopbot.documents.compliance_files import compliance_files
from sopbot.documents.monitoring_pdf import evaluation_form_pdf, monitoring_form_pdf
from sopbot.documents.monitoring_xlsx import evaluation_form_xlsx, monitoring_form_xlsx
from sopbot.documents.page_format import Paper
from sopbot.documents.report_names import ReportName, file_stem
from sopbot.engine.compliance import Period
from sopbot.engine.errors import DomainError
from sopbot.engine.monitoring import TimeFigures
from sopbot.engine.report_periods import NamedPeriod, named_period
from sopbot.handlers.common import (
    Caller,
    admins_only,
    answer,
    edit_html,
    heavy_jobs,
    in_thread,
    refusal_text,
    send_file,
    send_html,
    send_picture,
)
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import escape, month_name, shorten
from sopbot.messaging.keyboards import Action, Button, Keyboard, callback, decode
from sopbot.messaging.numbers import quantity
from sopbot.services.monitoring import MonitoringService
from sopbot.services.positions import ref_of

log = logging.getLogger(__name__)

PAGE_SIZE = 8  # SOPs a page
BUTTON_TEXT = 48  # characters of an SOP's name on its button
WHOLE_AGENCY = "all"  # the scope of the agency's compliance report (a ref is hex: never this)
PAPERS = ("F4", "A4")  # F4 first: what Indonesian offices print on


class ReportKind(StrEnum):
    """Which report a button asks for; the value travels in the callback data."""

    MONITORING = "m"
    EVALUATION = "e"
    COMPLIANCE = "k"

    @property
    def report_name(self) -> ReportName:
        """The report, as its files are named."""
        names: dict[ReportKind, ReportName] = {
            ReportKind.MONITORING: "monitoring",
            ReportKind.EVALUATION: "evaluation",
            ReportKind.COMPLIANCE: "compliance",
        }
        return names[self]


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a report covers: one SOP (its id and name) or the whole agency (sop_id None)."""

    ref: str
    sop_id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class _Made:
    """The files of one report, ready to send."""

    documents: list[tuple[str, bytes]]  # file name, content
    pictures: list[tuple[str, bytes]]  # title, PNG
    time: TimeFigures  # what the caption sums up


def _service(caller: Caller) -> MonitoringService:
    return caller.services.monitoring


# -- the flow ----------------------------------------------------------------------------------


@admins_only
async def report_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """/laporan: choose the SOP (or the whole agency) to report on."""
    text, keyboard = await _sop_menu(caller, 0)
    await send_html(update.effective_message, text, keyboard, context=context)


@admins_only
async def page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """◀️ ▶️ under /laporan: another page of the agency's SOPs."""
    pressed = decode(_query(update).data)
    page = pressed.int_at(0) if pressed else None
    if page is None:
        await _invalid(update, caller)
        return
    text, keyboard = await _sop_menu(caller, page)
    await _edit(update, context, text, keyboard)


@admins_only
async def scope_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """An SOP (or the whole agency) was chosen: ask the period."""
    pressed = decode(_query(update).data)
    scope = await _scope(caller, pressed.part(0) if pressed else None)
    if scope is None:
        await _invalid(update, caller)
        return
    keyboard: Keyboard = [
        [
            _period_button(caller, scope, NamedPeriod.THIS_MONTH),
            _period_button(caller, scope, NamedPeriod.LAST_MONTH),
        ],
        [
            _period_button(caller, scope, NamedPeriod.THIS_SEMESTER),
            _period_button(caller, scope, NamedPeriod.LAST_SEMESTER),
        ],
        [
            _period_button(caller, scope, NamedPeriod.THIS_YEAR),
            _period_button(caller, scope, NamedPeriod.LAST_YEAR),
        ],
        [_period_button(caller, scope, NamedPeriod.LAST_12_MONTHS)],
        [Button(caller.text("report_button.back"), callback(Action.REPORT_PAGE, 0))],
    ]
    text = caller.text("report.choose_period", scope=escape(scope.name))
    await _edit(update, context, text, keyboard)


@admins_only
async def period_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A period was chosen (or the paper changed): offer the reports of the scope."""
    pressed = decode(_query(update).data)
    scope = await _scope(caller, pressed.part(0) if pressed else None)
    name = _named(pressed.part(1) if pressed else None)
    paper = pressed.part(2) if pressed else None
    if scope is None or name is None or paper not in PAPERS:
        await _invalid(update, caller)
        return
    period = named_period(name, _today(caller))
    kinds = [ReportKind.COMPLIANCE]
    if scope.sop_id is not None:
        kinds = [ReportKind.MONITORING, ReportKind.EVALUATION, ReportKind.COMPLIANCE]
    keyboard: Keyboard = [
        [
            Button(
                caller.text(f"report_button.{kind.name.lower()}"),
                callback(Action.REPORT_MAKE, scope.ref, name.value, kind.value, paper),
            )
        ]
        for kind in kinds
    ]
    other = PAPERS[1 - PAPERS.index(paper)]
    keyboard.append(
        [
            Button(
                caller.text("report_button.paper", paper=other),
                callback(Action.REPORT_PERIOD, scope.ref, name.value, other),
            )
        ]
    )
    keyboard.append(
        [Button(caller.text("report_button.back"), callback(Action.REPORT_SCOPE, scope.ref))]
    )
    text = caller.text(
        "report.choose_kind",
        scope=escape(scope.name),
        period=period_text(period, caller.language),
        paper=paper,
    )
    await _edit(update, context, text, keyboard)


@admins_only
async def make_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """A report was chosen: make its files and send them (PDF, XLSX, and the charts)."""
    query = _query(update)
    pressed = decode(query.data)
    scope = await _scope(caller, pressed.part(0) if pressed else None)
    name = _named(pressed.part(1) if pressed else None)
    kind = _kind(pressed.part(2) if pressed else None)
    paper = pressed.part(3) if pressed else None
    chat = update.effective_chat
    if (
        scope is None
        or name is None
        or kind is None
        or paper not in PAPERS
        or chat is None
        or (kind is not ReportKind.COMPLIANCE and scope.sop_id is None)
    ):
        await _invalid(update, caller)
        return
    async with heavy_jobs(context).turn(caller.member.id) as allowed:
        if not allowed:
            await answer(query, caller.text("report.busy"), show_alert=True)
            return
        await answer(query, caller.text("report.making"))
        period = named_period(name, _today(caller))
        try:
            made = await in_thread(_make, _service(caller), caller, scope, period, kind, paper)
        except DomainError as refusal:
            await send_html(
                query.message if query.message else None,
                refusal_text(caller.services, caller.language, refusal),
                context=context,
            )
            return
        caption = _caption(caller, scope, period, kind, made.time)
        for file_name, content in made.documents:
            await send_file(context, chat.id, content, file_name, caption)
        for title, picture in made.pictures:
            try:
                await send_picture(context, chat.id, picture, title)
            except TelegramError:
                # The files have gone; a chart Telegram will not take costs nothing else.
                log.exception("a chart of a report could not be sent to chat %s", chat.id)


# -- making the files --------------------------------------------------------------------------


def _make(
    service: MonitoringService,
    caller: Caller,
    scope: _Scope,
    period: Period,
    kind: ReportKind,
    paper: str,
) -> _Made:
    """The report's files (in a worker thread: reading and drawing take a while)."""
    agency_id = caller.member.agency_id
    subject = scope.sop_id or caller.member.agency_key
    stem = file_stem(kind.report_name, subject, period.start, period.end)
    paper_size: Paper = "A4" if paper == "A4" else "F4"
    if kind is ReportKind.MONITORING and scope.sop_id is not None:
        form = service.monitoring_form(agency_id, scope.sop_id, period.start, period.end)
        return _Made(
            [
                (f"{stem}.pdf", monitoring_form_pdf(form, paper=paper_size)),
                (f"{stem}.xlsx", monitoring_form_xlsx(form, paper=paper_size)),
            ],
            [],
            form.sop.time,
        )
    if kind is ReportKind.EVALUATION and scope.sop_id is not None:
        figures = service.evaluation(agency_id, scope.sop_id, period.start, period.end)
        return _Made(
            [
                (f"{stem}.pdf", evaluation_form_pdf(figures, paper=paper_size)),
                (f"{stem}.xlsx", evaluation_form_xlsx(figures, paper=paper_size)),
            ],
            [],
            figures.sop.time,
        )
    report = service.compliance(agency_id, period.start, period.end, scope.sop_id)
    files = compliance_files(report, paper_size)
    assert files.pdf is not None  # noqa: S101 - both asked for
    assert files.xlsx is not None  # noqa: S101
    return _Made(
        [(f"{stem}.pdf", files.pdf), (f"{stem}.xlsx", files.xlsx)], files.charts, report.time
    )


def _caption(
    caller: Caller, scope: _Scope, period: Period, kind: ReportKind, time: TimeFigures
) -> str:
    """What a report's files say under them: what it is, for what and when, and the gist."""
    lines = [
        caller.text(
            f"report.caption_{kind.name.lower()}",
            scope=scope.name,
            period=period_text(period, caller.language),
        )
    ]
    share = time.on_time_share
    if share is None:
        lines.append(caller.text("report.caption_nothing_measured"))
    else:
        lines.append(
            caller.text(
                "report.caption_measured",
                measured=quantity(time.measured, caller.language),
                on_time=quantity(time.on_time, caller.language),
                # One decimal, as the files write it: 99,6% is not 100%.
                share=quantity(
                    round(share * 100, 1), caller.language, decimals=0 if share in (0, 1) else 1
                ),
            )
        )
    return "\n".join(lines)


def period_text(period: Period, language: Language) -> str:
    """A period as people write it: "1 Juli 2026 – 6 Desember 2026"."""

    def day(value: dt.date) -> str:
        return f"{value.day} {month_name(value.month, language)} {value.year}"

    return f"{day(period.start)} – {day(period.end)}"


# -- reading the buttons -----------------------------------------------------------------------


async def _sop_menu(caller: Caller, page: int) -> tuple[str, Keyboard]:
    sops = await in_thread(_service(caller).sops_of, caller.member.agency_id)
    pages = max(1, -(-len(sops) // PAGE_SIZE))
    page = min(page, pages - 1)
    shown = sops[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    keyboard: Keyboard = [
        [
            Button(
                caller.text("report_button.whole_agency"),
                callback(Action.REPORT_SCOPE, WHOLE_AGENCY),
            )
        ]
    ]
    keyboard.extend(
        [Button(shorten(name, BUTTON_TEXT), callback(Action.REPORT_SCOPE, ref_of(sop_id)))]
        for sop_id, name in shown
    )
    row: list[Button] = []
    if page > 0:
        row.append(
            Button(caller.text("button.page_previous"), callback(Action.REPORT_PAGE, page - 1))
        )
    if page + 1 < pages:
        row.append(Button(caller.text("button.page_next"), callback(Action.REPORT_PAGE, page + 1)))
    if row:
        keyboard.append(row)
    lines = [caller.text("report.header", agency=escape(caller.member.agency_name))]
    if not sops:
        lines.append(caller.text("report.no_sops"))
    elif pages > 1:
        lines.append(caller.text("report.page", page=page + 1, pages=pages))
    return "\n".join(lines), keyboard


async def _scope(caller: Caller, ref: str | None) -> _Scope | None:
    """The scope a button names, looked up among the caller's agency's SOPs (None: not one)."""
    if ref is None:
        return None
    if ref == WHOLE_AGENCY:
        return _Scope(
            ref, None, caller.text("report.whole_agency", agency=caller.member.agency_name)
        )
    sops = await in_thread(_service(caller).sops_of, caller.member.agency_id)
    for sop_id, name in sops:
        if ref_of(sop_id) == ref:
            return _Scope(ref, sop_id, name)
    return None


def _named(value: str | None) -> NamedPeriod | None:
    try:
        return NamedPeriod(value) if value is not None else None
    except ValueError:
        return None


def _kind(value: str | None) -> ReportKind | None:
    try:
        return ReportKind(value) if value is not None else None
    except ValueError:
        return None


def _period_button(caller: Caller, scope: _Scope, name: NamedPeriod) -> Button:
    return Button(
        caller.text(f"report_button.{name.name.lower()}"),
        callback(Action.REPORT_PERIOD, scope.ref, name.value, PAPERS[0]),
    )


def _today(caller: Caller) -> dt.date:
    """Today in the agency's zone: the named periods are counted from it."""
    return caller.services.clock().astimezone(ZoneInfo(caller.member.agency_timezone)).date()


def _query(update: Update) -> Any:
    query = update.callback_query
    assert query is not None  # noqa: S101 - a callback handler
    return query


async def _invalid(update: Update, caller: Caller) -> None:
    await answer(_query(update), caller.text("answer.invalid_button"), show_alert=True)


async def _edit(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, keyboard: Keyboard
) -> None:
    query = _query(update)
    chat = update.effective_chat
    if chat is None or query.message is None:
        await answer(query)
        return
    await edit_html(context, chat.id, query.message.message_id, text, keyboard)
    await answer(query)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add /laporan and its buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler(["laporan", "report"], report_command, filters=private))
    for action, handler in (
        (Action.REPORT_PAGE, page_pressed),
        (Action.REPORT_SCOPE, scope_pressed),
        (Action.REPORT_PERIOD, period_pressed),
        (Action.REPORT_MAKE, make_pressed),
    ):
        application.add_handler(CallbackQueryHandler(handler, pattern=f"^{action.value}:"))

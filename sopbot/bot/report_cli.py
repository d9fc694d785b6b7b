"""`sopbot report monitoring | evaluation | compliance`: the command-line twin of /laporan.

Writes the Permenpan RB 35/2012 monitoring form and evaluation form of an SOP, or the Mutu Baku
compliance report of an SOP or of a whole agency, for a period, as PDF and XLSX files (and the
compliance charts as PNG) into a folder, and prints the path of each file it wrote. Any period
can be asked for here, where /laporan offers the usual ones on buttons.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sopbot.bot.cli_lookup import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    find_agency,
    hint,
    monitoring,
)
from sopbot.bot.settings import Settings
from sopbot.documents.compliance_files import compliance_files
from sopbot.documents.monitoring_pdf import evaluation_form_pdf, monitoring_form_pdf
from sopbot.documents.monitoring_xlsx import (
    evaluation_form_xlsx,
    monitoring_form_xlsx,
)
from sopbot.documents.page_format import Paper
from sopbot.documents.report_names import ReportName, file_stem
from sopbot.engine.compliance import InvalidPeriod, Period
from sopbot.engine.errors import DomainError
from sopbot.engine.report_periods import PERIOD_FORMS, written_period
from sopbot.engine.written_dates import WrittenDateError, parse_day
from sopbot.services.commands import utc_now
from sopbot.services.monitoring import MonitoringService


def add_commands(commands: Commands) -> None:
    """Add `sopbot report ...`."""
    report = commands.add_parser(
        "report",
        help="monitoring reports (Permenpan RB 35/2012): forms and Mutu Baku compliance files",
    )
    sub = report.add_subparsers(title="report commands", metavar="REPORT_COMMAND")
    monitoring = sub.add_parser(
        "monitoring", help="the monitoring form of an SOP (Formulir Monitoring Pelaksanaan SOP AP)"
    )
    evaluation = sub.add_parser(
        "evaluation", help="the evaluation form of an SOP (Formulir Evaluasi Penerapan SOP AP)"
    )
    compliance = sub.add_parser(
        "compliance", help="Mutu Baku compliance of an agency, or of one SOP with --sop"
    )
    for parser in (monitoring, evaluation, compliance):
        parser.add_argument("agency", help="the agency key")
        if parser is not compliance:
            parser.add_argument("sop", help="the SOP's id, as `sopbot sop list` shows it")
    compliance.add_argument("--sop", help="one SOP's id (default: the whole agency)")
    for parser in (monitoring, evaluation, compliance):
        parser.add_argument("--period", help=f"the period: {PERIOD_FORMS}")
        parser.add_argument("--from", dest="start", help="the first day (e.g. 1/7/2026)")
        parser.add_argument("--to", dest="end", help="the last day (e.g. 31/12/2026)")
        parser.add_argument("--paper", choices=("F4", "A4"), default="F4", help="default F4")
        parser.add_argument(
            "--format",
            dest="formats",
            choices=("pdf", "xlsx", "both"),
            default="both",
            help="which files (default both)",
        )
        parser.add_argument(
            "-o", "--output", type=Path, default=Path("."), help="the folder (default: here)"
        )
    compliance.add_argument(
        "--charts", action="store_true", help="also write the report's charts as PNG"
    )
    monitoring.set_defaults(handler=_monitoring)
    evaluation.set_defaults(handler=_evaluation)
    compliance.set_defaults(handler=_compliance)


def _monitoring(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    def make(service: MonitoringService, agency_id: int, period: Period, want: _Wanted) -> Files:
        form = service.monitoring_form(agency_id, args.sop, period.start, period.end)
        return [
            *([(".pdf", monitoring_form_pdf(form, want.paper))] if want.pdf else []),
            *([(".xlsx", monitoring_form_xlsx(form, want.paper))] if want.xlsx else []),
        ]

    return _run(args, settings, out, err, "monitoring", args.sop, make)


def _evaluation(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    def make(service: MonitoringService, agency_id: int, period: Period, want: _Wanted) -> Files:
        figures = service.evaluation(agency_id, args.sop, period.start, period.end)
        return [
            *([(".pdf", evaluation_form_pdf(figures, want.paper))] if want.pdf else []),
            *([(".xlsx", evaluation_form_xlsx(figures, want.paper))] if want.xlsx else []),
        ]

    return _run(args, settings, out, err, "evaluation", args.sop, make)


def _compliance(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    def make(service: MonitoringService, agency_id: int, period: Period, want: _Wanted) -> Files:
        report = service.compliance(agency_id, period.start, period.end, args.sop)
        made = compliance_files(report, want.paper, pdf=want.pdf, xlsx=want.xlsx)
        files: Files = [(".pdf", made.pdf)] if made.pdf is not None else []
        files.extend([(".xlsx", made.xlsx)] if made.xlsx is not None else [])
        if args.charts:
            files.extend(
                (f"_grafik-{index}.png", png) for index, (_, png) in enumerate(made.charts, 1)
            )
        return files

    return _run(args, settings, out, err, "compliance", args.sop or args.agency, make)


Files = list[tuple[str, bytes]]
"""A report's files: the end of each file's name (".pdf", "_grafik-1.png") and its content."""


@dataclass(frozen=True, slots=True)
class _Wanted:
    """The files the options ask for."""

    paper: Paper
    pdf: bool
    xlsx: bool


def _run(
    args: argparse.Namespace,
    settings: Settings,
    out: TextIO,
    err: TextIO,
    report: ReportName,
    subject: str,
    make: Callable[[MonitoringService, int, Period, _Wanted], Files],
) -> int:
    service = monitoring(settings)
    agency = find_agency(service.database, args.agency, err)
    if agency is None:
        return EXIT_PROBLEMS
    today = utc_now().astimezone(ZoneInfo(agency.timezone)).date()
    sop: str | None = args.sop
    if sop is not None:
        known = [sop_id for sop_id, _name in service.sops_of(agency.id)]
        if sop not in known:
            print(f"no SOP {sop} in {agency.key}; {hint(sop, known, 'its SOPs')}", file=err)
            return EXIT_PROBLEMS
    try:
        period = _period(args, today)
        paper: Paper = "A4" if args.paper == "A4" else "F4"
        want = _Wanted(paper, args.formats in ("pdf", "both"), args.formats in ("xlsx", "both"))
        files = make(service, agency.id, period, want)
    except (DomainError, WrittenDateError) as refusal:
        print(str(refusal), file=err)
        return EXIT_PROBLEMS
    output: Path = args.output
    output.mkdir(parents=True, exist_ok=True)
    stem = file_stem(report, subject, period.start, period.end)
    written = [_write(output / f"{stem}{ending}", content) for ending, content in files]
    for path in written:
        print(path, file=out)
    return EXIT_OK


def _period(args: argparse.Namespace, today: dt.date) -> Period:
    """The period the options name: --period, or --from and --to (both)."""
    if args.period and (args.start or args.end):
        raise InvalidPeriod("give --period, or --from and --to, not both")
    if args.period:
        return written_period(args.period, today)
    if not (args.start and args.end):
        raise InvalidPeriod(f"give the period: --period ({PERIOD_FORMS}), or --from DATE --to DATE")
    start, end = parse_day(args.start), parse_day(args.end)
    if start > today:
        raise InvalidPeriod(f"the period starting {start} has not begun yet (today is {today})")
    # Like --period, a period not over yet ends today: the files say what they measured.
    return Period.checked(start, min(end, today) if end >= start else end)


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path

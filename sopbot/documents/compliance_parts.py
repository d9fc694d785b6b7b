"""The Mutu Baku compliance report as content: the overall figures, then per SOP, per step,
per position (jabatan), month against month and the slowest steps, each a table; the charts
(compliance_charts) go with the tables they show. Its appendix lists every SOP's procedures of
the period, each with its letter (procedure_list_parts).
"""

from __future__ import annotations

from typing import Final

from sopbot.documents.monitoring_parts import ACTIVITY_LIMIT, executors_text
from sopbot.documents.procedure_list_parts import procedure_list
from sopbot.documents.report_model import (
    Cell,
    Column,
    Part,
    ReportDocument,
    Table,
    count,
    date,
    decimal,
    difference,
    moment,
    month,
    share,
    text,
    working_time,
)
from sopbot.documents.report_words import (
    clipped,
    generated_local,
    generated_text,
    period_text,
    working_day_text,
    zone_text,
)
from sopbot.engine.compliance import SLOWEST_LISTED, SLOWEST_MIN_MEASURED
from sopbot.engine.monitoring import (
    ComplianceReport,
    ProcedureCounts,
    ReportHeader,
    SopFigures,
    TimeFigures,
)

TITLE: Final = "Laporan Kepatuhan Mutu Baku Waktu SOP"

# The keys of the charts shown with the tables (compliance_charts draws them).
CHART_MONTHS: Final = "months"
CHART_SLOWEST: Final = "slowest"
CHART_SOPS: Final = "sops"

_TIME_COLUMNS: Final = (
    Column("Langkah selesai diukur", 9),
    Column("Sesuai Mutu Baku (kali)", 9),
    Column("Sesuai Mutu Baku (%)", 9),
    Column("Median waktu nyata (waktu kerja)", 11),
    Column("9 dari 10 selesai dalam (waktu kerja)", 11),
)


def _time_cells(time: TimeFigures) -> tuple[Cell, ...]:
    return (
        count(time.measured),
        count(time.on_time if time.measured else None),
        share(time.on_time_share),
        working_time(time.median_seconds),
        working_time(time.p90_seconds),
    )


def compliance_document(
    report: ComplianceReport, *, printed_limit: int | None = None
) -> ReportDocument:
    """The whole report, its parts in reading order, and the list of the procedures (for a
    PDF, `printed_limit`: listed only when there are no more than that)."""
    header = report.header
    return ReportDocument(
        header=header,
        title=TITLE,
        subject=f"{header.agency_name}, {period_text(header)}",
        identity=(("Instansi", header.agency_name), ("Periode", period_text(header))),
        parts=(
            _summary(report),
            _per_sop(report),
            _per_step(report),
            _per_position(report),
            _per_month(report),
            _slowest(report),
        ),
        appendices=(
            procedure_list(report.sops, header, with_sop=True, printed_limit=printed_limit),
        ),
    )


def _note(header: ReportHeader) -> str:
    return (
        "Angka dihitung oleh sopbot dari prosedur yang dimulai dalam periode "
        f"{period_text(header)}, menurut keadaannya pada akhir periode; langkahnya diukur bila "
        "selesai sebelum akhir periode, dalam waktu kerja instansi (hari dan jam kerja, tanpa "
        f"hari libur; {working_day_text(header)}). Sesuai Mutu Baku: selesai paling lambat pada "
        "batas waktu Mutu Baku-nya. Median: separuh selesai dalam waktu itu atau kurang. "
        "Tanda \u201c–\u201d: belum ada yang selesai, jadi belum ada yang diukur. Dibuat "
        f"oleh sopbot pada {generated_text(header)}."
    )


def _procedure_rows(counts: ProcedureCounts) -> list[tuple[Cell, ...]]:
    return [
        (text("Prosedur dimulai"), count(counts.started)),
        (text("Prosedur selesai"), count(counts.finished)),
        (text("Prosedur dibatalkan"), count(counts.cancelled)),
        (text("Prosedur masih berjalan"), count(counts.running)),
    ]


def _summary(report: ComplianceReport) -> Part:
    """The overall figures, under the note on what they are (read before any table)."""
    header, time = report.header, report.time
    rows: list[tuple[Cell, ...]] = [
        (text("Instansi"), text(header.agency_name)),
        (text("Periode awal"), date(header.period_start)),
        (text("Periode akhir"), date(header.period_end)),
        (text(f"Dibuat ({zone_text(header)})"), moment(generated_local(header))),
        (text("SOP"), count(len(report.sops))),
        *_procedure_rows(report.procedures),
        (text("Langkah selesai diukur"), count(time.measured)),
        (text("Langkah sesuai Mutu Baku"), count(time.on_time if time.measured else None)),
        (text("Langkah terlambat"), count(time.late if time.measured else None)),
        (text("Langkah sesuai Mutu Baku (%)"), share(time.on_time_share)),
        (text("Median waktu nyata langkah (waktu kerja)"), working_time(time.median_seconds)),
        (text("9 dari 10 langkah selesai dalam (waktu kerja)"), working_time(time.p90_seconds)),
        (
            text("Median Mutu Baku langkah (waktu kerja)"),
            working_time(time.median_standard_seconds),
        ),
    ]
    return Part(
        sheet_name="Ringkasan",
        title="Ringkasan",
        intro=(_note(header),),
        table=Table((Column("Uraian", 44), Column("Nilai", 40)), tuple(rows)),
    )


def _sop_cell(sop: SopFigures) -> Cell:
    details = [f"Nomor: {sop.sop_number}"] if sop.sop_number else []
    if sop.unit:
        details.append(f"Unit: {sop.unit}")
    return text("\n".join([sop.name, *details]))


def _per_sop(report: ComplianceReport) -> Part:
    columns = (
        Column("No.", 5.5),
        Column("SOP", 34),
        Column("Prosedur dimulai", 9),
        Column("Prosedur selesai", 9),
        Column("Dibatalkan", 10),
        Column("Masih berjalan", 9),
        Column("Rata-rata putaran", 9),
        *_TIME_COLUMNS,
        Column("Prosedur selesai dalam jumlah Mutu Baku (%)", 10),
        Column("Median lama prosedur (waktu kerja)", 11),
    )
    rows = tuple(
        (
            text(str(number)),
            _sop_cell(sop),
            count(sop.procedures.started),
            count(sop.procedures.finished),
            count(sop.procedures.cancelled),
            count(sop.procedures.running),
            decimal(sop.rounds_per_procedure),
            *_time_cells(sop.time),
            share(sop.duration.on_time_share),
            working_time(sop.duration.median_seconds),
        )
        for number, sop in enumerate(report.sops, start=1)
    )
    return Part(
        sheet_name="Per SOP",
        title="Per SOP",
        table=Table(columns, rows),
        chart=CHART_SOPS,
    )


def _per_step(report: ComplianceReport) -> Part:
    columns = (
        Column("SOP", 26),
        Column("No.", 5.5),
        Column("Kegiatan", 34),
        Column("Pelaksana", 18),
        Column("Mutu Baku (Waktu)", 9),
        *_TIME_COLUMNS,
        Column("Diulang (kali)", 8),
        Column("Masih terbuka, terlambat", 10),
    )
    rows = tuple(
        (
            text(sop.name),
            text(step.step_label),
            text(clipped(step.activity, ACTIVITY_LIMIT)),
            text(executors_text(step)),
            text(step.standard),
            *_time_cells(step.time),
            count(step.repeated_runs),
            count(step.open_late),
        )
        for sop in report.sops
        for step in sop.steps
    )
    return Part(
        sheet_name="Per langkah",
        title="Per langkah",
        table=Table(columns, rows, group_by=0),
    )


def _per_position(report: ComplianceReport) -> Part:
    columns = (
        Column("Jabatan", 36),
        *_TIME_COLUMNS,
        Column("Terlambat (kali)", 9),
        Column("Median Mutu Baku (waktu kerja)", 11),
    )
    rows = tuple(
        (
            text(position.position_name),
            *_time_cells(position.time),
            count(position.time.late if position.time.measured else None),
            working_time(position.time.median_standard_seconds),
        )
        for position in report.positions
    )
    return Part(sheet_name="Per jabatan", title="Per jabatan", table=Table(columns, rows))


def _per_month(report: ComplianceReport) -> Part:
    columns = (
        Column("Bulan", 16),
        Column("Prosedur dimulai", 9),
        Column("Prosedur selesai", 9),
        Column("Dibatalkan", 9),
        Column("Masih berjalan", 9),
        *_TIME_COLUMNS,
    )
    rows = tuple(
        (
            month(figures.month),
            count(figures.procedures.started),
            count(figures.procedures.finished),
            count(figures.procedures.cancelled),
            count(figures.procedures.running),
            *_time_cells(figures.time),
        )
        for figures in report.months
    )
    return Part(
        sheet_name="Per bulan",
        title="Bulan ke bulan",
        intro=(
            "Kolom prosedur menghitung prosedur menurut bulan dimulainya, dengan keadaannya "
            "pada akhir periode; kolom langkah menghitung langkah menurut bulan selesainya.",
        ),
        table=Table(columns, rows),
        chart=CHART_MONTHS,
    )


def _slowest(report: ComplianceReport) -> Part:
    columns = (
        Column("No.", 5.5),
        Column("SOP", 26),
        Column("Langkah", 34),
        Column("Pelaksana", 18),
        Column("Mutu Baku (Waktu)", 9),
        Column("Median Mutu Baku (waktu kerja)", 11),
        Column("Median waktu nyata (waktu kerja)", 11),
        Column("Lebih lama dari Mutu Baku (waktu kerja)", 11),
        Column("9 dari 10 selesai dalam (waktu kerja)", 11),
        Column("Sesuai Mutu Baku (%)", 9),
    )
    rows = []
    for number, slow in enumerate(report.slowest, start=1):
        step, time = slow.step, slow.step.time
        excess = (
            time.median_seconds - time.median_standard_seconds
            if time.median_seconds is not None and time.median_standard_seconds is not None
            else None
        )
        rows.append(
            (
                text(str(number)),
                text(slow.sop_name),
                text(f"{step.step_label}. {clipped(step.activity, ACTIVITY_LIMIT)}"),
                text(executors_text(step)),
                text(step.standard),
                working_time(time.median_standard_seconds),
                working_time(time.median_seconds),
                difference(excess),
                working_time(time.p90_seconds),
                share(time.on_time_share),
            )
        )
    return Part(
        sheet_name="Langkah paling lambat",
        title="Langkah paling lambat",
        intro=(
            f"Langkah yang diukur sedikitnya {SLOWEST_MIN_MEASURED} kali dengan median waktu "
            f"nyata melebihi median Mutu Baku-nya, paling banyak {SLOWEST_LISTED}, diurutkan "
            "menurut perbandingan kedua median itu: yang paling lambat dibanding Mutu Baku-nya "
            "lebih dahulu.",
        ),
        table=Table(
            columns,
            tuple(rows),
            empty_text=(
                f"Tidak ada langkah yang diukur sedikitnya {SLOWEST_MIN_MEASURED} kali dengan "
                "median melebihi Mutu Baku."
            ),
        ),
        chart=CHART_SLOWEST,
    )

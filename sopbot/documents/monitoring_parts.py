"""The two forms of Permenpan RB 35/2012 (Lampiran, Bab IV Monitoring dan Evaluasi) as content:
the monitoring form (Tabel 7 "Monitoring Pelaksanaan SOP AP") and the evaluation form
("Evaluasi Penerapan SOP AP" with the regulation's seven criteria).

The regulation's columns keep its headings, its order and its numbers, and stay EMPTY: the
assessor judges, ticks a box, writes a note and initials. What sopbot measured goes beside them
in columns of their own under "Data pelaksanaan (diukur oleh sopbot)", numbered on from the
regulation's. In Tabel 7 a row is a "Prosedur"; here each step of the one SOP is a row, so
that the assessor judges each step beside what it took. The form's appendix lists the period's
procedures, each with its letter (procedure_list_parts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Final

from sopbot.documents.procedure_list_parts import procedure_list
from sopbot.documents.report_model import (
    Cell,
    Column,
    Part,
    ReportDocument,
    Table,
    blank,
    choice,
    count,
    decimal,
    share,
    text,
    working_time,
)
from sopbot.documents.report_words import (
    NOTHING,
    clipped,
    count_text,
    decimal_text,
    generated_text,
    period_text,
    share_text,
    span_text,
    trend_text,
    working_day_text,
    working_time_text,
)
from sopbot.engine.monitoring import (
    EvaluationFigures,
    HandlingCounts,
    MonitoringForm,
    ReportHeader,
    SopFigures,
    StepFigures,
)

MONITORING_TITLE: Final = "Monitoring Pelaksanaan SOP AP"
ACTIVITY_LIMIT: Final = 1000  # an SOP's activity is at most this long (engine.limits)
EXECUTORS_LIMIT: Final = 300
EVALUATION_TITLE: Final = "Evaluasi Penerapan SOP AP"
MEASURED_HEADING: Final = "Data pelaksanaan (diukur oleh sopbot)"

# A step sends the work back by a "no" answer (a branch that rejects) or by "Kembalikan".
RETURNED_BY: Final = "\u201ctidak\u201d atau \u201cKembalikan\u201d"
APPLIED_WELL: Final = "Berjalan dengan baik"
APPLIED_BADLY: Final = "Tidak berjalan dengan baik"

MONITORING_COLUMNS: Final = (
    Column("No.", 5.5, number=1),
    Column("Prosedur", 32, number=2),
    Column("Penilaian Terhadap Penerapan", 21, number=3),
    Column("Catatan Hasil Penilaian", 19, number=4),
    Column("Tindakan yang Harus Diambil", 19, number=5),
    Column("Paraf Penilai", 8, number=6),
    Column("Mutu Baku (Waktu)", 9, number=7, measured=True),
    Column("Selesai (kali)", 8.5, number=8, measured=True),
    Column("Sesuai Mutu Baku (kali)", 8, number=9, measured=True),
    Column("Sesuai Mutu Baku (%)", 8, number=10, measured=True),
    Column("Waktu nyata: median", 12, number=11, measured=True),
    Column("Waktu nyata: 9 dari 10 selesai dalam", 12, number=12, measured=True),
    Column("Diulang (kali)", 9, number=13, measured=True),
    Column("Masih terbuka, terlambat", 11, number=14, measured=True),
)
"""Tabel 7's six columns, then what sopbot measured for each step."""

MONITORING_HOW_TO: Final = (
    "Cara pengisian:",
    "Kolom (1) nomor urut langkah; kolom (2) langkah SOP AP yang dimonitor dan pelaksananya.",
    "Kolom (3) diisi penilai dengan tanda centang pada salah satu kotak: "
    f"{APPLIED_WELL} atau {APPLIED_BADLY}.",
    "Kolom (4) diisi penilai dengan catatan hasil penilaian; kolom (5) dengan tindakan yang "
    "harus diambil; kolom (6) dengan paraf penilai.",
    "Kolom (7) Mutu Baku waktu langkah menurut SOP; kolom (8) sampai (14) diisi sopbot dari "
    "pelaksanaan nyata sebagai bahan penilaian.",
)

CRITERIA: Final = (
    "Mampu mendorong peningkatan kinerja",
    "Mudah dipahami",
    "Mudah dilaksanakan",
    "Semua orang dapat menjalankan perannya masing-masing",
    "Mampu mengatasi permasalahan yang berkaitan dengan proses",
    "Mampu menjawab kebutuhan peningkatan kinerja organisasi",
    "Sinergi satu dengan lainnya",
)
"""The evaluation criteria of Permenpan RB 35/2012, in its order and words."""

EVALUATION_COLUMNS: Final = (
    Column("No.", 5.5, number=1),
    Column("Kriteria Penilaian", 30, number=2),
    Column("Penilaian", 11, number=3),
    Column("Catatan Hasil Penilaian", 26, number=4),
    Column("Tindakan yang Harus Diambil", 26, number=5),
    Column("Data pendukung", 62, number=6, measured=True),
)

EVALUATION_HOW_TO: Final = (
    "Cara pengisian:",
    "Kolom (3) diisi penilai dengan tanda centang pada kotak Ya atau Tidak: apakah SOP AP "
    "memenuhi kriteria pada kolom (2).",
    "Kolom (4) diisi penilai dengan catatan hasil penilaian; kolom (5) dengan tindakan yang "
    "harus diambil.",
    "Kolom (6) diisi sopbot dengan angka pelaksanaan nyata yang mendukung penilaian.",
)


def monitoring_document(
    form: MonitoringForm, *, printed_limit: int | None = None
) -> ReportDocument:
    """The monitoring form of one SOP over the period, and the list of its procedures (for a
    PDF, `printed_limit`: listed only when there are no more than that)."""
    sop = form.sop
    rows = [_monitoring_row(step) for step in sop.steps]
    rows.append(_monitoring_total(sop))
    table = Table(
        MONITORING_COLUMNS,
        tuple(rows),
        measured_heading=MEASURED_HEADING,
        total_rows=1,
    )
    part = Part(
        sheet_name="Monitoring",
        title="",
        table=table,
        intro=_procedure_lines(sop, form.header),
        notes=MONITORING_HOW_TO,
    )
    return ReportDocument(
        header=form.header,
        title=MONITORING_TITLE,
        subject=sop.name,
        identity=_identity(sop, form.header),
        parts=(part,),
        notes=(_figures_note(form.header, "kolom (8) sampai (14)"),),
        signature=True,
        appendices=(
            procedure_list((sop,), form.header, with_sop=False, printed_limit=printed_limit),
        ),
    )


def _identity(sop: SopFigures, header: ReportHeader) -> tuple[tuple[str, str], ...]:
    return (
        ("Nama SOP", sop.name),
        ("Nomor SOP", sop.sop_number or NOTHING),
        ("Unit kerja", sop.unit or NOTHING),
        ("Periode", period_text(header)),
    )


def _monitoring_row(step: StepFigures) -> tuple[Cell, ...]:
    time = step.time
    measured = time.measured > 0
    return (
        text(step.step_label),
        text(f"{clipped(step.activity, ACTIVITY_LIMIT)}\nPelaksana: {executors_text(step)}"),
        choice(APPLIED_WELL, APPLIED_BADLY),
        blank(),
        blank(),
        blank(),
        text(step.standard),
        count(time.measured),
        count(time.on_time if measured else None),
        share(time.on_time_share),
        working_time(time.median_seconds),
        working_time(time.p90_seconds),
        count(step.repeated_runs),
        count(step.open_late),
    )


def executors_text(step: StepFigures) -> str:
    """Who does the step, as the SOP names them (capped: a step may have ten)."""
    return clipped(", ".join(step.executors), EXECUTORS_LIMIT) or NOTHING


def _monitoring_total(sop: SopFigures) -> tuple[Cell, ...]:
    time = sop.time
    return (
        text(""),
        text("Seluruh langkah"),
        blank(),
        blank(),
        blank(),
        blank(),
        text(""),
        count(time.measured),
        count(time.on_time if time.measured else None),
        share(time.on_time_share),
        working_time(time.median_seconds),
        working_time(time.p90_seconds),
        count(sum(step.repeated_runs for step in sop.steps)),
        count(sum(step.open_late for step in sop.steps)),
    )


def _procedure_lines(sop: SopFigures, header: ReportHeader) -> tuple[str, ...]:
    counts = sop.procedures
    day = header.working_day_seconds
    duration = sop.duration
    lines = [
        f"Prosedur pada periode ini: {count_text(counts.started)} dimulai, "
        f"{count_text(counts.finished)} selesai, {count_text(counts.cancelled)} dibatalkan, "
        f"{count_text(counts.running)} masih berjalan.",
    ]
    if duration.measured:
        lines.append(
            f"Prosedur selesai dalam jumlah Mutu Baku seluruh langkahnya: "
            f"{count_text(duration.on_time)} dari {count_text(duration.measured)} "
            f"({share_text(duration.on_time_share)}); median lama prosedur "
            f"{working_time_text(duration.median_seconds, day)}."
        )
    if sop.rounds_per_procedure is not None:
        lines.append(
            f"Rata-rata putaran per prosedur: {decimal_text(sop.rounds_per_procedure)} "
            f"(paling banyak {count_text(sop.max_rounds)})."
        )
    return tuple(lines)


def _figures_note(header: ReportHeader, columns: str) -> str:
    return (
        f"Angka pada {columns} dihitung oleh sopbot dari prosedur yang dimulai dalam periode "
        f"{period_text(header)}; langkahnya diukur bila selesai sebelum akhir periode, dalam "
        f"waktu kerja instansi (hari dan jam kerja, tanpa hari libur; "
        f"{working_day_text(header)}). Sesuai Mutu Baku: selesai paling lambat pada "
        "batas waktu Mutu Baku-nya. Median: separuh langkah selesai dalam waktu itu atau "
        "kurang. Tanda \u201c–\u201d: belum ada langkah yang selesai, jadi belum ada yang "
        f"diukur. Dibuat oleh sopbot pada {generated_text(header)}."
    )


def evaluation_document(figures: EvaluationFigures) -> ReportDocument:
    """The evaluation form of one SOP: the seven criteria with the figures that support each,
    and the figures themselves against the previous period."""
    rows = tuple(
        (
            text(str(number)),
            text(criterion),
            choice("Ya", "Tidak"),
            blank(),
            blank(),
            text("\n".join(support)),
        )
        for number, (criterion, support) in enumerate(
            zip(CRITERIA, _support(figures), strict=True), start=1
        )
    )
    criteria = Part(
        sheet_name="Evaluasi",
        title="",
        table=Table(EVALUATION_COLUMNS, rows, measured_heading=MEASURED_HEADING),
        notes=EVALUATION_HOW_TO,
    )
    numbers = Part(
        sheet_name="Angka pendukung",
        title="Angka pendukung: periode ini dan periode sebelumnya",
        table=_figures_table(figures),
    )
    return ReportDocument(
        header=figures.header,
        title=EVALUATION_TITLE,
        subject=figures.sop.name,
        identity=_identity(figures.sop, figures.header),
        parts=(criteria, numbers),
        notes=(_figures_note(figures.header, "kolom (6) dan pada Angka pendukung"),),
        signature=True,
    )


@dataclass(frozen=True, slots=True)
class _Executor:
    name: str
    measured: int
    on_time: int


def _executors(sop: SopFigures) -> list[_Executor]:
    """Each executor's measured and on-time runs over the SOP's steps (a shared step counts
    for each of its executors), those with something measured only."""
    totals: dict[str, tuple[int, int]] = {}
    for step in sop.steps:
        for name in step.executors:
            measured, on_time = totals.get(name, (0, 0))
            totals[name] = (measured + step.time.measured, on_time + step.time.on_time)
    return [
        _Executor(name, measured, on_time)
        for name, (measured, on_time) in totals.items()
        if measured
    ]


def _of(part: int, whole: int) -> str:
    return f"{count_text(part)} dari {count_text(whole)}"


def _support(figures: EvaluationFigures) -> Iterable[list[str]]:
    """For each criterion in order, the lines of figures that support it."""
    sop, previous = figures.sop, figures.previous
    day = figures.header.working_day_seconds
    time, duration, counts = sop.time, sop.duration, sop.procedures
    before = previous.time.on_time_share if previous else None
    before_duration = previous.duration.on_time_share if previous else None
    span = _previous_span(figures)
    yield [
        f"Langkah sesuai Mutu Baku: {share_text(time.on_time_share)} "
        f"({_of(time.on_time, time.measured)}); "
        f"{trend_text(time.on_time_share, before, span)}.",
        f"Prosedur selesai dalam jumlah Mutu Baku: {share_text(duration.on_time_share)} "
        f"({_of(duration.on_time, duration.measured)}); "
        f"{trend_text(duration.on_time_share, before_duration, span)}.",
    ]
    repeated = sum(step.repeated_runs for step in sop.steps)
    yield [
        f"Langkah dikerjakan ulang: {count_text(repeated)} kali; dikembalikan (jawaban "
        f"{RETURNED_BY}): {count_text(figures.returned_runs)} kali.",
        f"Rata-rata putaran per prosedur: {decimal_text(sop.rounds_per_procedure)} "
        f"(paling banyak {count_text(sop.max_rounds)}).",
    ]
    yield _ease_lines(sop, day)
    yield _role_lines(figures)
    yield [
        f"Prosedur dibatalkan: {_of(counts.cancelled, counts.started)} yang dimulai; masih "
        f"berjalan: {count_text(counts.running)}.",
        f"Langkah masih terbuka dan terlambat pada akhir periode: "
        f"{count_text(sum(step.open_late for step in sop.steps))}.",
    ]
    started_before = (
        f" (periode sebelumnya {_of(previous.procedures.finished, previous.procedures.started)})"
        if previous
        else ""
    )
    yield [
        f"Prosedur selesai: {_of(counts.finished, counts.started)} yang dimulai{started_before}.",
        f"Median lama prosedur: {working_time_text(duration.median_seconds, day)}, median "
        f"jumlah Mutu Baku: {working_time_text(duration.median_standard_seconds, day)}.",
    ]
    yield [
        f"Langkah diserahkan oleh penerimanya kepada pejabat lain: "
        f"{count_text(figures.handed_over_runs)} kali; dipindahkan admin: "
        f"{count_text(figures.reassigned_runs)} kali.",
        f"Dokumen keluaran yang diunggah: {count_text(figures.documents)}.",
    ]


def _previous_span(figures: EvaluationFigures) -> str | None:
    """The previous period's days ("1 Juli 2025 s.d. 31 Desember 2025"), when known."""
    if figures.previous_start is None or figures.previous_end is None:
        return None
    return span_text(figures.previous_start, figures.previous_end)


def _ease_lines(sop: SopFigures, day: float | None) -> list[str]:
    time = sop.time
    lines = [
        f"Median waktu nyata langkah: {working_time_text(time.median_seconds, day)}; median "
        f"Mutu Baku: {working_time_text(time.median_standard_seconds, day)}.",
    ]
    late = [step for step in sop.steps if step.time.late]
    if late:
        hardest = min(late, key=lambda step: (step.time.on_time_share, -step.time.late))
        lines.append(
            f"Langkah paling sering terlambat: {hardest.step_label}. "
            f"{clipped(hardest.activity, 200)} "
            f"({_of(hardest.time.late, hardest.time.measured)} terlambat)."
        )
    elif time.measured:
        lines.append("Tidak ada langkah yang terlambat.")
    return lines


def _role_lines(figures: EvaluationFigures) -> list[str]:
    lines = []
    executors = _executors(figures.sop)
    if executors:
        lowest = min(executors, key=lambda e: (e.on_time / e.measured, -e.measured))
        highest = max(executors, key=lambda e: (e.on_time / e.measured, e.measured))
        lines.append(
            f"Pelaksana paling sering sesuai Mutu Baku: {highest.name} "
            f"({share_text(highest.on_time / highest.measured)}); paling jarang: "
            f"{lowest.name} ({share_text(lowest.on_time / lowest.measured)})."
        )
    else:
        lines.append("Belum ada langkah yang selesai diukur per pelaksana.")
    lines.append(
        f"Langkah dipindahkan admin ke pejabat lain: {count_text(figures.reassigned_runs)} kali; "
        f"diserahkan oleh penerimanya: {count_text(figures.handed_over_runs)} kali."
    )
    return lines


FIGURE_COLUMNS: Final = (
    Column("Uraian", 48),
    Column("Periode ini", 18, measured=True),
    Column("Periode sebelumnya", 18, measured=True),
)


def _figure_columns(figures: EvaluationFigures) -> tuple[Column, ...]:
    """FIGURE_COLUMNS, the previous period's heading with its days when they are known."""
    span = _previous_span(figures)
    if span is None:
        return FIGURE_COLUMNS
    label, now, before = FIGURE_COLUMNS
    return (label, now, replace(before, heading=f"{before.heading} ({span})"))


def _handling(figures: EvaluationFigures) -> HandlingCounts:
    """How this period's runs were handled, as the previous period's are kept."""
    return HandlingCounts(
        figures.reassigned_runs, figures.handed_over_runs, figures.returned_runs, figures.documents
    )


def _figures_table(figures: EvaluationFigures) -> Table:
    """This period's figures beside the previous period's ("–" where there is none)."""
    sop, previous = figures.sop, figures.previous
    rows: list[tuple[Cell, ...]] = []

    def add(label: str, pick: Callable[[SopFigures], Cell]) -> None:
        rows.append((text(label), pick(sop), pick(previous) if previous else count(None)))

    handled_before = figures.previous_handling

    def handled(label: str, pick: Callable[[HandlingCounts], int]) -> None:
        now = pick(_handling(figures))
        before = pick(handled_before) if handled_before else None
        rows.append((text(label), count(now), count(before)))

    add("Prosedur dimulai", lambda s: count(s.procedures.started))
    add("Prosedur selesai", lambda s: count(s.procedures.finished))
    add("Prosedur dibatalkan", lambda s: count(s.procedures.cancelled))
    add("Prosedur masih berjalan", lambda s: count(s.procedures.running))
    add(
        "Prosedur selesai dalam jumlah Mutu Baku (%)",
        lambda s: share(s.duration.on_time_share),
    )
    add("Median lama prosedur (waktu kerja)", lambda s: working_time(s.duration.median_seconds))
    add("Langkah selesai diukur", lambda s: count(s.time.measured))
    add("Langkah sesuai Mutu Baku", lambda s: count(s.time.on_time))
    add("Langkah sesuai Mutu Baku (%)", lambda s: share(s.time.on_time_share))
    add("Median waktu nyata langkah (waktu kerja)", lambda s: working_time(s.time.median_seconds))
    add(
        "Waktu nyata langkah, 9 dari 10 selesai dalam (waktu kerja)",
        lambda s: working_time(s.time.p90_seconds),
    )
    add("Rata-rata putaran per prosedur", lambda s: decimal(s.rounds_per_procedure))
    add(
        "Langkah dikerjakan ulang",
        lambda s: count(sum(step.repeated_runs for step in s.steps)),
    )
    handled(f"Langkah dikembalikan (jawaban {RETURNED_BY})", lambda h: h.returned_runs)
    handled("Langkah dipindahkan admin", lambda h: h.reassigned_runs)
    handled("Langkah diserahkan oleh penerimanya", lambda h: h.handed_over_runs)
    handled("Dokumen keluaran diunggah", lambda h: h.documents)
    return Table(_figure_columns(figures), tuple(rows), measured_heading=MEASURED_HEADING)

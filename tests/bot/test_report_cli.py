"""`sopbot report monitoring | evaluation | compliance`: the twin of /laporan. It writes the
files of the period asked for into a folder and prints their paths; a refusal exits 1 and
writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pdfplumber
import pytest
from openpyxl import load_workbook

from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade
from tests.helpers.agencies import seed_library, staff_agency, start_as
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.command_line import AGENCY, run, use_fresh_database

LIBRARY = seed_library()
SOP = "kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"
YEAR = str(dt.datetime.now(dt.UTC).year)
LAST_YEAR = str(int(YEAR) - 1)  # over: its --to is not cut at today


@pytest.fixture
def office(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Kesbangpol staffed, with one procedure started; the folder the files go to."""
    use_fresh_database(monkeypatch, tmp_path)
    database = Database(os.environ["DATABASE_URL"], audit_key=TEST_AUDIT_KEY)
    upgrade(database)
    procedures = ProcedureService(database, LIBRARY)
    agency = staff_agency(OrganizationService(procedures), LIBRARY.definitions[SOP])
    start_as(procedures, agency, LIBRARY.definitions[SOP], "Data Kinerja Triwulan III")
    yield tmp_path / "laporan"
    database.dispose()


def _written(out: str) -> list[Path]:
    return [Path(line) for line in out.splitlines()]


def test_the_monitoring_form_is_written_as_pdf_and_xlsx(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "report", "monitoring", AGENCY, SOP, "--period", YEAR, "-o", str(office)
    )
    assert (code, err) == (0, "")
    pdf, xlsx = _written(out)
    assert pdf.name.startswith("Formulir-Monitoring_kesbangpol-pekalongan-pengumpulan")
    assert pdf.name.endswith(f"_{YEAR}0101-{pdf.name[-12:-4]}.pdf")
    with pdfplumber.open(io.BytesIO(pdf.read_bytes())) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    assert "Prosedur" in text
    assert "Paraf" in text
    book = load_workbook(xlsx, read_only=True)
    assert book.worksheets


def test_the_evaluation_form_and_the_compliance_report_with_charts(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "report", "evaluation", AGENCY, SOP, "--from", f"1/1/{LAST_YEAR}", "--to",
        f"31/12/{LAST_YEAR}", "--format", "pdf", "--paper", "A4", "-o", str(office),
    )  # fmt: skip
    assert code == 0
    (pdf,) = _written(out)
    subject = "kesbangpol-pekalongan-pengumpulan-pengolahan-data-kinerja"
    assert pdf.name == f"Formulir-Evaluasi_{subject}_{LAST_YEAR}0101-{LAST_YEAR}1231.pdf"
    code, out, _ = run(
        capsys, "report", "compliance", AGENCY, "--period", YEAR, "--format", "xlsx",
        "--charts", "-o", str(office),
    )  # fmt: skip
    assert code == 0
    xlsx, *charts = _written(out)
    assert xlsx.name.startswith(f"Kepatuhan-Mutu-Baku_{AGENCY}_{YEAR}0101-")
    assert charts
    assert all(chart.read_bytes().startswith(b"\x89PNG") for chart in charts)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("monitoring", "no-such-agency", SOP, "--period", YEAR), "no agency no-such-agency"),
        (("monitoring", AGENCY, "no/such-sop", "--period", YEAR), "no/such-sop"),
        (("compliance", AGENCY, "--period", "kemarin"), "2026-S1"),
        (("compliance", AGENCY, "--period", "2999"), "not begun"),
        (("compliance", AGENCY), "give the period"),
        (("compliance", AGENCY, "--period", YEAR, "--from", "1/1/2026"), "not both"),
        (("compliance", AGENCY, "--from", "1/2/2026", "--to", "1/1/2026"), "before it starts"),
        (("compliance", AGENCY, "--from", "31/2/2026", "--to", "1/3/2026"), "does not exist"),
        (("compliance", AGENCY, "--from", "1/1/2999", "--to", "2/1/2999"), "not begun"),
    ],
)
def test_a_refusal_exits_1_and_writes_nothing(
    office: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], says: str
) -> None:
    code, out, err = run(capsys, "report", *argv, "-o", str(office))
    assert code == 1
    assert out == ""
    assert says in err
    assert not office.exists()


def test_a_period_not_over_yet_ends_today(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "report", "compliance", AGENCY, "--from", f"1/1/{YEAR}", "--to",
        f"31/12/{YEAR}", "--format", "pdf", "-o", str(office),
    )  # fmt: skip
    assert code == 0
    (pdf,) = _written(out)
    # The agency is in WIB: its today, as the files' period says it (cut from 31 December).
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    assert pdf.name.endswith(f"_{YEAR}0101-{today:%Y%m%d}.pdf")

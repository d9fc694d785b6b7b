"""/laporan through the real bot (issue 21): an admin chooses an SOP, a period and a report,
and receives the Permenpan RB 35/2012 monitoring form, the evaluation form and the Mutu Baku
compliance report as PDF and XLSX (and the compliance charts as photos), filled from the run
the officials just did; everyone else, and every forged button, is refused with nothing sent.
"""

from __future__ import annotations

import io
import zipfile

import pdfplumber
from openpyxl import load_workbook

from sopbot.demo.officials import Official, settle
from sopbot.demo.scenario import World, play, start_procedure
from sopbot.emulator import SeenMessage
from sopbot.messaging.keyboards import Action, callback
from tests.e2e.test_cancel_and_move import data_of, forged, t


async def _through_the_menu(admin: Official, sop_name: str, period: str) -> SeenMessage:
    """/laporan -> the SOP -> the period: the message offering the reports."""
    (menu,) = await admin.say("/laporan")
    assert (menu.text or "").startswith("📊 Laporan monitoring SOP")
    assert menu.button_list[0] == t("report_button.whole_agency")
    await admin.press_text(menu, sop_name[:48] if len(sop_name) <= 48 else sop_name[:47] + "…")
    periods = admin.user.message(menu.message_id)
    assert t("report_button.last_semester") in periods.button_list
    await admin.press_text(periods, period)
    return admin.user.message(menu.message_id)


def _pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _cells(content: bytes) -> list[object]:
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    return [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    ]


async def _files(admin: Official, count: int) -> list[SeenMessage]:
    return list(await admin.user.wait_for_bot_messages(count, timeout=60))


async def test_an_admin_gets_the_forms_and_the_compliance_report_of_a_finished_run(
    kesbangpol: World,
) -> None:
    await start_procedure(kesbangpol)
    await play(kesbangpol)
    admin = kesbangpol.admin
    definition = kesbangpol.definition
    name = definition.identity.name

    offers = await _through_the_menu(admin, name, t("report_button.this_month"))
    assert offers.button_list[:3] == [
        t("report_button.monitoring"),
        t("report_button.evaluation"),
        t("report_button.compliance"),
    ]
    assert "Kertas: F4" in (offers.text or "")

    # The monitoring form: its PDF and its workbook, named by us, carrying the SOP's steps.
    await admin.press_text(offers, t("report_button.monitoring"))
    pdf, xlsx = await _files(admin, 2)
    assert pdf.document is not None
    assert pdf.document.startswith("Formulir-Monitoring_")
    assert pdf.document.endswith(".pdf")
    assert xlsx.document is not None
    assert xlsx.document.endswith(".xlsx")
    assert (pdf.text or "").startswith("Formulir Monitoring Pelaksanaan SOP AP")
    text = _pdf_text(admin.user.document_content(pdf))
    for heading in ("Prosedur", "Penilaian", "Tindakan"):
        assert heading in text
    first = definition.steps[0].activity.split()[0]
    assert first in text
    cells = _cells(admin.user.document_content(xlsx))
    assert any(isinstance(c, str) and "Prosedur" in c for c in cells)

    # The evaluation form, on A4 this time.
    await admin.press_text(offers, t("report_button.paper", paper="A4"))
    on_a4 = admin.user.message(offers.message_id)
    assert "Kertas: A4" in (on_a4.text or "")
    await admin.press_text(on_a4, t("report_button.evaluation"))
    pdf, xlsx = await _files(admin, 2)
    assert (pdf.document or "").startswith("Formulir-Evaluasi_")
    assert "mudah dipahami" in _pdf_text(admin.user.document_content(pdf)).lower()
    with zipfile.ZipFile(io.BytesIO(admin.user.document_content(xlsx))) as workbook:
        assert "xl/workbook.xml" in workbook.namelist()

    # The compliance report: two files, then its charts as photos.
    await admin.press_text(on_a4, t("report_button.compliance"))
    received = await _files(admin, 3)
    pdf, xlsx = received[0], received[1]
    assert (pdf.document or "").startswith("Kepatuhan-Mutu-Baku_")
    assert "dalam Mutu Baku" in (pdf.text or "")
    assert received[2].photo
    await settle(kesbangpol.emulator, kesbangpol.parts)
    charts = [m for m in admin.user.bot_messages() if m.photo]
    assert charts
    assert all(admin.user.photo_content(m).startswith(b"\x89PNG") for m in charts)


async def test_the_whole_agency_has_its_compliance_report_only(kesbangpol: World) -> None:
    admin = kesbangpol.admin
    (menu,) = await admin.say("/laporan")
    await admin.press_text(menu, t("report_button.whole_agency"))
    periods = admin.user.message(menu.message_id)
    await admin.press_text(periods, t("report_button.last_semester"))
    offers = admin.user.message(menu.message_id)
    assert offers.button_list[0] == t("report_button.compliance")
    assert t("report_button.monitoring") not in offers.button_list
    # A monitoring form of "the whole agency" is no report: a forged button is refused.
    forged_data = data_of(admin, offers, t("report_button.compliance")).replace(":k:", ":m:")
    assert await forged(admin, offers, forged_data) == t("answer.invalid_button")
    await admin.press_text(offers, t("report_button.compliance"))
    pdf, xlsx = await _files(admin, 2)
    assert "Belum ada langkah selesai" in (pdf.text or "")
    assert (xlsx.document or "").endswith(".xlsx")
    # Nothing was measured, so there is no chart to send.
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert not [m for m in admin.user.bot_messages() if m.photo]


async def test_officials_and_forged_buttons_are_refused(kesbangpol: World) -> None:
    official = kesbangpol.officials["sekretaris"]
    (refusal,) = await official.say("/laporan")
    assert refusal.text == t("status_report.not_admin")

    admin = kesbangpol.admin
    (menu,) = await admin.say("/laporan")
    before = len(admin.user.bot_messages())
    for data in (
        callback(Action.REPORT_SCOPE, "deadbeef"),  # no SOP of this agency
        callback(Action.REPORT_PERIOD, "all", "m9", "F4"),  # no such period
        callback(Action.REPORT_PERIOD, "all", "m0", "A3"),  # no such paper
        callback(Action.REPORT_MAKE, "all", "m0", "z", "F4"),  # no such report
    ):
        assert await forged(admin, menu, data) == t("answer.invalid_button")
    # An official pressing the admin's button gets the admin-only answer, nothing else.
    scope = data_of(admin, menu, t("report_button.whole_agency"))
    query = official.user.press_raw(refusal.message_id, scope)
    assert (await official.user.wait_for_answer(query)).text == t("status_report.not_admin")
    await settle(kesbangpol.emulator, kesbangpol.parts)
    assert len(admin.user.bot_messages()) == before

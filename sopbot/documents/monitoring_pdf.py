"""The monitoring forms and the compliance report as PDF, landscape on F4 or A4: the files an
admin prints for the assessor and hands to the Inspektorat."""

from __future__ import annotations

from sopbot.documents.compliance_charts import chart_set
from sopbot.documents.compliance_parts import compliance_document
from sopbot.documents.monitoring_parts import evaluation_document, monitoring_document
from sopbot.documents.page_format import Paper
from sopbot.documents.procedure_list_parts import PRINTED_LIMIT
from sopbot.documents.report_model import Charts
from sopbot.documents.report_pdf import document_pdf
from sopbot.engine.monitoring import ComplianceReport, EvaluationFigures, MonitoringForm


def monitoring_form_pdf(form: MonitoringForm, paper: Paper = "F4") -> bytes:
    """The monitoring form (Tabel 7 "Monitoring Pelaksanaan SOP AP") of one SOP as a PDF, the
    list of its procedures after it (when there are no more than `PRINTED_LIMIT`)."""
    return document_pdf(monitoring_document(form, printed_limit=PRINTED_LIMIT), paper, {})


def evaluation_form_pdf(figures: EvaluationFigures, paper: Paper = "F4") -> bytes:
    """The evaluation form ("Evaluasi Penerapan SOP AP") of one SOP as a PDF."""
    return document_pdf(evaluation_document(figures), paper, {})


def compliance_pdf(
    report: ComplianceReport, paper: Paper = "F4", charts: Charts | None = None
) -> bytes:
    """The Mutu Baku compliance report as a PDF, its charts beside their tables (`charts`:
    drawn already by `chart_set`, so that the PDF, the workbook and the photos share them),
    and the list of the procedures (when there are no more than `PRINTED_LIMIT`)."""
    return document_pdf(
        compliance_document(report, printed_limit=PRINTED_LIMIT),
        paper,
        chart_set(report) if charts is None else charts,
    )

"""The monitoring forms and the compliance report as XLSX workbooks: the same content as the
PDF, with real numbers and dates to sort, filter and sum, printable on F4 or A4."""

from __future__ import annotations

from sopbot.documents.compliance_charts import chart_set
from sopbot.documents.compliance_parts import compliance_document
from sopbot.documents.monitoring_parts import evaluation_document, monitoring_document
from sopbot.documents.page_format import Paper
from sopbot.documents.report_model import Charts
from sopbot.documents.report_xlsx import document_xlsx
from sopbot.engine.monitoring import ComplianceReport, EvaluationFigures, MonitoringForm


def monitoring_form_xlsx(form: MonitoringForm, paper: Paper = "F4") -> bytes:
    """The monitoring form (Tabel 7 "Monitoring Pelaksanaan SOP AP") of one SOP as XLSX, and
    the list of its procedures on a sheet of its own."""
    return document_xlsx(monitoring_document(form), paper, {})


def evaluation_form_xlsx(figures: EvaluationFigures, paper: Paper = "F4") -> bytes:
    """The evaluation form ("Evaluasi Penerapan SOP AP") of one SOP as XLSX: the criteria
    sheet and the supporting figures against the previous period."""
    return document_xlsx(evaluation_document(figures), paper, {})


def compliance_xlsx(
    report: ComplianceReport, paper: Paper = "F4", charts: Charts | None = None
) -> bytes:
    """The Mutu Baku compliance report as XLSX: a sheet for the summary, per SOP, per step,
    per position, per month and the slowest steps, the charts under their tables, and the
    list of every procedure."""
    return document_xlsx(
        compliance_document(report), paper, chart_set(report) if charts is None else charts
    )

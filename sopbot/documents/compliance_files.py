"""What an admin is handed for a compliance report: the PDF, the workbook and the charts as
photos, with the charts drawn once for all three (drawing them is most of the files' time)."""

from __future__ import annotations

from dataclasses import dataclass

from sopbot.documents.compliance_charts import chart_set
from sopbot.documents.monitoring_pdf import compliance_pdf
from sopbot.documents.monitoring_xlsx import compliance_xlsx
from sopbot.documents.page_format import Paper
from sopbot.engine.monitoring import ComplianceReport


@dataclass(frozen=True, slots=True)
class ComplianceFiles:
    """The files of one compliance report (None: not asked for)."""

    pdf: bytes | None
    xlsx: bytes | None
    charts: list[tuple[str, bytes]]  # title and PNG; those with nothing to show left out


def compliance_files(
    report: ComplianceReport, paper: Paper = "F4", *, pdf: bool = True, xlsx: bool = True
) -> ComplianceFiles:
    """The report's PDF and workbook (those asked for) and its charts."""
    charts = chart_set(report)
    return ComplianceFiles(
        compliance_pdf(report, paper, charts) if pdf else None,
        compliance_xlsx(report, paper, charts) if xlsx else None,
        list(charts.values()),
    )

"""The names of the report files sopbot makes: what the report is, what it covers and when,
in plain ASCII with no path in it (a subject's own characters never reach a file system)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Final, Literal

ReportName = Literal["monitoring", "evaluation", "compliance"]

_PREFIXES: Final[dict[ReportName, str]] = {
    "monitoring": "Formulir-Monitoring",
    "evaluation": "Formulir-Evaluasi",
    "compliance": "Kepatuhan-Mutu-Baku",
}
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9]+")
SUBJECT_CHARACTERS: Final = 60


def file_stem(report: ReportName, subject: str, start: dt.date, end: dt.date) -> str:
    """E.g. "Formulir-Monitoring_kesbangpol-pekalongan-surat-masuk_20260101-20260630"."""
    safe = _UNSAFE.sub("-", subject).strip("-")[:SUBJECT_CHARACTERS].strip("-") or "sop"
    return f"{_PREFIXES[report]}_{safe}_{start:%Y%m%d}-{end:%Y%m%d}"

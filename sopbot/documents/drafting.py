"""From what a reader found to a draft definition and its review report.

A draft keeps every cell as written. What the document does not settle is inferred and
reported for a person to confirm, or marked `??` (engine/draft_marks) so that the validator
refuses the draft until a person decides (header_drafting.py, step_drafting.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from sopbot.documents.draft_yaml import DraftWriter
from sopbot.documents.header_drafting import HeaderDrafter
from sopbot.documents.header_table import read_header
from sopbot.documents.procedure_table import ProcedureTable, find_procedure_table
from sopbot.documents.review import ImportReport, ReviewKind
from sopbot.documents.sheet_model import SheetDocument
from sopbot.documents.step_drafting import StepDrafter

_TITLE_PREFIX: Final = re.compile(
    r"^(?:standar\s+operasional\s+prosedur|standard\s+operating\s+procedure|s\.?o\.?p\.?"
    r"|prosedur)\s*(?:\(sop\)\s*)?:?\s*(?:tentang\s+)?",
    re.IGNORECASE,
)


class NoProcedureTable(ValueError):
    """The document has no table with the procedure table's header."""


@dataclass(slots=True)
class Draft:
    """A draft definition's text, the SOP's name as the document gives it, and its report."""

    text: str
    name: str
    report: ImportReport
    steps: int
    roles: int
    decisions: int
    undecided: int


def draft_definition(sheet: SheetDocument, *, source_name: str) -> Draft:
    """The draft of a document's SOP; NoProcedureTable when it has none."""
    table = find_procedure_table(sheet)
    if table is None or not table.rows:
        raise NoProcedureTable(source_name)
    report = ImportReport()
    for note in sheet.notes:
        report.add(ReviewKind.CONFIRM, source_name, "reader_note", note=note)
    header = read_header(sheet.grids[: table.grid_indexes[0]], sheet.paragraphs)
    writer = DraftWriter(source_name)
    name = HeaderDrafter(writer, header, report).write(_table_title(sheet, table))
    steps = StepDrafter(writer, sheet, table, report)
    roles = steps.write_roles()
    steps.write_steps()
    for skipped in table.skipped:
        report.add(ReviewKind.CONFIRM, skipped, "row_skipped")
    return Draft(
        text=writer.text(),
        name=name,
        report=report,
        steps=len(table.rows),
        roles=roles,
        decisions=steps.decisions,
        undecided=report.to_decide,
    )


def _table_title(sheet: SheetDocument, table: ProcedureTable) -> str | None:
    grid = sheet.grids[table.grid_indexes[0]]
    return next((" ".join(p.split()) for p in reversed(grid.preceding) if p.strip()), None)


def suggested_name(title: str) -> str:
    """A file name for the SOP from its title: "SOP Pengolahan Data Kinerja" ->
    pengolahan-data-kinerja."""
    text = _TITLE_PREFIX.sub("", " ".join(title.split())).strip()
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-") or "sop-impor"

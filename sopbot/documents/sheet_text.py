"""Text into a workbook's cell as text, whoever wrote it.

A title, a letter's sender or a name comes from people: one that starts with "=" must stay
words (openpyxl would store it as a formula, live in the auditor's Excel), and the control
characters a workbook cannot hold (openpyxl refuses them, and the whole file with them) are
left out rather than lose the report.
"""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell


def put_text(cell: Cell | MergedCell, text: str | None) -> None:
    """Write `text` into `cell` as text (None or "" leaves the cell empty)."""
    if not text:
        cell.value = None
        return
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.data_type = "s"  # text, even when it starts with "="

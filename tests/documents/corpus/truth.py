"""The expected reading of a corpus document (its truth file), derived from its spec.

The truth files are kept in `tests/documents/corpus/truth/` so that a person can read what the
importer is scored against; `tests/documents/test_corpus.py` checks that they still agree with
the specs. Shape:

    document: surat-masuk-kecamatan.docx
    layout: docx-drawingml
    refused: false
    roles: [Camat, Sekretaris, Kasi Pemerintahan, Staf]
    steps:
      - no: "1"
        kegiatan: Menerima surat masuk ...
        pelaksana: [Staf]        # null where the document cannot say (the importer must flag it)
        waktu: 5 Menit           # exactly as written
        waktu_terbaca: true      # false: the importer must mark it (?? or {tertulis, baku})
        keputusan: {ya: "6", tidak: "4"}   # on diamonds only
        catatan: ...             # why, where the document does not spell it out
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sopbot.engine.durations import DurationError, parse_standard_time
from tests.documents.corpus.flow import flow_note, follows_usual_reading, usual_no, usual_yes
from tests.documents.corpus.model import (
    CorpusDocument,
    DocxLayout,
    PdfLayout,
    Step,
    TextLayout,
)

TRUTH_FOLDER = Path(__file__).with_name("truth")


def readable(waktu: str) -> bool:
    """True when the definition format reads this time as written (sopbot's own reader)."""
    try:
        parse_standard_time(waktu)
    except DurationError:
        return False
    return True


def executors_shown(document: CorpusDocument) -> bool:
    """False where the document cannot say who executes (text without marks)."""
    layout = document.layout
    return not (isinstance(layout, TextLayout) and layout.mark is None)


def _diamonds(layout: object) -> bool:
    """True where the document draws a decision as a diamond."""
    if isinstance(layout, DocxLayout):
        return layout.symbols != "mark"
    return isinstance(layout, PdfLayout) and layout.symbols == "vector"


def _drawn(layout: object) -> bool:
    return isinstance(layout, PdfLayout) and layout.symbols == "vector" and layout.flow_lines


def decision_reason(document: CorpusDocument, step: Step) -> str | None:
    """Why the truth gives this decision its targets when the document does not write them;
    None where Keterangan writes them. Raises when nothing in the document would say it."""
    sop, layout = document.sop, document.layout
    style = layout.note_style
    if flow_note(sop, step, style):
        return None
    if _drawn(layout):
        assert isinstance(layout, PdfLayout)
        page_of = {
            sop.steps[i].no: page
            for page, rows in enumerate(layout.pages(len(sop.steps)))
            for i in rows
        }
        # The next row may be on the next page (the off-page connector carries the line).
        jumps = (step.tidak,) if step.ya == usual_yes(sop, step) else (step.ya, step.tidak)
        targets = [t for t in jumps if t in page_of]
        if any(page_of[t] != page_of[step.no] for t in targets):
            raise ValueError(f"{document.filename} step {step.no}: a line cannot cross pages")
        return (
            f"not written; drawn: the 'tidak' line goes back up to step {step.tidak}, "
            f"'ya' goes on to {step.ya}"
        )
    if not _diamonds(layout):
        raise ValueError(
            f"{document.filename} step {step.no}: marks draw no diamond, so the decision "
            "must be written in Keterangan"
        )
    if not follows_usual_reading(sop, step):
        raise ValueError(
            f"{document.filename} step {step.no}: the targets are neither written nor drawn "
            f"nor the usual reading (ya {usual_yes(sop, step)}, tidak {usual_no(sop, step)})"
        )
    if isinstance(layout, TextLayout):
        raise ValueError(f"{document.filename} step {step.no}: a text decision must be written")
    earlier = sop.step_by_no(step.tidak) if step.tidak else None
    who = ", ".join(sop.role(k).nama for k in earlier.by) if earlier else "?"
    return (
        "not written: the usual reading, 'ya' goes on to the next row "
        f"({step.ya}) and 'tidak' back to the nearest earlier step done by another role "
        f"(step {step.tidak}, {who})"
    )


def truth_of(document: CorpusDocument) -> dict[str, Any]:
    """The truth file's content for `document`."""
    if isinstance(document.layout, PdfLayout) and document.layout.symbols == "scanned":
        return {
            "document": document.filename,
            "layout": document.kind,
            "refused": True,
            "catatan": "a scanned page (an image only, no text): nothing can be read",
            "roles": [],
            "steps": [],
        }
    sop = document.sop
    shown = executors_shown(document)
    steps: list[dict[str, Any]] = []
    for step in sop.steps:
        row: dict[str, Any] = {
            "no": step.no,
            "kegiatan": step.kegiatan,
            "pelaksana": [sop.role(k).nama for k in step.by] if shown else None,
            "waktu": step.waktu,
            "waktu_terbaca": readable(step.waktu),
        }
        if step.decision:
            row["keputusan"] = {"ya": step.ya, "tidak": step.tidak}
            reason = decision_reason(document, step)
            if reason:
                row["catatan"] = reason
        if not shown:
            row["catatan_pelaksana"] = "no symbol or mark survives in the text: flag it (??)"
        steps.append(row)
    truth: dict[str, Any] = {
        "document": document.filename,
        "layout": document.kind,
        "refused": False,
        "nama": sop.header.nama,
        "roles": [role.nama for role in sop.roles],
        "steps": steps,
    }
    if document.why:
        truth["catatan"] = document.why
    return truth


def truth_text(document: CorpusDocument) -> str:
    """The truth file as written to disk."""
    return (
        f"# The expected reading of {document.filename} ({document.kind}): {document.hard}.\n"
        "# Written by tests/documents/corpus (python -m tests.documents.corpus --truth); "
        "do not edit by hand.\n"
        + yaml.safe_dump(
            truth_of(document),
            allow_unicode=True,
            sort_keys=False,
            width=100,
            default_flow_style=None,
        )
    )

"""The whole SOP as a PDF: the identity page, then the procedure table's pages."""

from __future__ import annotations

import io

from reportlab.pdfgen.canvas import Canvas

from sopbot.documents.cells import table_title
from sopbot.documents.flowchart import arrows, row_symbols
from sopbot.documents.page_format import PAGE_HEIGHT, PAGE_WIDTH
from sopbot.documents.pdf_identity import paint_identity
from sopbot.documents.pdf_procedure import paint_procedure
from sopbot.documents.pdf_shapes import Page
from sopbot.documents.pdf_text import printable, register_fonts
from sopbot.documents.procedure_pages import ProcedureLayout, lay_out
from sopbot.engine.definition import SopDefinition


def procedure_layout(definition: SopDefinition) -> ProcedureLayout:
    """The procedure table measured and put on pages (also how many table pages there are)."""
    return lay_out(definition, row_symbols(definition), arrows(definition))


def pdf_bytes(definition: SopDefinition, *, identity: bool = True) -> bytes:
    """The PDF: the identity page (unless `identity` is False) and the table pages."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
    canvas.setTitle(printable(table_title(definition)))
    canvas.setSubject(definition.id)
    canvas.setCreator("sopbot")
    started = False

    def new_page() -> Page:
        nonlocal started
        if started:
            canvas.showPage()
        started = True
        canvas.setStrokeGray(0)
        canvas.setFillGray(0)
        return Page(canvas, PAGE_HEIGHT)

    if identity:
        paint_identity(new_page, definition.identity)
    paint_procedure(new_page, procedure_layout(definition))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()

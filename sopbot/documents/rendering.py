"""The SOP drawn as the official Permenpan RB 35/2012 document that agencies print and sign.

    render_pdf(definition)        -> bytes   identity page, then the procedure table's pages
    render_docx(definition)       -> bytes   the same in Word tables with flowchart shapes
    render_png(definition)        -> bytes   the PDF's pages stacked into one picture
    render_table_png(definition)  -> list    one picture per page of the procedure table

docs/documents.md describes the document; `sopbot sop render` writes it to a file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sopbot.documents.docx_document import docx_bytes
from sopbot.documents.pdf_document import pdf_bytes, procedure_layout
from sopbot.documents.png_pages import (
    fits_photo,
    page_images,
    photo_width,
    png,
    stack,
    trimmed,
)
from sopbot.engine.definition import SopDefinition


def render_pdf(definition: SopDefinition) -> bytes:
    """The PDF: the identity page, then the procedure table on A4 landscape pages with the
    flowchart drawn in the Pelaksana columns (vector shapes, real text)."""
    return pdf_bytes(definition)


def render_docx(definition: SopDefinition) -> bytes:
    """The Word document: the identity header table, then the procedure table in a landscape
    section, a DrawingML flowchart shape in each executor's cell."""
    return docx_bytes(definition)


def render_png(definition: SopDefinition) -> bytes:
    """The PDF's pages stacked into one PNG on white, 1,800 px wide, for a phone, each page cut
    short under its content.

    The picture stays within what Telegram accepts as a photo (width + height at most 10,000
    px, sides' ratio at most 20, under 10 MB): an SOP whose pages do not all fit is shown by
    its procedure table's pages alone, without the identity page, narrower if need be, down to
    900 px. A table longer than that allows (about a dozen pages) is still stacked whole, as a
    file too tall for a photo: such an SOP is sent as its PDF, or page by page
    (`render_table_png`).
    """
    pdf = pdf_bytes(definition)
    images = [trimmed(image) for image in page_images(pdf)]
    if fits_photo(images[0].width, [image.height for image in images]):
        return png(stack(images))
    table_pages = len(procedure_layout(definition).pages)
    tables = images[-table_pages:]
    if not fits_photo(tables[0].width, [image.height for image in tables]):
        width = photo_width(tables[0].height / tables[0].width, table_pages)
        tables = [trimmed(image) for image in page_images(pdf, width=width)[-table_pages:]]
    return png(stack(tables))


def render_table_png(definition: SopDefinition) -> list[bytes]:
    """One PNG per page of the procedure table (1,800 px wide), for a review message."""
    table_pages = len(procedure_layout(definition).pages)
    pdf = pdf_bytes(definition, identity=False)
    images = page_images(pdf)
    return [png(image) for image in images[-table_pages:]]


RENDERERS: Final[dict[str, Callable[[SopDefinition], bytes]]] = {
    ".pdf": render_pdf,
    ".docx": render_docx,
    ".png": render_png,
}
"""The renderer of each file suffix that `sopbot sop render -o` accepts."""

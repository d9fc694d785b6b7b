"""The procedure table's pages as pictures for a phone: each page without the blank paper
below (and above) the table, so that a short SOP's table fills the photo instead of a third of
an A4 page."""

from __future__ import annotations

from io import BytesIO
from typing import Final

from PIL import Image, ImageOps

from sopbot.documents.rendering import render_table_png
from sopbot.engine.definition import SopDefinition

MARGIN: Final = 40  # pixels of paper kept above and below the table


def table_pictures(definition: SopDefinition) -> list[bytes]:
    """One PNG per page of the procedure table, cut to the rows drawn on it."""
    return [_trimmed(picture) for picture in render_table_png(definition)]


def _trimmed(picture: bytes) -> bytes:
    with Image.open(BytesIO(picture)) as image:
        page = image.convert("L")
        drawn = ImageOps.invert(page).getbbox()  # the box of everything not white
        if drawn is None:
            return picture
        top = max(drawn[1] - MARGIN, 0)
        bottom = min(drawn[3] + MARGIN, page.height)
        out = BytesIO()
        page.crop((0, top, page.width, bottom)).save(out, format="PNG", optimize=True)
    return out.getvalue()

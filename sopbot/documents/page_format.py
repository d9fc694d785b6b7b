"""The paper the document is printed on: A4 landscape with the margins of an office print."""

from __future__ import annotations

from typing import Final

from reportlab.lib.pagesizes import A4, landscape

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN: Final = 34.0  # 12 mm: inside any office printer's unprintable edge
CONTENT_WIDTH: Final = PAGE_WIDTH - 2 * MARGIN
CONTENT_BOTTOM: Final = PAGE_HEIGHT - MARGIN
PADDING: Final = 4.0  # between a cell's ruling and its text

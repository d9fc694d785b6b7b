"""The paper the document is printed on: A4 landscape with the margins of an office print.

The monitoring forms and reports are printed on the paper an office has: F4 (215 x 330 mm, what
Indonesian offices print on) or A4, named by `Paper`.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN: Final = 34.0  # 12 mm: inside any office printer's unprintable edge
CONTENT_WIDTH: Final = PAGE_WIDTH - 2 * MARGIN
CONTENT_BOTTOM: Final = PAGE_HEIGHT - MARGIN
PADDING: Final = 4.0  # between a cell's ruling and its text

Paper = Literal["F4", "A4"]
"""The papers the monitoring forms and reports are laid out for."""

PAPERS: Final = get_args(Paper)
_PORTRAIT_SIZES: Final = {"F4": (215 * mm, 330 * mm), "A4": A4}


def paper_size(paper: Paper, *, wide: bool) -> tuple[float, float]:
    """The page's width and height in points, turned landscape when `wide`; a ValueError
    naming the papers there are for any other paper."""
    if paper not in _PORTRAIT_SIZES:
        raise ValueError(f"unknown paper {paper!r}: write one of {', '.join(PAPERS)}")
    width, height = _PORTRAIT_SIZES[paper]
    return (height, width) if wide else (width, height)

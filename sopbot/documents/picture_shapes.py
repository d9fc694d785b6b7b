"""Telling a pasted picture of a flowchart symbol by its outline: a box, a rounded box or a
diamond.

Agencies often paste symbols as pictures (copied from another SOP, or drawn in Visio). The
outline's ink along the top edge tells the shape: a rectangle is inked to its corners, a
rounded box stops short of them, a diamond only touches the top in the middle.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from sopbot.documents.sheet_model import SymbolKind

_MAX_PIXELS = 4_000_000  # a symbol is small; anything larger is not read (decompression bombs)


def classify_picture(data: bytes) -> SymbolKind:
    """The symbol a picture draws; PICTURE when its outline cannot be told."""
    ink = _ink(data)
    if ink is None:
        return SymbolKind.PICTURE
    box = ink.getbbox()
    if box is None:
        return SymbolKind.PICTURE
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    if min(width, height) < 6 or width / height > 4 or height / width > 4:
        return SymbolKind.PICTURE
    pixels = ink.load()
    assert pixels is not None  # noqa: S101 - a loaded image has pixels

    def inked_near(x: int, y: int) -> bool:
        """Ink within a couple of pixels below (x, y): outlines are not always on one row."""
        return any(pixels[min(max(x, left), right - 1), min(y + dy, bottom - 1)] for dy in range(3))

    corner = inked_near(left + max(1, width // 50), top)
    quarter = inked_near(left + width // 4, top)
    middle = inked_near(left + width // 2, top)
    if quarter and middle:
        return SymbolKind.PROCESS if corner else SymbolKind.TERMINATOR
    if middle and inked_near(left + width // 4, top + height // 4 - 1):
        return SymbolKind.DECISION
    if middle and abs(width - height) <= max(width, height) // 8:
        return SymbolKind.CONNECTOR
    return SymbolKind.PICTURE


def _ink(data: bytes) -> Image.Image | None:
    """The picture as ink (white) on paper (black), or None when it cannot be read safely."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > _MAX_PIXELS:
                return None
            grey = image.convert("L")
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        return None
    return grey.point(lambda value: 255 if value < 128 else 0)

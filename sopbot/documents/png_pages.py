"""PDF pages as PNG pictures (pypdfium2), for a phone: one page each, or stacked into one.

Telegram sends a photo only when its width plus height is at most 10,000 pixels, its sides'
ratio at most 20, and its file under 10 MB. A stacked picture of all pages at the reading width
(1,800 px) holds about four A4 landscape pages; when the pages do not fit, the identity page is
left out (the table is what a reviewer checks on a phone), and when the table pages alone still
do not fit, the picture is made narrower until they do.
"""

from __future__ import annotations

import io
from typing import Final

import pypdfium2
from PIL import Image

READING_WIDTH: Final = 1800  # px: text of 9 pt reads at about 19 px on a phone
MIN_WIDTH: Final = 900
PHOTO_SIDES: Final = 10_000  # width + height, Telegram's sendPhoto limit
PHOTO_RATIO: Final = 20
GAP: Final = 24  # px of white between stacked pages


def page_images(pdf: bytes, *, width: int = READING_WIDTH) -> list[Image.Image]:
    """Every page of the PDF drawn `width` pixels wide on white."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        images = []
        for index in range(len(document)):
            page = document[index]
            scale = width / page.get_width()
            bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255))
            images.append(bitmap.to_pil().convert("RGB"))
            page.close()
        return images
    finally:
        document.close()


def png(image: Image.Image) -> bytes:
    """An image as PNG bytes, in grey levels: the document is black on white, and a grey PNG
    is less than half the size of a colour one and quicker to make."""
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def stack(images: list[Image.Image]) -> Image.Image:
    """Images one under the other on white, as wide as the widest."""
    width = max(image.width for image in images)
    height = sum(image.height for image in images) + GAP * (len(images) - 1)
    sheet = Image.new("RGB", (width, height), "white")
    y = 0
    for image in images:
        sheet.paste(image, ((width - image.width) // 2, y))
        y += image.height + GAP
    return sheet


def fits_photo(width: int, heights: list[int]) -> bool:
    """True when pages of these heights, stacked at this width, make an acceptable photo."""
    height = sum(heights) + GAP * (len(heights) - 1)
    return width + height <= PHOTO_SIDES and height <= PHOTO_RATIO * width


def photo_width(page_ratio: float, pages: int) -> int:
    """The widest picture (up to the reading width) that stacks `pages` pages of the given
    height/width ratio within Telegram's photo limits."""
    width = READING_WIDTH
    while width > MIN_WIDTH and not fits_photo(width, [round(width * page_ratio)] * pages):
        width -= 50
    return width

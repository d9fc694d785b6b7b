"""The PNG pictures of the rendered SOP: real PNG files on white, wide enough to read on a phone,
within what Telegram accepts as a photo; one picture per table page for the review message."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from sopbot.documents.pdf_document import procedure_layout
from sopbot.documents.png_pages import PHOTO_RATIO, PHOTO_SIDES, READING_WIDTH
from sopbot.documents.rendering import render_png, render_table_png
from sopbot.engine.definition import SopDefinition
from tests.documents.render_samples import collected, long_definition

IDS = sorted(collected())
PHOTO_BYTES = 10 * 1024 * 1024


def _photo(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    assert image.width + image.height <= PHOTO_SIDES
    assert image.height <= PHOTO_RATIO * image.width
    assert len(data) < PHOTO_BYTES
    assert image.convert("L").getpixel((2, 2)) == 255
    return image


@pytest.mark.parametrize("definition_id", IDS)
def test_the_stacked_picture_is_a_photo_telegram_takes(definition_id: str) -> None:
    definition = collected()[definition_id]
    image = _photo(render_png(definition))
    assert READING_WIDTH - 2 <= image.width <= READING_WIDTH + 2
    pages = 1 + len(procedure_layout(definition).pages)
    # Every page is there, one under the other (an A4 landscape page is 0.707 as tall as wide).
    assert image.height > pages * image.width * 0.7


def test_a_long_sop_is_shown_by_its_table_pages_within_the_photo_limits(tmp_path: Path) -> None:
    definition: SopDefinition = long_definition(tmp_path, steps=60)
    table_pages = len(procedure_layout(definition).pages)
    assert table_pages >= 6
    image = _photo(render_png(definition))
    assert image.width < READING_WIDTH  # made narrower to fit
    assert image.height > table_pages * image.width * 0.7


def test_each_table_page_is_a_picture_of_its_own() -> None:
    definition = collected()["kesbangpol-pekalongan/pengumpulan-pengolahan-data-kinerja"]
    pictures = render_table_png(definition)
    assert len(pictures) == len(procedure_layout(definition).pages) > 1
    for data in pictures:
        image = _photo(data)
        assert READING_WIDTH - 2 <= image.width <= READING_WIDTH + 2
        assert 0.69 < image.height / image.width < 0.72

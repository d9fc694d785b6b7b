"""Small PNG pictures drawn with Pillow: the flowchart symbols that some agencies paste into the
role cells as pictures, the agency's emblem in the header, and the scanned page."""

from __future__ import annotations

import io
from typing import Literal

from PIL import Image, ImageDraw

Symbol = Literal["process", "terminator", "decision", "offpage"]


def symbol_png(symbol: Symbol, text: str = "") -> bytes:
    """A black-outlined flowchart symbol on white, 160 x 64 pixels (a diamond 96 x 64)."""
    width, height = (96, 64) if symbol == "decision" else (160, 64)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    box = (3, 3, width - 4, height - 4)
    if symbol == "process":
        draw.rectangle(box, outline="black", width=3)
    elif symbol == "terminator":
        draw.rounded_rectangle(box, radius=(height - 8) // 2, outline="black", width=3)
    elif symbol == "decision":
        mid_x, mid_y = width // 2, height // 2
        points = [(mid_x, 3), (width - 4, mid_y), (mid_x, height - 4), (3, mid_y)]
        draw.polygon(points, outline="black", width=3)
    else:
        draw.ellipse((width // 2 - 28, 4, width // 2 + 28, height - 4), outline="black", width=3)
    if text:
        draw.text((width // 2, height // 2), text, fill="black", anchor="mm")
    return png_bytes(image)


def emblem_png() -> bytes:
    """A plain emblem standing for the regional government's coat of arms (a shield)."""
    image = Image.new("RGB", (120, 140), "white")
    draw = ImageDraw.Draw(image)
    draw.polygon([(10, 10), (110, 10), (110, 80), (60, 132), (10, 80)], fill="#1f5a96")
    draw.polygon([(22, 22), (98, 22), (98, 76), (60, 116), (22, 76)], fill="#f2c230")
    draw.ellipse((44, 36, 76, 68), fill="#c0392b")
    return png_bytes(image)


def png_bytes(image: Image.Image) -> bytes:
    """The image as PNG bytes (the same bytes for the same image)."""
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()

"""Text on the PDF pages: the fonts, the characters they can draw, and wrapping to a width.

The PDF embeds Bitstream Vera Sans, the TrueType font that ships inside reportlab itself (so no
system font is needed anywhere): it is real, searchable text that pdfplumber reads back, and it
covers Latin-1 and the punctuation Indonesian documents use ("–", "“ ”", "…", "•", "±", "½",
"≤"). A character the font lacks is never drawn as an empty box and never stops the rendering:
it is written as its nearest plain form (accents dropped by Unicode decomposition, "→" as "->",
"✓" as "v"), or "?" when it has none. The DOCX keeps every character as written.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import reportlab
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR: Final = "SopSans"
BOLD: Final = "SopSans-Bold"
_FONT_FILES: Final = {REGULAR: "Vera.ttf", BOLD: "VeraBd.ttf"}

# Plain forms of characters outside the font, as a reader expects them.
_PLAIN: Final = {
    "→": "->",
    "←": "<-",
    "↔": "<->",
    "⇒": "=>",
    "✓": "v",
    "✔": "v",
    "✗": "x",
    "✘": "x",
    "−": "-",
    "‐": "-",
    "‑": "-",
    "″": '"',
    "′": "'",
    "ʼ": "'",
}


def register_fonts() -> None:
    """Register the embedded fonts with reportlab (once per process)."""
    _registered()


@cache
def _registered() -> bool:
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    return True


@cache
def _covered() -> frozenset[int]:
    register_fonts()
    font = pdfmetrics.getFont(REGULAR)
    assert isinstance(font, TTFont)  # noqa: S101 - registered above as a TrueType font
    return frozenset(font.face.charToGlyph)


def printable(text: str) -> str:
    """`text` with every character the font cannot draw replaced by its plain form."""
    covered = _covered()
    if all(ord(ch) in covered for ch in text):
        return text
    return "".join(ch if ord(ch) in covered else _plain(ch, covered) for ch in text)


def _plain(ch: str, covered: frozenset[int]) -> str:
    if ch == "\n":  # a line break stays one: wrap() breaks the text there
        return ch
    if ch.isspace():
        return " "
    if ch in _PLAIN:
        return _PLAIN[ch]
    decomposed = unicodedata.normalize("NFKD", ch)
    kept = "".join(part for part in decomposed if ord(part) in covered)
    if kept.strip() and not unicodedata.combining(kept[0]):
        return kept
    return " " if unicodedata.category(ch).startswith("Z") else "?"


@dataclass(frozen=True, slots=True)
class TextStyle:
    """A font, its size and its line height."""

    font: str
    size: float

    @property
    def leading(self) -> float:
        """The distance between two lines' baselines."""
        return self.size * 1.2


BODY: Final = TextStyle(REGULAR, 9)
BODY_BOLD: Final = TextStyle(BOLD, 9)
SMALL: Final = TextStyle(REGULAR, 7)
HEADING: Final = TextStyle(BOLD, 11)


def width_of(text: str, style: TextStyle) -> float:
    """The width of one line of text."""
    register_fonts()
    width: float = pdfmetrics.stringWidth(printable(text), style.font, style.size)
    return width


def wrap(text: str, style: TextStyle, width: float) -> list[str]:
    """`text` broken into lines that fit `width` (its own line breaks kept; a word longer than
    the width is cut)."""
    register_fonts()
    lines: list[str] = []
    for paragraph in printable(text).split("\n"):
        for line in simpleSplit(paragraph, style.font, style.size, width) or [""]:
            lines.extend(_cut(line, style, width))
    return lines


def _cut(line: str, style: TextStyle, width: float) -> list[str]:
    """A line that is one word too long for the width, cut where it fills the width."""
    pieces: list[str] = []
    while len(line) > 1 and pdfmetrics.stringWidth(line, style.font, style.size) > width:
        end = len(line) - 1
        while end > 1 and pdfmetrics.stringWidth(line[:end], style.font, style.size) > width:
            end -= 1
        pieces.append(line[:end])
        line = line[end:]
    pieces.append(line)
    return pieces


def wrap_paragraphs(paragraphs: list[str], style: TextStyle, width: float) -> list[str]:
    """Several paragraphs wrapped one after the other."""
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(wrap(paragraph, style, width))
    return lines

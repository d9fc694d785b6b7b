"""A PDF cell's words as text: words split where a column line runs through them, the
flowchart's labels that stray into a cell left out, wrapped lines joined into paragraphs."""

from __future__ import annotations

import itertools
from typing import Any, Final

from sopbot.documents.procedure_table import normal
from sopbot.documents.vocabulary import NO_WORDS, YES_WORDS

LABEL_WORDS: Final = YES_WORDS | NO_WORDS
"""The flowchart's labels ("ya", "tidak") beside its lines."""


def centre_in(word: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    """True when a word's middle lies in a box (x0, top, x1, bottom)."""
    x0, top, x1, bottom = box
    x = float(word["x0"] + word["x1"]) / 2
    y = float(word["top"] + word["bottom"]) / 2
    return x0 <= x <= x1 and top <= y <= bottom


def split_at_columns(words: list[dict[str, Any]], xs: list[float]) -> list[dict[str, Any]]:
    """Words as pdfplumber joins them, split where a column line runs through a gap between
    two of their characters: names in neighbouring header cells can touch ("Pengadministrasi"
    and "Tim Monev"), while a word drawn across a line (a label "tidak") stays whole."""
    out: list[dict[str, Any]] = []
    for word in words:
        chars = word.get("chars") or []
        cuts = [i for i in range(1, len(chars)) if _cut_between(chars[i - 1], chars[i], xs)]
        if not cuts:
            out.append(word)
            continue
        for a, b in itertools.pairwise([0, *cuts, len(chars)]):
            part = chars[a:b]
            out.append(
                {
                    "text": "".join(c["text"] for c in part),
                    "x0": part[0]["x0"],
                    "x1": part[-1]["x1"],
                    "top": min(c["top"] for c in part),
                    "bottom": max(c["bottom"] for c in part),
                    "size": part[0].get("size", word.get("size")),
                }
            )
    return out


def _cut_between(left: dict[str, Any], right: dict[str, Any], xs: list[float]) -> bool:
    """Two characters of one pdfplumber word belong to two cells: a column line runs between
    their centres, and there is a gap between them or a new capitalised word starts (a name
    that overflows its narrow header cell into the next one)."""
    middle_left = (left["x0"] + left["x1"]) / 2
    middle_right = (right["x0"] + right["x1"]) / 2
    if any(middle_left < x < middle_right for x in xs) and right["x0"] - left["x1"] > 1.0:
        return True
    # An overflowing name ends a little past the line, where the next cell's name begins.
    return (
        left["text"].islower()
        and right["text"].isupper()
        and any(left["x0"] - 10 < x < right["x1"] + 10 for x in xs)
    )


def without_labels(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cell's words without the flowchart's "ya" / "tidak" labels that stray into it: those
    are set smaller than the cell's text."""
    sizes = sorted(float(w.get("size") or 0) for w in words)
    if not sizes:
        return words
    usual = sizes[len(sizes) // 2]
    return [
        w
        for w in words
        if not (normal(w["text"]) in LABEL_WORDS and float(w.get("size") or 0) < 0.85 * usual)
    ]


def paragraphs(words: list[dict[str, Any]]) -> str:
    """A cell's words as text: the lines a long text wraps over joined with spaces, and a new
    paragraph (a line break) where the space between two lines is wider than half a line."""
    lines = [sorted(line, key=lambda w: w["x0"]) for line in _word_lines(words)]
    text = ""
    for index, line in enumerate(lines):
        if index:
            height = float(line[0]["bottom"] - line[0]["top"]) or 8.0
            gap = float(line[0]["top"] - lines[index - 1][0]["bottom"])
            text += "\n" if gap > 0.6 * height else " "
        text += " ".join(w["text"] for w in line)
    return text


def _word_lines(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Words grouped into lines (by their top), top to bottom."""
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) <= 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def lines_of(words: list[dict[str, Any]]) -> list[str]:
    """Words grouped into lines, top to bottom, left to right."""
    return [
        " ".join(w["text"] for w in sorted(line, key=lambda w: w["x0"]))
        for line in _word_lines(words)
    ]

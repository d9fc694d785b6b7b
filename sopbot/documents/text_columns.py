"""Where the columns of a table stand in text as `pdftotext -layout` prints it.

The header's titles are centred over their columns, and a title wrapped over lines ("Kepala" /
"Dinas") is one title. The rows' text is set from each column's left edge, so where many lines
start a word after a gap is where a column begins, and the stretches of positions some line
writes in say how far a text column reaches. A Pelaksana column that no line writes in (a text
whose flowchart was lost) reaches halfway to its neighbours. Each page's table is measured on
its own: pdftotext shifts the columns from page to page.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Final

from sopbot.documents.procedure_table import normal
from sopbot.documents.vocabulary import FLOWCHART_WORDS as _FLOWCHART_WORDS

_GROUP_TITLES: Final = frozenset({"pelaksana", "mutu baku", "mutu buku"})
_ACTIVITY_TITLE: Final = re.compile(r"kegiatan|uraian|prosedur|aktivitas")
_STANDARD_TITLE: Final = re.compile(r"^(?:kelengkapan|persyaratan|syarat|bahan|waktu|output)")
_LABEL_REACH: Final = 12  # how far left of the Pelaksana columns a "tidak" label may stand


@dataclass(slots=True)
class TextColumn:
    """A column: the positions it covers, and its title's words in line order."""

    left: float
    right: float
    title: list[str] = field(default_factory=list)
    title_centre: float = 0.0
    role: bool = False  # a Pelaksana column (between Kegiatan and Mutu Baku's first)


def layout_columns(header: list[str], body: list[str]) -> list[TextColumn]:
    """The columns of one page's table from its header lines and its body lines."""
    columns = _titles(header)
    if not columns:
        return [TextColumn(0, max((len(line) for line in body), default=80))]
    occupied, starts = _occupancy(body)
    runs = _runs(occupied)
    for column in columns:
        run = next((r for r in runs if r[0] - 1 <= column.title_centre <= r[1] + 1), None)
        if run is not None:
            column.left, column.right = run
    _mark_roles(columns)
    for before, after in itertools.pairwise(columns):
        if before.right >= after.left:  # one stretch of text under two titles: split it
            cut = _strongest_start(starts, before.title_centre, after.title_centre)
            before.right, after.left = cut - 0.5, cut - 0.5
        else:  # the empty stretch between two columns: halfway
            middle = (before.right + after.left) / 2
            before.right, after.left = middle, middle
    return columns


def place_words(line: str, columns: list[TextColumn]) -> list[str]:
    """A line's words in the columns their middles stand in (the nearest otherwise). A group
    of flowchart words standing apart ("Mulai", "tidak") at the Pelaksana columns belongs to
    them: it goes to the one whose title it stands nearest."""
    cells = [""] * len(columns)
    for chunk in re.finditer(r"\S+(?: \S+)*", line):
        words = chunk.group().split()
        middle = (chunk.start() + chunk.end() - 1) / 2
        roles = [i for i, c in enumerate(columns) if c.role]
        near_roles = bool(roles) and (
            columns[roles[0]].left - _LABEL_REACH <= middle <= columns[roles[-1]].right
        )
        if near_roles and all(normal(w) in _FLOWCHART_WORDS for w in words):
            index = min(roles, key=lambda i: abs(columns[i].title_centre - middle))
            cells[index] = f"{cells[index]} {chunk.group()}".strip()
            continue
        for match in re.finditer(r"\S+", chunk.group()):
            middle = chunk.start() + (match.start() + match.end() - 1) / 2
            index = next(
                (i for i, c in enumerate(columns) if c.left <= middle <= c.right),
                min(
                    range(len(columns)),
                    key=lambda i: abs((columns[i].left + columns[i].right) / 2 - middle),
                ),
            )
            cells[index] = f"{cells[index]} {match.group()}".strip()
    return cells


def _mark_roles(columns: list[TextColumn]) -> None:
    """The Pelaksana columns: those after Kegiatan and before the first of Mutu Baku's."""
    titles = [normal(" ".join(c.title)) for c in columns]
    activity = next((i for i, t in enumerate(titles) if _ACTIVITY_TITLE.search(t)), None)
    standard = next(
        (
            i
            for i, t in enumerate(titles)
            if activity is not None and i > activity and _STANDARD_TITLE.match(t)
        ),
        None,
    )
    if activity is not None and standard is not None:
        for column in columns[activity + 1 : standard]:
            column.role = True


def _titles(header: list[str]) -> list[TextColumn]:
    """The header's titles, a title's words gathered from the lines it wraps over (those
    centred over one place), left to right; the group titles over several columns left out."""
    columns: list[TextColumn] = []
    for line in header:
        for match in re.finditer(r"\S+(?: \S+)*", line):
            text = match.group()
            if normal(text) in _GROUP_TITLES:
                continue
            centre = (match.start() + match.end() - 1) / 2
            near = next(
                (
                    c
                    for c in columns
                    if abs(c.title_centre - centre) <= 4 or c.left <= centre <= c.right
                ),
                None,
            )
            if near is None:
                columns.append(TextColumn(match.start(), match.end() - 1, [text], centre))
            else:
                near.title.append(text)
                near.left = min(near.left, match.start())
                near.right = max(near.right, match.end() - 1)
                near.title_centre = (near.left + near.right) / 2
    return sorted(columns, key=lambda c: c.title_centre)


def _occupancy(body: list[str]) -> tuple[list[int], list[int]]:
    """For each position: how many lines write there, and how many start a word there after
    two spaces or at the line's start (a column's left edge)."""
    width = max((len(line) for line in body), default=0) + 2
    occupied = [0] * width
    starts = [0] * width
    for line in body:
        for index, char in enumerate(line):
            if char.isspace():
                continue
            occupied[index] += 1
            if (
                index == 0
                or line[max(0, index - 2) : index].isspace()
                or (index == 1 and line[0].isspace())
            ):
                starts[index] += 1
    return occupied, starts


def _runs(occupied: list[int]) -> list[tuple[int, int]]:
    """Stretches of positions some line writes in, split at two or more empty positions."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    empty = 0
    for index, count in enumerate([*occupied, 0, 0]):
        if count:
            start = index if start is None else start
            empty = 0
        elif start is not None:
            empty += 1
            if empty == 2:
                runs.append((start, index - 2))
                start = None
    return runs


def _strongest_start(starts: list[int], left: float, right: float) -> int:
    """Where the second of two titles' columns begins: the position between their centres
    where most lines start a word (the right title's centre when none does)."""
    low, high = int(left) + 1, int(right) + 1
    found = max(range(low, min(high, len(starts))), key=lambda i: (starts[i], -i), default=high)
    return found if starts[found] else high

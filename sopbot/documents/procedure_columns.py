"""The columns of the procedure table on the page and the texts of its cells: No, Kegiatan, one
Pelaksana column per role, Mutu Baku (Kelengkapan, Waktu, Output) and Keterangan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sopbot.documents.cells import remarks_paragraphs, time_cell
from sopbot.documents.page_format import CONTENT_WIDTH, MARGIN, PADDING
from sopbot.documents.pdf_text import BODY, TextStyle, wrap, wrap_paragraphs
from sopbot.engine.definition import SopDefinition, Step

NUMBER_WIDTH: Final = 26.0
ROLE_WIDTH_MIN: Final = 46.0
ROLE_WIDTH_MAX: Final = 66.0
ROLE_SHARE: Final = 0.45  # of the width, for the role columns, at most
TEXT_WIDTH_MIN: Final = 260.0  # Kegiatan and Mutu Baku and Keterangan together, at least
# The text columns after No, in order, with their share of what the role columns leave.
TEXT_WEIGHTS: Final = (("Kegiatan", 3.2), ("Kelengkapan", 1.6), ("Waktu", 1.0))
TAIL_WEIGHTS: Final = (("Output", 1.5), ("Keterangan", 2.1))
MUTU_BAKU: Final = ("Kelengkapan", "Waktu", "Output")


@dataclass(frozen=True, slots=True)
class TableColumns:
    """The x of each column's left ruling, and the page's right ruling last.

    Columns: 0 No, 1 Kegiatan, 2 .. 2+roles-1 the Pelaksana, then Kelengkapan, Waktu, Output,
    Keterangan.
    """

    edges: tuple[float, ...]
    roles: int

    @property
    def left(self) -> float:
        """The table's left ruling."""
        return self.edges[0]

    @property
    def right(self) -> float:
        """The table's right ruling."""
        return self.edges[-1]

    def span(self, first: int, last: int) -> tuple[float, float]:
        """The left and right x of columns first..last (inclusive)."""
        return self.edges[first], self.edges[last + 1]

    def role_span(self, first: int, last: int) -> tuple[float, float]:
        """The left and right x of role columns first..last (0-based among the roles)."""
        return self.span(2 + first, 2 + last)

    @property
    def band(self) -> tuple[float, float]:
        """The left and right x of the Pelaksana columns together."""
        return self.role_span(0, self.roles - 1)

    def width(self, column: int) -> float:
        """A column's width."""
        return self.edges[column + 1] - self.edges[column]

    @property
    def text_columns(self) -> tuple[int, ...]:
        """The columns that hold text in a step's row (all but the role columns)."""
        after = 2 + self.roles
        return (0, 1, after, after + 1, after + 2, after + 3)


def table_columns(roles: int) -> TableColumns:
    """The columns for a table with this many roles, across the page's width."""
    role_width = min(ROLE_WIDTH_MAX, max(ROLE_WIDTH_MIN, CONTENT_WIDTH * ROLE_SHARE / roles))
    role_width = min(role_width, (CONTENT_WIDTH - NUMBER_WIDTH - TEXT_WIDTH_MIN) / roles)
    rest = CONTENT_WIDTH - NUMBER_WIDTH - roles * role_width
    weights = [w for _, w in TEXT_WEIGHTS + TAIL_WEIGHTS]
    widths = [rest * w / sum(weights) for w in weights]
    ordered = [NUMBER_WIDTH, widths[0], *([role_width] * roles), *widths[1:]]
    edges = [MARGIN]
    for width in ordered:
        edges.append(edges[-1] + width)
    return TableColumns(tuple(edges), roles)


@dataclass(frozen=True, slots=True)
class RowText:
    """A step's row as wrapped lines per text column, and the height the text needs."""

    lines: dict[int, list[str]]
    height: float


def row_text(
    definition: SopDefinition, step: Step, columns: TableColumns, style: TextStyle = BODY
) -> RowText:
    """The text cells of a step's row, wrapped to their columns."""
    number, activity, inputs, time, output, remarks = columns.text_columns
    cells: dict[int, list[str]] = {
        number: [step.label],
        activity: [step.activity],
        inputs: [step.inputs],
        time: [time_cell(step)],
        output: [step.output],
        remarks: remarks_paragraphs(definition, step),
    }
    lines = {
        column: wrap_paragraphs(texts, style, columns.width(column) - 2 * PADDING)
        for column, texts in cells.items()
    }
    tallest = max(len(found) for found in lines.values())
    return RowText(lines, tallest * style.leading + 2 * PADDING)


def header_lines(
    definition: SopDefinition, columns: TableColumns, style: TextStyle
) -> dict[int, list[str]]:
    """The second header row's wrapped titles: each role's name, and Mutu Baku's three."""
    titles = {2 + index: role.name for index, role in enumerate(definition.roles)}
    after = 2 + columns.roles
    titles.update({after + n: title for n, title in enumerate(MUTU_BAKU)})
    return {
        column: wrap(title, style, columns.width(column) - 2 * PADDING)
        for column, title in titles.items()
    }

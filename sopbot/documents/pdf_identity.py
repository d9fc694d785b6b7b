"""The identity page of the PDF (Identitas): the header table of the Permenpan RB 35/2012 form
(the government and agency on the left; Nomor SOP, the dates, Disahkan oleh with room for the
signature, and Nama SOP on the right, with the document's own labels), then the two-column
blocks Dasar Hukum | Kualifikasi Pelaksana, Keterkaitan | Peralatan/Perlengkapan, Peringatan |
Pencatatan dan Pendataan as the document numbers them. Unstated fields are left blank.

The page is set in 9 pt; an SOP whose header would not fit one page at that size is set a
little smaller (down to 8 pt), and one that still does not fit goes on to a second page between
two items of a list (never inside an item).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from sopbot.documents.cells import (
    BLOCK_PAIRS,
    HeaderList,
    agency_lines,
    approver_block,
    header_list,
    identity_rows,
    stated,
)
from sopbot.documents.page_format import CONTENT_BOTTOM, CONTENT_WIDTH, MARGIN, PADDING
from sopbot.documents.pdf_shapes import Page
from sopbot.documents.pdf_text import BOLD, REGULAR, TextStyle, width_of, wrap
from sopbot.engine.definition import SopIdentity

LEFT_SHARE: Final = 0.42  # the agency cell's share of the header's width
LABEL_WIDTH: Final = 112.0
COLON_WIDTH: Final = 10.0
SIGNATURE_ROOM: Final = 36.0  # blank height for the signature and the stamp
MARKER_WIDTH: Final = 20.0
ITEM_GAP: Final = 1.5  # above and below each item of a list
SIZES: Final = (9.0, 8.5, 8.0)  # the text sizes tried, largest first


@dataclass(frozen=True, slots=True)
class _Styles:
    body: TextStyle
    bold: TextStyle
    heading: TextStyle

    @classmethod
    def of(cls, size: float) -> _Styles:
        return cls(TextStyle(REGULAR, size), TextStyle(BOLD, size), TextStyle(BOLD, size + 2))


@dataclass
class _Line:
    """A line of a cell: text in a style, indented, optionally followed by blank room."""

    text: str
    style: TextStyle
    indent: float = 0.0
    room_after: float = 0.0
    beside_next: bool = False  # a list marker, on the baseline of the item's first line


@dataclass
class _Cell:
    lines: list[_Line] = field(default_factory=list)
    pad_top: float = PADDING
    pad_bottom: float = PADDING

    @property
    def height(self) -> float:
        advancing = [line for line in self.lines if not line.beside_next]
        text = sum(line.style.leading + line.room_after for line in advancing)
        return text + self.pad_top + self.pad_bottom


_Row = tuple[_Cell, _Cell]


def paint_identity(new_page: Callable[[], Page], ident: SopIdentity) -> None:
    """Draw the identity header on one page (two for an SOP with very long lists)."""
    styles, header, blocks = _measured(ident, SIZES[-1])
    for size in SIZES:
        styles, header, blocks = _measured(ident, size)
        total = sum(c.height for _, c in header) + sum(
            max(left.height, right.height) for rows in blocks for left, right in rows
        )
        if MARGIN + total <= CONTENT_BOTTOM:
            break
    page = new_page()
    y = _header(page, ident, styles, header, MARGIN)
    half = CONTENT_WIDTH / 2
    for rows in blocks:
        for number, (left_cell, right_cell) in enumerate(rows):
            height = max(left_cell.height, right_cell.height)
            # A block's heading never stays alone at the foot of a page.
            needed = height + (max(c.height for c in rows[1]) if number == 0 else 0)
            if y + needed > CONTENT_BOTTOM:
                page = new_page()
                y = MARGIN
                page.line(MARGIN, y, MARGIN + CONTENT_WIDTH, y)
            _cell(page, left_cell, MARGIN, y)
            _cell(page, right_cell, MARGIN + half, y)
            for x in (MARGIN, MARGIN + half, MARGIN + CONTENT_WIDTH):
                page.line(x, y, x, y + height)
            if number in (0, len(rows) - 1):  # under the heading, and around the block
                page.line(MARGIN, y + height, MARGIN + CONTENT_WIDTH, y + height)
            y += height


def _measured(
    ident: SopIdentity, size: float
) -> tuple[_Styles, list[tuple[str, _Cell]], list[list[_Row]]]:
    """The header rows and the blocks' rows, set at a text size."""
    styles = _Styles.of(size)
    value_width = CONTENT_WIDTH * (1 - LEFT_SHARE) - LABEL_WIDTH - COLON_WIDTH - PADDING
    header = _header_rows(ident, styles, value_width)
    half = CONTENT_WIDTH / 2
    blocks = []
    for left_key, right_key in BLOCK_PAIRS:
        left, right = header_list(ident, left_key), header_list(ident, right_key)
        heading = (
            _Cell([_Line(left.label, styles.bold)]),
            _Cell([_Line(right.label, styles.bold)]),
        )
        blocks.append([heading, *_list_rows(left, right, half, styles.body)])
    return styles, header, blocks


def _header(
    page: Page, ident: SopIdentity, styles: _Styles, rows: list[tuple[str, _Cell]], top: float
) -> float:
    """The header table; returns the y under it."""
    left_width = CONTENT_WIDTH * LEFT_SHARE
    right_x = MARGIN + left_width
    value_x = right_x + LABEL_WIDTH + COLON_WIDTH
    height = sum(cell.height for _, cell in rows)
    y = top
    for label, cell in rows:
        page.text(right_x + PADDING, y + PADDING, label, styles.body)
        page.text(right_x + LABEL_WIDTH, y + PADDING, ":", styles.body)
        _cell(page, cell, value_x - PADDING, y)
        y += cell.height
        page.line(right_x, y, MARGIN + CONTENT_WIDTH, y)
    heading = styles.heading
    agency = [line for text in agency_lines(ident) for line in wrap(text, heading, left_width - 16)]
    agency_top = top + (height - len(agency) * heading.leading) / 2
    page.lines(MARGIN, agency_top, agency, heading, align="center", width=left_width)
    page.line(MARGIN, top, MARGIN + CONTENT_WIDTH, top)
    page.line(MARGIN, top + height, MARGIN + CONTENT_WIDTH, top + height)
    for x in (MARGIN, right_x, MARGIN + CONTENT_WIDTH):
        page.line(x, top, x, top + height)
    return top + height


def _header_rows(ident: SopIdentity, styles: _Styles, width: float) -> list[tuple[str, _Cell]]:
    """The label : value rows, the value a cell of wrapped lines."""
    body, bold = styles.body, styles.bold
    rows = [(label, _Cell(_wrapped(value, body, width))) for label, value in identity_rows(ident)]
    approver = approver_block(ident)
    signed = _wrapped(approver.position, body, width)
    signed[-1].room_after = SIGNATURE_ROOM
    signed += _wrapped(approver.name, bold, width)
    signed += _wrapped(approver.rank, body, width) if approver.rank else []
    signed += _wrapped(approver.nip, body, width) if approver.nip else []
    rows.append((ident.label("disahkan_oleh"), _Cell(signed)))
    name = stated(ident, "nama", ident.name)
    rows.append((ident.label("nama"), _Cell(_wrapped(name, bold, width))))
    return rows


def _wrapped(text: str, style: TextStyle, width: float, indent: float = 0.0) -> list[_Line]:
    return [_Line(line, style, indent) for line in wrap(text, style, width - indent)]


def _list_rows(left: HeaderList, right: HeaderList, width: float, body: TextStyle) -> list[_Row]:
    """A block's content as rows of (left, right) cells: the intro lines, then item by item,
    so that a long list can go on to the next page between two items."""
    left_cells, right_cells = _list_cells(left, width, body), _list_cells(right, width, body)
    count = max(len(left_cells), len(right_cells))
    left_cells += [_Cell([], ITEM_GAP, ITEM_GAP) for _ in range(count - len(left_cells))]
    right_cells += [_Cell([], ITEM_GAP, ITEM_GAP) for _ in range(count - len(right_cells))]
    return list(zip(left_cells, right_cells, strict=True))


def _list_cells(listed: HeaderList, width: float, body: TextStyle) -> list[_Cell]:
    inner = width - 2 * PADDING
    cells = [_Cell(_wrapped(listed.intro, body, inner), ITEM_GAP, ITEM_GAP)] if listed.intro else []
    marker_width = max([MARKER_WIDTH, *(width_of(m, body) + 4 for m, _ in listed.items)])
    for marker, text in listed.items:
        lines = _wrapped(text, body, inner, indent=marker_width)
        lines.insert(0, _Line(marker, body, beside_next=True))
        cells.append(_Cell(lines, ITEM_GAP, ITEM_GAP))
    if not cells:
        cells = [_Cell([_Line("", body)])]
    # Items sit close together; the block keeps the usual padding at its top and bottom.
    cells[0].pad_top = PADDING
    cells[-1].pad_bottom = PADDING
    return cells


def _cell(page: Page, cell: _Cell, x: float, y: float) -> None:
    """A cell's lines from its top-left corner (the lines are wrapped to its width already)."""
    y += cell.pad_top
    for line in cell.lines:
        page.text(x + PADDING + line.indent, y, line.text, line.style)
        if not line.beside_next:
            y += line.style.leading + line.room_after

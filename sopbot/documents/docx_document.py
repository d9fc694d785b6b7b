"""The whole SOP as a Word document (python-docx, raw OOXML where python-docx has no words for
it): the identity header table, then, in a landscape section of its own, the procedure table
with its two header rows repeated on every page (`w:tblHeader`), merged cells (`w:gridSpan`,
`w:vMerge`), rows that never split across pages, a flowchart shape in each executor's cell, and
the PDF's arrows cut into the rows they cross (docx_flow).

Word lays the pages out itself, so the document carries no off-page connectors; an arrow that a
page break cuts goes on under the repeated header, and the Keterangan column's flow notes say
where each decision's answers lead (see flow_notes).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Length, Mm, Pt
from docx.table import Table, _Cell, _Row

from sopbot.documents.cells import (
    BLOCK_PAIRS,
    HeaderList,
    agency_lines,
    approver_block,
    header_list,
    identity_rows,
    remarks_paragraphs,
    stated,
    table_title,
    time_cell,
)
from sopbot.documents.docx_flow import FlowDrawing, flow_drawing, pieces
from sopbot.documents.docx_shapes import END_MARK, ShapeIds, add_label, add_line, add_symbol
from sopbot.documents.flowchart import RowSymbols, Shape, row_symbols
from sopbot.documents.page_format import MARGIN
from sopbot.documents.procedure_columns import MUTU_BAKU, TableColumns, table_columns
from sopbot.engine.definition import SopDefinition, SopIdentity

FONT: Final = "Arial"
SIZE: Final = Pt(9)
SIGNATURE_LINES: Final = 3  # empty lines for the signature and the stamp
WORDS: Final = {True: "Mulai", False: "Selesai"}


def docx_bytes(definition: SopDefinition) -> bytes:
    """The .docx file of the SOP."""
    document = Document()
    _page_setup(document)
    _identity(document, definition.identity)
    section = document.add_section(WD_SECTION.NEW_PAGE)
    _landscape(section)
    title = document.add_paragraph()
    title.add_run(table_title(definition)).bold = True
    title.paragraph_format.space_after = Pt(4)
    _procedure(document, definition)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _page_setup(document: WordDocument) -> None:
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = SIZE
    fonts = style.element.rPr.rFonts
    fonts.set(qn("w:eastAsia"), FONT)
    paragraph = style.paragraph_format
    paragraph.space_before = Pt(0)
    paragraph.space_after = Pt(0)
    paragraph.line_spacing = 1.0
    _landscape(document.sections[0])
    properties = document.core_properties
    properties.author = "sopbot"


def _landscape(section: Section) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Pt(MARGIN))


# The identity page


def _identity(document: WordDocument, ident: SopIdentity) -> None:
    rows = identity_rows(ident)
    header = document.add_table(rows=len(rows) + 2, cols=4)
    _plain_table(header, [Mm(114), Mm(40), Mm(4), Mm(115)])
    agency = header.cell(0, 0).merge(header.cell(len(rows) + 1, 0))
    agency.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    _texts(agency, agency_lines(ident), bold=True, size=Pt(11), centred=True)
    approver = approver_block(ident)
    signed = [approver.position, *[""] * SIGNATURE_LINES, approver.name]
    signed += [text for text in (approver.rank, approver.nip) if text]
    name = stated(ident, "nama", ident.name)
    all_rows = [
        *((label, [value]) for label, value in rows),
        (ident.label("disahkan_oleh"), signed),
        (ident.label("nama"), [name]),
    ]
    for index, (label, values) in enumerate(all_rows):
        _texts(header.cell(index, 1), [label])
        _texts(header.cell(index, 2), [":"])
        # label : value read as one field: no ruling between the three
        _no_border(header.cell(index, 1), "right")
        _no_border(header.cell(index, 2), "left", "right")
        _no_border(header.cell(index, 3), "left")
        value = header.cell(index, 3)
        bold = {len(values) - 1} if index == len(all_rows) - 1 else set()
        if values is signed:
            bold = {1 + SIGNATURE_LINES}
        _texts(value, values, bold_lines=bold)
    document.add_paragraph().paragraph_format.space_after = Pt(0)
    blocks = document.add_table(rows=2 * len(BLOCK_PAIRS), cols=2)
    _plain_table(blocks, [Mm(136.5), Mm(136.5)])
    for number, pair in enumerate(BLOCK_PAIRS):
        for column, key in enumerate(pair):
            listed = header_list(ident, key)
            _texts(blocks.cell(2 * number, column), [listed.label], bold=True)
            _list(blocks.cell(2 * number + 1, column), listed)


def _list(cell: _Cell, listed: HeaderList) -> None:
    """A header list: its intro line, then each item with its marker and a hanging indent."""
    first = True
    if listed.intro:
        _texts(cell, [listed.intro])
        first = False
    for marker, text in listed.items:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        paragraph.paragraph_format.left_indent = Mm(6)
        paragraph.paragraph_format.first_line_indent = Mm(-6)
        paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(6))
        paragraph.add_run(f"{marker}\t{text}")


# The procedure table


def _procedure(document: WordDocument, definition: SopDefinition) -> None:
    columns = table_columns(len(definition.roles))
    roles = columns.roles
    table = document.add_table(rows=2, cols=len(columns.edges) - 1)
    widths = [Pt(columns.width(index)) for index in range(len(columns.edges) - 1)]
    _plain_table(table, widths)
    after = 2 + roles
    for column, title in ((0, "No"), (1, "Kegiatan"), (after + 3, "Keterangan")):
        _texts(table.cell(0, column).merge(table.cell(1, column)), [title], bold=True, centred=True)
    pelaksana = table.cell(0, 2).merge(table.cell(0, after - 1)) if roles > 1 else table.cell(0, 2)
    _texts(pelaksana, ["Pelaksana"], bold=True, centred=True)
    _texts(
        table.cell(0, after).merge(table.cell(0, after + 2)), ["Mutu Baku"], bold=True, centred=True
    )
    for index, role in enumerate(definition.roles):
        _texts(table.cell(1, 2 + index), [role.name], bold=True, centred=True, size=Pt(8))
    for offset, title in enumerate(MUTU_BAKU):
        _texts(table.cell(1, after + offset), [title], bold=True, centred=True, size=Pt(8))
    for row in table.rows:
        _row_property(row, "w:tblHeader")
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    ids = ShapeIds()
    drawing = flow_drawing(definition)
    for symbols in row_symbols(definition):
        _step_row(table, definition, symbols, columns, drawing, ids)


def _step_row(
    table: Table,
    definition: SopDefinition,
    symbols: RowSymbols,
    columns: TableColumns,
    drawing: FlowDrawing,
    ids: ShapeIds,
) -> None:
    step = symbols.step
    row = table.add_row()  # type: ignore[no-untyped-call]
    _row_property(row, "w:cantSplit")
    placed = drawing.layout.pages[0].rows[symbols.row]
    # At least the PDF's height: Word's text needs less, so the row stands where the drawing
    # was laid out.
    row.height = Pt(placed.height)
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    number, activity, inputs, time, output, remarks = columns.text_columns
    cells = row.cells
    _texts(cells[number], [step.label], centred=True)
    _texts(cells[activity], [step.activity])
    _texts(cells[inputs], [step.inputs])
    _texts(cells[time], [time_cell(step)], centred=True)
    _texts(cells[output], [step.output])
    _texts(cells[remarks], remarks_paragraphs(definition, step))
    for index in range(columns.roles):
        _no_margins(cells[2 + index])
    anchor: tuple[_Cell, float] | None = None
    for group in symbols.groups:
        cell = cells[2 + group.first]
        if group.last > group.first:
            cell = cell.merge(cells[2 + group.last])
        left, right = columns.role_span(group.first, group.last)
        shape, box = next(
            (shape, box)
            for shape, box in drawing.symbols
            if left < box.cx < right and placed.top < box.cy < placed.bottom
        )
        word = WORDS[symbols.row == 0] if shape is Shape.TERMINATOR else ""
        add_symbol(
            cell,
            shape,
            width=box.width,
            height=box.height,
            top=box.y - placed.top,
            ids=ids,
            text=word,
        )
        anchor = anchor or (cell, left)
    assert anchor is not None  # noqa: S101 - every step has an executor
    _flow_in_row(drawing, symbols.row, anchor, placed.top, ids)


def _flow_in_row(
    drawing: FlowDrawing, row: int, anchor: tuple[_Cell, float], top: float, ids: ShapeIds
) -> None:
    """The arrows' pieces, labels and end marks that lie in the row, anchored in the cell of
    the row's (first) symbol and placed from its corner."""
    cell, left = anchor
    placed = drawing.layout.pages[0].rows[row]
    for piece in pieces(drawing):
        if piece.row == row:
            start = (piece.start[0] - left, piece.start[1] - top)
            end = (piece.end[0] - left, piece.end[1] - top)
            add_line(cell, start, end, head=piece.head, ids=ids)
    for x, y, text, width in drawing.labels:
        if placed.top <= y < placed.bottom:
            add_label(cell, text, left=x - left, top=y - top, width=width, ids=ids)
    for box in drawing.end_marks:
        if placed.top <= box.cy < placed.bottom:
            add_symbol(
                cell,
                END_MARK,
                width=box.width,
                height=box.height,
                top=box.y - top,
                left=box.x - left,
                ids=ids,
                text=WORDS[False],
                text_size=6,
            )


# Tables and text


def _plain_table(table: Table, widths: Sequence[Length]) -> None:
    """A table with single black ruling, fixed column widths, set across the page."""
    table.style = None
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    properties = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    properties.append(layout)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "4")
        line.set(qn("w:space"), "0")
        line.set(qn("w:color"), "000000")
        borders.append(line)
    properties.append(borders)
    # No margin above and below: drawings are placed from a cell's top (a paragraph's spacing
    # gives the text its air, see _texts).
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", "0"), ("left", "85"), ("bottom", "0"), ("right", "85")):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), twips)
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties.append(margins)
    for index, width in enumerate(widths):
        table.columns[index].width = width
        for cell in table.columns[index].cells:
            cell.width = width


def _no_border(cell: _Cell, *sides: str) -> None:
    """Take the ruling off some sides of a cell."""
    properties = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for side in sides:
        line = OxmlElement(f"w:{side}")
        line.set(qn("w:val"), "nil")
        borders.append(line)
    properties.append(borders)


def _no_margins(cell: _Cell) -> None:
    """A role cell without inner margins, so that its drawings are placed from its rulings."""
    properties = cell._tc.get_or_add_tcPr()
    margins = OxmlElement("w:tcMar")
    for side in ("top", "left", "bottom", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "0")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties.append(margins)


def _row_property(row: _Row, name: str) -> None:
    """Mark a row (`w:tblHeader`: repeated on each page; `w:cantSplit`: kept whole)."""
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement(name))


def _texts(
    cell: _Cell,
    texts: list[str],
    *,
    bold: bool = False,
    centred: bool = False,
    size: Length | None = None,
    bold_lines: set[int] | None = None,
) -> None:
    """Write paragraphs into a cell, replacing what it holds."""
    for extra in cell.paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    first = cell.paragraphs[0]
    for run in list(first.runs):
        run._r.getparent().remove(run._r)
    shown = texts or [""]
    for index, text in enumerate(shown):
        paragraph = first if index == 0 else cell.add_paragraph()
        if index == 0:
            paragraph.paragraph_format.space_before = Pt(2)
        if index == len(shown) - 1:
            paragraph.paragraph_format.space_after = Pt(2)
        if centred:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold = bold or index in (bold_lines or set())
        if size is not None:
            run.font.size = size

"""A Word SOP as agencies make it from the Permenpan RB 35/2012 template: the identity header
table (with the emblem and the agency on the left), the two-column blocks, and the procedure
table with its two header rows, merged header cells and the executor's symbol in a role cell."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.shared import Cm, Pt
from docx.table import Table, _Cell, _Row

from tests.documents.corpus import docx_shapes
from tests.documents.corpus.docx_shapes import Shape
from tests.documents.corpus.flow import keterangan
from tests.documents.corpus.model import CorpusDocument, DocxLayout, Sop, Step
from tests.documents.corpus.pictures import emblem_png, symbol_png

FIXED_TIME = datetime(2024, 1, 15, 8, 0, tzinfo=UTC)
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
ROW_HEIGHT_CM = 1.25


@dataclass
class _Columns:
    """The procedure table's column widths (cm) and where each part starts."""

    roles: int
    keterangan: bool
    usable: float
    widths: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        fixed = [0.9, 5.6]
        tail = [3.2, 1.8, 2.8] + ([2.9] if self.keterangan else [])
        role_width = max(1.4, (self.usable - sum(fixed) - sum(tail)) / self.roles)
        self.widths = fixed + [role_width] * self.roles + tail

    @property
    def first_role(self) -> int:
        return 2

    @property
    def mutu(self) -> int:
        return 2 + self.roles

    @property
    def count(self) -> int:
        return len(self.widths)


def build_docx(document: CorpusDocument, path: Path) -> None:
    """Write `document` (a DocxLayout) to `path` as a .docx with the same bytes each time."""
    layout = document.layout
    assert isinstance(layout, DocxLayout)
    word = Document()
    _page(word, layout)
    _identity(word, document.sop, layout)
    _procedure(word, document.sop, layout)
    core = word.core_properties
    core.author = "Subbag Umum"
    core.title = document.sop.header.nama
    core.created = core.modified = FIXED_TIME
    core.last_modified_by = "Subbag Umum"
    core.revision = 1
    buffer = io.BytesIO()
    word.save(buffer)
    path.write_bytes(_fixed_zip(buffer.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every entry's date fixed, so the bytes do not depend on the clock."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 15, 8, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def _page(word: WordDocument, layout: DocxLayout) -> None:
    section = word.sections[0]
    # F4 (21.5 x 33 cm), the paper most local governments print on.
    short, long = Cm(21.5), Cm(33)
    if layout.landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = long, short
    else:
        section.page_width, section.page_height = short, long
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    style = word.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(8)
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)


def _usable(word: WordDocument) -> float:
    section = word.sections[0]
    width = int(section.page_width or 0) - int(section.left_margin or 0)
    return (width - int(section.right_margin or 0)) / 360_000


def _text(
    cell: _Cell,
    text: str,
    *,
    bold: bool = False,
    center: bool = False,
    size: float | None = None,
    underline: bool = False,
) -> None:
    """Write `text` into `cell`, a paragraph per line (the cell's first paragraph reused)."""
    lines = text.split("\n")
    first = cell.paragraphs[0]
    for index, line in enumerate(lines):
        paragraph = first if index == 0 else cell.add_paragraph()
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if line:
            run = paragraph.add_run(line)
            run.bold = bold
            run.underline = underline
            if size:
                run.font.size = Pt(size)


def _add_row(table: Table) -> _Row:
    row: _Row = table.add_row()  # type: ignore[no-untyped-call]
    return row


def _shade(cell: _Cell, fill: str = "D9D9D9") -> None:
    cell._tc.get_or_add_tcPr().append(
        parse_xml(f'<w:shd {W_NS} w:val="clear" w:color="auto" w:fill="{fill}"/>')
    )


def _widths(table: Table, widths: Sequence[float]) -> None:
    """Column widths in the grid (what Word and LibreOffice lay out by) and in every cell."""
    table.autofit = False
    for grid_column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        grid_column.w = Cm(width)
    for row in table.rows:
        for index, cell in enumerate(row.cells[: len(widths)]):
            cell.width = Cm(widths[index])


def _numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1)) or "-"


# -- the identity header ----------------------------------------------------------------------


def _identity(word: WordDocument, sop: Sop, layout: DocxLayout) -> None:
    header = sop.header
    usable = _usable(word)
    rows = [
        (layout.nomor_label, header.nomor),
        (layout.pembuatan_label, header.tanggal_pembuatan),
        (layout.revisi_label, header.tanggal_revisi),
        (layout.efektif_label, header.tanggal_efektif),
        ("Disahkan oleh", ""),
        (layout.nama_label, header.nama),
    ]
    blocks = [
        (("Dasar Hukum", header.dasar_hukum), ("Kualifikasi Pelaksana", header.kualifikasi)),
        (("Keterkaitan", header.keterkaitan), ("Peralatan/Perlengkapan", header.peralatan)),
        (("Peringatan", header.peringatan), ("Pencatatan dan Pendataan", header.pencatatan)),
    ]
    extra = 2 * len(blocks) if layout.blocks_in_identity_table else 0
    table = word.add_table(rows=len(rows) + extra, cols=3)
    table.style = "Table Grid"
    left = usable * 0.42
    _widths(table, [left, usable * 0.16, usable - left - usable * 0.16])
    agency = table.cell(0, 0).merge(table.cell(len(rows) - 1, 0))
    agency.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    picture = agency.paragraphs[0]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.add_run().add_picture(io.BytesIO(emblem_png()), width=Cm(1.5))
    agency.add_paragraph()
    lines = f"{header.pemerintah}\n{header.instansi}\n{header.unit}".strip()
    for line in lines.split("\n"):
        paragraph = agency.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(line).bold = True
    for index, (label, value) in enumerate(rows):
        _text(table.cell(index, 1), label, bold=True)
        if label == "Disahkan oleh":
            _signer(table.cell(index, 2), sop)
        else:
            _text(table.cell(index, 2), value, bold=label == layout.nama_label)
    if layout.blocks_in_identity_table:
        for offset, pair in enumerate(blocks):
            row = len(rows) + 2 * offset
            _block(table, row, pair, merge_right=True)
    else:
        word.add_paragraph()
        separate = word.add_table(rows=2 * len(blocks), cols=2)
        separate.style = "Table Grid"
        _widths(separate, [usable / 2, usable / 2])
        for offset, pair in enumerate(blocks):
            _block(separate, 2 * offset, pair, merge_right=False)


def _signer(cell: _Cell, sop: Sop) -> None:
    header = sop.header
    _text(cell, header.jabatan.upper(), center=True)
    for _ in range(2):
        cell.add_paragraph()
    paragraph = cell.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(header.pejabat)
    run.bold = run.underline = True
    for line in (header.pangkat, f"NIP. {header.nip}"):
        if line.strip() and line != "NIP. ":
            extra = cell.add_paragraph(line)
            extra.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _block(
    table: Table, row: int, pair: tuple[tuple[str, Sequence[str]], ...], *, merge_right: bool
) -> None:
    (left_label, left_items), (right_label, right_items) = pair
    title_left, title_right = table.cell(row, 0), table.cell(row, 1)
    body_left, body_right = table.cell(row + 1, 0), table.cell(row + 1, 1)
    if merge_right:
        title_right = title_right.merge(table.cell(row, 2))
        body_right = body_right.merge(table.cell(row + 1, 2))
    _text(title_left, f"{left_label}:", bold=True)
    _text(title_right, f"{right_label}:", bold=True)
    _text(body_left, _numbered(left_items))
    _text(body_right, _numbered(right_items))


# -- the procedure table ----------------------------------------------------------------------


@dataclass
class _Ids:
    """Shape ids, unique in the document."""

    next: int = 1

    def take(self) -> int:
        self.next += 1
        return self.next


def _procedure(word: WordDocument, sop: Sop, layout: DocxLayout) -> None:
    paragraph = word.add_paragraph()
    paragraph.add_run().add_break(WD_BREAK.PAGE)
    title = word.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(f"PROSEDUR {sop.header.nama.upper()}").bold = True
    word.add_paragraph()
    columns = _Columns(len(sop.roles), layout.keterangan, _usable(word))
    ids = _Ids()
    steps = list(sop.steps)
    split = layout.split_after if layout.split_after else len(steps)
    parts = [steps[:split], steps[split:]] if split < len(steps) else [steps]
    for number, part in enumerate(parts):
        first_part = number == 0
        if not first_part:
            breaker = word.add_paragraph()
            breaker.add_run().add_break(WD_BREAK.PAGE)
        with_header = first_part or layout.repeat_header
        table = word.add_table(rows=0, cols=columns.count)
        table.style = "Table Grid"
        if with_header:
            _header_rows(table, sop, layout, columns)
        if not first_part and layout.offpage_row:
            _offpage_row(table, sop, part[0], layout, columns, ids)
        for step in part:
            _step_row(table, sop, step, layout, columns, ids)
        if first_part and len(parts) > 1 and layout.offpage_row:
            _offpage_row(table, sop, parts[1][0], layout, columns, ids)
        _widths(table, columns.widths)


def _header_rows(table: Table, sop: Sop, layout: DocxLayout, columns: _Columns) -> None:
    top, bottom = _add_row(table), _add_row(table)
    for row in (top, bottom):
        if layout.header_row_flag:
            row._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {W_NS}/>"))
    for index in range(columns.count):
        _shade(top.cells[index])
        _shade(bottom.cells[index])
    _text(top.cells[0].merge(bottom.cells[0]), "No", bold=True, center=True)
    _text(top.cells[1].merge(bottom.cells[1]), layout.kegiatan_label, bold=True, center=True)
    first, mutu = columns.first_role, columns.mutu
    _text(top.cells[first].merge(top.cells[mutu - 1]), "Pelaksana", bold=True, center=True)
    _text(top.cells[mutu].merge(top.cells[mutu + 2]), layout.mutu_label, bold=True, center=True)
    for offset, role in enumerate(sop.roles):
        _text(bottom.cells[first + offset], role.nama, bold=True, center=True)
    for offset, label in enumerate((layout.kelengkapan_label, "Waktu", layout.output_label)):
        _text(bottom.cells[mutu + offset], label, bold=True, center=True)
    if layout.keterangan:
        last = columns.count - 1
        _text(top.cells[last].merge(bottom.cells[last]), "Keterangan", bold=True, center=True)
    if layout.numbered_header_row:
        numbers = _add_row(table)
        for index, cell in enumerate(numbers.cells[: columns.count]):
            _text(cell, str(index + 1), center=True, size=7)
            _shade(cell, "F2F2F2")


def _shape_of(sop: Sop, step: Step, layout: DocxLayout) -> Shape:
    if step.decision:
        return "decision"
    if layout.terminators and step in (sop.steps[0], sop.steps[-1]):
        return "terminator"
    return "process"


def _terminal_text(sop: Sop, step: Step, layout: DocxLayout) -> str:
    if not layout.terminators:
        return ""
    if step == sop.steps[0]:
        return "Mulai"
    return "Selesai" if step == sop.steps[-1] else ""


def _row_height(row: _Row) -> None:
    row.height = Cm(ROW_HEIGHT_CM)
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST


def _executor_cells(
    table: Table, row: _Row, sop: Sop, step: Step, layout: DocxLayout, columns: _Columns
) -> list[tuple[_Cell, float]]:
    """The cells that get the symbol, with their widths: one merged cell for a joint step of
    neighbouring roles drawn as one shape; one cell per role otherwise."""
    indexes = sorted(columns.first_role + [r.key for r in sop.roles].index(k) for k in step.by)
    adjacent = indexes == list(range(indexes[0], indexes[-1] + 1))
    if len(indexes) > 1 and adjacent and layout.symbols != "mark":
        cell = row.cells[indexes[0]].merge(row.cells[indexes[-1]])
        return [(cell, sum(columns.widths[i] for i in indexes))]
    return [(row.cells[i], columns.widths[i]) for i in indexes]


def _step_row(
    table: Table, sop: Sop, step: Step, layout: DocxLayout, columns: _Columns, ids: _Ids
) -> None:
    row = _add_row(table)
    _row_height(row)
    _text(row.cells[0], step.no, center=True)
    _text(row.cells[1], step.kegiatan)
    mutu = columns.mutu
    _text(row.cells[mutu], step.kelengkapan)
    _text(row.cells[mutu + 1], step.waktu, center=True)
    _text(row.cells[mutu + 2], step.output)
    if layout.keterangan:
        _text(row.cells[columns.count - 1], keterangan(sop, step, layout.note_style))
    shape = _shape_of(sop, step, layout)
    label = _terminal_text(sop, step, layout)
    cells = _executor_cells(table, row, sop, step, layout, columns)
    for cell, width in cells:
        _symbol(cell, width, shape, label, layout, ids)
    if step.decision and layout.yes_no_words:
        _yes_no_words(row, sop, step, columns, cells[0][0])
    if layout.connectors:
        _connectors(row, sop, step, columns, ids)


def _symbol(
    cell: _Cell, width: float, shape: Shape, label: str, layout: DocxLayout, ids: _Ids
) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if layout.symbols == "mark":
        paragraph.add_run(layout.mark).bold = True
        return
    if layout.symbols == "picture":
        png = symbol_png(shape, label)
        picture_width = 0.9 if shape == "decision" else min(1.5, width - 0.3)
        paragraph.add_run().add_picture(io.BytesIO(png), width=Cm(picture_width))
        return
    w = (0.9 if shape == "decision" else min(1.5, width - 0.4)) if width < 3 else width - 0.6
    h = 0.7 if shape == "decision" else 0.55
    x, y = (width - w) / 2 - 0.1, 0.12
    shape_id = ids.take()
    if layout.symbols == "drawingml":
        xml = docx_shapes.drawing(shape_id, shape, x, y, w, h, label)
    elif layout.symbols == "drawingml_fallback":
        xml = docx_shapes.with_fallback(shape_id, shape, x, y, w, h, label)
    else:
        xml = docx_shapes.vml(shape_id, shape, x, y, w, h, label)
    paragraph._p.append(docx_shapes.run_element(xml))


def _yes_no_words(row: _Row, sop: Sop, step: Step, columns: _Columns, cell: _Cell) -> None:
    """ "Ya" under the diamond, "Tidak" in the neighbouring role cell on the side the work goes
    back to (these are words in role cells that mark nobody)."""
    words = cell.add_paragraph()
    words.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    words.add_run("Ya").font.size = Pt(7)
    keys = [r.key for r in sop.roles]
    own = columns.first_role + keys.index(step.by[0])
    assert step.tidak is not None
    target = sop.step_by_no(step.tidak) if step.tidak != "selesai" else step
    back = columns.first_role + keys.index(target.by[0])
    side = own - 1 if back <= own else own + 1
    if columns.first_role <= side < columns.mutu and side != own:
        _text(row.cells[side], "Tidak", size=7, center=True)


def _connectors(row: _Row, sop: Sop, step: Step, columns: _Columns, ids: _Ids) -> None:
    """The arrow to the next step: straight down in the executor's cell when the next step has
    the same executor; otherwise an elbow anchored in the next executor's cell of this row (a
    line in a cell whose role does not do this step, as Word anchors it where it was drawn)."""
    index = sop.steps.index(step)
    if index + 1 >= len(sop.steps):
        return
    keys = [r.key for r in sop.roles]
    own = columns.first_role + keys.index(step.by[0])
    following = sop.steps[index + 1]
    there = columns.first_role + keys.index(following.by[0])
    width = columns.widths[own]
    if there == own:
        xml = docx_shapes.connector(ids.take(), width / 2 - 0.1, 0.7, 0.01, 0.5, bent=False)
        row.cells[own].paragraphs[0]._p.append(docx_shapes.run_element(xml))
    elif row.cells[there]._tc is not row.cells[own]._tc:
        xml = docx_shapes.connector(ids.take(), 0.0, 0.4, columns.widths[there] / 2, 0.8, bent=True)
        row.cells[there].paragraphs[0]._p.append(docx_shapes.run_element(xml))
    if step.decision:
        xml = docx_shapes.connector(ids.take(), 0.0, -0.6, width / 2, 0.9, bent=True, up=True)
        row.cells[own].paragraphs[0]._p.append(docx_shapes.run_element(xml))


def _offpage_row(
    table: Table, sop: Sop, step: Step, layout: DocxLayout, columns: _Columns, ids: _Ids
) -> None:
    """An unnumbered row holding only an off-page connector ("A") in the column of the step
    that continues on the next page: a row that is no step."""
    row = _add_row(table)
    keys = [r.key for r in sop.roles]
    column = columns.first_role + keys.index(step.by[0])
    width = columns.widths[column]
    paragraph = row.cells[column].paragraphs[0]
    shape_id = ids.take()
    if layout.symbols == "vml":
        xml = docx_shapes.vml(shape_id, "offpage", width / 2 - 0.35, 0.05, 0.6, 0.5, "A")
    else:
        xml = docx_shapes.drawing(shape_id, "offpage", width / 2 - 0.35, 0.05, 0.6, 0.5, "A")
    paragraph._p.append(docx_shapes.run_element(xml))
    row.height = Cm(0.7)
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST

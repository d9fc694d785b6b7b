"""Reading a Word (.docx) SOP into a SheetDocument: its tables cell by cell, and the flowchart
symbols drawn in each cell.

Word users draw the flowchart with shapes (DrawingML `wps:wsp` with a preset geometry, or VML in
files from older Word), paste pictures of boxes, or type a tick. A shape is anchored to a
paragraph of the cell it was drawn in; when its position is given relative to that cell (as
Word does for shapes laid out in a table cell), its horizontal offset places it in the column it
really stands in. Text boxes beside a diamond ("Ya", "Tidak") are labels, not symbols.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any, Final

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from sopbot.documents.picture_shapes import classify_picture
from sopbot.documents.sheet_model import Cell, Grid, SheetDocument, Symbol, SymbolKind

_NS: Final = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "wpg": "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
_W = "{{{}}}".format(_NS["w"])
_EMU_PER_TWIP: Final = 635
_MAX_UNPACKED: Final = 100 * 1024 * 1024  # an SOP with its pictures is a few megabytes
_MAX_ENTRIES: Final = 5000
_MAX_SPAN: Final = 64  # grid columns a cell may span (a real table has a few dozen at most)

# DrawingML preset geometries, by what they mean in a flowchart. Lines, arrows and connectors
# are left out: they draw the flow, not who does a step.
_PRESETS: Final = {
    "flowChartTerminator": SymbolKind.TERMINATOR,
    "roundRect": SymbolKind.TERMINATOR,
    "flowChartAlternateProcess": SymbolKind.TERMINATOR,
    "ellipse": SymbolKind.TERMINATOR,
    "flowChartProcess": SymbolKind.PROCESS,
    "rect": SymbolKind.PROCESS,
    "flowChartPredefinedProcess": SymbolKind.PROCESS,
    "flowChartDocument": SymbolKind.PROCESS,
    "flowChartMultidocument": SymbolKind.PROCESS,
    "flowChartInputOutput": SymbolKind.PROCESS,
    "parallelogram": SymbolKind.PROCESS,
    "flowChartManualOperation": SymbolKind.PROCESS,
    "flowChartPreparation": SymbolKind.PROCESS,
    "flowChartDecision": SymbolKind.DECISION,
    "diamond": SymbolKind.DECISION,
    "flowChartConnector": SymbolKind.CONNECTOR,
    "flowChartOffpageConnector": SymbolKind.CONNECTOR,
    "homePlate": SymbolKind.CONNECTOR,
}
# VML shape types (o:spt / "#_x0000_tN"): the same flowchart symbols in files from older Word.
_VML_TYPES: Final = {
    "109": SymbolKind.PROCESS,
    "110": SymbolKind.DECISION,
    "116": SymbolKind.TERMINATOR,
    "176": SymbolKind.TERMINATOR,
    "4": SymbolKind.DECISION,
    "1": SymbolKind.PROCESS,
    "2": SymbolKind.TERMINATOR,
    "120": SymbolKind.CONNECTOR,
    "177": SymbolKind.CONNECTOR,
    "112": SymbolKind.PROCESS,
    "114": SymbolKind.PROCESS,
    "111": SymbolKind.PROCESS,
}
_VML_ELEMENTS: Final = {
    "rect": SymbolKind.PROCESS,
    "roundrect": SymbolKind.TERMINATOR,
    "oval": SymbolKind.TERMINATOR,
}
_TEXT_BOX_TYPE: Final = "202"
# Ticks typed in a symbol font, by the font: the character stored and the mark it shows.
_FONT_TICKS: Final = {
    "wingdings": {"ü": "✓", "þ": "✓"},
    "wingdings 2": {"P": "✓", "R": "✓", "T": "✓"},
    "symbol": {"Ö": "√"},
}
_PRIVATE_TICKS: Final = {"\uf0fc": "✓", "\uf0fe": "✓", "\uf050": "✓", "\uf0d6": "√"}


class UnreadableDocx(ValueError):
    """The file is not a Word document that can be read."""


def read_docx(data: bytes) -> SheetDocument:
    """The tables, symbols and free text of a .docx document given as bytes."""
    _check_package(data)
    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableDocx(str(exc) or "not a .docx package") from exc
    except etree.XMLSyntaxError as exc:
        raise UnreadableDocx(f"broken XML: {exc}") from exc
    if document.element.body is None:
        raise UnreadableDocx("the document has no body")
    sheet = SheetDocument(kind="docx")
    reader = _Reader(document, sheet)
    for section in document.sections:
        if not section.header.is_linked_to_previous:
            for table in section.header._element.iterchildren(f"{_W}tbl"):
                reader.table(table, "kepala halaman")
    reader.body(document.element.body)
    return sheet


def _check_package(data: bytes) -> None:
    """Refuse a package that would unpack to far more than an SOP (a zip bomb) before
    python-docx reads every part of it into memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableDocx("not a .docx package") from exc
    if len(entries) > _MAX_ENTRIES or sum(e.file_size for e in entries) > _MAX_UNPACKED:
        raise UnreadableDocx("the package unpacks to far more than a document holds")


class _Reader:
    def __init__(self, document: Any, sheet: SheetDocument) -> None:
        self._document = document
        self._sheet = sheet
        self._page_left_twips = _page_left_margin(document)
        self._since_table: list[str] = []

    def body(self, element: Any) -> None:
        for child in element.iterchildren():
            tag = etree.QName(child).localname
            if tag == "p":
                text = _paragraph_text(child)
                if text:
                    self._sheet.paragraphs.append(text)
                    self._since_table.append(text)
            elif tag == "tbl":
                self.table(child, f"tabel {len(self._sheet.grids) + 1}")
            elif tag == "sdt":
                content = child.find(f"{_W}sdtContent")
                if content is not None:
                    self.body(content)

    def table(self, tbl: Any, where: str) -> None:
        widths = [_number(c.get(f"{_W}w")) for c in tbl.iterfind(f"{_W}tblGrid/{_W}gridCol")]
        indent = _table_indent(tbl)
        rows: list[list[Cell]] = []
        nested: list[Any] = []
        for tr in _rows(tbl):
            column = _grid_before(tr)
            row: list[Cell] = []
            for tc in _cells(tr):
                span = min(_int_val(tc.find(f"{_W}tcPr/{_W}gridSpan")) or 1, _MAX_SPAN)
                merge = tc.find(f"{_W}tcPr/{_W}vMerge")
                continued = merge is not None and merge.get(f"{_W}val") in (None, "continue")
                cell = Cell(_cell_text(tc), column, span, continued=continued)
                row.append(cell)
                nested.extend(_own_tables(tc))
                column += span
            for cell, tc in zip(row, _cells(tr), strict=True):
                self._symbols(tc, cell, row, widths, indent)
            rows.append(row)
        if rows:
            self._sheet.grids.append(Grid(rows, where, self._since_table))
            self._since_table = []
        for inner in nested:
            self.table(inner, f"tabel {len(self._sheet.grids) + 1} (di dalam sel)")

    def _symbols(
        self, tc: Any, cell: Cell, row: list[Cell], widths: list[int], indent: int
    ) -> None:
        for drawing, anchor in _drawings(tc):
            found = list(self._drawing_symbols(drawing))
            target = self._placed(anchor, cell, row, widths, indent) if anchor is not None else cell
            for symbol, label in found:
                if label is not None:
                    target.labels.append(label)
                elif symbol is not None:
                    target.symbols.append(symbol)

    def _drawing_symbols(self, drawing: Any) -> Iterator[tuple[Symbol | None, str | None]]:
        """(symbol, None) for a symbol, (None, text) for a text-box label."""
        localname = etree.QName(drawing).localname
        if localname == "pict":
            yield from _vml_symbols(drawing)
            return
        for shape in drawing.iterfind(".//wps:wsp", _NS):
            yield _shape_symbol(shape)
        for picture in drawing.iterfind(".//pic:pic", _NS):
            yield self._picture_symbol(picture), None

    def _picture_symbol(self, picture: Any) -> Symbol:
        blip = picture.find(".//a:blip", _NS)
        rel = blip.get(f"{{{_NS['r']}}}embed") if blip is not None else None
        part = self._document.part.related_parts.get(rel) if rel else None
        kind = classify_picture(part.blob) if part is not None else SymbolKind.PICTURE
        return Symbol(kind, seen_as="gambar")

    def _placed(
        self, anchor: Any, cell: Cell, row: list[Cell], widths: list[int], indent: int
    ) -> Cell:
        """The cell of the row that a floating shape stands in: from its horizontal position
        when that is given as an offset, else the cell it is anchored in."""
        position = anchor.find("wp:positionH", _NS)
        extent = anchor.find("wp:extent", _NS)
        offset = position.find("wp:posOffset", _NS) if position is not None else None
        if position is None or offset is None or not widths or offset.text is None:
            return cell
        half = _number(extent.get("cx")) // 2 if extent is not None else 0
        centre = (_number(offset.text) + half) // _EMU_PER_TWIP
        relative = position.get("relativeFrom")
        edges = [sum(widths[:i]) for i in range(len(widths) + 1)]
        if relative == "column" and anchor.get("layoutInCell") != "0":
            x = edges[min(cell.column, len(widths))] + centre
        elif relative == "margin":
            x = centre - indent
        elif relative == "page":
            x = centre - self._page_left_twips - indent
        else:
            return cell
        for index in range(len(widths)):
            if edges[index] <= x < edges[index + 1]:
                for other in row:
                    if index in other.columns:
                        return other
        return cell


def _shape_symbol(shape: Any) -> tuple[Symbol | None, str | None]:
    text = " ".join(t.text or "" for t in shape.iterfind(".//wps:txbx//w:t", _NS)).strip()
    box = shape.find("wps:cNvSpPr", _NS)
    if box is not None and box.get("txBox") == "1":
        return None, text or None
    geometry = shape.find("wps:spPr/a:prstGeom", _NS)
    preset = geometry.get("prst") if geometry is not None else None
    if preset is None:
        if shape.find("wps:spPr/a:custGeom", _NS) is not None:
            return Symbol(SymbolKind.PICTURE, text, "bentuk bebas"), None
        return None, None
    kind = _PRESETS.get(preset)
    if kind is None:
        return None, None
    no_line = shape.find("wps:spPr/a:ln/a:noFill", _NS) is not None
    no_fill = shape.find("wps:spPr/a:noFill", _NS) is not None
    if kind is SymbolKind.PROCESS and no_line and no_fill and text:
        return None, text  # a bare text box drawn as a rectangle: a label such as "Ya"
    return Symbol(kind, text, f"bentuk {preset}"), None


def _vml_symbols(pict: Any) -> Iterator[tuple[Symbol | None, str | None]]:
    for element in pict.iter():
        if not isinstance(element.tag, str) or etree.QName(element).namespace != _NS["v"]:
            continue
        name = etree.QName(element).localname
        text = " ".join(t.text or "" for t in element.iterfind(".//w:t", _NS)).strip()
        kind: SymbolKind | None = _VML_ELEMENTS.get(name)
        if name == "shape":
            spt = element.get(f"{{{_NS['o']}}}spt") or (element.get("type") or "").replace(
                "#_x0000_t", ""
            )
            if spt == _TEXT_BOX_TYPE:
                if text:
                    yield None, text
                continue
            kind = _VML_TYPES.get(spt)
            if kind is None and element.find("v:imagedata", _NS) is not None:
                kind = SymbolKind.PICTURE
        if kind is not None:
            yield Symbol(kind, text, f"VML {name}"), None


def _drawings(tc: Any) -> Iterator[tuple[Any, Any | None]]:
    """Each drawing or VML picture of a cell (not of a table nested in it), with its floating
    anchor if any; the VML fallback of an mc:AlternateContent is skipped (it repeats the
    DrawingML choice)."""
    for element in tc.iter(f"{_W}drawing", f"{_W}pict"):
        if _inside(element, tc, {"tbl", "Fallback"}):
            continue
        if etree.QName(element).localname == "drawing":
            anchor = element.find("wp:anchor", _NS)
            yield element, anchor
        else:
            yield element, None


def _inside(element: Any, stop: Any, names: set[str]) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not stop:
        if etree.QName(parent).localname in names:
            return True
        parent = parent.getparent()
    return False


def _rows(tbl: Any) -> Iterator[Any]:
    for child in tbl.iterchildren():
        name = etree.QName(child).localname
        if name == "tr":
            yield child
        elif name == "sdt":
            yield from child.iterfind(f"{_W}sdtContent/{_W}tr")


def _cells(tr: Any) -> list[Any]:
    cells = []
    for child in tr.iterchildren():
        name = etree.QName(child).localname
        if name == "tc":
            cells.append(child)
        elif name == "sdt":
            cells.extend(child.iterfind(f"{_W}sdtContent/{_W}tc"))
        elif name == "customXml":
            cells.extend(child.iterfind(f"{_W}tc"))
    return cells


def _grid_before(tr: Any) -> int:
    return min(_int_val(tr.find(f"{_W}trPr/{_W}gridBefore")) or 0, _MAX_SPAN)


def _own_tables(tc: Any) -> list[Any]:
    """The tables nested in a cell itself (each read once; theirs are read in their turn)."""
    return [*tc.iterfind(f"{_W}tbl"), *tc.iterfind(f"{_W}sdt/{_W}sdtContent/{_W}tbl")]


def _number(text: str | None) -> int:
    """A whole number of an attribute ("1440"); 0 for a missing or odd one ("1.5in")."""
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _int_val(element: Any) -> int | None:
    return _int_attr(element, "val")


def _cell_text(tc: Any) -> str:
    paragraphs = []
    for p in tc.iter(f"{_W}p"):
        if _inside(p, tc, {"tbl", "txbxContent", "AlternateContent", "pict", "drawing"}):
            continue
        paragraphs.append(_paragraph_text(p))
    return "\n".join(paragraphs).strip()


def _paragraph_text(p: Any) -> str:
    """A paragraph's text, without what stands in its text boxes and shapes."""
    parts: list[str] = []
    for element in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}sym"):
        if _inside(element, p, {"txbxContent", "AlternateContent", "pict", "drawing"}):
            continue
        name = etree.QName(element).localname
        if name == "t":
            parts.append(_symbol_font_text(element))
        elif name == "tab":
            parts.append(" ")
        elif name == "sym":
            parts.append(_symbol_char(element))
        else:
            parts.append("\n")
    return "".join(parts).strip()


def _symbol_font_text(t: Any) -> str:
    """A run's text, with a tick typed in a symbol font read as the tick it shows: Wingdings
    "ü" (the usual way agencies tick a Pelaksana cell), Wingdings 2 "P", Symbol "Ö", and the
    private-use characters Word stores them as."""
    text: str = t.text or ""
    fonts = t.getparent().find(f"{_W}rPr/{_W}rFonts") if t.getparent() is not None else None
    font = ""
    if fonts is not None:
        font = " ".join(fonts.get(f"{_W}{a}") or "" for a in ("ascii", "hAnsi", "cs")).lower()
    ticks = _FONT_TICKS.get("wingdings 2" if "wingdings 2" in font else font.split(" ")[0], {})
    return "".join(_PRIVATE_TICKS.get(ch, ticks.get(ch, ch)) for ch in text)


def _symbol_char(sym: Any) -> str:
    """A w:sym character (Wingdings/Symbol ticks typed with Insert > Symbol) as text."""
    code = (sym.get(f"{_W}char") or "").upper()
    font = (sym.get(f"{_W}font") or "").lower()
    if font.startswith("wingdings") and code in {"F0FC", "00FC", "FC", "F0FE", "FE"}:
        return "✓"
    if font == "symbol" and code in {"F0D6", "D6"}:
        return "√"
    try:
        return chr(int(code, 16) & 0xFF) if code else ""
    except ValueError:
        return ""


def _table_indent(tbl: Any) -> int:
    return _int_attr(tbl.find(f"{_W}tblPr/{_W}tblInd"), "w") or 0


def _int_attr(element: Any, name: str) -> int | None:
    if element is None:
        return None
    try:
        return int(element.get(f"{_W}{name}") or "")
    except ValueError:
        return None


def _page_left_margin(document: Any) -> int:
    sections = document.sections
    if not sections or sections[0].left_margin is None:
        return 1440
    return int(sections[0].left_margin.twips)

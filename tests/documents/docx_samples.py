"""Word documents built for the reader's tests, the way Word itself writes them: the identity
header table, the procedure table with its two header rows and merged cells, and flowchart
symbols as DrawingML shapes (anchored in a cell, or placed by an offset), VML shapes, pictures
or typed ticks.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from docx import Document
from docx.oxml import parse_xml
from docx.shared import Pt, Twips
from PIL import Image, ImageDraw

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NAMESPACES = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:o="urn:schemas-microsoft-com:office:office"'
)


@dataclass
class Row:
    """A step row: which role columns get a symbol, and how it is drawn."""

    no: str
    activity: str
    executors: Sequence[int]
    time: str = "5 Menit"
    output: str = "-"
    inputs: str = "-"
    remarks: str = ""
    symbol: str = "flowChartProcess"  # a preset, or "vml:110", "picture:box", "mark:√"
    merged: bool = False  # one symbol across the (adjacent) executors' merged cells
    labels: Sequence[str] = ()  # text boxes beside the symbol ("Ya", "Tidak")
    offset_to: int | None = None  # anchor in the first role cell, placed by offset here


@dataclass
class Sample:
    """A whole document."""

    roles: Sequence[str]
    rows: Sequence[Row]
    header: dict[str, str] = field(default_factory=dict)
    lists: dict[str, Sequence[str]] = field(default_factory=dict)
    government: str = "PEMERINTAH KOTA SAMARINDA"
    agency: str = "DINAS KOMUNIKASI DAN INFORMATIKA"
    title: str = "PROSEDUR PENGELOLAAN SURAT MASUK"
    role_width: int = 1300  # twips
    split_after: int | None = None  # continue the table in a second table after this row
    repeat_header: bool = True


def build(sample: Sample) -> bytes:
    """The .docx bytes of a sample."""
    document = Document()
    section = document.sections[0]
    section.left_margin = Twips(1000)
    _identity(document, sample)
    document.add_paragraph(sample.title)
    rows = list(sample.rows)
    parts = [rows]
    if sample.split_after is not None:
        parts = [rows[: sample.split_after], rows[sample.split_after :]]
    for index, part in enumerate(parts):
        if index:
            document.add_page_break()  # type: ignore[no-untyped-call]
        _procedure(document, sample, part, header=index == 0 or sample.repeat_header)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _identity(document: object, sample: Sample) -> None:
    fields = sample.header or {
        "Nomor SOP": "800/123/Diskominfo",
        "Tgl. Pembuatan": "2 Januari 2024",
        "Tgl. Revisi": "-",
        "Tgl. Efektif": "15 Januari 2024",
        "Disahkan oleh": "Kepala Dinas Komunikasi dan Informatika\n\nDrs. H. AHMAD YANI, M.Si\n"
        "Pembina Utama Muda (IV/c)\nNIP. 19700101 199503 1 002",
        "Nama SOP": "Pengelolaan Surat Masuk",
    }
    table = document.add_table(rows=len(fields), cols=3)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    left = table.cell(0, 0).merge(table.cell(len(fields) - 1, 0))
    left.text = f"{sample.government}\n{sample.agency}"
    for index, (label, value) in enumerate(fields.items()):
        table.cell(index, 1).text = label
        table.cell(index, 2).text = value
    lists = sample.lists or {
        "Dasar Hukum": ["Undang-Undang Nomor 43 Tahun 2009 tentang Kearsipan"],
        "Kualifikasi Pelaksana": ["Memahami tata naskah dinas", "Mampu mengoperasikan komputer"],
        "Keterkaitan": ["SOP Pengelolaan Surat Keluar"],
        "Peralatan/Perlengkapan": ["Komputer", "Buku agenda"],
        "Peringatan": ["Surat tidak tertangani tepat waktu"],
        "Pencatatan dan Pendataan": ["Buku agenda surat masuk"],
    }
    names = list(lists)
    blocks = document.add_table(rows=len(names), cols=2)  # type: ignore[attr-defined]
    blocks.style = "Table Grid"
    for index in range(0, len(names), 2):
        for column in range(2):
            label = names[index + column]
            items = "\n".join(f"{n}. {item}" for n, item in enumerate(lists[label], 1))
            blocks.cell(index, column).text = f"{label}:"
            blocks.cell(index + 1, column).text = items


def _procedure(document: object, sample: Sample, rows: list[Row], *, header: bool) -> None:
    roles = list(sample.roles)
    columns = 2 + len(roles) + 4
    table = document.add_table(rows=0, cols=columns)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    widths = [500, 3000] + [sample.role_width] * len(roles) + [1400, 900, 1400, 1200]
    grid = table._tbl.tblGrid
    for col, width in zip(grid.iterchildren(), widths, strict=True):
        col.set(f"{{{W_NS}}}w", str(width))
    if header:
        first = table.add_row().cells
        second = table.add_row().cells
        first[0].text, first[1].text = "No", "Kegiatan"
        first[0].merge(second[0])
        first[1].merge(second[1])
        executors = first[2].merge(first[1 + len(roles)])
        executors.text = "Pelaksana"
        for index, role in enumerate(roles):
            second[2 + index].text = role
        standard = first[2 + len(roles)].merge(first[4 + len(roles)])
        standard.text = "Mutu Baku"
        for offset, name in enumerate(("Kelengkapan", "Waktu", "Output")):
            second[2 + len(roles) + offset].text = name
        last = first[columns - 1].merge(second[columns - 1])
        last.text = "Keterangan"
    for row in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = row.no, row.activity
        base = 2 + len(roles)
        cells[base].text, cells[base + 1].text = row.inputs, row.time
        cells[base + 2].text, cells[columns - 1].text = row.output, row.remarks
        targets = [cells[2 + i] for i in row.executors]
        if row.merged and len(row.executors) > 1:
            merged = cells[2 + min(row.executors)].merge(cells[2 + max(row.executors)])
            targets = [merged]
        if row.offset_to is not None:
            _add_symbol(cells[2], row, offset_twips=sample.role_width * row.offset_to + 300)
            continue
        for cell in targets:
            _add_symbol(cell, row)


def _add_symbol(cell: object, row: Row, *, offset_twips: int | None = None) -> None:
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    kind, _, detail = row.symbol.partition(":")
    if kind == "mark":
        paragraph.add_run(detail)
        return
    if kind == "picture":
        paragraph.add_run().add_picture(io.BytesIO(_picture(detail)), width=Pt(40))
    elif kind == "vml":
        paragraph._p.append(parse_xml(_vml(detail)))
    else:
        paragraph._p.append(parse_xml(_shape_run(row.symbol, offset_twips)))
    for label in row.labels:
        paragraph._p.append(parse_xml(_text_box(label)))


def _shape_run(preset: str, offset_twips: int | None) -> str:
    horizontal = (
        f'<wp:positionH relativeFrom="column"><wp:posOffset>{offset_twips * 635}'
        "</wp:posOffset></wp:positionH>"
        if offset_twips is not None
        else '<wp:positionH relativeFrom="column"><wp:align>center</wp:align></wp:positionH>'
    )
    return (
        f'<w:r {_NAMESPACES}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        f"{horizontal}"
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>50800</wp:posOffset></wp:positionV>'
        '<wp:extent cx="457200" cy="228600"/><wp:wrapNone/>'
        '<wp:docPr id="1" name="Shape"/>'
        "<a:graphic><a:graphicData "
        'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        "<wps:wsp><wps:cNvSpPr/><wps:spPr>"
        '<a:xfrm><a:off x="0" y="0"/><a:ext cx="457200" cy="228600"/></a:xfrm>'
        f'<a:prstGeom prst="{preset}"><a:avLst/></a:prstGeom>'
        "</wps:spPr><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor>"
        "</w:drawing></mc:Choice><mc:Fallback><w:pict>"
        '<v:rect style="width:36pt;height:18pt"/></w:pict></mc:Fallback>'
        "</mc:AlternateContent></w:r>"
    )


def _text_box(text: str) -> str:
    return (
        f"<w:r {_NAMESPACES}><w:drawing>"
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="2" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        '<wp:extent cx="304800" cy="152400"/><wp:wrapNone/><wp:docPr id="2" name="Label"/>'
        "<a:graphic><a:graphicData "
        'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>'
        f"<wps:txbx><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"
        "</wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor>"
        "</w:drawing></w:r>"
    )


def _vml(spt: str) -> str:
    return (
        f"<w:r {_NAMESPACES}><w:pict>"
        f'<v:shape type="#_x0000_t{spt}" o:spt="{spt}" style="width:36pt;height:18pt"/>'
        "</w:pict></w:r>"
    )


def _picture(shape: str) -> bytes:
    image = Image.new("RGB", (120, 60), "white")
    draw = ImageDraw.Draw(image)
    if shape == "diamond":
        draw.polygon([(60, 2), (118, 30), (60, 58), (2, 30)], outline="black", width=3)
    elif shape == "rounded":
        draw.rounded_rectangle([2, 2, 118, 58], radius=28, outline="black", width=3)
    else:
        draw.rectangle([2, 2, 118, 58], outline="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

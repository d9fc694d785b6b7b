"""A monitoring document as a PDF (reportlab's platypus): the agency's header and the title,
the identity lines, each part's table flowing over as many pages as it needs with its heading
rows repeated on every page, the charts, the note on the figures, (forms) the assessor's
signature block, then the appendices (the list of procedures), each from a new page; on every
page a running head and "Halaman n dari N".

Landscape on F4 or A4. Text is set in the embedded fonts of pdf_text (real text that
pdfplumber reads back); the boxes the assessor ticks are drawn as small squares. Columns
sopbot fills are shaded lightly and headed "Data pelaksanaan (diukur oleh sopbot)", so the
assessor's columns stay white to write in.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from sopbot.documents import report_model as model
from sopbot.documents.page_format import Paper, paper_size
from sopbot.documents.pdf_text import BOLD, REGULAR, TextStyle, printable, register_fonts, wrap
from sopbot.documents.report_words import (
    NOTHING,
    count_text,
    date_text,
    decimal_text,
    difference_text,
    month_text,
    share_text,
    short_date_text,
    working_time_text,
)

MARGIN: Final = 12 * mm
BINDING: Final = 18 * mm  # the left margin: a form is filed in a binder
HEAD_ROOM: Final = 8 * mm  # above the content, for the running head
HEADING_FILL: Final = colors.Color(0.86, 0.86, 0.86)
MEASURED_FILL: Final = colors.Color(0.84, 0.90, 0.96)
MEASURED_CELL_FILL: Final = colors.Color(0.95, 0.97, 0.99)
GROUP_FILL: Final = colors.Color(0.93, 0.93, 0.93)
BOX: Final = 7.0  # the side of a box to tick, in points
POINTS_PER_UNIT: Final = 6.0  # a column's width unit (a character of the sheet) on paper

_BODY = ParagraphStyle("body", fontName=REGULAR, fontSize=7.5, leading=9)
_BODY_BOLD = ParagraphStyle("body-bold", parent=_BODY, fontName=BOLD)
_NUMBER = ParagraphStyle("number", parent=_BODY, alignment=TA_RIGHT)
_NUMBER_BOLD = ParagraphStyle("number-bold", parent=_NUMBER, fontName=BOLD)
_CENTRED = ParagraphStyle("centred", parent=_BODY, alignment=TA_CENTER)
_HEAD = ParagraphStyle("head", parent=_BODY, fontName=BOLD, fontSize=6.8, leading=8)
_HEAD_CENTRED = ParagraphStyle("head-centred", parent=_HEAD, alignment=TA_CENTER)
_AGENCY = ParagraphStyle("agency", fontName=BOLD, fontSize=13, leading=16, alignment=TA_CENTER)
_TITLE = ParagraphStyle(
    "title", fontName=BOLD, fontSize=12, leading=15, alignment=TA_CENTER, spaceAfter=6
)
_PART = ParagraphStyle(
    "part", fontName=BOLD, fontSize=10, leading=13, spaceBefore=8, spaceAfter=4, keepWithNext=1
)
_LINE = ParagraphStyle("line", fontName=REGULAR, fontSize=8.5, leading=11)
_NOTE = ParagraphStyle("note", fontName=REGULAR, fontSize=7.5, leading=9.5, spaceBefore=2)
_RUNNING = 7.0  # pt, the running head and the page numbers
_NUMBER_AND_UNIT: Final = re.compile(r"(\d) ")
_DATES: Final = (model.Kind.DATE, model.Kind.DATETIME)


def markup(value: str) -> str:
    """Text as a Paragraph's markup: characters the font lacks in their plain form, XML's
    special characters escaped, line breaks kept."""
    return escape(printable(value)).replace("\n", "<br/>")


class TickBoxes(Flowable):  # type: ignore[misc]  # reportlab has no type information
    """Options, one under the other, each after an empty box for the assessor to tick."""

    def __init__(self, options: tuple[str, ...]) -> None:
        super().__init__()
        self.options = options
        self._lines: list[list[str]] = []

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """Its size in the cell: each option wrapped beside its box."""
        style = TextStyle(REGULAR, _BODY.fontSize)
        self._lines = [wrap(option, style, available_width - BOX - 4) for option in self.options]
        self.width = available_width
        self.height = sum(len(lines) * _BODY.leading + 3 for lines in self._lines)
        return self.width, self.height

    def draw(self) -> None:
        """The boxes and their words, top down."""
        canvas = self.canv
        y = self.height
        for lines in self._lines:
            canvas.setLineWidth(0.7)
            canvas.rect(0, y - BOX - 1, BOX, BOX, stroke=1, fill=0)
            canvas.setFont(REGULAR, _BODY.fontSize)
            for line in lines:
                canvas.drawString(BOX + 4, y - _BODY.fontSize, line)
                y -= _BODY.leading
            y -= 3


def cell_text(cell: model.Cell, day_seconds: float | None, *, short_dates: bool = False) -> str:
    """A cell's value in words, as the PDF prints it: "82%", "1 hari 3 jam", "–"; a date
    "5 Januari 2026" ("05/01/2026" with `short_dates`)."""
    value = cell.value
    kind = cell.kind
    if kind in (model.Kind.TEXT, model.Kind.BLANK):
        return str(value or "")
    if kind is model.Kind.CHOICE:
        assert isinstance(value, tuple)  # noqa: S101 - choice() makes a tuple
        return "\n".join(value)
    if value is None:  # not measured, or there is none (a letter without a date)
        return NOTHING
    if kind in (model.Kind.WORKING_TIME, model.Kind.DIFFERENCE):
        assert isinstance(value, int | float)  # noqa: S101 - seconds
        if kind is model.Kind.DIFFERENCE:
            return _unbroken(difference_text(value, day_seconds))
        return _unbroken(working_time_text(value, day_seconds))
    if short_dates and kind in _DATES and isinstance(value, dt.date):
        time = f" {value:%H.%M}" if isinstance(value, dt.datetime) else ""
        return short_date_text(value) + time
    formats: dict[model.Kind, Callable[[Any], str]] = {
        model.Kind.COUNT: count_text,
        model.Kind.SERIAL: str,
        model.Kind.DECIMAL: decimal_text,
        model.Kind.SHARE: share_text,
        model.Kind.DATE: date_text,
        model.Kind.MONTH: month_text,
        model.Kind.DATETIME: lambda local: f"{date_text(local)} {local:%H.%M}",
    }
    return formats[kind](value)


def _unbroken(duration: str) -> str:
    """A duration whose numbers stay with their units when a narrow cell wraps it: "5 jam"
    over "1 menit", never "5 jam 1" over "menit"."""
    return _NUMBER_AND_UNIT.sub("\\1\u00a0", duration)


def cell_flowable(
    cell: model.Cell, day_seconds: float | None, *, bold: bool, short_dates: bool = False
) -> Flowable | str:
    """What a cell shows on paper: its value in words, "–" where nothing was measured,
    boxes to tick, or nothing (room for the assessor)."""
    if cell.kind is model.Kind.BLANK:
        return ""
    if cell.kind is model.Kind.CHOICE:
        assert isinstance(cell.value, tuple)  # noqa: S101 - choice() makes a tuple
        return TickBoxes(cell.value)
    written = cell_text(cell, day_seconds, short_dates=short_dates)
    # A month or a serial number names its row: set as text is.
    if cell.kind in (model.Kind.TEXT, model.Kind.MONTH, model.Kind.SERIAL):
        return Paragraph(markup(written), _BODY_BOLD if bold else _BODY)
    if written == NOTHING:
        return Paragraph(NOTHING, _CENTRED)
    return Paragraph(markup(written), _NUMBER_BOLD if bold else _NUMBER)


def _heading_rows(table: model.Table) -> tuple[list[list[Any]], list[tuple[Any, ...]]]:
    """The table's heading rows (the measured columns' group heading over theirs, the
    regulation's numbers under all) and their style commands."""
    columns = table.columns
    measured = [i for i, column in enumerate(columns) if column.measured]
    grouped = bool(table.measured_heading and measured)
    rows: list[list[Any]] = []
    style: list[tuple[Any, ...]] = []
    names = [Paragraph(markup(column.heading), _HEAD_CENTRED) for column in columns]
    if grouped:
        top: list[Any] = ["" for _ in columns]
        for i, column in enumerate(columns):
            if not column.measured:
                top[i] = names[i]
                style.append(("SPAN", (i, 0), (i, 1)))
        top[measured[0]] = Paragraph(markup(table.measured_heading or ""), _HEAD_CENTRED)
        style.append(("SPAN", (measured[0], 0), (measured[-1], 0)))
        rows.append(top)
        rows.append([names[i] if column.measured else "" for i, column in enumerate(columns)])
    else:
        rows.append(names)
    if table.numbered:
        rows.append(
            [
                Paragraph(f"({column.number})" if column.number else "", _HEAD_CENTRED)
                for column in columns
            ]
        )
    last = len(rows) - 1
    style.append(("BACKGROUND", (0, 0), (-1, last), HEADING_FILL))
    for i in measured:
        style.append(("BACKGROUND", (i, 0), (i, last), MEASURED_FILL))
    style.append(("VALIGN", (0, 0), (-1, last), "MIDDLE"))
    return rows, style


def _without(items: tuple[Any, ...], index: int) -> tuple[Any, ...]:
    return items[:index] + items[index + 1 :]


def _grouped(table: model.Table) -> tuple[model.Table, list[str | None]]:
    """The table without its grouping column, and each row's group (None: not grouped)."""
    index = table.group_by
    if index is None:
        return table, [None] * len(table.rows)
    groups: list[str | None] = [str(row[index].value or "") for row in table.rows]
    rest = replace(
        table,
        columns=_without(table.columns, index),
        rows=tuple(_without(row, index) for row in table.rows),
        group_by=None,
    )
    return rest, groups


def table_flowables(table: model.Table, width: float, day_seconds: float | None) -> list[Flowable]:
    """The table at `width` points at most: columns in proportion to their widths, heading
    rows repeated on every page, a row that does not fit what is left of a page moved whole
    to the next. A grouped table is a table a group (its SOP), the group's name in a row
    across under the headings, repeated with them on every page its rows run over. (The
    cells' texts are capped, so that no row is taller than a page.)"""
    table, groups = _grouped(table)
    total = sum(column.width for column in table.columns)
    # Points per unit of width: a table of few columns keeps its own width, a wide one is
    # brought to the page's.
    unit = min(width / total, POINTS_PER_UNIT)
    widths = [unit * column.width for column in table.columns]
    first_total = len(table.rows) - table.total_rows
    rows = [
        [
            cell_flowable(
                cell, day_seconds, bold=index >= first_total, short_dates=column.short_dates
            )
            for cell, column in zip(row, table.columns, strict=True)
        ]
        for index, row in enumerate(table.rows)
    ]
    if not rows or groups[0] is None:
        return [_table(table, widths, rows, None)]
    runs: list[tuple[str, list[list[Any]]]] = []
    for row, group in zip(rows, groups, strict=True):
        if not runs or runs[-1][0] != group:
            runs.append((group or "", []))
        runs[-1][1].append(row)
    flowables: list[Flowable] = []
    for number, (group, grouped) in enumerate(runs):
        if number:
            flowables.append(Spacer(1, 3 * mm))
        flowables.append(_table(table, widths, grouped, group))
    return flowables


def _table(
    table: model.Table, widths: list[float], body: list[list[Any]], group: str | None
) -> Table:
    """The heading rows (and the group's row, when there is one) over `body`, set out."""
    heading, style = _heading_rows(table)
    if group is not None:
        at = len(heading)
        heading.append([Paragraph(markup(group), _BODY_BOLD)] + ["" for _ in table.columns[1:]])
        style += [("SPAN", (0, at), (-1, at)), ("BACKGROUND", (0, at), (-1, at), GROUP_FILL)]
    start = len(heading)
    if not body:
        body = [[Paragraph(markup(table.empty_text), _BODY)] + ["" for _ in table.columns[1:]]]
        style.append(("SPAN", (0, start), (-1, start)))
    for i, column in enumerate(table.columns):
        if column.measured:
            style.insert(0, ("BACKGROUND", (i, start), (i, -1), MEASURED_CELL_FILL))
    style += [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, start), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    return Table(
        heading + body,
        colWidths=widths,
        repeatRows=start,
        style=TableStyle(style),
        hAlign="LEFT",
    )


def _identity(document: model.ReportDocument, width: float) -> Table:
    rows = [
        [Paragraph(markup(label), _LINE), Paragraph(":", _LINE), Paragraph(markup(value), _LINE)]
        for label, value in document.identity
    ]
    return Table(
        rows,
        colWidths=[32 * mm, 4 * mm, width - 36 * mm],
        hAlign="LEFT",
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
            ]
        ),
    )


def signature_block() -> KeepTogether:
    """The assessor's name, NIP, signature and date, left blank to be filled on paper."""
    rows = [
        [Paragraph("Penilai", _PART), ""],
        [Paragraph("Nama", _LINE), ""],
        [Paragraph("NIP", _LINE), ""],
        [Paragraph("Tanda tangan", _LINE), ""],
        [Paragraph("Tanggal", _LINE), ""],
    ]
    table = Table(
        rows,
        colWidths=[28 * mm, 62 * mm],
        rowHeights=[16, 20, 20, 40, 20],
        hAlign="RIGHT",
        style=TableStyle(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("VALIGN", (0, 1), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 1), (1, -1), 0.5, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )
    return KeepTogether([Spacer(1, 4 * mm), table])


def _chart(png: bytes, width: float, height: float) -> Flowable:
    """A chart (its title drawn in it), 62% of the page's width or as high as the page,
    whichever is smaller."""
    picture = Image(io.BytesIO(png))
    ratio = picture.imageHeight / picture.imageWidth
    shown = min(width * 0.62, (height - 40) / ratio)
    picture.drawWidth, picture.drawHeight = shown, shown * ratio
    picture.hAlign = "CENTER"
    return KeepTogether([Spacer(1, 4 * mm), picture])


def _story(
    document: model.ReportDocument, charts: model.Charts, width: float, height: float
) -> list[Flowable]:
    day = document.header.working_day_seconds
    story: list[Flowable] = [
        Paragraph(markup(document.header.agency_name.upper()), _AGENCY),
        HRFlowable(width="100%", thickness=1.6, color=colors.black, spaceBefore=3, spaceAfter=1),
        HRFlowable(width="100%", thickness=0.5, color=colors.black, spaceAfter=6),
        Paragraph(markup(document.title.upper()), _TITLE),
        _identity(document, width),
        Spacer(1, 3 * mm),
    ]
    for number, part in enumerate(document.parts):
        if number:
            story.append(CondPageBreak(60 * mm))
        story += _part(part, charts, width, height, day)
    story.append(Spacer(1, 3 * mm))
    story += [Paragraph(markup(note), _NOTE) for note in document.notes]
    if document.signature:
        story.append(signature_block())
    for part in document.appendices:
        # A list starts on a page of its own; a line saying there is none, or where it is,
        # follows what comes before.
        story.append(PageBreak() if part.table is not None else CondPageBreak(40 * mm))
        story += _part(part, charts, width, height, day)
    return story


def _part(
    part: model.Part, charts: model.Charts, width: float, height: float, day: float | None
) -> list[Flowable]:
    """A part: its title, its intro lines, its table with its notes under, its chart."""
    flowables: list[Flowable] = []
    if part.title:
        flowables.append(Paragraph(markup(part.title), _PART))
    flowables += [Paragraph(markup(line), _LINE) for line in part.intro]
    if part.intro:
        flowables.append(Spacer(1, 2 * mm))
    if part.table is not None:
        flowables += table_flowables(part.table, width, day)
    flowables += [Paragraph(markup(line), _NOTE) for line in part.notes]
    if part.chart and part.chart in charts:
        flowables.append(_chart(charts[part.chart][1], width, height))
    return flowables


def _numbered_canvas(document: model.ReportDocument) -> type[Canvas]:
    """A canvas that writes the running head and "Halaman n dari N" once it knows N."""
    head = printable(f"{document.header.agency_name} · {document.title}")
    foot = printable(f"sopbot · {document.subject}")

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type information
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = self._pagesize
            self.setFont(REGULAR, _RUNNING)
            self.setFillGray(0.35)
            if number > 1:
                self.drawString(BINDING, height - MARGIN + 2, _fit(head, width * 0.8))
            self.drawString(BINDING, MARGIN - 12, _fit(foot, width * 0.6))
            self.drawRightString(width - MARGIN, MARGIN - 12, f"Halaman {number} dari {total}")
            self.setFillGray(0)

    return NumberedCanvas


def _fit(line: str, width: float) -> str:
    if stringWidth(line, REGULAR, _RUNNING) <= width:
        return line
    while line and stringWidth(line + "…", REGULAR, _RUNNING) > width:
        line = line[:-1]
    return line + "…"


def document_pdf(document: model.ReportDocument, paper: Paper, charts: model.Charts) -> bytes:
    """The document as PDF bytes, landscape on `paper`."""
    register_fonts()
    page_width, page_height = paper_size(paper, wide=True)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=(page_width, page_height),
        leftMargin=BINDING,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEAD_ROOM,
        bottomMargin=MARGIN + 4 * mm,
        title=printable(f"{document.title}: {document.subject}"),
        author=printable(document.header.agency_name),
        subject=printable(document.subject),
        creator="sopbot",
        invariant=1,
    )
    width = page_width - BINDING - MARGIN
    height = page_height - 2 * MARGIN - HEAD_ROOM - 4 * mm - 12  # the frame's own padding
    template.build(_story(document, charts, width, height), canvasmaker=_numbered_canvas(document))
    return buffer.getvalue()

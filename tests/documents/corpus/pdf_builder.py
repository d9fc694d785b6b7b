"""A digitally made PDF SOP drawn with reportlab: ruled tables, the flowchart as vector shapes in
the role columns (rectangle, rounded rectangle, diamond path, off-page connector circle), flow
lines with arrowheads and "ya"/"tidak" labels; or the executor as a "√" text mark; or a scanned
page that is only a picture."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from tests.documents.corpus.flow import keterangan
from tests.documents.corpus.model import FINISH, CorpusDocument, PdfLayout, Sop, Step
from tests.documents.corpus.pictures import emblem_png

F4: Final = (215 / 25.4 * 72, 330 / 25.4 * 72)
MARGIN: Final = 30.0
FONT: Final = "Vera"
BOLD: Final = "VeraBd"
SIZE: Final = 7.0
LEADING: Final = 8.4
SHAPE_W: Final = 38.0
SHAPE_H: Final = 15.0


def _fonts() -> None:
    # Bitstream Vera ships with reportlab: it has "√" and "±", which the standard fonts lack.
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))


def build_pdf(document: CorpusDocument, path: Path) -> None:
    """Write `document` (a PdfLayout) to `path`, the same bytes each time."""
    layout = document.layout
    assert isinstance(layout, PdfLayout)
    _fonts()
    size = landscape(F4 if layout.page == "f4" else A4)
    canvas = Canvas(str(path), pagesize=size, invariant=True, pageCompression=1)
    canvas.setTitle(document.sop.header.nama)
    canvas.setAuthor("Subbag Umum")
    canvas.setCreator("Microsoft Word")
    if layout.symbols == "scanned":
        _scanned(canvas, document.sop, size)
    else:
        _Drawing(canvas, document.sop, layout, size).draw()
    canvas.save()


def _cell_text(
    canvas: Canvas,
    text: str,
    x: float,
    top: float,
    width: float,
    *,
    bold: bool = False,
    center: bool = False,
    size: float = SIZE,
) -> float:
    """Write wrapped `text` from `top` down inside a cell; returns the height used."""
    font = BOLD if bold else FONT
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += simpleSplit(paragraph, font, size, width - 4) or [""]
    canvas.setFont(font, size)
    y = top - size - 1.5
    for line in lines:
        if center:
            canvas.drawCentredString(x + width / 2, y, line)
        else:
            canvas.drawString(x + 2, y, line)
        y -= size * 1.2
    return len(lines) * size * 1.2 + 4


def _text_height(text: str, width: float, *, bold: bool = False, size: float = SIZE) -> float:
    font = BOLD if bold else FONT
    count = sum(len(simpleSplit(p, font, size, width - 4) or [""]) for p in text.split("\n"))
    return count * size * 1.2 + 4


@dataclass
class _Placed:
    """Where a step's symbol stands on its page."""

    page: int
    x: float  # centre
    y: float  # centre
    left: float
    right: float
    top_y: float
    bottom_y: float
    column_left: float


class _Drawing:
    """Draws the header and the procedure table page by page, then the flow lines."""

    def __init__(
        self, canvas: Canvas, sop: Sop, layout: PdfLayout, size: tuple[float, float]
    ) -> None:
        self.canvas, self.sop, self.layout = canvas, sop, layout
        self.width, self.height = size
        usable = self.width - 2 * MARGIN
        tail = [72.0, 44.0, 66.0] + ([78.0] if layout.keterangan else [])
        fixed = [20.0, 150.0]
        role = (usable - sum(fixed) - sum(tail)) / len(sop.roles)
        self.widths = fixed + [role] * len(sop.roles) + tail
        self.lefts = [MARGIN + sum(self.widths[:i]) for i in range(len(self.widths))]
        self.placed: dict[str, _Placed] = {}
        self.connectors: dict[int, list[tuple[float, float]]] = {}
        self.row_bounds: dict[str, tuple[int, float, float]] = {}

    # -- header --------------------------------------------------------------------------

    def draw(self) -> None:
        top = self._header()
        pages = self.layout.pages(len(self.sop.steps))
        for number, indexes in enumerate(pages):
            if number > 0 or self.layout.header_page:
                self.canvas.showPage()
                top = self.height - MARGIN
                if number == 0:
                    top = self._title(top)
            elif number == 0:
                top = self._title(top - 10)
            self._page(
                number,
                [self.sop.steps[i] for i in indexes],
                top,
                more=number + 1 < len(pages),
                continued=number > 0,
            )
            if self.layout.flow_lines and self.layout.symbols == "vector":
                self._flow(number, [self.sop.steps[i] for i in indexes])

    def _header(self) -> float:
        canvas, header = self.canvas, self.sop.header
        top = self.height - MARGIN
        left_w = (self.width - 2 * MARGIN) * 0.4
        label_w = 110.0
        value_w = self.width - 2 * MARGIN - left_w - label_w
        rows = [
            ("Nomor SOP", header.nomor),
            ("Tanggal Pembuatan", header.tanggal_pembuatan),
            ("Tanggal Revisi", header.tanggal_revisi),
            (self.layout.efektif_label, header.tanggal_efektif),
            ("Disahkan Oleh", self._signer_text()),
            (self.layout.nama_label, header.nama),
        ]
        x_label, x_value = MARGIN + left_w, MARGIN + left_w + label_w
        y = top
        heights = [max(14.0, _text_height(v, value_w, size=8)) for _, v in rows]
        total = sum(heights)
        canvas.setLineWidth(0.6)
        canvas.rect(MARGIN, top - total, left_w, total)
        emblem = ImageReader(io.BytesIO(emblem_png()))
        canvas.drawImage(emblem, MARGIN + left_w / 2 - 18, top - 52, 36, 42)
        agency = f"{header.pemerintah}\n{header.instansi}\n{header.unit}".strip()
        _cell_text(canvas, agency, MARGIN, top - 60, left_w, bold=True, center=True, size=9)
        for (label, value), height in zip(rows, heights, strict=True):
            canvas.rect(x_label, y - height, label_w, height)
            canvas.rect(x_value, y - height, value_w, height)
            _cell_text(canvas, label, x_label, y, label_w, bold=True, size=8)
            is_signer = label == "Disahkan Oleh"
            _cell_text(
                canvas,
                value,
                x_value,
                y,
                value_w,
                size=8,
                center=is_signer,
                bold=label == self.layout.nama_label,
            )
            y -= height
        return self._blocks(y)

    def _signer_text(self) -> str:
        header = self.sop.header
        lines = [header.jabatan.upper(), "", "", header.pejabat, header.pangkat]
        if header.nip:
            lines.append(f"NIP. {header.nip}")
        return "\n".join(line for line in lines if line is not None)

    def _blocks(self, top: float) -> float:
        canvas, header = self.canvas, self.sop.header
        half = (self.width - 2 * MARGIN) / 2
        pairs = [
            (("DASAR HUKUM", header.dasar_hukum), ("KUALIFIKASI PELAKSANA", header.kualifikasi)),
            (("KETERKAITAN", header.keterkaitan), ("PERALATAN / PERLENGKAPAN", header.peralatan)),
            (("PERINGATAN", header.peringatan), ("PENCATATAN DAN PENDATAAN", header.pencatatan)),
        ]
        y = top
        for (left_label, left), (right_label, right) in pairs:
            left_text = "\n".join(f"{n}. {t}" for n, t in enumerate(left, 1)) or "-"
            right_text = "\n".join(f"{n}. {t}" for n, t in enumerate(right, 1)) or "-"
            for text, x, bold in ((left_label, MARGIN, True), (right_label, MARGIN + half, True)):
                canvas.rect(x, y - 12, half, 12)
                _cell_text(canvas, text + ":", x, y, half, bold=bold, size=7.5)
            y -= 12
            height = max(_text_height(left_text, half), _text_height(right_text, half))
            canvas.rect(MARGIN, y - height, half, height)
            canvas.rect(MARGIN + half, y - height, half, height)
            _cell_text(canvas, left_text, MARGIN, y, half)
            _cell_text(canvas, right_text, MARGIN + half, y, half)
            y -= height
        return y

    def _title(self, top: float) -> float:
        self.canvas.setFont(BOLD, 9)
        title = f"STANDAR OPERASIONAL PROSEDUR {self.sop.header.nama.upper()}"
        self.canvas.drawCentredString(self.width / 2, top - 12, title)
        return top - 20

    # -- table -----------------------------------------------------------------------------

    def _table_header(self, top: float) -> float:
        canvas, layout = self.canvas, self.layout
        first_role, mutu = 2, 2 + len(self.sop.roles)
        row1 = 12.0
        row2 = max(
            [12.0] + [_text_height(r.nama, self.widths[2], bold=True) for r in self.sop.roles]
        )
        total = row1 + row2
        canvas.setFillGray(0.87)
        canvas.rect(MARGIN, top - total, sum(self.widths), total, stroke=0, fill=1)
        canvas.setFillGray(0)

        def box(first: int, last: int, y: float, height: float, text: str) -> None:
            x = self.lefts[first]
            width = sum(self.widths[first : last + 1])
            canvas.rect(x, y - height, width, height)
            _cell_text(
                canvas,
                text,
                x,
                y - (height - _text_height(text, width, bold=True)) / 2,
                width,
                bold=True,
                center=True,
            )

        box(0, 0, top, total, "No")
        box(1, 1, top, total, layout.kegiatan_label)
        box(first_role, mutu - 1, top, row1, "Pelaksana")
        box(mutu, mutu + 2, top, row1, "Mutu Baku")
        if layout.keterangan:
            box(mutu + 3, mutu + 3, top, total, "Keterangan")
        for offset, role in enumerate(self.sop.roles):
            box(first_role + offset, first_role + offset, top - row1, row2, role.nama)
        for offset, label in enumerate(("Kelengkapan", "Waktu", layout.output_label)):
            box(mutu + offset, mutu + offset, top - row1, row2, label)
        return top - total

    def _page(
        self, page: int, steps: list[Step], top: float, *, more: bool, continued: bool
    ) -> None:
        y = self._table_header(top)
        if continued:
            y = self._connector_row(page, y, steps[0], "A")
        for step in steps:
            y = self._row(page, step, y)
        if more:
            following = self.sop.steps[self.sop.steps.index(steps[-1]) + 1]
            self._connector_row(page, y, following, "A")
        if y < MARGIN:
            raise ValueError(f"{self.sop.header.nama}: page {page + 1} overflows; fewer rows")

    def _connector_row(self, page: int, top: float, step: Step, label: str) -> float:
        """An unnumbered row with an off-page connector in the column of `step`'s executor."""
        height = 18.0
        self._grid(top, height)
        column = 2 + [r.key for r in self.sop.roles].index(step.by[0])
        x = self.lefts[column] + self.widths[column] / 2
        self.connectors.setdefault(page, []).append((x, top - height / 2))
        self.canvas.circle(x, top - height / 2, 6.5)
        self.canvas.setFont(FONT, 6.5)
        self.canvas.drawCentredString(x, top - height / 2 - 2.3, label)
        return top - height

    def _grid(self, top: float, height: float) -> None:
        for left, width in zip(self.lefts, self.widths, strict=True):
            self.canvas.rect(left, top - height, width, height)

    def _row(self, page: int, step: Step, top: float) -> float:
        mutu = 2 + len(self.sop.roles)
        texts = [
            (0, step.no, True),
            (1, step.kegiatan, False),
            (mutu, step.kelengkapan, False),
            (mutu + 1, step.waktu, True),
            (mutu + 2, step.output, False),
        ]
        if self.layout.keterangan:
            texts.append((mutu + 3, keterangan(self.sop, step, self.layout.note_style), False))
        height = max([40.0] + [_text_height(t, self.widths[i]) for i, t, _ in texts])
        self._grid(top, height)
        for index, text, center in texts:
            _cell_text(self.canvas, text, self.lefts[index], top, self.widths[index], center=center)
        self.row_bounds[step.no] = (page, top, top - height)
        self._symbol(page, step, top, height)
        return top - height

    def _executor_columns(self, step: Step) -> list[int]:
        keys = [r.key for r in self.sop.roles]
        return sorted(2 + keys.index(k) for k in step.by)

    def _symbol(self, page: int, step: Step, top: float, height: float) -> None:
        canvas = self.canvas
        columns = self._executor_columns(step)
        centre_y = top - height / 2
        if self.layout.symbols == "mark":
            canvas.setFont(FONT, 10)
            for column in columns:
                canvas.drawCentredString(
                    self.lefts[column] + self.widths[column] / 2, centre_y - 3.5, self.layout.mark
                )
            return
        adjacent = columns == list(range(columns[0], columns[-1] + 1))
        spans = [(columns[0], columns[-1])] if adjacent else [(c, c) for c in columns]
        for first, last in spans:
            left = self.lefts[first]
            width = sum(self.widths[first : last + 1])
            x = left + width / 2
            shape_w = min(SHAPE_W, self.widths[first] - 8) if first == last else width - 14
            self._shape(step, x, centre_y, shape_w)
        first, last = spans[0]
        x = self.lefts[first] + sum(self.widths[first : last + 1]) / 2
        half_w = 22.0 if step.decision else min(SHAPE_W, self.widths[first] - 8) / 2
        if last != first:
            half_w = (sum(self.widths[first : last + 1]) - 14) / 2
        half_h = 11.0 if step.decision else SHAPE_H / 2
        self.placed[step.no] = _Placed(
            page,
            x,
            centre_y,
            x - half_w,
            x + half_w,
            centre_y + half_h,
            centre_y - half_h,
            self.lefts[first],
        )

    def _shape(self, step: Step, x: float, y: float, width: float) -> None:
        canvas = self.canvas
        canvas.setLineWidth(0.8)
        if step.decision:
            path = canvas.beginPath()
            path.moveTo(x, y + 11)
            path.lineTo(x + 22, y)
            path.lineTo(x, y - 11)
            path.lineTo(x - 22, y)
            path.close()
            canvas.drawPath(path, stroke=1, fill=0)
            return
        first, last = self.sop.steps[0], self.sop.steps[-1]
        if step in (first, last):
            canvas.roundRect(x - width / 2, y - SHAPE_H / 2, width, SHAPE_H, SHAPE_H / 2)
            canvas.setFont(FONT, 5.5)
            canvas.drawCentredString(x, y - 2, "Mulai" if step == first else "Selesai")
            return
        canvas.rect(x - width / 2, y - SHAPE_H / 2, width, SHAPE_H)

    # -- flow lines (drawn per page, after the rows) -------------------------------------

    def _flow(self, page: int, steps: list[Step]) -> None:
        canvas = self.canvas
        canvas.setLineWidth(0.6)
        connectors = self.connectors.get(page, [])
        if page > 0 and connectors:
            x, y = connectors[0]
            first = self.placed[steps[0].no]
            self._elbow(x, y - 6.5, first.x, first.top_y)
        for step in steps:
            here = self.placed[step.no]
            index = self.sop.steps.index(step)
            following = self.sop.steps[index + 1] if index + 1 < len(self.sop.steps) else None
            goes_on = following is not None and (not step.decision or step.ya == following.no)
            if goes_on and following is not None:
                there = self.placed.get(following.no)
                if there is not None and there.page == page:
                    self._elbow(here.x, here.bottom_y, there.x, there.top_y)
                elif connectors:
                    x, y = connectors[-1]
                    self._elbow(here.x, here.bottom_y, x, y + 6.5)
                if step.decision:
                    _label(canvas, here.x + 3, here.bottom_y - 7, "ya")
            if step.decision:
                self._decision_lines(step, here, goes_on)

    def _elbow(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """Down from (x1, y1), across, and down into (x2, y2), ending in an arrowhead."""
        canvas = self.canvas
        middle = y2 + 6 if abs(x1 - x2) > 1 else y2
        path = canvas.beginPath()
        path.moveTo(x1, y1)
        path.lineTo(x1, middle)
        path.lineTo(x2, middle)
        path.lineTo(x2, y2)
        canvas.drawPath(path, stroke=1, fill=0)
        _arrow(canvas, x2, y2, "down")

    def _decision_lines(self, step: Step, here: _Placed, goes_on: bool) -> None:
        canvas = self.canvas
        assert step.tidak is not None
        assert step.ya is not None
        if not goes_on and step.ya != FINISH:
            target = self.placed[step.ya]
            lane = here.right + 8
            path = canvas.beginPath()
            path.moveTo(here.right, here.y)
            path.lineTo(lane, here.y)
            path.lineTo(lane, target.y)
            path.lineTo(target.right if target.right < lane else target.left, target.y)
            canvas.drawPath(path, stroke=1, fill=0)
            pointing = "left" if target.right < lane else "right"
            _arrow(canvas, target.right if pointing == "left" else target.left, target.y, pointing)
            _label(canvas, here.right + 2, here.y + 2, "ya")
        if step.tidak == FINISH:
            return
        back = self.placed[step.tidak]
        if back.page != here.page:
            raise ValueError(f"step {step.no}: its 'tidak' line would cross a page")
        if back.x <= here.x:
            lane = min(back.left, here.left) - 7
            start, end, pointing = here.left, back.left, "right"
        else:
            lane = max(back.right, here.right) + 7
            start, end, pointing = here.right, back.right, "left"
        path = canvas.beginPath()
        path.moveTo(start, here.y)
        path.lineTo(lane, here.y)
        path.lineTo(lane, back.y)
        path.lineTo(end, back.y)
        canvas.drawPath(path, stroke=1, fill=0)
        _arrow(canvas, end, back.y, pointing)
        _label(canvas, lane + (2 if pointing == "left" else -16), here.y + 2, "tidak")


def _arrow(canvas: Canvas, x: float, y: float, direction: str) -> None:
    """A filled arrowhead whose tip is at (x, y), pointing `direction` (down/up/left/right)."""
    size = 3.2
    offsets = {
        "down": ((-size, size * 1.6), (size, size * 1.6)),
        "up": ((-size, -size * 1.6), (size, -size * 1.6)),
        "left": ((size * 1.6, size), (size * 1.6, -size)),
        "right": ((-size * 1.6, size), (-size * 1.6, -size)),
    }[direction]
    path = canvas.beginPath()
    path.moveTo(x, y)
    path.lineTo(x + offsets[0][0], y + offsets[0][1])
    path.lineTo(x + offsets[1][0], y + offsets[1][1])
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def _label(canvas: Canvas, x: float, y: float, text: str) -> None:
    canvas.setFont(FONT, 6)
    canvas.drawString(x, y, text)


# -- the scanned page -------------------------------------------------------------------------


def _scanned(canvas: Canvas, sop: Sop, size: tuple[float, float]) -> None:
    """A page that is only a picture of a table (as a scanner makes it): no text layer."""
    scale = 2
    width, height = int(size[0] * scale), int(size[1] * scale)
    image = Image.new("L", (width, height), 246)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    bold = ImageFont.load_default(size=20)
    draw.text((width // 2, 70), f"SOP {sop.header.nama.upper()}", fill=20, anchor="mm", font=bold)
    columns = [60, 100, 560] + [560 + 150 * (i + 1) for i in range(len(sop.roles))]
    columns += [columns[-1] + 170, columns[-1] + 260, columns[-1] + 420]
    top, row = 120, 64
    rows = len(sop.steps) + 1
    for x in columns:
        draw.line((x, top, x, top + row * rows), fill=30, width=2)
    for r in range(rows + 1):
        draw.line((columns[0], top + row * r, columns[-1], top + row * r), fill=30, width=2)
    heads = ["No", "Kegiatan", *[r.nama for r in sop.roles], "Waktu", "Output", "Ket."]
    for index, text in enumerate(heads):
        draw.text((columns[index] + 6, top + 20), text[:18], fill=20, font=font)
    keys = [r.key for r in sop.roles]
    for n, step in enumerate(sop.steps, 1):
        y = top + row * n
        draw.text((columns[0] + 10, y + 20), step.no, fill=25, font=font)
        draw.text((columns[1] + 6, y + 20), step.kegiatan[:52], fill=25, font=font)
        for key in step.by:
            x = columns[2 + keys.index(key)] + 35
            draw.rectangle((x, y + 18, x + 80, y + 46), outline=15, width=3)
        draw.text((columns[2 + len(keys)] + 6, y + 20), step.waktu, fill=25, font=font)
    # A scanner's slight tilt, and its grey background.
    image = image.rotate(0.6, fillcolor=240, resample=Image.Resampling.BILINEAR)
    canvas.drawImage(ImageReader(image), 0, 0, size[0], size[1])

"""Text SOPs: as `pdftotext -layout` gives a PDF SOP (every line of the page, the cells of a row
side by side at their columns, a form feed between pages, the table header repeated on each
page), and in the style of the seeds (tab-separated rows, bold markers, the flowchart's words
left over below the table)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.documents.corpus.flow import keterangan
from tests.documents.corpus.model import CorpusDocument, Sop, Step, TextLayout

ROWS_PER_PAGE = 9


def build_text(document: CorpusDocument, path: Path) -> None:
    """Write `document` (a TextLayout) to `path` as UTF-8 text."""
    layout = document.layout
    assert isinstance(layout, TextLayout)
    if layout.style == "layout":
        text = _layout_text(document.sop, layout)
    else:
        text = _seed_text(document.sop, layout)
    path.write_text(text, encoding="utf-8")


# -- pdftotext -layout ------------------------------------------------------------------------


def _columns(sop: Sop, layout: TextLayout) -> list[tuple[int, int]]:
    """(start, width) in characters of each column, as the PDF's column widths come out."""
    fixed = [3, 40]
    tail = [20, 10, 18, 26]
    role = max(
        11, (layout.width - sum(fixed) - sum(tail) - 2 * (len(sop.roles) + 6)) // len(sop.roles)
    )
    widths = fixed + [role] * len(sop.roles) + tail
    starts, position = [], 0
    for width in widths:
        starts.append((position, width))
        position += width + 2
    return starts


def _place(line: list[str], start: int, text: str) -> None:
    needed = start + len(text)
    if len(line) < needed:
        line.extend(" " * (needed - len(line)))
    line[start:needed] = list(text)


def _cells_lines(cells: list[tuple[int, int, list[str]]], *, middle: dict[int, str]) -> list[str]:
    """The lines of one table row: every cell's wrapped lines side by side; `middle` puts a
    short text (a mark) on the row's middle line in the given column start."""
    height = max(len(lines) for _, _, lines in cells)
    height = max(height, 2)
    rows: list[list[str]] = [[] for _ in range(height)]
    for start, _, lines in cells:
        for index, text in enumerate(lines):
            _place(rows[index], start, text)
    for start, text in middle.items():
        _place(rows[(height - 1) // 2], start, text)
    return ["".join(row).rstrip() for row in rows]


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, width) or ([""] if not lines else [])
    return lines or [""]


def _layout_header(sop: Sop) -> list[str]:
    header = sop.header
    left = [header.pemerintah, header.instansi, header.unit]
    right = [
        f"Nomor SOP           {header.nomor}",
        f"Tgl. Pembuatan      {header.tanggal_pembuatan}",
        f"Tgl. Revisi         {header.tanggal_revisi}",
        f"Tgl. Efektif        {header.tanggal_efektif}",
        f"Disahkan Oleh       {header.jabatan.upper()}",
        "",
        "",
        f"                    {header.pejabat}",
        f"                    {header.pangkat}",
        f"                    NIP. {header.nip}",
        f"Nama SOP            {header.nama.upper()}",
    ]
    lines = []
    for index, text in enumerate(right):
        agency = left[index - 4] if 4 <= index < 4 + len(left) else ""
        lines.append(f"{agency:^60}   {text}".rstrip())
    lines.append("")
    blocks = [
        ("Dasar Hukum:", header.dasar_hukum, "Kualifikasi Pelaksana:", header.kualifikasi),
        ("Keterkaitan:", header.keterkaitan, "Peralatan/Perlengkapan:", header.peralatan),
        ("Peringatan:", header.peringatan, "Pencatatan dan Pendataan:", header.pencatatan),
    ]
    for left_title, left_items, right_title, right_items in blocks:
        left_lines = [left_title] + [
            wrapped
            for n, item in enumerate(left_items, 1)
            for wrapped in textwrap.wrap(f"{n}. {item}", 90, subsequent_indent="   ")
        ]
        right_lines = [right_title] + [
            wrapped
            for n, item in enumerate(right_items, 1)
            for wrapped in textwrap.wrap(f"{n}. {item}", 90, subsequent_indent="   ")
        ]
        for index in range(max(len(left_lines), len(right_lines))):
            a = left_lines[index] if index < len(left_lines) else ""
            b = right_lines[index] if index < len(right_lines) else ""
            lines.append(f"{a:<96}{b}".rstrip())
        lines.append("")
    return lines


def _layout_table_header(sop: Sop, columns: list[tuple[int, int]]) -> list[str]:
    mutu = 2 + len(sop.roles)
    first_line: list[str] = []
    role_start = columns[2][0]
    role_end = columns[mutu - 1][0] + columns[mutu - 1][1]
    _place(first_line, role_start + (role_end - role_start - 9) // 2, "Pelaksana")
    mutu_start = columns[mutu][0]
    _place(first_line, mutu_start + 16, "Mutu Baku")
    cells = [(columns[0][0], columns[0][1], ["No"]), (columns[1][0], columns[1][1], ["Kegiatan"])]
    for offset, role in enumerate(sop.roles):
        start, width = columns[2 + offset]
        cells.append((start, width, _wrap(role.nama, width)))
    for offset, label in enumerate(("Kelengkapan", "Waktu", "Output", "Keterangan")):
        start, width = columns[mutu + offset]
        cells.append((start, width, [label]))
    return ["".join(first_line).rstrip(), *_cells_lines(cells, middle={})]


def _layout_row(
    sop: Sop, step: Step, layout: TextLayout, columns: list[tuple[int, int]]
) -> list[str]:
    mutu = 2 + len(sop.roles)
    texts = [
        (0, step.no),
        (1, step.kegiatan),
        (mutu, step.kelengkapan),
        (mutu + 1, step.waktu),
        (mutu + 2, step.output),
        (mutu + 3, keterangan(sop, step, layout.note_style)),
    ]
    cells = [(columns[i][0], columns[i][1], _wrap(t, columns[i][1])) for i, t in texts]
    middle: dict[int, str] = {}
    if layout.mark is not None:
        keys = [r.key for r in sop.roles]
        for key in step.by:
            start, width = columns[2 + keys.index(key)]
            middle[start + width // 2] = layout.mark
    return ["", *_cells_lines(cells, middle=middle)]


def _layout_text(sop: Sop, layout: TextLayout) -> str:
    columns = _columns(sop, layout)
    pages: list[list[str]] = [_layout_header(sop)]
    title = f"STANDAR OPERASIONAL PROSEDUR {sop.header.nama.upper()}"
    pages[0] += [f"{title:^{layout.width}}".rstrip(), ""]
    steps = list(sop.steps)
    first_rows = 4
    chunks = [steps[:first_rows]] + [
        steps[i : i + ROWS_PER_PAGE] for i in range(first_rows, len(steps), ROWS_PER_PAGE)
    ]
    for number, chunk in enumerate(chunks):
        if number > 0:
            pages.append([])
        page = pages[-1]
        page += _layout_table_header(sop, columns)
        for step in chunk:
            page += _layout_row(sop, step, layout, columns)
        page.append("")
    return "\f".join("\n".join(page) + "\n" for page in pages)


# -- the seeds' style -------------------------------------------------------------------------


def _seed_text(sop: Sop, layout: TextLayout) -> str:
    header = sop.header
    lines = [
        "",
        f"**{header.pemerintah}  ",
        f"{header.instansi}**",
        "",
        f"**{header.unit}**",
        "",
        f"Nomor SOP\t:\t{header.nomor}",
        f"Tanggal Pembuatan\t:\t{header.tanggal_pembuatan}",
        f"Tanggal Revisi\t:\t{header.tanggal_revisi}",
        f"Tanggal Pengesahan\t:\t{header.tanggal_efektif}",
        f"Disahkan Oleh\t\t{header.jabatan.upper()},  <b><u>{header.pejabat}</u></b> "
        f"{header.pangkat} NIP. {header.nip}",
        f"Nama SOP\t\t<b>{header.nama}</b>",
    ]
    blocks = [
        ("Dasar Hukum", header.dasar_hukum, "Kualifikasi Pelaksana", header.kualifikasi),
        ("Keterkaitan", header.keterkaitan, "Peralatan/Perlengkapan", header.peralatan),
        ("Peringatan", header.peringatan, "Pencatatan dan Pendataan", header.pencatatan),
    ]
    for left_title, left_items, right_title, right_items in blocks:
        lines.append(f"<b>{left_title}</b>\t\t<b>{right_title}</b>")
        left = " ".join(f"{n}. {t}" for n, t in enumerate(left_items, 1))
        right = " ".join(f"{n}. {t}" for n, t in enumerate(right_items, 1))
        lines.append(f"{left}\t\t{right}")
    lines += ["", f"### SOP : {header.nama.upper()}", ""]
    roles = "\t".join(r.nama for r in sop.roles)
    blank_roles = "\t" * len(sop.roles)
    table_head = [
        f"NO\tURAIAN PROSEDUR\tPELAKSANA{blank_roles[1:]}\tMUTU BAKU\t\t\tKeterangan",
        f"\t\t{roles}\tKelengkapan\tWaktu\tOutput\t",
    ]
    steps = list(sop.steps)
    chunks = [steps[i : i + 7] for i in range(0, len(steps), 7)]
    for number, chunk in enumerate(chunks):
        lines += table_head
        for step in chunk:
            note = keterangan(sop, step, layout.note_style).replace("\n", " ")
            lines.append(
                f"{step.no}.\t{step.kegiatan}{blank_roles}\t{step.kelengkapan}\t{step.waktu}\t"
                f"{step.output}\t{note}"
            )
        if number + 1 < len(chunks):
            # What the flowchart leaves behind in an extraction: its words, out of place.
            lines += ["", "mulai" if number == 0 else "", "tidak", "", "ya", "", "1", "", ""]
    lines += [
        "",
        f"{header.jabatan.upper()},",
        "",
        "*(Handwritten Signature)*  ",
        f"**{header.pejabat}**  ",
        f" {header.pangkat}  ",
        f" NIP. {header.nip}",
    ]
    return "\n".join(lines) + "\n"

"""Reading the identity header of an SOP document: label and value pairs in whatever words the
agency used, the approver block, the government and agency names, and the numbered lists.

Labels differ from agency to agency (Tgl. Efektif / Tanggal Pengesahan, Nama SOP / Judul SOP),
and so does the layout: "label | : | value" in three cells, "label : value" in one cell, or a
list label in one row with its items in the cell below. Each field keeps the label as written.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Final

from sopbot.documents.procedure_table import normal
from sopbot.documents.sheet_model import Cell, Grid
from sopbot.engine.header_fields import Numbering

_FIELDS: Final = (
    ("nomor", re.compile(r"^(?:nomor|no)\s*(?:sop|prosedur)?$")),
    ("tanggal_pembuatan", re.compile(r"^(?:tgl|tanggal)\s*(?:pembuatan|dibuat|penyusunan)$")),
    ("tanggal_revisi", re.compile(r"^(?:tgl|tanggal)\s*(?:revisi|perubahan)$")),
    (
        "tanggal_efektif",
        re.compile(r"^(?:tgl|tanggal)\s*(?:efektif|pengesahan|berlaku|ditetapkan|penetapan)$"),
    ),
    ("disahkan_oleh", re.compile(r"^(?:disahkan|ditetapkan|mengesahkan|pengesahan)(?:\s*oleh)?$")),
    ("nama", re.compile(r"^(?:nama|judul)\s*(?:sop|prosedur|sop ap)?$")),
    ("revisi", re.compile(r"^(?:revisi(?:\s*ke)?|no\s*revisi|nomor\s*revisi)$")),
)
_LISTS: Final = (
    ("dasar_hukum", re.compile(r"^dasar\s*hukum$")),
    ("kualifikasi_pelaksana", re.compile(r"^kualifikasi\s*pela\w*$")),  # "PELASANA" happens
    ("keterkaitan", re.compile(r"^keterkaitan(?:\s*dengan\s*sop\s*lain)?$")),
    ("peralatan_perlengkapan", re.compile(r"^peralatan\s*(?:/|dan)?\s*perlengkapan$")),
    ("peringatan", re.compile(r"^peringatan$")),
    ("pencatatan_pendataan", re.compile(r"^pencatatan\s*(?:/|dan)?\s*pendataan$")),
)
_RANK_AFTER: Final = re.compile(r"\s+(?=(?:Pembina|Penata|Pengatur|Juru)\b)")
_MARKER: Final = re.compile(r"^\s*(\(?(\d{1,2}|[a-z])[.)]|[-•·▪●]|\d{1,2}\s)\s*", re.IGNORECASE)
_NIP: Final = re.compile(r"NIP\.?\s*:?\s*([\d ]{18,26})", re.IGNORECASE)
_RANK: Final = re.compile(
    r"^(?:pembina|penata|pengatur|juru)\b.*|.*\((?:I{1,3}V?|IV)\s*/\s*[a-e]\)\s*$", re.IGNORECASE
)


@dataclass(slots=True)
class HeaderList:
    """A numbered list of the header, as written: its label, intro line and items."""

    label: str
    items: list[str]
    intro: str | None = None
    numbering: Numbering = Numbering.NUMBER_DOT
    where: str = ""


@dataclass(slots=True)
class HeaderReading:
    """What the header says: fields by key as (label, value, where), lists by key, and the
    names of the government, the agency and the unit."""

    fields: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    lists: dict[str, HeaderList] = field(default_factory=dict)
    government: str | None = None
    agency: str | None = None
    unit: str | None = None
    names_from: str = ""
    first_cell: tuple[list[str], str] | None = None  # the header's first cell, if not a label


def read_header(grids: list[Grid], paragraphs: list[str]) -> HeaderReading:
    """Read the header fields from the grids before the procedure table and the free text."""
    reading = HeaderReading()
    for grid in grids:
        _read_grid(grid, reading)
    if reading.government is None and reading.agency is None:
        _names_from_lines(paragraphs, reading, "teks di atas tabel")
    if reading.agency is None and reading.first_cell is not None:
        # The header's first cell, where the logo and the agency's name stand, without a
        # "PEMERINTAH ..." line: the agency, then its unit.
        lines, where = reading.first_cell
        names = [" ".join(line.split()) for line in lines if line.strip()]
        if len(names) >= 3:  # the parent body (a Dinas over its UPTD), the agency, the unit
            reading.government = names.pop(0)
        reading.agency = names[0] if names else None
        reading.unit = names[1] if len(names) > 1 else None
        reading.names_from = where
    for line in paragraphs:
        _label_in_line(line, reading, "teks")
    return reading


def _read_grid(grid: Grid, reading: HeaderReading) -> None:
    for row_index, row in enumerate(grid.rows):
        cells = [c for c in row if not c.continued]
        for position, cell in enumerate(cells):
            text = cell.text.strip()
            if not text:
                continue
            where = f"{grid.where}, baris {row_index + 1}"
            if reading.agency is None and normal(text).startswith("pemerintah"):
                _names_from_lines(cell.text.split("\n"), reading, where)
            elif (
                not _read_cell(grid, row_index, cells, position, reading, where)
                and (row_index, position) == (0, 0)
                and reading.first_cell is None
            ):
                reading.first_cell = (cell.text.split("\n"), where)


def _read_cell(
    grid: Grid, row_index: int, cells: list[Cell], position: int, reading: HeaderReading, where: str
) -> bool:
    """A label cell and its value: after its colon, below its first line, in the cells to its
    right, or (for a list whose items stand in the next row) in the cell below. False when the
    cell is no label."""
    text = cells[position].text.strip()
    first_line, _, rest = text.partition("\n")
    label, colon, inline = first_line.partition(":")
    key = _field_key(label)
    list_key = _list_key(label)
    if key is None and list_key is None and not colon:
        label, inline = _leading_label(first_line)
        key = _field_key(label) if label else None
    if key is None and list_key is None:
        if "disahkan_oleh" not in reading.fields and _NIP.search(text):
            # The approver's block whose label cell was lost: it has the NIP.
            reading.fields["disahkan_oleh"] = ("", text, where)
            return True
        return False
    value = (inline.strip() + "\n" + rest).strip() if rest.strip() else inline.strip()
    if not value:
        value = _value_after(cells, position)
    if list_key is not None and not value and row_index + 1 < len(grid.rows):
        below = grid.cell_at(row_index + 1, cells[position].column)
        if below is not None and _list_key(below.text.split("\n")[0].split(":")[0]) is None:
            value = below.text.strip()
    if key is not None and key not in reading.fields:
        reading.fields[key] = (label.strip(), value, where)
    elif list_key is not None and list_key not in reading.lists:
        reading.lists[list_key] = _list(label.strip(), value, where)
    return True


def _value_after(cells: list[Cell], position: int) -> str:
    """The value in the cells right of a label: past a cell that is only ":"."""
    for cell in cells[position + 1 : position + 3]:
        text = cell.text.strip()
        if text == ":":
            continue
        label = text.split("\n")[0].split(":")[0]
        if _field_key(label) is not None or _list_key(label) is not None:
            return ""
        return text.lstrip(":").strip()
    return ""


def _label_in_line(line: str, reading: HeaderReading, where: str) -> None:
    label, colon, value = line.partition(":")
    if not colon:
        return
    key = _field_key(label)
    if key is not None and key not in reading.fields:
        reading.fields[key] = (label.strip(), value.strip(), where)


def _leading_label(line: str) -> tuple[str, str]:
    """ "Nama SOP Penyusunan Pelaporan Kinerja": a field's label followed by its value in one
    cell, without a colon; ("", line) when the line does not start with a label."""
    words = line.split()
    for count in range(min(3, len(words) - 1), 0, -1):
        label = " ".join(words[:count])
        if _field_key(label) is not None:
            return label, " ".join(words[count:])
    return "", line


def _field_key(label: str) -> str | None:
    text = normal(label)
    return next((key for key, pattern in _FIELDS if pattern.match(text)), None)


def _list_key(label: str) -> str | None:
    text = normal(label)
    return next((key for key, pattern in _LISTS if pattern.match(text)), None)


def _names_from_lines(lines: list[str], reading: HeaderReading, where: str) -> None:
    """PEMERINTAH KOTA X, then the agency, then the unit, as the header's left cell writes
    them."""
    cleaned = [" ".join(line.split()) for line in lines if line.strip()]
    for index, line in enumerate(cleaned):
        if normal(line).startswith("pemerintah"):
            reading.government = line
            rest = [r for r in cleaned[index + 1 :] if _field_key(r.split(":")[0]) is None]
            if rest:
                reading.agency = rest[0]
            if len(rest) > 1 and not normal(rest[1]).startswith(("standar", "sop")):
                reading.unit = " ".join(rest[1:2])
            reading.names_from = where
            return


def _list(label: str, text: str, where: str) -> HeaderList:
    """A header list from its cell text: items by their markers, an unnumbered first line
    above numbered items as the intro."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) == 1:
        lines = _inline_items(lines[0])
    if not lines or (len(lines) == 1 and lines[0] in ("-", "–")):
        return HeaderList(label, [], where=where)
    marked = [_MARKER.match(line) for line in lines]
    items: list[str] = []
    intro = None
    numbering = Numbering.NUMBER_DOT
    if any(marked):
        first = next(m for m in marked if m is not None)
        numbering = _numbering(first.group(1).strip())
        for line, match in zip(lines, marked, strict=True):
            if match is not None:
                items.append(line[match.end() :].strip())
            elif items:
                items[-1] = f"{items[-1]} {line}"
            else:
                intro = line if intro is None else f"{intro} {line}"
    else:
        items = lines
    return HeaderList(label, items, intro, numbering, where)


def _inline_items(line: str) -> list[str]:
    """ "1. A 2. B 3. C" written on one line (as text extraction joins a cell's lines): one item
    per number, when the numbers run 1, 2, 3..."""
    # Extraction glues a cell's lines: "...Pemerintahan Daerah2. Peraturan ..." (the numbers
    # running 1, 2, 3 is what makes them markers).
    starts = list(re.finditer(r"(?:^|(?<=[\sA-Za-z)]))(\d{1,2})[.)]\s", line))
    numbers = [int(m[1]) for m in starts]
    if len(starts) < 2 or numbers != list(range(1, len(numbers) + 1)):
        return [line]
    bounds = [m.start() for m in starts] + [len(line)]
    return [line[a:b].strip() for a, b in itertools.pairwise(bounds)]


def _numbering(marker: str) -> Numbering:
    if marker in ("-", "–"):
        return Numbering.DASH
    if marker in ("•", "·", "▪", "●"):
        return Numbering.BULLET
    shape = re.sub(r"\d+", "1", marker)
    shape = re.sub(r"^(\(?)[a-z]", r"\1a", shape, flags=re.IGNORECASE)
    if shape.strip() == "1":
        return Numbering.NUMBER_DOT
    try:
        return Numbering(shape)
    except ValueError:
        return Numbering.NUMBER_DOT


def split_approver(text: str) -> dict[str, str]:
    """The Disahkan Oleh block as jabatan, nama, pangkat and NIP (those it states)."""
    found: dict[str, str] = {}
    nip = _NIP.search(text)
    if nip:
        found["nip"] = nip[1].strip()
        text = (text[: nip.start()] + text[nip.end() :]).strip()
    lines = [" ".join(line.split()) for line in text.split("\n") if line.strip()]
    lines = [line for line in lines if normal(line) not in ("ttd", "cap") and line.strip()]
    lines = [part for line in lines for part in _RANK_AFTER.split(line, maxsplit=1) if part]
    for line in list(lines):
        if _RANK.match(line) and len(lines) > 2:
            found["pangkat"] = line
            lines.remove(line)
            break
    if len(lines) >= 2:
        found["nama"] = lines[-1]
        found["jabatan"] = " ".join(lines[:-1])
    elif lines:
        jabatan, name = _split_name(lines[0])
        if jabatan:
            found["jabatan"] = jabatan
        if name:
            found["nama"] = name
    return found


def _split_name(line: str) -> tuple[str, str]:
    """ "Kepala Badan ... Kota Pekalongan M. TAUFIQ ROCHMAN, S.STP": the name is the run of
    upper-case words at the end (degrees such as S.STP and M.Si included)."""
    words = line.split()
    start = len(words)
    for index in range(len(words) - 1, -1, -1):
        word = words[index]
        letters = [ch for ch in word if ch.isalpha()]
        degree = bool(re.match(r"^,?[A-Z][a-zA-Z]{0,3}\.[A-Za-z.]*,?$", word))
        if letters and (word.isupper() or degree):
            start = index
        else:
            break
    return " ".join(words[:start]), " ".join(words[start:])

"""Finding the procedure table in a document's grids and reading its rows as steps.

The Permenpan RB 35/2012 table has two header rows: No | Kegiatan | Pelaksana (over one column
per role, the role names in the second row) | Mutu Baku (over Kelengkapan, Waktu, Output) |
Keterangan. Agencies vary the words (Uraian Kegiatan, Persyaratan, Keluaran, Ket.), drop
Keterangan, number the columns in a third row, split the table over pages with or without the
header repeated, and continue it in a second table. Everything after the header that has the
same columns is read as rows of the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from sopbot.documents.sheet_model import (
    EXECUTOR_SYMBOLS,
    Cell,
    Grid,
    SheetDocument,
    Symbol,
    SymbolKind,
)
from sopbot.documents.vocabulary import NO_WORDS as _NO
from sopbot.documents.vocabulary import TERMINAL_WORDS as _TERMINAL_WORDS
from sopbot.documents.vocabulary import YES_WORDS as _YES


def normal(text: str) -> str:
    """Lower case, one space between words, without the punctuation labels carry ("Ket.")."""
    return " ".join(re.sub(r"[^\w/ ]+", " ", text.lower()).split())


_NUMBER: Final = re.compile(r"^(?:no\.?|nomor|no\. urut|nomor urut)$")
_ACTIVITY: Final = re.compile(r"^(?:uraian\s+)?(?:kegiatan|prosedur|aktivitas|tahapan)\b|uraian")
_EXECUTORS: Final = re.compile(r"^pelaksana")
_STANDARD: Final = re.compile(r"^mutu\s*baku|^mutu\s*buku")
_INPUTS: Final = re.compile(
    r"^(?:kelengkapan|persyaratan|syarat|bahan|input|masukan|dokumen)(?:\s|/|$)"
)
_TIME: Final = re.compile(r"^waktu")
_OUTPUT: Final = re.compile(r"^(?:output|keluaran|hasil)")
_REMARKS: Final = re.compile(r"^ket(?:erangan)?$")
_COLUMN_NUMBERS: Final = re.compile(r"^\(?\d{1,2}\)?$")
_STEP_NUMBER: Final = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*[a-z]?)\.?$", re.IGNORECASE)

_TICKS: Final = frozenset("√✓✔✅☑vVxX●•*■□▪")


@dataclass(frozen=True, slots=True)
class TableColumns:
    """The grid columns of the procedure table's parts (None: the document has no such column)."""

    number: int | None
    activity: int
    roles: tuple[tuple[int, str], ...]  # (grid column, role name as written)
    inputs: int | None
    time: int | None
    output: int | None
    remarks: int | None
    width: int
    labels: dict[str, str] = field(default_factory=dict)  # part -> the header's own words


@dataclass(slots=True)
class StepRow:
    """One row of the procedure table, as read."""

    number: str
    activity: str
    executors: list[int]  # indexes into TableColumns.roles
    symbols: dict[int, list[Symbol]]  # by role index: the executor symbols seen there
    marks_text: dict[int, str]  # by role index: other text found in the role's cell
    decision: bool
    answer_labels: dict[int, list[str]]  # by role index: "ya" / "tidak" labels seen
    inputs: str
    time: str
    output: str
    remarks: str
    where: str
    position: tuple[int, int]  # (grid index, row index)
    merged_roles: bool = False  # one symbol across merged role cells

    @property
    def terminal_words(self) -> list[str]:
        """ "mulai" / "selesai" written in a role cell or a symbol."""
        words = [t for t in self.marks_text.values() if normal(t) in _TERMINAL_WORDS]
        words += [
            s.text for ss in self.symbols.values() for s in ss if normal(s.text) in _TERMINAL_WORDS
        ]
        return words


@dataclass(slots=True)
class ProcedureTable:
    """The table found: its columns, its title (the text just above it), and its rows."""

    columns: TableColumns
    rows: list[StepRow]
    grid_indexes: list[int]
    title: str | None
    where: str
    skipped: list[str] = field(default_factory=list)  # rows left out, and why


def find_procedure_table(sheet: SheetDocument) -> ProcedureTable | None:
    """The procedure table of a document, or None when no grid has its header."""
    for index, grid in enumerate(sheet.grids):
        found = _header(grid)
        if found is None:
            continue
        columns, first_row = found
        table = ProcedureTable(columns, [], [index], None, grid.where)
        _read_rows(table, grid, index, first_row)
        for later_index in range(index + 1, len(sheet.grids)):
            later = sheet.grids[later_index]
            if later.width != columns.width:
                if _header(later) is not None:
                    break
                table.skipped.append(f"{later.where}: tabel lain, bukan bagian tabel prosedur")
                continue
            header = _header(later)
            start = header[1] if header is not None else 0
            table.grid_indexes.append(later_index)
            _read_rows(table, later, later_index, start)
        return table
    return None


def _header(grid: Grid) -> tuple[TableColumns, int] | None:
    """The table's columns and the first row after its header, if the grid has the header."""
    for row_index in range(min(len(grid.rows), 8)):
        texts = [normal(t) for t in grid.texts(row_index)]
        number = next((i for i, t in enumerate(texts) if _NUMBER.match(t)), None)
        activity = next((i for i, t in enumerate(texts) if _ACTIVITY.search(t)), None)
        if activity is None:
            continue
        has_executors = any(_EXECUTORS.match(t) for t in texts)
        has_standard = any(_STANDARD.match(t) or _TIME.match(t) for t in texts)
        if not (has_executors or has_standard) or (number is None and not has_executors):
            continue
        return _columns(grid, row_index, number, activity)
    return None


def _columns(
    grid: Grid, top: int, number: int | None, activity: int
) -> tuple[TableColumns, int] | None:
    first = grid.texts(top)
    second = grid.texts(top + 1) if top + 1 < len(grid.rows) else [""] * grid.width
    if number is not None and _STEP_NUMBER.match(second[number].strip()):
        second = [""] * grid.width  # a header of one row: the steps start right below it
    labels: dict[str, str] = {}

    def find(pattern: re.Pattern[str], part: str) -> int | None:
        for texts in (second, first):
            for i, text in enumerate(texts):
                if i not in (number, activity) and pattern.match(normal(text)):
                    labels[part] = text.strip()
                    return i
        return None

    inputs = find(_INPUTS, "kelengkapan")
    time = find(_TIME, "waktu")
    output = find(_OUTPUT, "output")
    remarks = find(_REMARKS, "keterangan")
    executors_cell = next((c for c in grid.rows[top] if _EXECUTORS.match(normal(c.text))), None)
    standard_start = min((c for c in (inputs, time, output) if c is not None), default=None)
    if executors_cell is not None and executors_cell.span > 1:
        role_columns = list(executors_cell.columns)
    else:
        end = standard_start if standard_start is not None else (remarks or grid.width)
        role_columns = list(range(activity + 1, end))
    roles = _role_names(role_columns, first, second)
    if not roles:
        return None
    labels["no"] = first[number].strip() if number is not None else ""
    labels["kegiatan"] = first[activity].strip()
    body = top + 2 if any(second[c].strip() for c, _ in roles) else top + 1
    if body < len(grid.rows) and all(
        _COLUMN_NUMBERS.match(t.strip()) or not t.strip() for t in grid.texts(body)
    ):
        body += 1  # a row that numbers the columns (1) (2) (3) ...
    columns = TableColumns(
        number, activity, roles, inputs, time, output, remarks, grid.width, labels
    )
    return columns, body


def _role_names(
    role_columns: list[int], first: list[str], second: list[str]
) -> tuple[tuple[int, str], ...]:
    """(column, name) of each role column: the name under Pelaksana, or in the header's only
    row; the merged title "Pelaksana" itself is not a role."""
    names = []
    for column in role_columns:
        # A staff column may itself be titled "Pelaksana" (under the merged "Pelaksana").
        name = second[column].strip() or first[column].strip()
        if name and (second[column].strip() or normal(name) != "pelaksana"):
            names.append((column, " ".join(name.split())))
    return tuple(names)


def _read_rows(table: ProcedureTable, grid: Grid, grid_index: int, start: int) -> None:
    columns = table.columns
    for row_index in range(start, len(grid.rows)):
        texts = grid.texts(row_index)
        number_text = texts[columns.number].strip() if columns.number is not None else ""
        activity = " ".join(texts[columns.activity].split())
        where = f"{grid.where}, baris {row_index + 1}"
        filled = [t.strip() for t in texts if t.strip()]
        if len(filled) >= 3 and all(_COLUMN_NUMBERS.match(t) for t in filled):
            continue  # the row that numbers the columns, repeated on a later page
        if filled and {normal(t) for t in filled} <= {normal(n) for _, n in columns.roles} | {
            normal(v) for v in columns.labels.values()
        }:
            continue  # the header's second row, repeated
        if not activity:
            if number_text or any(t.strip() for t in texts):
                table.skipped.append(f"{where}: tanpa uraian kegiatan")
            continue
        if normal(activity) == normal(columns.labels.get("kegiatan", "")):
            continue  # the header again, on a later page
        row = _step_row(table, grid, grid_index, row_index, number_text, activity, where)
        table.rows.append(row)


def _step_row(
    table: ProcedureTable,
    grid: Grid,
    grid_index: int,
    row_index: int,
    number_text: str,
    activity: str,
    where: str,
) -> StepRow:
    columns = table.columns
    texts = grid.texts(row_index)
    symbols: dict[int, list[Symbol]] = {}
    marks_text: dict[int, str] = {}
    answer_labels: dict[int, list[str]] = {}
    merged = False
    seen: set[int] = set()
    for role_index, (column, _) in enumerate(columns.roles):
        cell = grid.cell_at(row_index, column)
        if cell is None or cell.continued:
            continue
        drawn = [s for s in cell.symbols if s.kind in EXECUTOR_SYMBOLS]
        covered = [i for i, (c, _) in enumerate(columns.roles) if c in cell.columns]
        if drawn and len(covered) > 1 and id(cell) not in seen:
            merged = True
        seen.add(id(cell))
        text_symbol, leftover, labels = _read_cell_text(cell)
        if text_symbol is not None:
            drawn.append(text_symbol)
        for label in cell.labels + labels:
            answer_labels.setdefault(role_index, []).append(label)
        if drawn:
            symbols[role_index] = drawn
        if leftover:
            marks_text[role_index] = leftover
    executors = sorted(symbols)
    decision = any(s.kind is SymbolKind.DECISION for ss in symbols.values() for s in ss)
    if not decision:
        # "ya" and "tidak" beside a box, or left in the role columns of a text whose
        # flowchart was lost: the row is a decision.
        answers = {normal(a) for labels in answer_labels.values() for a in labels}
        decision = bool(answers & _YES) and bool(answers & _NO)
    number = _STEP_NUMBER.match(number_text)
    return StepRow(
        number=number[1] if number else number_text,
        activity=activity,
        executors=executors,
        symbols=symbols,
        marks_text=marks_text,
        decision=decision,
        answer_labels=answer_labels,
        inputs=_cell(texts, columns.inputs),
        time=_cell(texts, columns.time),
        output=_cell(texts, columns.output),
        remarks=texts[columns.remarks].strip() if columns.remarks is not None else "",
        where=where,
        position=(grid_index, row_index),
        merged_roles=merged,
    )


def _cell(texts: list[str], column: int | None) -> str:
    return " ".join(texts[column].split()) if column is not None else ""


def _read_cell_text(cell: Cell) -> tuple[Symbol | None, str, list[str]]:
    """A role cell's typed text: a tick or "mulai" that marks the executor, "ya"/"tidak"
    labels, and whatever else is written there."""
    symbol = None
    labels: list[str] = []
    rest: list[str] = []
    for line in cell.text.split("\n"):
        word = line.strip()
        if not word:
            continue
        if all(ch in _TICKS or ch.isspace() for ch in word) and len(word) <= 3:
            symbol = Symbol(SymbolKind.MARK, word, f"tanda '{word}'")
        elif normal(word) in _TERMINAL_WORDS:
            symbol = Symbol(SymbolKind.TERMINATOR, word, f"tulisan '{word}'")
        elif normal(word) in _YES | _NO:
            labels.append(word)
        else:
            rest.append(word)
    return symbol, " ".join(rest), labels

"""A roster of an agency's people (NIP, nama, jabatan and, optionally, a Telegram username) read
from a CSV file or an Excel workbook as Indonesian offices export them.

Pure: bytes in, a `RosterReading` (the people read, and each row that cannot be taken with
why, by its row number) or a `RosterRefusal` (why the file cannot be read at all) out. What a
file is, and the checks every upload passes (macros, encrypted files, archives inside, zip
bombs, scripts posing as text), are decided before this module sees it
(`sopbot.services.roster_imports` runs `sopbot.storage.file_types`); this module adds what a
roster needs:

* CSV: UTF-8 with or without a byte order mark, UTF-16 with one (Excel's "Unicode Text"), else
  Windows-1252; the delimiter `,` `;` or tab, whichever finds the header.
* XLSX: openpyxl in read-only (streaming) mode, after a cap on what the workbook unpacks to;
  the first sheet, or the first that has the header.
* The header: found by its words, in any order and case, on any of the first rows (title rows
  above it are common): NIP; Nama / Nama Lengkap / Nama Pegawai; Jabatan / Nama Jabatan;
  Username / Telegram / Username Telegram. Nama and Jabatan are required.
* Values: a NIP loses its spaces and dots and must be 18 digits; a NIP that Excel turned into a
  number (1,99E+17) or rounded is reported, never guessed. A NIP may be empty: non-ASN staff
  (tenaga kontrak, honorer) have none. A Telegram username is 5-32 letters, digits and
  underscores starting with a letter ("@" and a t.me/ link are taken off).
* Bounds: the file's size, the people (MAX_PEOPLE), the rows and columns looked at, a cell's
  length; a formula in a column read refuses the file (paste the values instead).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

MAX_ROSTER_BYTES = 5 * 1024 * 1024
"""The largest roster file read: 2,000 people take about 200 KB as CSV or XLSX."""
MAX_PEOPLE = 2_000
"""The most rows of people one roster may have (a larger agency sends it in parts)."""
MAX_SCANNED_ROWS = 20_000
"""The most rows of a sheet looked at, empty ones included."""
MAX_COLUMNS = 50
"""The columns of a sheet looked at: the header must be among them."""
HEADER_SEARCH_ROWS = 30
"""The header is looked for on this many first rows (title rows may come before it)."""
MAX_SHEETS = 20
"""The sheets of a workbook searched for the header."""
MAX_UNPACKED_BYTES = 24 * 1024 * 1024
"""What a workbook may unpack to in all (its parts' declared sizes, which bound the reading)."""
TEXT_LIMIT = 200
"""The longest name or jabatan taken (the member's and the position's column)."""
NIP_DIGITS = 18

_EMPTY_MARKS = frozenset({"", "-", "--", "–", "—", "_"})  # what people type for "none"
_SPACES = re.compile(r"\s+")
_NIP_FILLER = re.compile(r"[\s.\u00a0\u2007\u202f]")
# A number as Excel writes one it cannot show whole: 1.99E+17, 1,99001E+17.
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE][+]?\d+")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_LINK_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/", re.IGNORECASE)
_FORMULA_TRIGGERS = ("=", "+", "-", "@")
# A sign followed by digits, spaces and arithmetic only is a number, not a formula (as in
# sopbot.storage.text_files, which refuses the same cells in any uploaded CSV).
_PLAIN_VALUE = re.compile(r"[+-][\d\s.,()+\-/%]*")
_CSV_DELIMITERS = (",", ";", "\t")


class Field(StrEnum):
    """A column a roster has (the header words that name each are in `_field_of`)."""

    NIP = "nip"
    NAME = "nama"
    POSITION = "jabatan"
    USERNAME = "username"


class RefusalReason(StrEnum):
    """Why a roster cannot be read at all (catalog `roster.refused_<value>`)."""

    TOO_BIG = "too_big"  # over MAX_ROSTER_BYTES
    NOT_A_ROSTER = "not_a_roster"  # not CSV or XLSX (a PDF, a Word file, a picture)
    OLD_EXCEL = "old_excel"  # Excel 97-2003 (.xls)
    UNREADABLE = "unreadable"  # a damaged workbook, text in no known encoding, broken CSV
    TOO_LARGE_UNPACKED = "too_large_unpacked"  # a workbook that unpacks to too much
    NO_HEADER = "no_header"  # no row names both Nama and Jabatan
    TOO_MANY_PEOPLE = "too_many_people"  # over MAX_PEOPLE rows of people
    TOO_MANY_ROWS = "too_many_rows"  # a sheet longer than MAX_SCANNED_ROWS
    FORMULA = "formula"  # a formula in a column read
    EMPTY = "empty"  # a header, and nobody under it


class RowIssue(StrEnum):
    """Why one row of a roster is not taken (catalog `roster.issue_<value>`)."""

    NO_NAME = "no_name"
    NO_POSITION = "no_position"
    NIP_AS_NUMBER = "nip_as_number"  # Excel keeps 15 digits of a number: the NIP is lost
    NIP_ROUNDED = "nip_rounded"  # 18 digits ending in 000: rounded (no NIP ends so)
    NIP_LENGTH = "nip_length"  # digits, but not 18 of them
    NIP_NOT_DIGITS = "nip_not_digits"
    USERNAME_INVALID = "username_invalid"
    TOO_LONG = "too_long"  # a name or jabatan over TEXT_LIMIT


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A person as the roster gives them; `row` is the row number as the spreadsheet shows it."""

    row: int
    name: str
    position: str
    nip: str | None = None
    username: str | None = None  # without "@"


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row not taken: why, what was written (shortened), and the row's name if it has one."""

    row: int
    issue: RowIssue
    value: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class RosterReading:
    """What a roster file gave: its people, and the rows that could not be taken."""

    kind: str  # "csv" or "xlsx"
    entries: tuple[RosterEntry, ...]
    problems: tuple[RowProblem, ...]
    header_row: int
    fields: tuple[Field, ...]  # the columns found, in the file's order
    sheet: str | None = None  # the sheet read (a workbook)


@dataclass(frozen=True, slots=True)
class RosterRefusal:
    """Why a file cannot be read as a roster; where, when one cell is the reason."""

    reason: RefusalReason
    row: int | None = None
    column: str | None = None  # the column's header as written
    limit: int | None = None


# -- entry points ------------------------------------------------------------------------------


def read_csv_bytes(content: bytes) -> RosterReading | RosterRefusal:
    """A roster from the bytes of a CSV (or tab-separated) file."""
    if len(content) > MAX_ROSTER_BYTES:
        return RosterRefusal(RefusalReason.TOO_BIG, limit=MAX_ROSTER_BYTES)
    text = decode_text(content)
    if text is None:
        return RosterRefusal(RefusalReason.UNREADABLE)
    return read_csv_text(text)


def decode_text(content: bytes) -> str | None:
    """The text of a CSV file: UTF-8 (with or without a byte order mark), UTF-16 with a byte
    order mark, else Windows-1252 (what Excel on Indonesian Windows saves "CSV" in); None
    when it is none of them."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts: Sequence[str] = ("utf-16",)
    else:
        attempts = ("utf-8-sig", "cp1252")
    for encoding in attempts:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def read_csv_text(text: str) -> RosterReading | RosterRefusal:
    """A roster from CSV text, its delimiter the one (`,` `;` or tab) that finds the header."""
    best: tuple[int, str, int, dict[Field, int]] | None = None
    for delimiter in _CSV_DELIMITERS:
        found = _header_in(_top_records(text, delimiter))
        if found is not None and (best is None or len(found[1]) > best[0]):
            best = (len(found[1]), delimiter, found[0], found[1])
    if best is None:
        return RosterRefusal(RefusalReason.NO_HEADER, limit=HEADER_SEARCH_ROWS)
    _, delimiter, header_row, columns = best
    rows: list[tuple[int, list[str | int | float | None]]] = []
    people = 0
    try:
        for number, record in _csv_rows(text, delimiter):
            if number > header_row:
                people += any(_present(record, index) for index in columns.values())
                if people > MAX_PEOPLE:
                    return RosterRefusal(RefusalReason.TOO_MANY_PEOPLE, limit=MAX_PEOPLE)
            rows.append((number, list(record)))
    except csv.Error:
        return RosterRefusal(RefusalReason.UNREADABLE, row=len(rows) + 1)
    return _read_rows("csv", rows, header_row, columns, sheet=None)


def read_xlsx(content: bytes) -> RosterReading | RosterRefusal:
    """A roster from an Excel workbook (.xlsx) that passed the uploads' checks."""
    if len(content) > MAX_ROSTER_BYTES:
        return RosterRefusal(RefusalReason.TOO_BIG, limit=MAX_ROSTER_BYTES)
    unpacked = _unpacked_size(content)
    if unpacked is None:
        return RosterRefusal(RefusalReason.UNREADABLE)
    if unpacked > MAX_UNPACKED_BYTES:
        return RosterRefusal(RefusalReason.TOO_LARGE_UNPACKED)
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=False, keep_links=False
        )
    except _WORKBOOK_ERRORS:
        return RosterRefusal(RefusalReason.UNREADABLE)
    try:
        return _read_workbook(workbook)
    except _WORKBOOK_ERRORS:
        return RosterRefusal(RefusalReason.UNREADABLE)
    finally:
        workbook.close()


# What openpyxl (zipfile, its XML parser) raises for a damaged or odd workbook.
_WORKBOOK_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    SyntaxError,  # the XML parsers' errors (ElementTree's ParseError, lxml's XMLSyntaxError)
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    OSError,
    EOFError,
)


# -- workbooks ---------------------------------------------------------------------------------


def _unpacked_size(content: bytes) -> int | None:
    """What the workbook's parts declare they unpack to (zipfile reads no more than that)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _read_workbook(workbook: Any) -> RosterReading | RosterRefusal:
    """The first sheet that has the header, read."""
    for sheet in list(workbook.worksheets)[:MAX_SHEETS]:
        sheet.reset_dimensions()  # rows as the sheet has them, not as its header claims
        rows = _sheet_rows(sheet)
        top = list(_limited(rows, HEADER_SEARCH_ROWS))
        found = _header_in(((number, [_shown(c) for c in cells]) for number, cells in top))
        if found is None:
            continue
        header_row, columns = found
        collected: list[tuple[int, list[str | int | float | None]]] = []
        people = 0
        for number, cells in itertools.chain(top, rows):
            if number > MAX_SCANNED_ROWS:
                return RosterRefusal(RefusalReason.TOO_MANY_ROWS, limit=MAX_SCANNED_ROWS)
            shown = [_shown(c) for c in cells]
            if number > header_row:
                formula = _formula_in(number, cells, columns)
                if formula is not None:
                    return formula
                people += any(_present(shown, index) for index in columns.values())
                if people > MAX_PEOPLE:
                    return RosterRefusal(RefusalReason.TOO_MANY_PEOPLE, limit=MAX_PEOPLE)
            collected.append((number, shown))
        return _read_rows("xlsx", collected, header_row, columns, sheet=str(sheet.title))
    return RosterRefusal(RefusalReason.NO_HEADER, limit=HEADER_SEARCH_ROWS)


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """The sheet's rows from the first, numbered as the sheet numbers them (empty rows
    between the ones with cells included), each cut to MAX_COLUMNS cells."""
    for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
        yield number, list(cells)


def _shown(cell: Any) -> str | int | float | None:
    """A cell's value as the reader takes it: text, a whole number, a fraction, or None."""
    value = cell.value
    if value is None or isinstance(value, str | int | float):
        return value if not isinstance(value, bool) else str(value)
    return str(value)  # a date, a time: shown as text (never a NIP or a name)


def _formula_in(
    number: int, cells: Sequence[Any], columns: dict[Field, int]
) -> RosterRefusal | None:
    """A refusal naming the first cell of a row, in a column read, that holds a formula."""
    for field, index in columns.items():
        if index < len(cells) and getattr(cells[index], "data_type", None) == "f":
            return _formula_refusal(number, field, index)
    return None


def _formula_refusal(row: int, field: Field, index: int) -> RosterRefusal:
    return RosterRefusal(
        RefusalReason.FORMULA, row=row, column=f"{get_column_letter(index + 1)} ({field.value})"
    )


def _present(cells: Sequence[object], index: int) -> bool:
    return index < len(cells) and _text(cells[index]) != ""


# -- CSV ---------------------------------------------------------------------------------------


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The records of CSV text, numbered from 1 as a spreadsheet shows them."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, record in enumerate(reader, start=1):
        yield number, record[:MAX_COLUMNS]


def _top_records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The first records, as many as can be read (the header may come before a broken one)."""
    top: list[tuple[int, list[str]]] = []
    # A broken record ends the look: the text is read again in full once the delimiter is
    # chosen, and that reading names the row.
    with contextlib.suppress(csv.Error):
        top.extend(_limited(_csv_rows(text, delimiter), HEADER_SEARCH_ROWS))
    return top


# -- the header --------------------------------------------------------------------------------


def _header_in(
    rows: Iterable[tuple[int, Sequence[object]]],
) -> tuple[int, dict[Field, int]] | None:
    """The first row that names both Nama and Jabatan, with the column of each field found."""
    for number, cells in rows:
        columns = header_columns(cells)
        if Field.NAME in columns and Field.POSITION in columns:
            return number, columns
    return None


def header_columns(cells: Sequence[object]) -> dict[Field, int]:
    """The fields a row's cells name as headers, each at its first column."""
    columns: dict[Field, int] = {}
    for index, cell in enumerate(cells):
        field = _field_of(_text(cell))
        if field is not None and field not in columns:
            columns[field] = index
    return columns


_NAME_EXTRAS = frozenset({"lengkap", "pegawai", "asn", "pns", "dan", "gelar", "dengan"})
_POSITION_EXTRAS = frozenset({"nama", "pegawai", "sekarang", "saat", "ini", "asn"})
_USERNAME_WORDS = frozenset({"username", "telegram", "akun", "user", "nama", "pengguna"})


def _field_of(header: str) -> Field | None:
    """The field a header cell names, by its words (case, punctuation, "@" and a note in
    brackets do not matter): NIP, Nama [Lengkap|Pegawai], [Nama] Jabatan, [Username] Telegram."""
    words = _header_words(header)
    if not words:
        return None
    if ("jabatan" in words and set(words) - {"jabatan"} <= _POSITION_EXTRAS) or words in (
        ["position"],
        ["job", "title"],
    ):
        return Field.POSITION
    if (words[0] == "nama" and set(words[1:]) <= _NAME_EXTRAS) or words in (
        ["name"],
        ["full", "name"],
    ):
        return Field.NAME
    compact = "".join(words)  # "N.I.P.", "NI PPPK"
    if (compact.startswith(("nip", "nipppk")) and "lama" not in words) or compact in (
        "nomorindukpegawai",
        "nipppk",
    ):
        return Field.NIP
    if set(words) <= _USERNAME_WORDS and set(words) & {"username", "telegram", "pengguna"}:
        return Field.USERNAME
    return None


def _header_words(header: str) -> list[str]:
    text = unicodedata.normalize("NFKC", header).casefold()
    text = re.sub(r"\([^)]*\)", " ", text)  # "Nama (dengan gelar)", "NIP (18 digit)"
    return re.sub(r"[^\w]+", " ", text).split()


# -- rows --------------------------------------------------------------------------------------


def _read_rows(
    kind: str,
    rows: Iterable[tuple[int, Sequence[object]]],
    header_row: int,
    columns: dict[Field, int],
    *,
    sheet: str | None,
) -> RosterReading | RosterRefusal:
    """The people under the header, and the rows that cannot be taken."""
    entries: list[RosterEntry] = []
    problems: list[RowProblem] = []
    people = 0
    for number, cells in rows:
        if number <= header_row:
            continue
        values = {
            field: cells[index] if index < len(cells) else None for field, index in columns.items()
        }
        if all(_text(value) in _EMPTY_MARKS for value in values.values()):
            continue  # an empty row, or one of dashes
        if _is_header_again(cells):
            continue  # the header repeated (an export's page break)
        formula = next(
            (
                field
                for field in (Field.NIP, Field.NAME, Field.POSITION)
                if isinstance(values.get(field), str) and _is_formula(str(values[field]))
            ),
            None,
        )
        if formula is not None:
            return _formula_refusal(number, formula, columns[formula])
        people += 1
        if people > MAX_PEOPLE:
            return RosterRefusal(RefusalReason.TOO_MANY_PEOPLE, limit=MAX_PEOPLE)
        entry, found = _entry(number, values)
        problems += found
        if entry is not None:
            entries.append(entry)
    if people == 0:
        return RosterRefusal(RefusalReason.EMPTY, row=header_row)
    fields = tuple(sorted(columns, key=columns.__getitem__))
    return RosterReading(kind, tuple(entries), tuple(problems), header_row, fields, sheet)


def _is_header_again(cells: Sequence[object]) -> bool:
    columns = header_columns(cells)
    return Field.NAME in columns and Field.POSITION in columns


def _entry(number: int, values: dict[Field, object]) -> tuple[RosterEntry | None, list[RowProblem]]:
    """A row's person, or None, and every problem of the row."""
    name = _spaced(values.get(Field.NAME))
    position = _spaced(values.get(Field.POSITION))
    problems: list[RowProblem] = []
    if name in _EMPTY_MARKS:
        problems.append(RowProblem(number, RowIssue.NO_NAME))
        name = ""
    elif len(name) > TEXT_LIMIT:
        problems.append(RowProblem(number, RowIssue.TOO_LONG, _short(name)))
    if position in _EMPTY_MARKS:
        problems.append(RowProblem(number, RowIssue.NO_POSITION, name=_short(name)))
    elif len(position) > TEXT_LIMIT:
        problems.append(RowProblem(number, RowIssue.TOO_LONG, _short(position), _short(name)))
    nip, nip_issue, written = read_nip(values.get(Field.NIP))
    if nip_issue is not None:
        problems.append(RowProblem(number, nip_issue, _short(written), _short(name)))
    username, username_ok = read_username(values.get(Field.USERNAME))
    if not username_ok:
        written_username = _text(values.get(Field.USERNAME))
        problems.append(
            RowProblem(number, RowIssue.USERNAME_INVALID, _short(written_username), _short(name))
        )
    if problems:
        return None, problems
    return RosterEntry(number, name, position, nip, username), []


def read_nip(value: object) -> tuple[str | None, RowIssue | None, str]:
    """A NIP cell: the NIP (18 digits, spaces and dots taken out; None when the cell is
    empty or a dash: staff without one), or why it cannot be taken, and what was written."""
    if isinstance(value, float):
        # Excel keeps 15 significant digits of a number: an 18-digit NIP typed into a
        # number cell is already rounded, whatever it shows.
        return None, RowIssue.NIP_AS_NUMBER, f"{value:.6G}"
    written = _text(value)
    if written in _EMPTY_MARKS:
        return None, None, written
    if _SCIENTIFIC.fullmatch(written):
        return None, RowIssue.NIP_AS_NUMBER, written
    digits = _NIP_FILLER.sub("", written).lstrip("'`")
    if not (digits.isascii() and digits.isdigit()):
        return None, RowIssue.NIP_NOT_DIGITS, written
    if len(digits) != NIP_DIGITS:
        return None, RowIssue.NIP_LENGTH, written
    if digits.endswith("000"):
        return None, RowIssue.NIP_ROUNDED, written
    return digits, None, written


def read_username(value: object) -> tuple[str | None, bool]:
    """A Telegram username cell: the username without "@" (None when empty), and whether
    what was written is one (5-32 letters, digits and underscores, starting with a letter)."""
    written = _text(value)
    if written in _EMPTY_MARKS:
        return None, True
    bare = _LINK_PREFIX.sub("", written).lstrip("@").rstrip("/")
    if not _USERNAME.fullmatch(bare):
        return None, False
    return bare, True


def _is_formula(text: str) -> bool:
    value = text.lstrip(" \t\r\n")
    return value.startswith(_FORMULA_TRIGGERS) and not _PLAIN_VALUE.fullmatch(value.rstrip())


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _spaced(value: object) -> str:
    return _SPACES.sub(" ", _text(value))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _limited(rows: Iterator[tuple[int, list[Any]]], count: int) -> Iterator[tuple[int, list[Any]]]:
    """The first `count` rows of `rows`, leaving the rest in it."""
    for _ in range(count):
        try:
            yield next(rows)
        except StopIteration:
            return

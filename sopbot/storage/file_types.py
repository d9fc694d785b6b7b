"""What an uploaded file is, decided from its bytes alone, and whether sopbot accepts it.

The name and MIME type a sender claims are never consulted: both are trivially forged, and
a document store that trusts them ends up serving an executable labelled "laporan.pdf".
Nothing here extracts an archive or writes to disk; hostile input yields ``None``.
"""

from __future__ import annotations

import collections
import csv
import html
import io
import re
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
"""The largest file a Telegram bot may download (the Bot API's getFile limit)."""

ALLOWED_TYPES_DESCRIPTION = (
    "PDF, Word, Excel, PowerPoint (tanpa makro), OpenDocument, gambar PNG/JPEG, CSV atau teks"
)
"""The accepted kinds of file, in Indonesian, for the bot's reply to a refused upload."""


@dataclass(frozen=True)
class FileType:
    """A kind of file sopbot accepts: its MIME type, extension (no dot) and Indonesian label."""

    mime: str
    extension: str
    label: str


_PDF = FileType("application/pdf", "pdf", "PDF")
_DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    "Dokumen Word",
)
_XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    "Lembar kerja Excel",
)
_PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
    "Presentasi PowerPoint",
)
_ODT = FileType("application/vnd.oasis.opendocument.text", "odt", "Dokumen OpenDocument")
_ODS = FileType(
    "application/vnd.oasis.opendocument.spreadsheet", "ods", "Lembar kerja OpenDocument"
)
_ODP = FileType("application/vnd.oasis.opendocument.presentation", "odp", "Presentasi OpenDocument")
_DOC = FileType("application/msword", "doc", "Dokumen Word 97-2003")
_XLS = FileType("application/vnd.ms-excel", "xls", "Lembar kerja Excel 97-2003")
_PPT = FileType("application/vnd.ms-powerpoint", "ppt", "Presentasi PowerPoint 97-2003")
_PNG = FileType("image/png", "png", "Gambar PNG")
_JPEG = FileType("image/jpeg", "jpg", "Gambar JPEG")
_CSV = FileType("text/csv", "csv", "Data CSV")
_TEXT = FileType("text/plain", "txt", "Teks")

FILE_TYPES: Mapping[str, FileType] = MappingProxyType(
    {
        file_type.extension: file_type
        for file_type in (
            _PDF,
            _DOCX,
            _XLSX,
            _PPTX,
            _ODT,
            _ODS,
            _ODP,
            _DOC,
            _XLS,
            _PPT,
            _PNG,
            _JPEG,
            _CSV,
            _TEXT,
        )
    }
)
"""Every type ``detect_file_type`` can return, by extension."""

# Executables are refused before anything else: a PDF reader accepts "%PDF-" anywhere in the
# first KiB, so without this an "MZ" program with a PDF tucked behind its header would pass.
_EXECUTABLE_MAGICS = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary / Java class
)

_PDF_MAGIC = b"%PDF-"
_PDF_HEADER_WINDOW = 1024
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# --- ZIP (Office Open XML, OpenDocument) --------------------------------------------------

_ZIP_MAX_ENTRIES = 10_000
_ZIP_MAX_DECLARED_TOTAL = 200 * 1024 * 1024
_ZIP_CENTRAL_RECORD = b"PK\x01\x02"
# The only members ever decompressed are [Content_Types].xml and ODF's "mimetype", and only
# this far: a real one is a few KiB, so a larger one is not worth reading.
_ZIP_MAX_MEMBER_READ = 1024 * 1024
_OOXML_CONTENT_TYPES = "[Content_Types].xml"
_OOXML_MAIN_PARTS = {
    "word/document.xml": _DOCX,
    "xl/workbook.xml": _XLSX,
    "ppt/presentation.xml": _PPTX,
}
_ODF_MIMETYPES = {file_type.mime: file_type for file_type in (_ODT, _ODS, _ODP)}
# LibreOffice keeps a document's Basic macros under Basic/ and other scripts under Scripts/;
# a document with either runs code when opened, just like a .docm.
_ODF_MACRO_FOLDERS = ("basic/", "scripts/")

# --- OLE2 compound files (Office 97-2003) --------------------------------------------------

_OLE_HEADER_SIZE = 512
_OLE_DIRECTORY_ENTRY_SIZE = 128
_OLE_MAX_REGULAR_SECTOR = 0xFFFFFFFA
_OLE_END_OF_CHAIN = 0xFFFFFFFE
_OLE_NO_STREAM = 0xFFFFFFFF
_OLE_HEADER_DIFAT_ENTRIES = 109
_OLE_TYPE_UNUSED = 0
# Names in a compound file compare case-insensitively (MS-CFB 2.6.4), hence casefold.
_OLE_MAIN_STREAMS = {
    "worddocument": _DOC,
    "workbook": _XLS,
    "book": _XLS,  # Excel 5.0/95 workbooks, which Excel 97-2003 still opens
    "powerpoint document": _PPT,
}
_OLE_MACRO_NAMES = frozenset({"macros", "_vba_project_cur", "_vba_project", "vba"})

# --- Text and CSV ---------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
# C0 and C1 control characters other than tab, line feed, vertical tab, form feed and
# carriage return: a text file has hardly any, a binary file that happens to be valid UTF-8
# has many.
_CONTROL_CHARACTERS = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_FRACTION = 0.01
_CSV_SAMPLE_CHARS = 64 * 1024
_CSV_SAMPLE_LINES = 50
_CSV_MIN_LINES = 2
_CSV_AGREEMENT = 0.8
_CSV_DELIMITERS = (",", ";")


def detect_file_type(content: bytes) -> FileType | None:
    """The accepted type of ``content`` judged from its bytes, or None if sopbot refuses it."""
    if content.startswith(_EXECUTABLE_MAGICS):
        return None
    # A recognised signature at offset 0 settles the family: a refused ZIP or OLE file must
    # not fall through to the PDF or text checks and be accepted as something else.
    if content.startswith(_ZIP_MAGIC):
        return _detect_zip(content)
    if content.startswith(_OLE_MAGIC):
        return _detect_ole(content)
    if content.startswith(_PNG_MAGIC):
        return _PNG if content[12:16] == b"IHDR" else None
    if content.startswith(_JPEG_MAGIC):
        return _JPEG
    if _PDF_MAGIC in content[:_PDF_HEADER_WINDOW]:
        return _PDF
    return _detect_text(content)


# --- ZIP ------------------------------------------------------------------------------------


def _detect_zip(content: bytes) -> FileType | None:
    """An Office Open XML or OpenDocument type, judged from the central directory."""
    # zipfile builds an object per central-directory record before we can count them, so a
    # 20 MB archive of empty entries costs seconds and 100+ MB. Every record it parses starts
    # with this signature, so counting the signature bounds its work up front.
    if content.count(_ZIP_CENTRAL_RECORD) > _ZIP_MAX_ENTRIES:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return _detect_open_archive(archive)
    # zipfile reports hostile archives with a wide, undocumented range of exceptions (struct,
    # zlib, lzma, OSError, NotImplementedError for unknown methods, RuntimeError for
    # encryption, ...); any of them means the file is not a document we accept.
    except Exception:
        return None


def _detect_open_archive(archive: zipfile.ZipFile) -> FileType | None:
    """The type of an opened archive, after the ZIP bomb checks; None if refused."""
    entries = archive.infolist()
    if not entries or len(entries) > _ZIP_MAX_ENTRIES:
        return None
    if sum(entry.file_size for entry in entries) > _ZIP_MAX_DECLARED_TOTAL:
        return None
    if entries[0].filename == "mimetype":
        return _detect_opendocument(archive, entries)
    return _detect_office_open_xml(archive, entries)


def _detect_office_open_xml(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]
) -> FileType | None:
    """docx, xlsx or pptx; None for macro-enabled or ambiguous packages."""
    names = {entry.filename for entry in entries}
    if _OOXML_CONTENT_TYPES not in names:
        return None
    if any(name.rsplit("/", 1)[-1].casefold() == "vbaproject.bin" for name in names):
        return None
    content_types = _read_member(archive, archive.getinfo(_OOXML_CONTENT_TYPES))
    if content_types is None:
        return None
    # A substring test, not an XML parse, so no XML parser meets hostile input: every
    # macro-enabled content type (docm, dotm, xlsm, xltm, xlam, pptm, potm, ppsm, ppam) and the
    # VBA project part's own type contain one of these words, whatever the part is named.
    # Dropping NULs reads UTF-16 XML as ASCII, and unescaping undoes character references
    # ("macro&#69;nabled"), two ways to hide the words from a plain byte search.
    text = html.unescape(content_types.replace(b"\x00", b"").decode("utf-8", "replace"))
    folded = text.casefold()
    if "macroenabled" in folded or "vbaproject" in folded:
        return None
    found = [file_type for part, file_type in _OOXML_MAIN_PARTS.items() if part in names]
    return found[0] if len(found) == 1 else None


def _detect_opendocument(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]
) -> FileType | None:
    """odt, ods or odp, from the ``mimetype`` entry that opens the archive; None if refused."""
    if any(entry.filename.casefold().startswith(_ODF_MACRO_FOLDERS) for entry in entries):
        return None
    declared = _read_member(archive, entries[0])
    if declared is None:
        return None
    return _ODF_MIMETYPES.get(declared.decode("ascii", errors="replace"))


def _read_member(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes | None:
    """A small member's bytes, decompressing no more than the cap; None if it is larger."""
    if entry.file_size > _ZIP_MAX_MEMBER_READ:
        return None
    with archive.open(entry) as member:
        # zipfile already stops at the declared size, but the bound should not rest on that:
        # reading one byte past the cap is how a member larger than it shows itself here.
        data = member.read(_ZIP_MAX_MEMBER_READ + 1)
    return data if len(data) <= _ZIP_MAX_MEMBER_READ else None


# --- OLE2 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OleEntry:
    """One directory entry of a compound file: its name and its red-black tree links."""

    name: str
    left: int
    right: int
    child: int


def _detect_ole(content: bytes) -> FileType | None:
    """doc, xls or ppt from the compound file's directory; None for macros or anything else."""
    entries = _read_ole_directory(content)
    if not entries:
        return None
    # The whole directory is searched for macro storages (embedded objects carry their own),
    # but only the root's own streams say what the file is: a Word file with an embedded
    # spreadsheet holds a "Workbook" stream too, one level down.
    if any(entry is not None and entry.name in _OLE_MACRO_NAMES for entry in entries):
        return None
    root = entries[0]
    if root is None:
        return None
    found = {
        _OLE_MAIN_STREAMS[name]
        for name in _ole_children(entries, root)
        if name in _OLE_MAIN_STREAMS
    }
    return found.pop() if len(found) == 1 else None


def _ole_children(entries: list[_OleEntry | None], parent: _OleEntry) -> list[str]:
    """The names directly inside ``parent``: the nodes of the tree under its child link."""
    names: list[str] = []
    seen: set[int] = set()
    pending = [parent.child]
    while pending:
        index = pending.pop()
        if index == _OLE_NO_STREAM or index in seen or index >= len(entries):
            continue
        seen.add(index)
        entry = entries[index]
        if entry is None:
            continue
        names.append(entry.name)
        pending.extend((entry.left, entry.right))
    return names


def _read_ole_directory(content: bytes) -> list[_OleEntry | None] | None:
    """Every directory entry (None for unused slots), or None if the file is malformed."""
    if len(content) < _OLE_HEADER_SIZE:
        return None
    sector_shift = _u16(content, 30)
    if sector_shift not in (9, 12):  # 512-byte (version 3) or 4096-byte (version 4) sectors
        return None
    sector_size = 1 << sector_shift
    sector_count = max(0, (len(content) - sector_size + sector_size - 1) // sector_size)
    fat_sectors = _ole_fat_sectors(content, sector_size, sector_count)
    if fat_sectors is None:
        return None
    ids_per_sector = sector_size // 4

    def next_sector(sector: int) -> int | None:
        """The sector after ``sector`` in its chain, from the FAT; None if out of range."""
        fat_index, slot = divmod(sector, ids_per_sector)
        if fat_index >= len(fat_sectors):
            return None
        fat = _ole_sector(content, sector_size, fat_sectors[fat_index])
        if len(fat) < (slot + 1) * 4:
            return None
        return _u32(fat, slot * 4)

    entries: list[_OleEntry | None] = []
    seen: set[int] = set()
    sector: int | None = _u32(content, 48)
    # Each sector is visited at most once, so a looping chain in a hostile file ends here.
    while sector != _OLE_END_OF_CHAIN:
        if sector is None or sector >= sector_count or sector in seen:
            return None
        seen.add(sector)
        data = _ole_sector(content, sector_size, sector)
        for offset in range(
            0, len(data) - _OLE_DIRECTORY_ENTRY_SIZE + 1, _OLE_DIRECTORY_ENTRY_SIZE
        ):
            entries.append(_ole_entry(data[offset : offset + _OLE_DIRECTORY_ENTRY_SIZE]))
        sector = next_sector(sector)
    return entries


def _ole_fat_sectors(content: bytes, sector_size: int, sector_count: int) -> list[int] | None:
    """The sectors holding the FAT, from the header's and the chained DIFAT lists."""
    fat_sector_count = _u32(content, 44)
    if fat_sector_count > sector_count:
        return None
    listed = [_u32(content, 76 + 4 * i) for i in range(_OLE_HEADER_DIFAT_ENTRIES)]
    difat_sector = _u32(content, 68)
    seen: set[int] = set()
    while len(listed) < fat_sector_count and difat_sector < _OLE_MAX_REGULAR_SECTOR:
        if difat_sector >= sector_count or difat_sector in seen:
            return None
        seen.add(difat_sector)
        data = _ole_sector(content, sector_size, difat_sector)
        ids = [_u32(data, offset) for offset in range(0, len(data) - 3, 4)]
        # The last slot of a DIFAT sector links to the next DIFAT sector.
        listed.extend(ids[:-1])
        difat_sector = ids[-1] if ids else _OLE_END_OF_CHAIN
    fat_sectors = listed[:fat_sector_count]
    if any(sector >= sector_count for sector in fat_sectors):
        return None
    return fat_sectors


def _ole_sector(content: bytes, sector_size: int, sector: int) -> bytes:
    """The bytes of one sector (sector 0 starts right after the header's sector)."""
    start = (sector + 1) * sector_size
    return content[start : start + sector_size]


def _ole_entry(raw: bytes) -> _OleEntry | None:
    """One 128-byte directory entry, or None for an unused slot."""
    if raw[66] == _OLE_TYPE_UNUSED:
        return None
    # The stored length counts the UTF-16 terminator; clamp it so a hostile value cannot
    # reach into the fields after the 64-byte name.
    name_length = min(_u16(raw, 64), 64)
    name = raw[: max(0, name_length - 2)].decode("utf-16-le", errors="replace")
    return _OleEntry(
        name=name.casefold(), left=_u32(raw, 68), right=_u32(raw, 72), child=_u32(raw, 76)
    )


def _u16(data: bytes, offset: int) -> int:
    """The little-endian unsigned 16-bit integer at ``offset``."""
    value: int = struct.unpack_from("<H", data, offset)[0]
    return value


def _u32(data: bytes, offset: int) -> int:
    """The little-endian unsigned 32-bit integer at ``offset``."""
    value: int = struct.unpack_from("<I", data, offset)[0]
    return value


# --- Text and CSV ---------------------------------------------------------------------------


def _detect_text(content: bytes) -> FileType | None:
    """CSV or plain text for mostly printable UTF-8 without NUL bytes; None otherwise."""
    if b"\x00" in content:
        return None
    body = content.removeprefix(_UTF8_BOM)
    if not body:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(_CONTROL_CHARACTERS.findall(text)) > len(text) * _MAX_CONTROL_FRACTION:
        return None
    return _CSV if _looks_like_csv(text) else _TEXT


def _looks_like_csv(text: str) -> bool:
    """Whether most of the first lines split into the same number (2+) of fields."""
    sample = text[:_CSV_SAMPLE_CHARS]
    lines = sample.splitlines()
    if len(text) > len(sample):
        lines = lines[:-1]  # the sample may have cut the last line short
    lines = [line for line in lines if line.strip()][:_CSV_SAMPLE_LINES]
    if len(lines) < _CSV_MIN_LINES:
        return False
    for delimiter in _CSV_DELIMITERS:
        try:
            # csv, not str.count: a quoted field may contain the delimiter.
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts:
            continue
        fields, agreeing = collections.Counter(counts).most_common(1)[0]
        if fields >= 2 and agreeing >= _CSV_AGREEMENT * len(counts):
            return True
    return False

"""Office documents: Office Open XML and OpenDocument packages (ZIP), and Office 97-2003 files
(OLE2 compound files).

The compound-file structure is read by ``olefile`` and macros are found by ``oletools``
(``VBA_Parser``: VBA projects wherever they sit, Excel 4.0 macro sheets, embedded objects):
both are maintained for exactly this job on hostile files, which a hand-written parser at a
security boundary is not. ZIP packages are opened only after their central directory shows
they unpack to a sane size, and an archive inside a package is opened only to the same limits
and a bounded depth. Nothing is extracted to disk.
"""

from __future__ import annotations

import html
import io
import warnings
import zipfile
from dataclasses import dataclass

import olefile

from sopbot.storage.file_kinds import (
    DOC,
    DOCX,
    MAX_DOWNLOAD_BYTES,
    ODP,
    ODS,
    ODT,
    PPT,
    PPTX,
    XLS,
    XLSX,
    FileType,
    Refusal,
)

with warnings.catch_warnings():
    # oletools 0.60 builds its VBA grammar at import time with pyparsing's camelCase names,
    # which pyparsing 3.3 deprecates; the warning is about oletools' code, not ours.
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools import crypto as office_crypto
    from oletools.olevba import VBA_Parser

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC: bytes = olefile.MAGIC

# --- ZIP (Office Open XML, OpenDocument) --------------------------------------------------

_ZIP_MAX_ENTRIES = 10_000
_ZIP_CENTRAL_RECORD = b"PK\x01\x02"
# What a package and everything inside it may declare, together, once unpacked.
_ZIP_MAX_DECLARED_TOTAL = 200 * 1024 * 1024
# A member unpacking to more than this many times its packed size is a bomb: XML and media
# compress far less (deflate itself cannot pass about 1,030), and small members are let be.
_ZIP_MAX_RATIO = 100
_ZIP_RATIO_FLOOR = 1024 * 1024
# Embedded packages (a workbook inside a report) nest; a bomb nests deeper.
_ZIP_MAX_NESTING = 2
_ZIP_ENCRYPTED_FLAG = 0x1
# The only members ever decompressed whole are [Content_Types].xml, ODF's "mimetype" and
# embedded packages; the first two only this far (a real one is a few KiB).
_ZIP_MAX_MEMBER_READ = 1024 * 1024
# oletools reads these parts whole and parses them as XML; real ones are a few KiB, and a
# large one would cost it time and memory out of all proportion.
_PARTS_PARSED_AS_XML = frozenset({"[Content_Types].xml", "_rels/.rels"})
# Enough of each member to see an archive's signature (tar's sits at offset 257).
_ZIP_PEEK_BYTES = 512
_OTHER_ARCHIVE_MAGICS = (
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"MSCF",  # cabinet
    b"\x28\xb5\x2f\xfd",  # zstandard
    b"LZIP",
    b"PK\x05\x06",  # an empty zip
    b"PK\x07\x08",  # a spanned zip
)
_TAR_MAGIC_OFFSET = 257
_TAR_MAGIC = b"ustar"
_OOXML_CONTENT_TYPES = "[Content_Types].xml"
_OOXML_MAIN_PARTS = {
    "word/document.xml": DOCX,
    "xl/workbook.xml": XLSX,
    "ppt/presentation.xml": PPTX,
}
# Every macro-enabled content type (docm, dotm, xlsm, xltm, xlam, pptm, potm, ppsm, ppam), the
# VBA project part's own type and Excel 4.0 macro sheets contain one of these words.
_OOXML_MACRO_WORDS = ("macroenabled", "vbaproject", "macrosheet")
_ODF_MIMETYPES = {file_type.mime: file_type for file_type in (ODT, ODS, ODP)}
# LibreOffice keeps a document's Basic macros under Basic/ and other scripts under Scripts/;
# a document with either runs code when opened, just like a .docm.
_ODF_MACRO_FOLDERS = ("basic/", "scripts/")

# --- OLE2 compound files (Office 97-2003) --------------------------------------------------

# Names in a compound file compare case-insensitively (MS-CFB 2.6.4), hence casefold.
_OLE_MAIN_STREAMS = {
    "worddocument": DOC,
    "workbook": XLS,
    "book": XLS,  # Excel 5.0/95 workbooks, which Excel 97-2003 still opens
    "powerpoint document": PPT,
}
_OLE_MACRO_NAMES = frozenset({"macros", "_vba_project_cur", "_vba_project", "vba"})
# olefile by default only stops at fatal defects and reads on past "incorrect" ones (a sector
# chain that loops, a FAT entry out of range); a file that broken is not passed on.
_OLE_STRICTNESS = olefile.DEFECT_INCORRECT


@dataclass
class _UnpackBudget:
    """What the archives met so far may still declare, shared down the nesting."""

    remaining: int = _ZIP_MAX_DECLARED_TOTAL


def detect_zip(content: bytes) -> FileType | Refusal:
    """docx, xlsx, pptx, odt, ods or odp judged from the package; otherwise why not."""
    found = _detect_package(content, 0, _UnpackBudget())
    if isinstance(found, Refusal):
        return found
    return Refusal.MACROS if _has_macros(content) else found


def detect_ole(content: bytes) -> FileType | Refusal:
    """doc, xls or ppt from the compound file's root streams; otherwise why not."""
    try:
        with olefile.OleFileIO(io.BytesIO(content), raise_defects=_OLE_STRICTNESS) as ole:
            paths = ole.listdir(streams=True, storages=True)
            encrypted = office_crypto.is_encrypted(ole)
    # olefile reports malformed files with OSError mostly, but hostile input reaches struct,
    # index and value errors too; any of them means a file we do not accept.
    except Exception:
        return Refusal.NOT_ACCEPTED
    if encrypted:
        return Refusal.ENCRYPTED
    folded = [[name.casefold() for name in path] for path in paths]
    # Macro storages anywhere (embedded objects carry their own), but only the root's own
    # streams say what the file is: a Word file with an embedded spreadsheet holds a
    # "Workbook" stream too, one level down.
    if any(name in _OLE_MACRO_NAMES for path in folded for name in path):
        return Refusal.MACROS
    found = {
        _OLE_MAIN_STREAMS[path[0]]
        for path in folded
        if len(path) == 1 and path[0] in _OLE_MAIN_STREAMS
    }
    if len(found) != 1:
        return Refusal.NOT_ACCEPTED
    return Refusal.MACROS if _has_macros(content) else found.pop()


def _has_macros(content: bytes) -> bool:
    """Whether oletools finds VBA or Excel 4.0 macros anywhere in the file (True when it
    cannot tell: a file that cannot be checked is not passed on)."""
    try:
        parser = VBA_Parser("upload", data=content, relaxed=True)
    except Exception:
        return True
    try:
        return bool(parser.detect_macros())
    except Exception:
        return True
    finally:
        parser.close()


# --- ZIP ------------------------------------------------------------------------------------


def _detect_package(content: bytes, depth: int, budget: _UnpackBudget) -> FileType | Refusal:
    """The type of a ZIP package at this nesting depth, after the bomb checks."""
    # zipfile builds an object per central-directory record before we can count them, so an
    # archive of nothing but empty entries, small enough to download, costs time and memory
    # out of all proportion to its size (bench/findings.md). Every record it parses starts
    # with this signature, so counting the signature bounds its work up front.
    if content.count(_ZIP_CENTRAL_RECORD) > _ZIP_MAX_ENTRIES:
        return Refusal.ARCHIVE
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return _detect_open_archive(archive, depth, budget)
    # zipfile reports hostile archives with a wide, undocumented range of exceptions (struct,
    # zlib, lzma, OSError, NotImplementedError for unknown methods, RuntimeError for
    # encryption, ...); any of them means the file is not a document we accept.
    except Exception:
        return Refusal.NOT_ACCEPTED


def _detect_open_archive(
    archive: zipfile.ZipFile, depth: int, budget: _UnpackBudget
) -> FileType | Refusal:
    """The type of an opened archive: its unpacked size, then its kind, then what it holds."""
    entries = archive.infolist()
    if not entries:
        return Refusal.NOT_ACCEPTED
    if len(entries) > _ZIP_MAX_ENTRIES:
        return Refusal.ARCHIVE
    declared = sum(entry.file_size for entry in entries)
    if declared > budget.remaining or any(_inflates(entry) for entry in entries):
        return Refusal.ARCHIVE
    budget.remaining -= declared
    if any(
        entry.filename in _PARTS_PARSED_AS_XML and entry.file_size > _ZIP_MAX_MEMBER_READ
        for entry in entries
    ):
        return Refusal.NOT_ACCEPTED
    if any(entry.flag_bits & _ZIP_ENCRYPTED_FLAG for entry in entries):
        return Refusal.ENCRYPTED
    if entries[0].filename == "mimetype":
        found = _detect_opendocument(archive, entries)
    else:
        found = _detect_office_open_xml(archive, entries)
    if isinstance(found, Refusal):
        return found
    return _nested_archives(archive, entries, depth, budget) or found


def _inflates(entry: zipfile.ZipInfo) -> bool:
    """Whether a member declares an unpacked size out of all proportion to its packed one."""
    return entry.file_size > _ZIP_RATIO_FLOOR and entry.file_size > _ZIP_MAX_RATIO * max(
        entry.compress_size, 1
    )


def _nested_archives(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], depth: int, budget: _UnpackBudget
) -> Refusal | None:
    """Why an archive inside the package is refused, or None when every one is acceptable.

    An embedded Office package (a workbook in a report) is checked like the upload itself,
    one level deeper and within the same budget; other archives have no place in a document.
    """
    for entry in entries:
        if entry.is_dir() or entry.file_size == 0:
            continue
        with archive.open(entry) as member:
            head = member.read(_ZIP_PEEK_BYTES)
        if head.startswith(_OTHER_ARCHIVE_MAGICS) or (
            head[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + len(_TAR_MAGIC)] == _TAR_MAGIC
        ):
            return Refusal.ARCHIVE
        if not head.startswith(ZIP_MAGIC):
            continue
        if depth >= _ZIP_MAX_NESTING or entry.file_size > MAX_DOWNLOAD_BYTES:
            return Refusal.ARCHIVE
        with archive.open(entry) as member:
            inner = member.read(MAX_DOWNLOAD_BYTES + 1)
        found = _detect_package(inner, depth + 1, budget)
        if found is Refusal.NOT_ACCEPTED:
            return Refusal.ARCHIVE  # a zip that is no Office package
        if isinstance(found, Refusal):
            return found
        if _has_macros(inner):
            return Refusal.MACROS
    return None


def _detect_office_open_xml(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]
) -> FileType | Refusal:
    """docx, xlsx or pptx; refused for macros or an ambiguous package."""
    names = {entry.filename for entry in entries}
    if _OOXML_CONTENT_TYPES not in names:
        return Refusal.NOT_ACCEPTED
    if any(name.rsplit("/", 1)[-1].casefold() == "vbaproject.bin" for name in names):
        return Refusal.MACROS
    content_types = _read_member(archive, archive.getinfo(_OOXML_CONTENT_TYPES))
    if content_types is None:
        return Refusal.NOT_ACCEPTED
    # A substring test, not an XML parse, so no XML parser meets hostile input. Dropping NULs
    # reads UTF-16 XML as ASCII, and unescaping undoes character references
    # ("macro&#69;nabled"), two ways to hide the words from a plain byte search.
    text = html.unescape(content_types.replace(b"\x00", b"").decode("utf-8", "replace"))
    folded = text.casefold()
    if any(word in folded for word in _OOXML_MACRO_WORDS):
        return Refusal.MACROS
    found = [file_type for part, file_type in _OOXML_MAIN_PARTS.items() if part in names]
    return found[0] if len(found) == 1 else Refusal.NOT_ACCEPTED


def _detect_opendocument(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]
) -> FileType | Refusal:
    """odt, ods or odp, from the ``mimetype`` entry that opens the archive."""
    if any(entry.filename.casefold().startswith(_ODF_MACRO_FOLDERS) for entry in entries):
        return Refusal.MACROS
    declared = _read_member(archive, entries[0])
    if declared is None:
        return Refusal.NOT_ACCEPTED
    return _ODF_MIMETYPES.get(declared.decode("ascii", errors="replace"), Refusal.NOT_ACCEPTED)


def _read_member(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes | None:
    """A small member's bytes, decompressing no more than the cap; None if it is larger."""
    if entry.file_size > _ZIP_MAX_MEMBER_READ:
        return None
    with archive.open(entry) as member:
        # zipfile already stops at the declared size, but the bound should not rest on that:
        # reading one byte past the cap is how a member larger than it shows itself here.
        data = member.read(_ZIP_MAX_MEMBER_READ + 1)
    return data if len(data) <= _ZIP_MAX_MEMBER_READ else None

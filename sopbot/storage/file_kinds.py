"""The kinds of file sopbot accepts, and the reasons it gives for refusing the rest.

Shared by the content checks (`file_types`, `office_files`, `text_files`) and by the code that
names a delivered file: its extension always comes from the kind detected here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
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


class Refusal(StrEnum):
    """Why a file is refused; each reason has its own answer (`document.refused_<value>`)."""

    NOT_ACCEPTED = "not_accepted"  # an unknown kind, an executable, or a damaged file
    MACROS = "macros"  # an Office file that carries VBA or Excel 4.0 macros
    ACTIVE_CONTENT = "active_content"  # text that is HTML, SVG, a script or an HTA
    FORMULA = "formula"  # a CSV cell a spreadsheet would run as a formula
    ARCHIVE = "archive"  # an archive inside the document, or one that unpacks too large
    ENCRYPTED = "encrypted"  # a password-protected file, whose content cannot be checked


PDF = FileType("application/pdf", "pdf", "PDF")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    "Dokumen Word",
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    "Lembar kerja Excel",
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
    "Presentasi PowerPoint",
)
ODT = FileType("application/vnd.oasis.opendocument.text", "odt", "Dokumen OpenDocument")
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", "ods", "Lembar kerja OpenDocument")
ODP = FileType("application/vnd.oasis.opendocument.presentation", "odp", "Presentasi OpenDocument")
DOC = FileType("application/msword", "doc", "Dokumen Word 97-2003")
XLS = FileType("application/vnd.ms-excel", "xls", "Lembar kerja Excel 97-2003")
PPT = FileType("application/vnd.ms-powerpoint", "ppt", "Presentasi PowerPoint 97-2003")
PNG = FileType("image/png", "png", "Gambar PNG")
JPEG = FileType("image/jpeg", "jpg", "Gambar JPEG")
CSV = FileType("text/csv", "csv", "Data CSV")
TEXT = FileType("text/plain", "txt", "Teks")

FILE_TYPES: Mapping[str, FileType] = MappingProxyType(
    {
        file_type.extension: file_type
        for file_type in (PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, DOC, XLS, PPT, PNG, JPEG, CSV, TEXT)
    }
)
"""Every type ``detect_file_type`` can return, by extension."""

_BY_MIME: Mapping[str, FileType] = MappingProxyType({t.mime: t for t in FILE_TYPES.values()})


def file_type_of_mime(mime: str) -> FileType | None:
    """The accepted type with this MIME type (as stored after detection), or None."""
    return _BY_MIME.get(mime)

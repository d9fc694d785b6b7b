"""What an uploaded file is, decided from its bytes alone, and whether sopbot accepts it.

The name and MIME type a sender claims are never consulted: both are trivially forged, and
a document store that trusts them ends up serving an executable labelled "laporan.pdf".
Each format must start with its own full signature at offset 0 (readers that look further in,
as PDF readers do, are how polyglots pass); the family that signature names settles the
verdict, so a refused Office file never falls through to the text check. Nothing here
extracts an archive or writes to disk; hostile input yields a `Refusal`, never an exception.
"""

from __future__ import annotations

import re
import struct
import zlib

from sopbot.storage.file_kinds import (
    ALLOWED_TYPES_DESCRIPTION,
    FILE_TYPES,
    JPEG,
    MAX_DOWNLOAD_BYTES,
    PDF,
    PNG,
    FileType,
    Refusal,
    file_type_of_mime,
)
from sopbot.storage.office_files import OLE_MAGIC, ZIP_MAGIC, detect_ole, detect_zip
from sopbot.storage.text_files import detect_text

__all__ = [
    "ALLOWED_TYPES_DESCRIPTION",
    "FILE_TYPES",
    "MAX_DOWNLOAD_BYTES",
    "FileType",
    "Refusal",
    "detect_file_type",
    "file_type_of_mime",
]

# Executables are refused before anything else, even when what follows their header would
# pass as text ("MZ" is two printable letters).
_EXECUTABLE_MAGICS = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary / Java class
)
# "%PDF-" and a version, at offset 0 only: a reader that finds the header later in the file
# would open an HTML page with a PDF tucked after its script as a PDF.
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IHDR_LENGTH = 13
# Colour type -> the bit depths PNG allows for it (PNG specification, 11.2.2).
_PNG_BIT_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_PNG_MAX_DIMENSION = 2**31 - 1
_JPEG_SOI = b"\xff\xd8"
# What may follow a JPEG's start of image: an APPn or comment segment, the tables, a
# restart interval or a frame header (not DHT-less lossless variants nobody scans with).
_JPEG_FIRST_MARKERS = frozenset(
    set(range(0xE0, 0xF0))  # APP0 (JFIF) .. APP15; APP1 is Exif
    | {0xDB, 0xC4, 0xDD, 0xFE}  # DQT, DHT, DRI, COM
    | {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}  # SOFn
)
_JPEG_SEGMENT_MIN = 2


def detect_file_type(content: bytes) -> FileType | Refusal:
    """The accepted type of ``content`` judged from its bytes, or why sopbot refuses it."""
    if content.startswith(_EXECUTABLE_MAGICS):
        return Refusal.NOT_ACCEPTED
    if content.startswith(ZIP_MAGIC):
        return detect_zip(content)
    if content.startswith(OLE_MAGIC):
        return detect_ole(content)
    if content.startswith(_PNG_SIGNATURE):
        return PNG if _has_png_header(content) else Refusal.NOT_ACCEPTED
    if content.startswith(_JPEG_SOI):
        return JPEG if _has_jpeg_start(content) else Refusal.NOT_ACCEPTED
    if _PDF_HEADER.match(content):
        return PDF
    return detect_text(content)


def _has_png_header(content: bytes) -> bool:
    """Whether the signature is followed by a well-formed IHDR chunk with a correct CRC."""
    start = len(_PNG_SIGNATURE)
    chunk = content[start : start + 8 + _PNG_IHDR_LENGTH + 4]
    if len(chunk) < 8 + _PNG_IHDR_LENGTH + 4:
        return False
    length, kind = struct.unpack_from(">I4s", chunk)
    if length != _PNG_IHDR_LENGTH or kind != b"IHDR":
        return False
    data = chunk[8 : 8 + _PNG_IHDR_LENGTH]
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", data
    )
    (crc,) = struct.unpack_from(">I", chunk, 8 + _PNG_IHDR_LENGTH)
    return (
        0 < width <= _PNG_MAX_DIMENSION
        and 0 < height <= _PNG_MAX_DIMENSION
        and depth in _PNG_BIT_DEPTHS.get(colour, set())
        and compression == 0
        and filtering == 0
        and interlace in (0, 1)
        and crc == zlib.crc32(kind + data)
    )


def _has_jpeg_start(content: bytes) -> bool:
    """Whether start of image is followed by a JPEG marker and a segment that fits the file."""
    if len(content) < len(_JPEG_SOI) + 4 or content[2] != 0xFF:
        return False
    if content[3] not in _JPEG_FIRST_MARKERS:
        return False
    segment_length: int = struct.unpack_from(">H", content, 4)[0]
    return _JPEG_SEGMENT_MIN <= segment_length <= len(content) - 4

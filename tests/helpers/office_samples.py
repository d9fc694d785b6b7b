"""Office, PDF and picture files built from the standard library for the tests: the kinds an
upload may be, and the hostile ones (macros, ZIP bombs, compound files)."""

from __future__ import annotations

import io
import itertools
import struct
import zipfile
import zlib
from typing import TypeAlias

# --- sample builders ------------------------------------------------------------------------

MAIN_CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    "docm": "application/vnd.ms-word.document.macroEnabled.main+xml",
    "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "pptm": "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
}
MAIN_PARTS = {
    "docx": "word/document.xml",
    "docm": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "xlsm": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
    "pptm": "ppt/presentation.xml",
}
VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{target}"/></Relationships>'
)


def content_types_xml(main_part: str, main_type: str, overrides: dict[str, str]) -> str:
    """A [Content_Types].xml naming the main part and any extra overridden parts."""
    parts = {f"/{main_part}": main_type, **overrides}
    override_xml = "".join(
        f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in parts.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{override_xml}</Types>"
    )


def office_open_xml(
    kind: str,
    *,
    extra_parts: dict[str, bytes] | None = None,
    overrides: dict[str, str] | None = None,
    content_types: bytes | None = None,
) -> bytes:
    """A minimal Office Open XML package of ``kind`` (docx, xlsm, ...), deflated like Office."""
    main_part = MAIN_PARTS[kind]
    declared = (
        content_types
        or content_types_xml(main_part, MAIN_CONTENT_TYPES[kind], overrides or {}).encode()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", declared)
        archive.writestr("_rels/.rels", ROOT_RELS.format(target=main_part))
        archive.writestr(main_part, '<?xml version="1.0"?><root/>')
        for name, data in (extra_parts or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def opendocument(mimetype: str, *, extra_parts: dict[str, bytes] | None = None) -> bytes:
    """A minimal OpenDocument package: ``mimetype`` first and stored, then the XML parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
        archive.writestr("content.xml", '<?xml version="1.0"?><x/>', zipfile.ZIP_DEFLATED)
        for name, data in (extra_parts or {}).items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def minimal_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tiny_png() -> bytes:
    """A valid 1x1 white greyscale PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00\xff"))
        + png_chunk(b"IEND", b"")
    )


def jpeg_header() -> bytes:
    """The start of a JFIF JPEG: SOI and the APP0 segment (what a scanner writes first)."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


# A node of a compound file: its name, and its children for a storage (None for a stream).
OleNode: TypeAlias = tuple[str, "list[OleNode] | None"]

NO_STREAM = 0xFFFFFFFF
END_OF_CHAIN = 0xFFFFFFFE
FAT_SECTOR = 0xFFFFFFFD
FREE_SECTOR = 0xFFFFFFFF


def ole_entry(name: str, kind: int, right: int, child: int) -> bytes:
    """One 128-byte directory entry; siblings are chained through the right link."""
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NO_STREAM, right, child)
        + bytes(16 + 4 + 8 + 8)  # class id, state bits, creation and modification times
        + struct.pack("<IQ", END_OF_CHAIN, 0)  # no stream data
    )


def ole_directory(children: list[OleNode]) -> list[bytes]:
    """The directory entries of a compound file: the root entry, then the tree under it."""
    records: list[tuple[str, int, int, int]] = []  # name, object type, child, right sibling

    def add(nodes: list[OleNode]) -> int:
        """Append ``nodes`` and their subtrees; the index of the first node, or NO_STREAM."""
        indexes: list[int] = []
        for name, grandchildren in nodes:
            indexes.append(len(records))
            records.append((name, 2, NO_STREAM, NO_STREAM))
            if grandchildren is not None:
                records[indexes[-1]] = (name, 1, add(grandchildren), NO_STREAM)
        for index, following in itertools.pairwise(indexes):
            name, kind, child, _ = records[index]
            records[index] = (name, kind, child, following)
        return indexes[0] if indexes else NO_STREAM

    records.append(("Root Entry", 5, NO_STREAM, NO_STREAM))
    records[0] = ("Root Entry", 5, add(children), NO_STREAM)
    return [ole_entry(name, kind, right, child) for name, kind, child, right in records]


def compound_file(
    children: list[OleNode], *, sector_shift: int = 9, stream_data: bytes = b""
) -> bytes:
    """A structurally valid OLE2 compound file: header, one FAT sector, the directory chain
    and, if given, one sector of stream data (as the body text of a document would be)."""
    sector_size = 1 << sector_shift
    per_sector = sector_size // 128
    entries = ole_directory(children)
    entries += [bytes(128)] * (-len(entries) % per_sector)  # unused slots fill the last sector
    directory_sectors = len(entries) // per_sector
    fat = [FAT_SECTOR]
    fat += [2 + i for i in range(directory_sectors - 1)] + [END_OF_CHAIN]
    if stream_data:
        fat.append(END_OF_CHAIN)
    fat += [FREE_SECTOR] * (sector_size // 4 - len(fat))
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3 if sector_shift == 9 else 4, 0xFFFE, sector_shift, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE_SECTOR) * 108
    )
    sectors = [struct.pack(f"<{len(fat)}I", *fat), b"".join(entries)]
    if stream_data:
        sectors.append(stream_data.ljust(sector_size, b"\x00"))
    return header.ljust(sector_size, b"\x00") + b"".join(sectors)


def zip_with_entries(count: int) -> bytes:
    """A docx padded with empty entries up to ``count`` entries in all."""
    padding = {f"customXml/pad{i}.xml": b"" for i in range(count - 3)}
    return office_open_xml("docx", extra_parts=padding)


def declare_sizes(archive: bytes, size: int, only: str | None = None) -> bytes:
    """The archive with the uncompressed size its central directory declares overwritten."""
    data = bytearray(archive)
    end = data.rfind(b"PK\x05\x06")
    directory_size, directory_offset = struct.unpack_from("<II", data, end + 12)
    position = directory_offset
    while position < directory_offset + directory_size:
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        name = bytes(data[position + 46 : position + 46 + name_length]).decode()
        if only is None or name == only:
            struct.pack_into("<I", data, position + 24, size)
        position += 46 + name_length + extra_length + comment_length
    return bytes(data)


SAMPLES: dict[str, bytes] = {
    "pdf": minimal_pdf(),
    "docx": office_open_xml("docx"),
    "xlsx": office_open_xml("xlsx"),
    "pptx": office_open_xml("pptx"),
    "odt": opendocument("application/vnd.oasis.opendocument.text"),
    "ods": opendocument("application/vnd.oasis.opendocument.spreadsheet"),
    "odp": opendocument("application/vnd.oasis.opendocument.presentation"),
    "doc": compound_file([("WordDocument", None), ("1Table", None)]),
    "xls": compound_file([("Workbook", None), ("\x05SummaryInformation", None)]),
    "ppt": compound_file([("PowerPoint Document", None), ("Current User", None)]),
    "png": tiny_png(),
    "jpg": jpeg_header(),
    "csv": b"nip;nama;unit\n1987;Siti;Bappeda\n1990;Budi;Dinkes\n",
    "txt": b"Laporan kinerja triwulan I.\nSemua kegiatan, kecuali dua, selesai.\n",
}

"""The zip an auditor receives for one procedure: its documents, the PDF of its history,
SHA256SUMS and README.txt.

Every name inside the zip is made here, never taken from a sender: a document goes in as
`dokumen/03_langkah-2_laporan-kinerja.pdf` (its place in the order of upload, the step as the
SOP prints it, the sender's name reduced to plain letters, digits and `-._`, and the extension
of the type its content was detected as), so no name can climb out of the folder it is
unpacked into, hide its extension or differ only in case from another. SHA256SUMS lists every
file of the zip but itself, in the form `sha256sum -c SHA256SUMS` checks; README.txt says how
to check it on Linux, macOS and Windows.

Already-compressed files (PDF, Office and OpenDocument files, pictures) are stored as they are;
the rest is deflated. Entries carry the time the record was made, in the agency's zone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import zipfile
from types import TracebackType
from typing import BinaryIO, Final

from sopbot.engine.procedure_record import DocumentCheck, ProcedureRecord
from sopbot.messaging.catalog import Language, default_catalog
from sopbot.messaging.formatting import zone_name

DOCUMENT_FOLDER: Final = "dokumen"
SUMS_NAME: Final = "SHA256SUMS"
README_NAME: Final = "README.txt"
MAX_STEM_CHARS: Final = 60
"""The longest part of an entry's name taken from the sender's name."""

_STORED_EXTENSIONS: Final = frozenset(
    {"pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "jpg", "jpeg", "png", "gif", "webp"}
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DASHES = re.compile(r"-{2,}")


def zip_name(agency_key: str, number: int) -> str:
    """The zip's own file name: `arsip-<agency>-no12.zip`."""
    return f"arsip-{_plain(agency_key) or 'instansi'}-no{number}.zip"


def history_entry(number: int) -> str:
    """The name of the history PDF inside the zip."""
    return f"riwayat-prosedur-{number}.pdf"


def document_entry(position: int, step_label: str, delivered_name: str, taken: set[str]) -> str:
    """A document's path in the zip: `dokumen/<position>_langkah-<step>_<name>.<ext>`, its
    name and extension from `delivered_name` (the cleaned name, ending in the detected type's
    extension) made plain; a name already `taken` (compared without case) gets "-2", "-3".
    The name is added to `taken`."""
    stem, dot, extension = delivered_name.rpartition(".")
    if not dot:
        stem, extension = delivered_name, ""
    plain_stem = _plain(stem)[:MAX_STEM_CHARS].strip("-._") or "dokumen"
    plain_extension = _plain(extension).lower()
    suffix = f".{plain_extension}" if plain_extension else ""
    base = f"{DOCUMENT_FOLDER}/{position:02d}_langkah-{_plain(step_label) or '-'}_{plain_stem}"
    entry = f"{base}{suffix}"
    again = 2
    while entry.casefold() in taken:
        entry = f"{base}-{again}{suffix}"
        again += 1
    taken.add(entry.casefold())
    return entry


def _plain(text: str) -> str:
    """Text as plain ASCII letters, digits and `-._` ("Laporan Kinerja (final)" ->
    "Laporan-Kinerja-final"), accents dropped."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _DASHES.sub("-", _UNSAFE.sub("-", ascii_text)).strip("-")


class ArchiveZip:
    """Writes one procedure's zip to a binary file: `add` each file, then `finish`."""

    def __init__(self, target: BinaryIO, made_at: dt.datetime) -> None:
        """`made_at`: the local (naive) time written on every entry."""
        self._zip = zipfile.ZipFile(target, "w", allowZip64=True)
        self._when = made_at.timetuple()[:6]
        self._sums: list[tuple[str, str]] = []

    def __enter__(self) -> ArchiveZip:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._zip.close()

    def add(self, entry: str, content: bytes) -> None:
        """Put a file in the zip and in SHA256SUMS."""
        extension = entry.rpartition(".")[2].lower()
        info = zipfile.ZipInfo(entry, date_time=self._when)
        info.external_attr = 0o644 << 16
        if extension in _STORED_EXTENSIONS:
            info.compress_type = zipfile.ZIP_STORED
        else:
            info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, content)
        self._sums.append((hashlib.sha256(content).hexdigest(), entry))

    def finish(self, record: ProcedureRecord, language: Language) -> None:
        """README.txt (in SHA256SUMS too), then SHA256SUMS itself."""
        self.add(README_NAME, readme_text(record, language).encode("utf-8"))
        sums = "".join(f"{digest}  {entry}\n" for digest, entry in self._sums)
        info = zipfile.ZipInfo(SUMS_NAME, date_time=self._when)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(info, sums.encode("ascii"))


def readme_text(record: ProcedureRecord, language: Language) -> str:
    """What the zip holds and how to check it, in the reader's language (CRLF line ends, so
    Notepad shows the lines too)."""
    catalog = default_catalog()
    left_out = [d for d in record.documents if d.check is not DocumentCheck.INTACT]
    lines = [
        catalog.text(
            language,
            "archive.readme",
            agency=record.agency_name,
            number=record.number,
            title=record.title,
            pdf=history_entry(record.number),
            folder=DOCUMENT_FOLDER,
            documents=len(record.documents) - len(left_out),
            sums=SUMS_NAME,
            zone=zone_name(record.timezone),
        )
    ]
    if left_out:
        lines.append(catalog.text(language, "archive.readme_left_out", count=len(left_out)))
        lines.extend(
            f"  - {d.entry} ({catalog.text(language, f'archive.check.{d.check.value}')})"
            for d in left_out
        )
    return "\r\n".join("\r\n".join(line.splitlines()) for line in lines) + "\r\n"

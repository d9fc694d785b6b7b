"""Importing an agency's SOP document: a .docx, a digital .pdf, text as `pdftotext -layout`
gives it, or a definition .yaml, to a draft definition, its review report and what the
validator says of it.

What is read is never trusted for its name or declared type: the bytes decide the reader (a
Word package, a PDF), and anything else is refused with what to send instead. A document that
cannot become a draft (a scanned PDF, a file with no procedure table) is refused with a reason a
person can act on.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, Final

from sopbot.documents.docx_reading import UnreadableDocx, read_docx
from sopbot.documents.drafting import Draft, NoProcedureTable, draft_definition, suggested_name
from sopbot.documents.pdf_reading import ScannedPdf, UnreadablePdf, read_pdf
from sopbot.documents.review import ImportReport
from sopbot.documents.sheet_model import SheetDocument
from sopbot.documents.text_reading import read_text
from sopbot.engine.definition import SopDefinition
from sopbot.engine.loader import parse_definition
from sopbot.engine.problems import Problem, Severity
from sopbot.messaging.catalog import Language, default_catalog

MAX_IMPORT_BYTES: Final = 20 * 1024 * 1024
"""The largest document imported: what the Bot API lets a bot download, and far more than any
SOP document needs."""

DEFAULT_AGENCY: Final = "impor"
"""The agency key a draft is validated under when none is given."""

log = logging.getLogger(__name__)

_OLE: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a document could not be imported, as a catalog key (section `import_refusal`)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, language: Language = Language.EN) -> str:
        """The reason in words."""
        return default_catalog().text(language, f"import_refusal.{self.key}", **self.params)

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The outcome of an import: a refusal, or a draft with its report and validation."""

    refusal: Refusal | None
    draft: str = ""
    name: str = ""  # the suggested SOP name (file stem) from its title
    kind: str = ""  # "docx", "pdf", "text", "yaml"
    report: ImportReport = field(default_factory=ImportReport)
    definition: SopDefinition | None = None  # when the draft validates as it is
    problems: tuple[Problem, ...] = ()  # what the validator says of the draft
    counts: dict[str, int] = field(default_factory=dict)  # steps, roles, decisions, undecided

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The validator's errors on the draft (the values left to decide among them)."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)


def import_document(
    path: Path, *, agency_key: str | None = None, shown_as: str | None = None
) -> ImportResult:
    """Import a document file (see the module docstring). The validator's problems name the
    draft `shown_as` (default: the suggested SOP name with .yaml)."""
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            return ImportResult(Refusal("too_big", {"megabytes": size // (1024 * 1024)}))
        data = path.read_bytes()
    except OSError as exc:
        return ImportResult(Refusal("unreadable", {"reason": exc.strerror or str(exc)}))
    return import_bytes(data, path.name, agency_key=agency_key, shown_as=shown_as)


def import_bytes(
    data: bytes, file_name: str, *, agency_key: str | None = None, shown_as: str | None = None
) -> ImportResult:
    """Import a document given as bytes; `file_name` is only shown, never trusted."""
    if len(data) > MAX_IMPORT_BYTES:
        return ImportResult(Refusal("too_big", {"megabytes": len(data) // (1024 * 1024)}))
    kind = _kind_of(data)
    if isinstance(kind, Refusal):
        return ImportResult(kind)
    target = _Target(file_name, agency_key or DEFAULT_AGENCY, shown_as)
    if kind == "pdf":
        return _from_sheet(lambda: read_pdf(data), kind, target)
    if kind == "docx":
        return _from_sheet(lambda: read_docx(data), kind, target)
    text = data.decode("utf-8-sig")
    if kind == "yaml":
        return _validated(text, kind, ImportReport(), target, Path(file_name).stem)
    return _from_sheet(lambda: read_text(text), kind, target)


def _kind_of(data: bytes) -> str | Refusal:
    """What the bytes are (never what the file's name or declared type says)."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if _is_word_package(data) else Refusal("not_word_package")
    if data.startswith(_OLE):
        return Refusal("old_word")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Refusal("unknown_kind")
    if "\x00" in text:
        return Refusal("unknown_kind")
    return "yaml" if _looks_like_definition(text) else "text"


@dataclass(frozen=True, slots=True)
class _Target:
    """Where an import goes: the document's name, the agency, the draft's shown name."""

    file_name: str
    agency: str
    shown_as: str | None


def _from_sheet(read: Callable[[], SheetDocument], kind: str, target: _Target) -> ImportResult:
    try:
        sheet: SheetDocument = read()
        draft = draft_definition(sheet, source_name=target.file_name)
    except ScannedPdf:
        return ImportResult(Refusal("scanned_pdf"), kind=kind)
    except (UnreadablePdf, UnreadableDocx) as exc:
        return ImportResult(Refusal(f"unreadable_{kind}", {"reason": str(exc)[:200]}), kind=kind)
    except NoProcedureTable:
        return ImportResult(Refusal("no_table"), kind=kind)
    except Exception:
        log.exception("an import of %s failed; refused as unreadable", kind)
        return ImportResult(
            Refusal(f"unreadable_{kind}", {"reason": "isi berkas rusak"}), kind=kind
        )
    name = draft.name or Path(target.file_name).stem
    return _validated(draft.text, kind, draft.report, target, name, draft)


def _validated(
    text: str,
    kind: str,
    report: ImportReport,
    target: _Target,
    name: str,
    draft: Draft | None = None,
) -> ImportResult:
    slug = suggested_name(name)
    agency = target.agency
    result = parse_definition(
        text,
        source=target.shown_as or f"{slug}.yaml",
        sop_id=f"{agency}/{slug}",
        agency_key=agency,
    )
    counts = (
        {
            "steps": draft.steps,
            "roles": draft.roles,
            "decisions": draft.decisions,
            "undecided": draft.undecided,
        }
        if draft is not None
        else {}
    )
    return ImportResult(
        refusal=None,
        draft=text,
        name=slug,
        kind=kind,
        report=report,
        definition=result.definition,
        problems=result.problems,
        counts=counts,
    )


def _is_word_package(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(BytesIO(data)) as package:
            return "word/document.xml" in package.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _looks_like_definition(text: str) -> bool:
    """A definition file: the format's top-level sections at the start of lines."""
    starts = {line.split(":", 1)[0].strip() for line in text.splitlines() if line[:1].isalpha()}
    return {"sop", "langkah"} <= starts

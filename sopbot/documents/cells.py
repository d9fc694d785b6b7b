"""The texts of the SOP document's cells, the same for the terminal sheet, the PDF and the DOCX:
the Waktu cell, the Keterangan cell with its flow note, and the identity header's fields as the
document states them (a field the document does not state is left blank on paper).
"""

from __future__ import annotations

from dataclasses import dataclass

from sopbot.documents.flow_notes import note_for
from sopbot.engine.definition import SopDefinition, SopIdentity, Step
from sopbot.engine.limits import HEADER_LISTS

DATE_FIELDS = (
    ("tanggal_pembuatan", "created_on"),
    ("tanggal_revisi", "revised_on"),
    ("tanggal_efektif", "effective_on"),
)
"""The header's dates: their key in the file and their attribute on SopIdentity."""

BLOCK_PAIRS = (
    ("dasar_hukum", "kualifikasi_pelaksana"),
    ("keterkaitan", "peralatan_perlengkapan"),
    ("peringatan", "pencatatan_pendataan"),
)
"""The header lists as the form sets them side by side, left | right."""

assert {key for pair in BLOCK_PAIRS for key in pair} == set(HEADER_LISTS)  # noqa: S101


def time_cell(step: Step) -> str:
    """The Waktu cell: as the document writes it, with the standard counted when that differs
    ("1-2 Hari (baku 2 Hari)") and the rework round's time when the SOP gives one."""
    standard = step.standard_time
    cell = standard.as_written
    if standard.counted_as is not None:
        cell += f" (baku {standard.counted_as})"
    if step.rework_time is not None:
        rework = step.rework_time
        counted = f" (baku {rework.counted_as})" if rework.counted_as is not None else ""
        cell += f"; ulang: {rework.as_written}{counted}"
    return cell


def remarks_paragraphs(definition: SopDefinition, step: Step) -> list[str]:
    """The Keterangan cell as paragraphs: the step's own remarks, then the flow note as the
    last paragraph when there is one (flow_notes.split_note reads it back)."""
    paragraphs = [line for line in step.remarks.split("\n") if line.strip()]
    note = note_for(definition, step)
    if note:
        paragraphs.append(note)
    return paragraphs


def stated(ident: SopIdentity, key: str, value: str | None) -> str:
    """A header value as printed: "" where the document leaves the field unstated."""
    return (value or "") if ident.is_stated(key) else ""


@dataclass(frozen=True, slots=True)
class ApproverBlock:
    """The "Disahkan oleh" field as printed: jabatan above the room for the signature, then
    nama, pangkat and NIP below it; "" for what the document does not state."""

    position: str
    name: str
    rank: str
    nip: str


def approver_block(ident: SopIdentity) -> ApproverBlock:
    """The Disahkan oleh block of the header, blanks where the document states nothing."""
    if not ident.is_stated("disahkan_oleh"):
        return ApproverBlock("", "", "", "")
    approver = ident.approved_by
    return ApproverBlock(
        position=stated(ident, "disahkan_oleh.jabatan", approver.position),
        name=stated(ident, "disahkan_oleh.nama", approver.name),
        rank=approver.rank or "",
        nip=f"NIP. {approver.nip}" if approver.nip else "",
    )


def identity_rows(ident: SopIdentity) -> list[tuple[str, str]]:
    """The label : value rows of the header's right cell before Disahkan oleh: the number and
    the dates (and an explicit revision), with the document's own labels."""
    rows = [(ident.label("nomor"), stated(ident, "nomor", ident.number))]
    for key, attribute in DATE_FIELDS:
        written = getattr(ident, attribute)
        rows.append((ident.label(key), stated(ident, key, written.as_written)))
    if ident.revision:
        rows.append((ident.label("revisi"), ident.revision))
    return rows


def agency_lines(ident: SopIdentity) -> list[str]:
    """The header's left cell: the government, the agency and the unit, as stated."""
    values = (
        ("pemerintah", ident.government),
        ("instansi", ident.agency),
        ("unit", ident.unit),
    )
    return [text for key, value in values if (text := stated(ident, key, value))]


@dataclass(frozen=True, slots=True)
class HeaderList:
    """A header list as printed: its label, the intro line, and (marker, text) items."""

    label: str
    intro: str
    items: tuple[tuple[str, str], ...]


def header_list(ident: SopIdentity, key: str) -> HeaderList:
    """One of the two-column blocks (Dasar Hukum, Peringatan, ...) with its own numbering."""
    style = ident.list_style(key)
    items = tuple((style.marker(n), text) for n, text in enumerate(ident.header_list(key), start=1))
    return HeaderList(ident.label(key), style.intro or "", items)


def table_title(definition: SopDefinition) -> str:
    """The title above the procedure table: the document's own, else the SOP's name."""
    ident = definition.identity
    return ident.table_title or ident.name

"""The identity header of a draft: each field the document states, as written, with its own
label; what it leaves blank or does not have at all, as `tidak_tercantum` for a person to confirm.
"""

from __future__ import annotations

from sopbot.documents.draft_yaml import DraftWriter
from sopbot.documents.header_table import HeaderReading, split_approver
from sopbot.documents.review import ImportReport, ReviewKind
from sopbot.engine.header_fields import DEFAULT_LABELS, NOT_STATED, Numbering

NOTHING = frozenset({"", "-", "–", "—", "tidak ada", "nihil"})
"""What a cell writes when it has nothing to say."""

_HEADER = "kepala SOP"


class HeaderDrafter:
    """Writes the `sop:` section of a draft from a header reading."""

    def __init__(self, writer: DraftWriter, header: HeaderReading, report: ImportReport) -> None:
        self._writer = writer
        self._header = header
        self._report = report
        self._labels: dict[str, str] = {}

    def write(self, title: str | None) -> str:
        """Write the section; the SOP's name (for its file), "" when the document has none."""
        self._writer.section("sop")
        self._names()
        self._field("nomor", required=True, none_value="~")
        name = self._name(title)
        self._field("tanggal_pembuatan", required=True)
        self._field("tanggal_revisi", required=False, none_value="")
        self._field("tanggal_efektif", required=True)
        self._field("revisi", required=False)
        self._approver()
        self._lists()
        if title:
            self._writer.field("judul_tabel", title)
        if self._labels:
            self._writer.mapping("label", self._labels, comment="the document's own labels")
        return name

    def _names(self) -> None:
        header = self._header
        if header.government:
            self._writer.field("pemerintah", header.government)
        if header.agency:
            self._writer.field("instansi", header.agency)
            self._report.add(ReviewKind.READ, header.names_from, "agency_read", value=header.agency)
        else:
            self._not_stated("instansi")
        if header.unit:
            self._writer.field("unit", header.unit)

    def _name(self, title: str | None) -> str:
        found = self._header.fields.get("nama")
        if found is not None and found[1].strip():
            self._field("nama", required=True)
            return found[1]
        if title:
            self._writer.field(
                "nama", title, comment="no Nama SOP in the header: the table's title"
            )
            self._report.add(ReviewKind.INFERRED, "judul tabel", "name_from_title", value=title)
            return title
        self._not_stated("nama")
        return ""

    def _not_stated(self, key: str) -> None:
        self._writer.field(key, NOT_STATED, comment="not in the document")
        self._report.add(ReviewKind.CONFIRM, _HEADER, "field_not_stated", field=key)

    def _field(self, key: str, *, required: bool, none_value: str | None = None) -> None:
        found = self._header.fields.get(key)
        if found is None:
            if required:
                self._not_stated(key)
            return
        label, value, where = found
        self._keep_label(key, label)
        text = " ".join(value.split())
        if text in NOTHING:
            if none_value is not None:
                self._writer.field(key, none_value, comment=f"{label}: blank in the document")
            elif required:
                self._writer.field(key, NOT_STATED, comment=f"{label}: blank in the document")
                self._report.add(ReviewKind.CONFIRM, where, "field_blank", field=key, label=label)
            return
        self._writer.field(key, text)
        self._report.add(ReviewKind.READ, where, "field_read", label=label, value=text)

    def _keep_label(self, key: str, label: str) -> None:
        label = " ".join(label.split()).rstrip(":").strip()
        if label and label != DEFAULT_LABELS.get(key):
            self._labels[key] = label

    def _approver(self) -> None:
        found = self._header.fields.get("disahkan_oleh")
        if found is not None:
            self._keep_label("disahkan_oleh", found[0])
        if found is None or not found[1].strip():
            self._not_stated("disahkan_oleh")
            return
        _, value, where = found
        parts = split_approver(value)
        block = {
            "jabatan": parts.get("jabatan", NOT_STATED),
            "nama": parts.get("nama", NOT_STATED),
        }
        block |= {key: parts[key] for key in ("pangkat", "nip") if key in parts}
        self._writer.mapping("disahkan_oleh", block)
        self._report.add(
            ReviewKind.INFERRED,
            where,
            "approver_split",
            jabatan=block["jabatan"],
            nama=block["nama"],
        )

    def _lists(self) -> None:
        for key, items in self._header.lists.items():
            self._keep_label(key, items.label)
            if items.intro is not None or items.numbering is not Numbering.NUMBER_DOT:
                self._writer.header_list(
                    key, items.items, intro=items.intro, numbering=items.numbering
                )
            else:
                self._writer.header_list(key, items.items)
            self._report.add(
                ReviewKind.READ, items.where, "list_read", label=items.label, count=len(items.items)
            )

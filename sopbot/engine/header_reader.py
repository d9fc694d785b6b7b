"""Reading the identity header ('sop') of a definition file: the Identitas of the paper SOP.

Part of loading a definition (sopbot/engine/loader.py builds the whole); the format is
documented in docs/sop-format.md.
"""

from __future__ import annotations

from yaml.nodes import Node

from sopbot.engine.definition import Approver, SopIdentity
from sopbot.engine.limits import HEADER_LISTS, MAX_LIST_ITEMS, TEXT_CAPS
from sopbot.engine.written_dates import WrittenDate, WrittenDateError, parse_written_date
from sopbot.engine.yaml_nodes import NodeReader, line_of

_HEADER_REQUIRED = {
    "nomor": "Nomor SOP; write 'nomor: ~' when the document has none",
    "nama": "Nama SOP",
    "instansi": "the agency as the document names it",
    "tanggal_pembuatan": "Tanggal Pembuatan",
    "tanggal_efektif": "Tanggal Efektif",
    "disahkan_oleh": "Disahkan Oleh: jabatan, nama, pangkat, nip",
}
_HEADER_OPTIONAL = ("pemerintah", "unit", "tanggal_revisi", "revisi", *HEADER_LISTS)
_APPROVER_REQUIRED = {"jabatan": "the approving position", "nama": "the approving official"}
_APPROVER_OPTIONAL = ("pangkat", "nip")
_NIP_DIGITS = 18


def version_of(identity: SopIdentity) -> str:
    """An explicit revision wins; otherwise the revision date, otherwise the effective date."""
    if identity.revision:
        return f"revisi {identity.revision}"
    dated = identity.revised_on.value or identity.effective_on.value
    return dated.isoformat() if dated else "tanpa-tanggal"


class HeaderReader:
    """Reads the header mapping into a SopIdentity, recording every problem on the reader."""

    def __init__(self, reader: NodeReader) -> None:
        self.r = reader

    def identity(self, node: Node, owner_line: int) -> SopIdentity | None:
        where = "the header 'sop'"
        fields = self.r.mapping(
            node,
            where,
            required=_HEADER_REQUIRED,
            optional=_HEADER_OPTIONAL,
            owner_line=owner_line,
        )
        if fields is None:
            return None
        number = self.r.optional_text(
            fields.get("nomor"), "'nomor' in the header", cap=TEXT_CAPS["sop.nomor"]
        )
        name = self._required_text(fields, "sop", "nama", "'nama' in the header")
        agency = self._required_text(fields, "sop", "instansi", "'instansi' in the header")
        created = self._date(fields, "tanggal_pembuatan", required=True)
        revised = self._date(fields, "tanggal_revisi", required=False)
        effective = self._date(fields, "tanggal_efektif", required=True)
        approver = (
            self._approver(fields["disahkan_oleh"], fields.line("disahkan_oleh"))
            if "disahkan_oleh" in fields
            else None
        )
        revision_node = fields.get("revisi")
        revision = self.r.optional_text(
            revision_node, "'revisi' in the header", cap=TEXT_CAPS["sop.revisi"]
        )
        lists = {
            key: self.r.text_list(
                fields.get(key),
                f"'{key}' in the header",
                cap=TEXT_CAPS[f"sop.{key}"],
                max_items=MAX_LIST_ITEMS,
            )
            for key in HEADER_LISTS
        }
        if (
            name is None
            or agency is None
            or created is None
            or revised is None
            or effective is None
            or approver is None
        ):
            return None
        return SopIdentity(
            number=number or None,
            name=name,
            agency=agency,
            government=self.r.optional_text(
                fields.get("pemerintah"), "'pemerintah'", cap=TEXT_CAPS["sop.pemerintah"]
            )
            or None,
            unit=self.r.optional_text(
                fields.get("unit"), "'unit' in the header", cap=TEXT_CAPS["sop.unit"]
            )
            or None,
            created_on=created,
            revised_on=revised,
            effective_on=effective,
            approved_by=approver,
            revision=revision or None,
            legal_basis=lists["dasar_hukum"],
            executor_qualifications=lists["kualifikasi_pelaksana"],
            related_sops=lists["keterkaitan"],
            equipment=lists["peralatan_perlengkapan"],
            warnings=lists["peringatan"],
            records=lists["pencatatan_pendataan"],
        )

    def _required_text(
        self, fields: dict[str, Node], section: str, key: str, where: str
    ) -> str | None:
        if key not in fields:
            return None
        return self.r.text(fields[key], where, cap=TEXT_CAPS[f"{section}.{key}"], allow_empty=False)

    def _date(self, fields: dict[str, Node], key: str, *, required: bool) -> WrittenDate | None:
        node = fields.get(key)
        if node is None:
            return None if required else WrittenDate("", None)
        text = self.r.text(node, f"'{key}'", cap=TEXT_CAPS[f"sop.{key}"])
        if text is None:
            return None
        try:
            written = parse_written_date(text)
        except WrittenDateError as exc:
            self.r.error(line_of(node), f"'{key}': {exc}")
            return None
        if required and written.is_blank:
            self.r.error(line_of(node), f"'{key}' is blank; the SOP must say this date")
            return None
        return written

    def _approver(self, node: Node, owner_line: int) -> Approver | None:
        where = "'disahkan_oleh'"
        fields = self.r.mapping(
            node,
            where,
            required=_APPROVER_REQUIRED,
            optional=_APPROVER_OPTIONAL,
            owner_line=owner_line,
        )
        if fields is None:
            return None
        position = self._required_text(
            fields, "disahkan_oleh", "jabatan", "'jabatan' in 'disahkan_oleh'"
        )
        name = self._required_text(fields, "disahkan_oleh", "nama", "'nama' in 'disahkan_oleh'")
        rank = self.r.optional_text(
            fields.get("pangkat"),
            "'pangkat' in 'disahkan_oleh'",
            cap=TEXT_CAPS["disahkan_oleh.pangkat"],
        )
        nip = self._nip(fields.get("nip"))
        if position is None or name is None:
            return None
        return Approver(position=position, name=name, rank=rank or None, nip=nip or None)

    def _nip(self, node: Node | None) -> str | None:
        nip = self.r.optional_text(
            node, "'nip' in 'disahkan_oleh'", cap=TEXT_CAPS["disahkan_oleh.nip"]
        )
        if not nip or node is None:
            return nip
        digits = nip.replace(" ", "")
        if not digits.isdigit() or len(digits) != _NIP_DIGITS:
            self.r.error(
                line_of(node),
                f"the NIP '{nip}' in 'disahkan_oleh' is not a NIP: a NIP "
                "has 18 digits (spaces between groups are allowed)",
            )
        return nip

"""Reading the identity header ('sop') of a definition file: the Identitas of the paper SOP.

Part of loading a definition (sopbot/engine/loader.py builds the whole); the format is
documented in docs/sop-format.md.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode

from sopbot.engine.definition import Approver, SopIdentity
from sopbot.engine.header_fields import DEFAULT_LABELS, NOT_STATED, ListStyle, Numbering
from sopbot.engine.limits import HEADER_LISTS, MAX_LIST_ITEMS, TEXT_CAPS
from sopbot.engine.written_dates import WrittenDate, WrittenDateError, parse_written_date
from sopbot.engine.yaml_nodes import Fields, NodeReader, is_plain_number, line_of

_NOT_STATED_HINT = f"'{NOT_STATED}' when the document does not state it"
_HEADER_REQUIRED = {
    "nomor": f"Nomor SOP; write 'nomor: ~' when the document has none, {_NOT_STATED_HINT}",
    "nama": f"Nama SOP; {_NOT_STATED_HINT}",
    "instansi": f"the agency as the document names it; {_NOT_STATED_HINT}",
    "tanggal_pembuatan": f"Tanggal Pembuatan; {_NOT_STATED_HINT}",
    "tanggal_efektif": f"Tanggal Efektif; {_NOT_STATED_HINT}",
    "disahkan_oleh": f"Disahkan Oleh: jabatan, nama, pangkat, nip; {_NOT_STATED_HINT}",
}
_HEADER_OPTIONAL = (
    "pemerintah",
    "unit",
    "tanggal_revisi",
    "revisi",
    "label",
    "judul_tabel",
    *HEADER_LISTS,
)
_APPROVER_REQUIRED = {
    "jabatan": f"the approving position; {_NOT_STATED_HINT}",
    "nama": f"the approving official; {_NOT_STATED_HINT}",
}
_APPROVER_OPTIONAL = ("pangkat", "nip")
_LIST_REQUIRED = {"butir": "the items, one per numbered line of the document"}
_LIST_OPTIONAL = ("pengantar", "penomoran")
_NIP_DIGITS = 18


def version_of(identity: SopIdentity, digest: str) -> str:
    """An explicit revision wins; otherwise the revision date, otherwise the effective date,
    otherwise (a document that states no effective date) the date it was made.

    A definition that states no date at all is "tanpa-tanggal-" and the start of its digest, so
    that two edits of it are told apart by their version too.
    """
    if identity.revision:
        return f"revisi {identity.revision}"
    dated = identity.revised_on.value or identity.effective_on.value or identity.created_on.value
    return dated.isoformat() if dated else f"tanpa-tanggal-{digest[:8]}"


def is_not_stated(node: Node | None) -> bool:
    """True for the value `tidak_tercantum`: the document does not state this field."""
    return isinstance(node, ScalarNode) and str(node.value).strip() == NOT_STATED


class HeaderReader:
    """Reads the header mapping into a SopIdentity, recording every problem on the reader.

    `file_name` is the title shown for an SOP whose document states no name and no table title.
    """

    def __init__(self, reader: NodeReader, *, file_name: str) -> None:
        self.r = reader
        self.file_name = file_name
        self.not_stated: set[str] = set()

    def identity(self, node: Node, owner_line: int) -> SopIdentity | None:
        """The header, or None when it has errors (all of them recorded)."""
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
        number = (
            None
            if self._marked_not_stated(fields, "nomor")
            else self.r.optional_text(
                fields.get("nomor"), "'nomor' in the header", cap=TEXT_CAPS["sop.nomor"]
            )
        )
        table_title = self._optional(fields, "judul_tabel", "'judul_tabel' in the header")
        name = self._name(fields, table_title)
        agency = self._required_text(fields, "sop", "instansi", "'instansi' in the header")
        created = self._date(fields, "tanggal_pembuatan", required=True)
        revised = self._date(fields, "tanggal_revisi", required=False)
        effective = self._date(fields, "tanggal_efektif", required=True)
        approver = (
            self._approver(fields["disahkan_oleh"], fields.line("disahkan_oleh"))
            if "disahkan_oleh" in fields
            else None
        )
        revision = self._optional(fields, "revisi", "'revisi' in the header")
        lists = {
            key: self._header_list(fields.get(key), key, fields.key_lines.get(key))
            for key in HEADER_LISTS
        }
        labels = self._labels(fields.get("label"))
        if (
            name is None
            or agency is None
            or created is None
            or revised is None
            or effective is None
            or approver is None
            or labels is None
            or any(items is None for items, _ in lists.values())
        ):
            return None
        return SopIdentity(
            number=number or None,
            name=name,
            agency=agency,
            government=self._optional(fields, "pemerintah", "'pemerintah'") or None,
            unit=self._optional(fields, "unit", "'unit' in the header") or None,
            created_on=created,
            revised_on=revised,
            effective_on=effective,
            approved_by=approver,
            revision=revision or None,
            legal_basis=lists["dasar_hukum"][0] or (),
            executor_qualifications=lists["kualifikasi_pelaksana"][0] or (),
            related_sops=lists["keterkaitan"][0] or (),
            equipment=lists["peralatan_perlengkapan"][0] or (),
            warnings=lists["peringatan"][0] or (),
            records=lists["pencatatan_pendataan"][0] or (),
            not_stated=frozenset(self.not_stated),
            labels=labels,
            table_title=table_title or None,
            list_styles=tuple(
                (key, style) for key, (_, style) in lists.items() if style is not None
            ),
        )

    def _marked_not_stated(
        self, fields: Fields, key: str, section: str = "sop", why: str = ""
    ) -> bool:
        """True (with its warning recorded) when a required field is `tidak_tercantum`."""
        node = fields.get(key)
        if not is_not_stated(node):
            return False
        assert node is not None  # noqa: S101 - is_not_stated is False for None
        self.not_stated.add(key if section == "sop" else f"{section}.{key}")
        shown_key = f"'{key}'" if section == "sop" else f"'{key}' in '{section}'"
        self.r.warning(
            line_of(node),
            f"{shown_key} is marked {NOT_STATED}: the document does not state it{why}",
        )
        return True

    def _name(self, fields: Fields, table_title: str | None) -> str | None:
        """Nama SOP; the table's title, or else the file name, when the document states none."""
        shown_instead = table_title or self.file_name
        source = "the table title" if table_title else "the file name"
        if self._marked_not_stated(
            fields, "nama", why=f"; the SOP is shown as '{shown_instead}' ({source})"
        ):
            return shown_instead
        return self._required_text(fields, "sop", "nama", "'nama' in the header")

    def _required_text(self, fields: Fields, section: str, key: str, where: str) -> str | None:
        if key not in fields:
            return None
        if self._marked_not_stated(fields, key, section):
            return ""
        return self.r.text(fields[key], where, cap=TEXT_CAPS[f"{section}.{key}"], allow_empty=False)

    def _optional(self, fields: Fields, key: str, where: str, section: str = "sop") -> str | None:
        """An optional text; `tidak_tercantum` is refused (leaving the key out says that)."""
        node = fields.get(key)
        if is_not_stated(node):
            assert node is not None  # noqa: S101 - is_not_stated is False for None
            self.r.error(
                line_of(node),
                f"{where} is optional: leave it out when the document does not state it "
                f"({NOT_STATED} is for the required fields)",
            )
            return None
        return self.r.optional_text(node, where, cap=TEXT_CAPS[f"{section}.{key}"])

    def _date(self, fields: Fields, key: str, *, required: bool) -> WrittenDate | None:
        node = fields.get(key)
        if node is None:
            return None if required else WrittenDate("", None)
        if required and self._marked_not_stated(fields, key):
            return WrittenDate("", None)
        if not required and is_not_stated(node):
            self._optional(fields, key, f"'{key}'")  # reports the problem
            return None
        text = self.r.text(node, f"'{key}'", cap=TEXT_CAPS[f"sop.{key}"])
        if text is None:
            return None
        try:
            written = parse_written_date(
                text, none_hint=_NOT_STATED_HINT if required else "'-' when there is none"
            )
        except WrittenDateError as exc:
            self.r.error(line_of(node), f"'{key}': {exc}")
            return None
        if required and written.is_blank:
            self.r.error(
                line_of(node),
                f"'{key}' is blank; write the date as the document states it, or "
                f"'{key}: {NOT_STATED}' when the document does not state it",
            )
            return None
        return written

    def _approver(self, node: Node, owner_line: int) -> Approver | None:
        where = "'disahkan_oleh'"
        if is_not_stated(node):
            self.not_stated.update({"disahkan_oleh", "disahkan_oleh.jabatan", "disahkan_oleh.nama"})
            self.r.warning(
                line_of(node),
                f"'disahkan_oleh' is marked {NOT_STATED}: the document does not state it",
            )
            return Approver(position="", name="")
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
        rank = self._optional(
            fields, "pangkat", "'pangkat' in 'disahkan_oleh'", section="disahkan_oleh"
        )
        nip = self._nip(fields)
        if position is None or name is None:
            return None
        return Approver(position=position, name=name, rank=rank or None, nip=nip or None)

    def _labels(self, node: Node | None) -> tuple[tuple[str, str], ...] | None:
        """The document's own labels: `label: {tanggal_efektif: Tanggal Pengesahan, ...}`."""
        if node is None:
            return ()
        fields = self.r.mapping(node, "'label' in the header", required={}, optional=DEFAULT_LABELS)
        if fields is None:
            return None
        labels: list[tuple[str, str]] = []
        ok = True
        for key, value in fields.items():
            label = self.r.text(
                value, f"the label of '{key}'", cap=TEXT_CAPS["sop.label"], allow_empty=False
            )
            if label is None:
                ok = False
            else:
                labels.append((key, label))
        return tuple(labels) if ok else None

    def _header_list(
        self, node: Node | None, key: str, owner_line: int | None
    ) -> tuple[tuple[str, ...] | None, ListStyle | None]:
        """A header list's items, and its style when written as a mapping with an intro line or
        a numbering; (None, None) when it has errors."""
        where = f"'{key}' in the header"
        if not isinstance(node, MappingNode):
            items = self.r.text_list(
                node, where, cap=TEXT_CAPS[f"sop.{key}"], max_items=MAX_LIST_ITEMS
            )
            return items, None
        fields = self.r.mapping(
            node, where, required=_LIST_REQUIRED, optional=_LIST_OPTIONAL, owner_line=owner_line
        )
        if fields is None:
            return None, None
        items = self.r.text_list(
            fields.get("butir"),
            f"'butir' of {where}",
            cap=TEXT_CAPS[f"sop.{key}"],
            max_items=MAX_LIST_ITEMS,
        )
        intro = self.r.optional_text(
            fields.get("pengantar"), f"'pengantar' of {where}", cap=TEXT_CAPS["sop.pengantar"]
        )
        numbering = self._numbering(fields.get("penomoran"), where)
        if "butir" not in fields or numbering is None:
            return None, None
        return items, ListStyle(intro=intro or None, numbering=numbering)

    def _numbering(self, node: Node | None, where: str) -> Numbering | None:
        if node is None:
            return Numbering.NUMBER_DOT
        text = self.r.text(
            node, f"'penomoran' of {where}", cap=TEXT_CAPS["sop.penomoran"], allow_empty=False
        )
        if text is None:
            return None
        try:
            return Numbering(text)
        except ValueError:
            self.r.error(
                line_of(node),
                f"unknown penomoran '{text}' for {where}; write the first item's marker as "
                "the document numbers it: " + ", ".join(f'"{n.value}"' for n in Numbering),
            )
            return None

    def _nip(self, fields: Fields) -> str | None:
        node = fields.get("nip")
        nip = self._optional(fields, "nip", "'nip' in 'disahkan_oleh'", section="disahkan_oleh")
        if not nip or node is None:
            return nip
        digits = nip.replace(" ", "")
        if not is_plain_number(digits) or len(digits) != _NIP_DIGITS:
            self.r.error(
                line_of(node),
                f"the NIP '{nip}' in 'disahkan_oleh' is not a NIP: a NIP "
                "has 18 digits (spaces between groups are allowed)",
            )
        return nip

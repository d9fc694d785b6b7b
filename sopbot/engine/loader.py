"""Loading one SOP definition file: read it whole, report every problem, build it only if clean.

The file format is documented in docs/sop-format.md. Keys are the Indonesian words of the SOP
form (the people who write these files work from the paper SOP); values are kept as written.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode

from sopbot.engine.definition import (
    END,
    Approver,
    Assignment,
    Decision,
    OutputKind,
    Role,
    SopDefinition,
    SopIdentity,
    Step,
)
from sopbot.engine.durations import StandardTime
from sopbot.engine.flow_checks import check_flow
from sopbot.engine.limits import (
    HEADER_LISTS,
    MAX_FILE_BYTES,
    MAX_LIST_ITEMS,
    MAX_ROLES,
    MAX_STEPS,
    TEXT_CAPS,
)
from sopbot.engine.problems import Problem, Severity
from sopbot.engine.time_fields import standard_time_field
from sopbot.engine.written_dates import WrittenDate, WrittenDateError, parse_written_date
from sopbot.engine.yaml_nodes import NodeReader, canonical, closest, is_null, line_of, shown

_SECTIONS = {
    "sop": "the identity header of the SOP",
    "pelaksana": "the Pelaksana columns, in document order",
    "langkah": "the steps of the procedure table",
}
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
_ROLE_REQUIRED = {"id": "a short key used by the steps", "nama": "the column title as written"}
_ROLE_OPTIONAL = ("pemegang",)
_STEP_REQUIRED = {
    "no": "the step number",
    "kegiatan": "the activity as written",
    "pelaksana": "the id of the role that does the step",
    "waktu": "the standard time, e.g. '5 Menit'",
    "jenis_output": "dokumen, catatan or tidak_ada",
}
_STEP_OPTIONAL = (
    "kelengkapan",
    "output",
    "keterangan",
    "pemegang",
    "lanjut",
    "keputusan",
    "waktu_ulang",  # the standard time of a rework round
)
_DECISION_REQUIRED = {
    "ya": "the step the work goes on to when the answer is 'ya'",
    "tidak": "the step the work goes back to when the answer is 'tidak'",
}
_DECISION_OPTIONAL = ("pertanyaan",)

_Choice = TypeVar("_Choice", Assignment, OutputKind)
_ROLE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_END_WORDS = frozenset({"selesai", "end"})
_NIP_DIGITS = 18


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A file's outcome: the definition (only when it has no errors) and all its problems."""

    definition: SopDefinition | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that keep the file from loading."""
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)


def load_definition_file(path: Path, *, sop_id: str, agency_key: str, shown_as: str) -> LoadResult:
    """Load a definition file; `shown_as` is the file name used in problem messages.

    No more than MAX_FILE_BYTES + 1 bytes are read: a larger file is refused whatever it holds.
    """
    try:
        data = _read_capped(path)
    except OSError as exc:
        return LoadResult(None, (Problem(shown_as, 1, f"cannot read the file: {exc.strerror}"),))
    if isinstance(data, str):
        return LoadResult(None, (Problem(shown_as, 1, data),))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return LoadResult(
            None, (Problem(shown_as, 1, "the file is not UTF-8 text; save it as UTF-8"),)
        )
    return parse_definition(text, source=shown_as, sop_id=sop_id, agency_key=agency_key)


def _read_capped(path: Path) -> bytes | str:
    """The file's bytes, or (as text) the reason they are not read."""
    # Opened without blocking, so that a pipe put where a file was expected cannot hang the
    # start-up; what was opened is checked, not what the name pointed at a moment before.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            return "this is not a regular file; an SOP definition is a .yaml file"
        # Never more than the cap is read, whatever size the file claims.
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return _too_big(max(status.st_size, len(data)))
    return data


def _too_big(size: int) -> str:
    """The problem of a file (or text) of `size` bytes, over the cap."""
    return (
        f"the file is {size:,} bytes; an SOP definition file may be at most "
        f"{MAX_FILE_BYTES:,} bytes (1 MB), far more than any real SOP needs: check that it is "
        "the right file, or split the SOP into several"
    )


def parse_definition(text: str, *, source: str, sop_id: str, agency_key: str) -> LoadResult:
    """Parse and validate a definition's text; the definition is built only if it has no errors."""
    reader = NodeReader(source)
    # (A lone surrogate cannot come from a file read as UTF-8; it is counted, and the YAML
    # reader reports it, rather than failing the encoding.)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        reader.error(1, _too_big(size))
        return LoadResult(None, tuple(reader.problems))
    root = reader.compose(text)
    if root is None and not reader.problems:
        reader.error(
            1,
            "the file is empty; an SOP definition needs the sections 'sop', "
            "'pelaksana' and 'langkah'",
        )
    definition = None
    if root is not None:
        builder = _Builder(reader)
        parts = builder.build(root)
        if parts is not None and not reader.has_errors:
            identity, roles, steps = parts
            definition = SopDefinition(
                id=sop_id,
                agency_key=agency_key,
                identity=identity,
                roles=roles,
                steps=steps,
                version=_version_of(identity),
                digest=_digest_of(root),
                source=source,
                source_text=text,
            )
    problems = tuple(sorted(reader.problems, key=lambda p: p.line))
    return LoadResult(definition, problems)


def _version_of(identity: SopIdentity) -> str:
    """An explicit revision wins; otherwise the revision date, otherwise the effective date."""
    if identity.revision:
        return f"revisi {identity.revision}"
    dated = identity.revised_on.value or identity.effective_on.value
    return dated.isoformat() if dated else "tanpa-tanggal"


def _digest_of(root: Node) -> str:
    """A hash of the content (not of comments or layout), to notice edits under one version."""
    text = json.dumps(canonical(root), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _RawStep:
    """A step as read, before its targets are checked against the other steps."""

    number: int | None
    line: int
    activity: str | None
    role: str | None
    role_line: int
    standard_time: StandardTime | None
    output_kind: OutputKind | None
    assignment: Assignment | None
    inputs: str
    output: str
    remarks: str
    next_target: tuple[int, int] | None  # (target, line) when 'lanjut' is given
    decision: tuple[str | None, tuple[int, int] | None, tuple[int, int] | None] | None
    decision_line: int
    rework_time: StandardTime | None = None  # 'waktu_ulang'


class _Builder:
    """Turns a node tree into definition parts, recording every problem on the reader."""

    def __init__(self, reader: NodeReader) -> None:
        self.r = reader

    def build(self, root: Node) -> tuple[SopIdentity, tuple[Role, ...], tuple[Step, ...]] | None:
        if is_null(root):
            self.r.error(
                line_of(root),
                "the file is empty; an SOP definition needs the sections "
                "'sop', 'pelaksana' and 'langkah'",
            )
            return None
        if not isinstance(root, MappingNode):
            self.r.error(
                line_of(root),
                "the file must be a mapping with the sections 'sop', 'pelaksana' and 'langkah'",
            )
            return None
        sections = self.r.mapping(root, "the file", required=_SECTIONS)
        if sections is None:
            return None
        identity = (
            self._identity(sections["sop"], sections.line("sop")) if "sop" in sections else None
        )
        roles = (
            self._roles(sections["pelaksana"], sections.line("pelaksana"))
            if "pelaksana" in sections
            else None
        )
        steps = (
            self._steps(sections["langkah"], sections.line("langkah"), roles or {})
            if "langkah" in sections
            else None
        )
        if roles is not None and steps is not None:
            used = {s.role for s in steps}
            for key, (role, line) in roles.items():
                if key not in used:
                    self.r.warning(
                        line,
                        f"role '{key}' ({role.name}) does no step; remove it or give it a step",
                    )
        if identity is None or roles is None or steps is None:
            return None
        return identity, tuple(role for role, _ in roles.values()), steps

    # -- identity header -------------------------------------------------------------------

    def _identity(self, node: Node, owner_line: int) -> SopIdentity | None:
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

    # -- roles -----------------------------------------------------------------------------

    def _roles(self, node: Node, owner_line: int) -> dict[str, tuple[Role, int]] | None:
        items = self.r.sequence(node, "'pelaksana'")
        if items is None:
            return None
        if not items:
            self.r.error(
                line_of(node), "'pelaksana' has no roles; list the Pelaksana columns of the SOP"
            )
            return None
        if len(items) > MAX_ROLES:
            self.r.error(
                owner_line,
                f"'pelaksana' has {len(items):,} roles; an SOP may have at most {MAX_ROLES} "
                "Pelaksana columns: check that each item is a column of the SOP's table",
            )
            return None
        roles: dict[str, tuple[Role, int]] = {}
        names: dict[str, int] = {}
        ok = True
        for index, item in enumerate(items, start=1):
            role = self._role(item, index)
            if role is None:
                ok = False
                continue
            line = line_of(item)
            if role.key in roles:
                self.r.error(
                    line,
                    f"role id '{role.key}' is used twice (first on line "
                    f"{roles[role.key][1]}); give each role its own id",
                )
                ok = False
                continue
            folded = role.name.casefold()
            if folded in names:
                self.r.error(
                    line,
                    f"two roles are named '{role.name}' (lines {names[folded]} and "
                    f"{line}); each Pelaksana column has its own name",
                )
                ok = False
            names.setdefault(folded, line)
            roles[role.key] = (role, line)
        return roles if ok else None

    def _role(self, node: Node, index: int) -> Role | None:
        shown = _peek(node, "id")
        where = f"role '{shown}'" if shown else f"item {index} of 'pelaksana'"
        fields = self.r.mapping(node, where, required=_ROLE_REQUIRED, optional=_ROLE_OPTIONAL)
        if fields is None:
            return None
        key = self._required_text(fields, "pelaksana", "id", f"the id of {where}")
        name = self._required_text(fields, "pelaksana", "nama", f"'nama' of {where}")
        if key is not None and not _ROLE_KEY.match(key):
            self.r.error(
                line_of(fields["id"]),
                f"role id '{key}' is not a valid id; use "
                "lower-case letters, digits and '_', e.g. "
                "'kepala_dinas'",
            )
            key = None
        assignment = self._assignment(fields.get("pemegang"), "pelaksana", where)
        if key is None or name is None or assignment is None:
            return None
        return Role(key=key, name=name, assignment=assignment)

    def _assignment(self, node: Node | None, section: str, where: str) -> Assignment | None:
        if node is None:
            return Assignment.ANY_ONE
        return self._choice(node, section, "pemegang", where, Assignment)

    def _choice(
        self, node: Node, section: str, key: str, where: str, kind: type[_Choice]
    ) -> _Choice | None:
        """A value that must be one of an enumeration's words."""
        text = self.r.text(
            node, f"'{key}' of {where}", cap=TEXT_CAPS[f"{section}.{key}"], allow_empty=False
        )
        if text is None:
            return None
        try:
            return kind(text)
        except ValueError:
            self.r.error(
                line_of(node),
                f"unknown {key} '{text}' for {where}; use one of: "
                + ", ".join(choice.value for choice in kind),
            )
            return None

    # -- steps -----------------------------------------------------------------------------

    def _steps(
        self, node: Node, owner_line: int, roles: dict[str, tuple[Role, int]]
    ) -> tuple[Step, ...] | None:
        items = self.r.sequence(node, "'langkah'")
        if items is None:
            return None
        if not items:
            self.r.error(line_of(node), "'langkah' has no steps; list the steps of the procedure")
            return None
        if len(items) > MAX_STEPS:
            # Refused before any step is read, so an oversized table costs no more than its
            # parsing.
            self.r.error(
                owner_line,
                f"'langkah' has {len(items):,} steps; an SOP may have at most {MAX_STEPS}: "
                "split the procedure into several SOPs and name them under 'keterkaitan'",
            )
            return None
        raws = [self._raw_step(item, index, roles) for index, item in enumerate(items, start=1)]
        ok = all(raw is not None for raw in raws)
        numbered = [raw for raw in raws if raw is not None and raw.number is not None]
        ok = self._check_numbers(numbered) and ok
        known = {raw.number for raw in numbered}
        steps: list[Step] = []
        for position, raw in enumerate(numbered):
            following = numbered[position + 1].number if position + 1 < len(numbered) else END
            step = self._resolve(raw, following if following is not None else END, known, roles)
            if step is None:
                ok = False
            else:
                steps.append(step)
        if not ok or len(steps) != len(items):
            return None
        check_flow(steps, self.r)
        return tuple(steps)

    def _check_numbers(self, numbered: list[_RawStep]) -> bool:
        ok = True
        first_line: dict[int, int] = {}
        previous: int | None = None
        for raw in numbered:
            number = raw.number
            assert number is not None  # noqa: S101 - filtered by the caller
            if number in first_line:
                self.r.error(
                    raw.line,
                    f"step number {number} is used twice (first on line "
                    f"{first_line[number]}); give each step its own number",
                )
                ok = False
                continue
            first_line[number] = raw.line
            if previous is not None and number < previous:
                self.r.error(
                    raw.line,
                    f"step {number} is listed after step {previous}; list the "
                    "steps in the order of their numbers",
                )
                ok = False
            previous = number if previous is None else max(previous, number)
        # Gaps are judged on the numbers in order, so a step that is only listed late is not
        # mistaken for a missing one.
        ordered = sorted(first_line)
        for lower, upper in itertools.pairwise(ordered):
            if upper > lower + 1:
                self.r.warning(
                    first_line[upper],
                    f"step numbers jump from {lower} to {upper}; is a step missing?",
                )
        return ok

    def _raw_step(
        self, node: Node, index: int, roles: dict[str, tuple[Role, int]]
    ) -> _RawStep | None:
        shown = _peek(node, "no")
        where = f"step {shown}" if shown else f"item {index} of 'langkah'"
        fields = self.r.mapping(node, where, required=_STEP_REQUIRED, optional=_STEP_OPTIONAL)
        if fields is None:
            return None
        number = self._step_number(fields.get("no"), where)
        activity = self._required_text(fields, "langkah", "kegiatan", f"'kegiatan' of {where}")
        role = self._step_role(fields.get("pelaksana"), where, roles)
        standard_time = standard_time_field(self.r, fields.get("waktu"), where)
        rework_time = standard_time_field(self.r, fields.get("waktu_ulang"), where, "waktu_ulang")
        output_kind = self._output_kind(fields.get("jenis_output"), where)
        assignment = (
            self._assignment(fields["pemegang"], "langkah", where) if "pemegang" in fields else None
        )
        next_target = (
            self._target(fields["lanjut"], f"'lanjut' of {where}") if "lanjut" in fields else None
        )
        decision = (
            self._decision(fields["keputusan"], where, fields.line("keputusan"))
            if "keputusan" in fields
            else None
        )
        both_ways = "lanjut" in fields and "keputusan" in fields
        if both_ways:
            self.r.error(
                fields.line("lanjut"),
                f"{where} has both 'lanjut' and 'keputusan'; a "
                "decision step goes on by its 'ya' and 'tidak' "
                "branches only",
            )
        broken = (
            both_ways
            or number is None
            or activity is None
            or role is None
            or standard_time is None
            or ("waktu_ulang" in fields and rework_time is None)
            or output_kind is None
            or ("pemegang" in fields and assignment is None)
            or ("lanjut" in fields and next_target is None)
            or ("keputusan" in fields and decision is None)
        )
        raw = _RawStep(
            number=number,
            line=line_of(node),
            activity=activity,
            role=role,
            role_line=line_of(fields["pelaksana"]) if "pelaksana" in fields else line_of(node),
            standard_time=standard_time,
            output_kind=output_kind,
            assignment=assignment,
            inputs=self._optional_step_text(fields, "kelengkapan", where),
            output=self._optional_step_text(fields, "output", where),
            remarks=self._optional_step_text(fields, "keterangan", where),
            next_target=next_target,
            decision=decision,
            decision_line=fields.line("keputusan") if "keputusan" in fields else 0,
            rework_time=rework_time,
        )
        if broken:
            # Keep a step with a readable number so that duplicate and order checks still run.
            return raw if number is not None else None
        return raw

    def _optional_step_text(self, fields: dict[str, Node], key: str, where: str) -> str:
        text = self.r.optional_text(
            fields.get(key), f"'{key}' of {where}", cap=TEXT_CAPS[f"langkah.{key}"]
        )
        return text or ""

    def _step_number(self, node: Node | None, where: str) -> int | None:
        if node is None:
            return None
        number = self.r.whole_number(node, f"'no' of {where}")
        if number is not None and number < 1:
            self.r.error(line_of(node), f"step number {number} must be 1 or more")
            return None
        return number

    def _step_role(
        self, node: Node | None, where: str, roles: dict[str, tuple[Role, int]]
    ) -> str | None:
        if node is None:
            return None
        key = self.r.text(
            node, f"'pelaksana' of {where}", cap=TEXT_CAPS["langkah.pelaksana"], allow_empty=False
        )
        if key is None:
            return None
        if roles and key not in roles:
            close = closest(key, list(roles))
            hint = f"did you mean '{close}'?" if close else "known: " + ", ".join(roles)
            self.r.error(
                line_of(node),
                f"{where}: unknown pelaksana '{key}'; use the id of a "
                f"role under 'pelaksana' ({hint})",
            )
            return None
        return key

    def _output_kind(self, node: Node | None, where: str) -> OutputKind | None:
        if node is None:
            return None
        return self._choice(node, "langkah", "jenis_output", where, OutputKind)

    def _target(self, node: Node, where: str) -> tuple[int, int] | None:
        if isinstance(node, ScalarNode) and str(node.value).strip().lower() in _END_WORDS:
            return END, line_of(node)
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:int":
            number = self.r.whole_number(node, where)
            return (number, line_of(node)) if number is not None else None
        written = shown(str(node.value)) if isinstance(node, ScalarNode) else "a list or mapping"
        self.r.error(line_of(node), f"{where} must be a step number or 'selesai', not '{written}'")
        return None

    def _decision(
        self, node: Node, where: str, owner_line: int
    ) -> tuple[str | None, tuple[int, int] | None, tuple[int, int] | None] | None:
        decision_where = f"the decision ('keputusan') of {where}"
        fields = self.r.mapping(
            node,
            decision_where,
            required=_DECISION_REQUIRED,
            optional=_DECISION_OPTIONAL,
            owner_line=owner_line,
        )
        if fields is None:
            return None
        question = self.r.optional_text(
            fields.get("pertanyaan"),
            f"'pertanyaan' of {where}",
            cap=TEXT_CAPS["keputusan.pertanyaan"],
        )
        yes = self._target(fields["ya"], f"'ya' of {where}") if "ya" in fields else None
        no = self._target(fields["tidak"], f"'tidak' of {where}") if "tidak" in fields else None
        if yes is None or no is None:
            return None
        return question or None, yes, no

    def _resolve(
        self,
        raw: _RawStep,
        following: int,
        known: set[int | None],
        roles: dict[str, tuple[Role, int]],
    ) -> Step | None:
        """Check a step's targets against the other steps and build it."""
        number = raw.number
        if (
            number is None
            or raw.activity is None
            or raw.role is None
            or raw.standard_time is None
            or raw.output_kind is None
        ):
            return None
        ok = True
        next_step = following
        if raw.next_target is not None:
            ok = self._check_target(raw.next_target, "'lanjut'", number, known)
            next_step = raw.next_target[0]
        decision = None
        if raw.decision is not None:
            question, yes, no = raw.decision
            if yes is None or no is None:
                return None
            ok = self._check_decision(number, raw.decision_line, yes, no, known) and ok
            decision = Decision(question=question, yes=yes[0], no=no[0])
        # The roles may have been refused (their problems are already reported); the step's own
        # checks still run against whatever is known.
        role_entry = roles.get(raw.role)
        role_assignment = role_entry[0].assignment if role_entry else Assignment.ANY_ONE
        assignment = raw.assignment or role_assignment
        if decision is not None and assignment is Assignment.EVERY_HOLDER:
            self.r.error(
                raw.role_line,
                f"step {number} is a decision but every holder of '{raw.role}' "
                "would do it (pemegang: semua); a decision is taken by one "
                "person, set pemegang: salah_satu on the step",
            )
            ok = False
        if not ok:
            return None
        return Step(
            number=number,
            activity=raw.activity,
            role=raw.role,
            standard_time=raw.standard_time,
            output_kind=raw.output_kind,
            assignment=assignment,
            inputs=raw.inputs,
            output=raw.output,
            remarks=raw.remarks,
            next=next_step,
            decision=decision,
            line=raw.line,
            rework_time=raw.rework_time,
        )

    def _check_target(
        self, target: tuple[int, int], label: str, number: int, known: set[int | None]
    ) -> bool:
        """Whether a target of step `number` is the end or another step that exists; a
        problem is reported when it is not."""
        value, line = target
        where = f"step {number}"
        if value == END:
            return True
        if value == number:
            self.r.error(
                line,
                f"{label} of {where} points at step {number} itself; point it at another step",
            )
            return False
        if value not in known:
            self.r.error(line, f"{label} of {where} goes to step {value}, which does not exist")
            return False
        return True

    def _check_decision(
        self,
        number: int,
        line: int,
        yes: tuple[int, int],
        no: tuple[int, int],
        known: set[int | None],
    ) -> bool:
        """Whether both ways of the decision of step `number` (written on `line`) lead to steps
        that exist, and to different places; every problem is reported."""
        ok = self._check_target(yes, "'ya'", number, known)
        ok = self._check_target(no, "'tidak'", number, known) and ok
        if yes[0] == no[0]:
            self.r.error(
                line,
                f"the decision of step {number} sends 'ya' and 'tidak' "
                f"to the same place; a decision needs two "
                "different ways",
            )
            ok = False
        return ok


def _peek(node: Node, key: str) -> str | None:
    """The scalar value of `key` in a mapping node, to name the item in messages."""
    if not isinstance(node, MappingNode):
        return None
    for key_node, value_node in node.value:
        if (
            isinstance(key_node, ScalarNode)
            and key_node.value == key
            and isinstance(value_node, ScalarNode)
            and not is_null(value_node)
        ):
            return shown(str(value_node.value))
    return None

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

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sopbot.engine.definition import (
    END,
    Assignment,
    Branch,
    Decision,
    DecisionAnswer,
    Executor,
    OutputKind,
    Role,
    SopDefinition,
    SopIdentity,
    Step,
    Together,
)
from sopbot.engine.durations import StandardTime
from sopbot.engine.flow_checks import check_flow
from sopbot.engine.header_reader import HeaderReader, version_of
from sopbot.engine.limits import (
    MAX_BRANCHES,
    MAX_FILE_BYTES,
    MAX_ROLES,
    MAX_STEP_EXECUTORS,
    MAX_STEPS,
    TEXT_CAPS,
)
from sopbot.engine.problems import Problem, Severity
from sopbot.engine.time_fields import standard_time_field
from sopbot.engine.yaml_nodes import (
    Fields,
    NodeReader,
    canonical,
    closest,
    is_null,
    line_of,
    shown,
)

_SECTIONS = {
    "sop": "the identity header of the SOP",
    "pelaksana": "the Pelaksana columns, in document order",
    "langkah": "the steps of the procedure table",
}
_ROLE_REQUIRED = {"id": "a short key used by the steps", "nama": "the column title as written"}
_ROLE_OPTIONAL = ("pemegang", "pihak_luar", "dicatat_oleh")
_STEP_REQUIRED = {
    "no": "the step number as the document prints it",
    "kegiatan": "the activity as written",
    "pelaksana": "the id of the role that does the step, or a list of ids",
    "waktu": "the standard time, e.g. '5 Menit'",
    "jenis_output": "dokumen, catatan or tidak_ada",
}
_STEP_OPTIONAL = (
    "id",
    "kelengkapan",
    "output",
    "keterangan",
    "pemegang",
    "bersama",
    "output_oleh",
    "lanjut",
    "keputusan",
    "pertanyaan",
    "waktu_ulang",  # the standard time of a rework round
)
_QUESTION_REQUIRED = {
    "teks": "the question as the SOP writes it",
    "pilihan": "the answers: each a 'jawaban' (the button) and the step it leads to ('lanjut')",
}
_ANSWER_REQUIRED = {
    "jawaban": "the answer as the SOP writes it, shown as the button",
    "lanjut": "the step this answer leads to, or 'selesai'",
}
_ANSWER_OPTIONAL = ("tolak", "output", "jenis_output")
_DOTTED = re.compile(r"^\d+(?:\.\d+)*$")
_DECISION_REQUIRED = {
    "ya": "the step the work goes on to when the answer is 'ya'",
    "tidak": "the step the work goes back to when the answer is 'tidak'",
}
_DECISION_OPTIONAL = ("pertanyaan",)

_Choice = TypeVar("_Choice", Assignment, OutputKind, Together)
_ROLE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_END_WORDS = frozenset({"selesai", "end"})


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
        builder = _Builder(reader, file_name=sop_id.rsplit("/", 1)[-1])
        parts = builder.build(root)
        if parts is not None and not reader.has_errors:
            identity, roles, steps = parts
            digest = _digest_of(root)
            definition = SopDefinition(
                id=sop_id,
                agency_key=agency_key,
                identity=identity,
                roles=roles,
                steps=steps,
                version=version_of(identity, digest),
                digest=digest,
                source=source,
                source_text=text,
            )
    problems = tuple(sorted(reader.problems, key=lambda p: p.line))
    return LoadResult(definition, problems)


def _digest_of(root: Node) -> str:
    """A hash of the content (not of comments or layout), to notice edits under one version."""
    text = json.dumps(canonical(root), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


Target = tuple[int | str, int]
"""A branch target as written, with its line: a step id (or END) or a published label."""


@dataclass
class _RawBranch:
    """One answer of a question as read, before its target is checked."""

    key: str
    label: str | None
    target: Target
    rejects: bool
    output: str | None
    output_kind: OutputKind | None
    line: int


@dataclass
class _RawStep:
    """A step as read, before it is numbered and its targets are checked."""

    label: str | None
    explicit_id: int | None
    line: int
    activity: str | None
    roles: tuple[str, ...] | None
    role_line: int
    together: Together | None
    output_role: str | None
    standard_time: StandardTime | None
    output_kind: OutputKind | None
    assignment: Assignment | None
    inputs: str
    output: str
    remarks: str
    next_target: Target | None  # when 'lanjut' is given
    question: str | None
    branches: list[_RawBranch] | None
    decision_line: int
    labelled: bool  # a 'pertanyaan' (True) or a 'keputusan'
    number: int | None = None  # the internal id, given once every step is read
    rework_time: StandardTime | None = None  # 'waktu_ulang'


class _Builder:
    """Turns a node tree into definition parts, recording every problem on the reader."""

    def __init__(self, reader: NodeReader, *, file_name: str) -> None:
        self.r = reader
        self.file_name = file_name  # the title of an SOP whose document states none

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
            HeaderReader(self.r, file_name=self.file_name).identity(
                sections["sop"], sections.line("sop")
            )
            if "sop" in sections
            else None
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
            used = {key for s in steps for key in s.roles}
            used |= {roles[key][0].recorded_by or key for key in used if key in roles}
            for key, (role, line) in roles.items():
                if key not in used:
                    self.r.warning(
                        line,
                        f"role '{key}' ({role.name}) does no step; remove it or give it a step",
                    )
        if identity is None or roles is None or steps is None:
            return None
        return identity, tuple(role for role, _ in roles.values()), steps

    def _required_text(
        self, fields: dict[str, Node], section: str, key: str, where: str
    ) -> str | None:
        if key not in fields:
            return None
        return self.r.text(fields[key], where, cap=TEXT_CAPS[f"{section}.{key}"], allow_empty=False)

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
        return self._check_recorders(roles) if ok else None

    def _check_recorders(
        self, roles: dict[str, tuple[Role, int]]
    ) -> dict[str, tuple[Role, int]] | None:
        """An outside party's steps are recorded by a role of the agency itself."""
        ok = True
        for role, line in roles.values():
            if role.recorded_by is None:
                continue
            recorder = roles.get(role.recorded_by)
            if recorder is None or recorder[0].external:
                what = "an outside party too" if recorder else "not a role of this SOP"
                self.r.error(
                    line,
                    f"'dicatat_oleh' of role '{role.key}' is '{role.recorded_by}', which is "
                    f"{what}; name a role of the agency under 'pelaksana'",
                )
                ok = False
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
        external = self._flag(fields.get("pihak_luar"), f"'pihak_luar' of {where}")
        recorded_by = self.r.optional_text(
            fields.get("dicatat_oleh"),
            f"'dicatat_oleh' of {where}",
            cap=TEXT_CAPS["pelaksana.dicatat_oleh"],
        )
        if external and not recorded_by and "dicatat_oleh" not in fields:
            self.r.error(
                line_of(node),
                f"{where} is an outside party (pihak_luar: ya); say which role of the agency "
                "records what it does with 'dicatat_oleh' (e.g. the official who serves it)",
            )
            return None
        if recorded_by and not external:
            self.r.error(
                fields.line("dicatat_oleh"),
                f"'dicatat_oleh' of {where} is for an outside party; add 'pihak_luar: ya' or "
                "remove it",
            )
            return None
        if key is None or name is None or assignment is None or external is None:
            return None
        return Role(
            key=key,
            name=name,
            assignment=assignment,
            external=external,
            recorded_by=recorded_by or None,
        )

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
        labelled = [raw for raw in raws if raw is not None and raw.label is not None]
        ok = self._number_steps(labelled) and ok
        # A step whose number cannot be read is already reported: a branch to it is not.
        targets = _Targets(labelled, complete=len(labelled) == len(items))
        steps: list[Step] = []
        for position, raw in enumerate(labelled):
            following = labelled[position + 1].number if position + 1 < len(labelled) else END
            step = self._resolve(raw, following if following is not None else END, targets, roles)
            if step is None:
                ok = False
            else:
                steps.append(step)
        if not ok or len(steps) != len(items):
            return None
        check_flow(steps, self.r)
        return tuple(steps)

    def _number_steps(self, raws: list[_RawStep]) -> bool:
        """Give every step its internal id and check the published numbers.

        An explicit `id` wins; otherwise a step printed with a whole number has that number as
        its id, unless an earlier step has it already (a table that repeats "3"); the others
        (sub-steps such as "5.1", repeats) get ids after the highest. The document's own
        numbering is kept as the label, so a repeat or a gap is only a warning.
        """
        ok = True
        taken: dict[int, int] = {}
        for raw in raws:
            if raw.explicit_id is None:
                continue
            if raw.explicit_id in taken:
                self.r.error(
                    raw.line,
                    f"step id {raw.explicit_id} is used twice (first on line "
                    f"{taken[raw.explicit_id]}); give each step its own id",
                )
                ok = False
                continue
            taken[raw.explicit_id] = raw.line
            raw.number = raw.explicit_id
        first_line: dict[str, int] = {}
        for raw in raws:
            label = raw.label or ""
            if label in first_line:
                how = (
                    f"A 'lanjut' or a branch names this one by its id {raw.explicit_id}"
                    if raw.explicit_id is not None
                    else "To send work to this one by a 'lanjut' or a branch, give it an 'id' "
                    "(a whole number no other step uses) and name the id"
                )
                self.r.warning(
                    raw.line,
                    f"step number {label} appears twice (first on line {first_line[label]}); "
                    f"kept as the document prints it. {how}",
                )
            first_line.setdefault(label, raw.line)
            if raw.number is None and label.isdigit() and int(label) not in taken:
                raw.number = int(label)
                taken[raw.number] = raw.line
        next_free = max(taken, default=0) + 1
        for raw in raws:
            if raw.number is None:
                raw.number = next_free
                next_free += 1
        return self._check_order(raws) and ok

    def _check_order(self, raws: list[_RawStep]) -> bool:
        """Numbers printed as numbers ("7", "5.1") must not go down; a jump is a warning."""
        ok = True
        highest: tuple[tuple[int, ...], str] | None = None
        whole: list[tuple[int, int]] = []
        for raw in raws:
            key = _label_key(raw.label or "")
            if key is None:
                continue
            if highest is not None and key < highest[0]:
                self.r.error(
                    raw.line,
                    f"step {raw.label} is listed after step {highest[1]}; list the "
                    "steps in the order of their numbers",
                )
                ok = False
            elif highest is None or key > highest[0]:
                highest = (key, raw.label or "")
            # A sub-step ("2.1") stands for its number: 1, 2.1, 2.2, 3 skips nothing.
            whole.append((key[0], raw.line))
        # Gaps are judged on the numbers in order, so a step that is only listed late is not
        # mistaken for a missing one.
        first_line: dict[int, int] = {}
        for number, line in whole:
            first_line.setdefault(number, line)
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
        shown_no = _peek(node, "no")
        where = f"step {shown_no}" if shown_no else f"item {index} of 'langkah'"
        fields = self.r.mapping(node, where, required=_STEP_REQUIRED, optional=_STEP_OPTIONAL)
        if fields is None:
            return None
        label = self._step_label(fields.get("no"), where)
        explicit_id = self._step_id(fields["id"], where) if "id" in fields else None
        activity = self._required_text(fields, "langkah", "kegiatan", f"'kegiatan' of {where}")
        executors = self._step_roles(fields.get("pelaksana"), where, roles)
        together = self._together(fields, where, executors)
        output_role = self._output_role(fields, where, executors)
        standard_time = standard_time_field(self.r, fields.get("waktu"), where)
        rework_time = standard_time_field(self.r, fields.get("waktu_ulang"), where, "waktu_ulang")
        output_kind = self._output_kind(fields.get("jenis_output"), where)
        assignment = (
            self._assignment(fields["pemegang"], "langkah", where) if "pemegang" in fields else None
        )
        next_target = (
            self._target(fields["lanjut"], f"'lanjut' of {where}") if "lanjut" in fields else None
        )
        question, branches, labelled = self._decision_or_question(fields, where)
        routed = [key for key in ("lanjut", "keputusan", "pertanyaan") if key in fields]
        both_ways = len(routed) > 1
        if both_ways:
            self.r.error(
                fields.line(routed[0]),
                f"{where} has both '{routed[0]}' and '{routed[1]}'; a step goes on either by "
                "'lanjut' or by the branches of one 'keputusan' or 'pertanyaan'",
            )
        broken = (
            both_ways
            or label is None
            or activity is None
            or executors is None
            or ("bersama" in fields and together is None)
            or ("output_oleh" in fields and output_role is None)
            or ("id" in fields and explicit_id is None)
            or standard_time is None
            or ("waktu_ulang" in fields and rework_time is None)
            or output_kind is None
            or ("pemegang" in fields and assignment is None)
            or ("lanjut" in fields and next_target is None)
            or (("keputusan" in fields or "pertanyaan" in fields) and branches is None)
        )
        raw = _RawStep(
            label=label,
            explicit_id=explicit_id,
            line=line_of(node),
            activity=activity,
            roles=executors,
            role_line=line_of(fields["pelaksana"]) if "pelaksana" in fields else line_of(node),
            together=together,
            output_role=output_role,
            standard_time=standard_time,
            output_kind=output_kind,
            assignment=assignment,
            inputs=self._optional_step_text(fields, "kelengkapan", where),
            output=self._optional_step_text(fields, "output", where),
            remarks=self._optional_step_text(fields, "keterangan", where),
            next_target=next_target,
            question=question,
            branches=branches,
            decision_line=next(
                (fields.line(k) for k in ("keputusan", "pertanyaan") if k in fields), 0
            ),
            labelled=labelled,
            rework_time=rework_time,
        )
        if broken:
            # Keep a step with a readable number so that the numbering checks still run.
            return raw if label is not None else None
        return raw

    def _optional_step_text(self, fields: dict[str, Node], key: str, where: str) -> str:
        text = self.r.optional_text(
            fields.get(key), f"'{key}' of {where}", cap=TEXT_CAPS[f"langkah.{key}"]
        )
        return text or ""

    def _step_label(self, node: Node | None, where: str) -> str | None:
        """The step number as the document prints it: "7", "5.1", "3a"."""
        if node is None:
            return None
        if isinstance(node, ScalarNode) and str(node.value).strip().isdigit():
            number = self.r.whole_number(_as_int(node), f"'no' of {where}")
            if number is not None and number < 1:
                self.r.error(line_of(node), f"step number {number} must be 1 or more")
                return None
            return str(node.value).strip() if number is not None else None
        return self.r.text(node, f"'no' of {where}", cap=TEXT_CAPS["langkah.no"], allow_empty=False)

    def _step_id(self, node: Node, where: str) -> int | None:
        number = self.r.whole_number(node, f"'id' of {where}")
        if number is not None and number < 1:
            self.r.error(line_of(node), f"the id of {where} must be 1 or more")
            return None
        return number

    def _step_roles(
        self, node: Node | None, where: str, roles: dict[str, tuple[Role, int]]
    ) -> tuple[str, ...] | None:
        """The executing roles: one id, or a list of ids (a step done by several)."""
        if node is None:
            return None
        items = node.value if isinstance(node, SequenceNode) else [node]
        if isinstance(node, SequenceNode) and not items:
            self.r.error(line_of(node), f"'pelaksana' of {where} is an empty list; name a role")
            return None
        if len(items) > MAX_STEP_EXECUTORS:
            self.r.error(
                line_of(node),
                f"'pelaksana' of {where} lists {len(items)} roles; a step may have at most "
                f"{MAX_STEP_EXECUTORS}",
            )
            return None
        keys: list[str] = []
        ok = True
        for item in items:
            key = self._step_role(item, where, roles)
            if key is None:
                ok = False
            elif key in keys:
                self.r.error(
                    line_of(item), f"'pelaksana' of {where} names '{key}' twice; name it once"
                )
                ok = False
            else:
                keys.append(key)
        return tuple(keys) if ok else None

    def _step_role(self, node: Node, where: str, roles: dict[str, tuple[Role, int]]) -> str | None:
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

    def _together(
        self, fields: Fields, where: str, executors: tuple[str, ...] | None
    ) -> Together | None:
        node = fields.get("bersama")
        several = executors is not None and len(executors) > 1
        if node is None:
            if several:
                self.r.error(
                    fields.line("pelaksana"),
                    f"{where} has several pelaksana; say how they do it with 'bersama': "
                    "semua (each of them, the step completes when all have delivered), "
                    "salah_satu (whoever of them is first) or berurutan (one after another "
                    "in the order listed, e.g. paraf then tanda tangan)",
                )
            return Together.ALL
        together = self._choice(node, "langkah", "bersama", where, Together)
        if together is not None and executors is not None and not several:
            self.r.error(
                line_of(node),
                f"'bersama' of {where} needs several pelaksana; list them as "
                "'pelaksana: [role_a, role_b]' or remove 'bersama'",
            )
            return None
        return together

    def _output_role(
        self, fields: Fields, where: str, executors: tuple[str, ...] | None
    ) -> str | None:
        node = fields.get("output_oleh")
        if node is None:
            return ""
        together = fields.get("bersama")
        if isinstance(together, ScalarNode) and together.value == Together.ANY_ONE.value:
            self.r.error(
                line_of(node),
                f"'output_oleh' of {where}: with bersama: salah_satu whoever does the step "
                "delivers its output; remove 'output_oleh'",
            )
            return None
        key = self.r.text(
            node, f"'output_oleh' of {where}", cap=TEXT_CAPS["langkah.pelaksana"], allow_empty=False
        )
        if key is not None and executors is not None and key not in executors:
            self.r.error(
                line_of(node),
                f"'output_oleh' of {where} is '{key}', which does not do the step; name one of: "
                + ", ".join(executors),
            )
            return None
        return key

    def _output_kind(self, node: Node | None, where: str) -> OutputKind | None:
        if node is None:
            return None
        return self._choice(node, "langkah", "jenis_output", where, OutputKind)

    def _target(self, node: Node, where: str) -> Target | None:
        """A step id (a whole number), a published number ("5.1") or 'selesai'."""
        if isinstance(node, ScalarNode) and str(node.value).strip().lower() in _END_WORDS:
            return END, line_of(node)
        if isinstance(node, ScalarNode) and (
            node.tag == "tag:yaml.org,2002:int" or str(node.value).strip().isdigit()
        ):
            number = self.r.whole_number(_as_int(node), where)
            return (number, line_of(node)) if number is not None else None
        if isinstance(node, ScalarNode) and not is_null(node) and str(node.value).strip():
            label = self.r.text(node, where, cap=TEXT_CAPS["langkah.no"], allow_empty=False)
            return (label, line_of(node)) if label is not None else None
        written = shown(str(node.value)) if isinstance(node, ScalarNode) else "a list or mapping"
        self.r.error(line_of(node), f"{where} must be a step number or 'selesai', not '{written}'")
        return None

    def _decision_or_question(
        self, fields: Fields, where: str
    ) -> tuple[str | None, list[_RawBranch] | None, bool]:
        """A step's 'keputusan' (ya/tidak) or 'pertanyaan' (labelled answers), if any."""
        if "keputusan" in fields:
            question, branches = self._decision(
                fields["keputusan"], where, fields.line("keputusan")
            )
            return question, branches, False
        if "pertanyaan" in fields:
            question, branches = self._question(
                fields["pertanyaan"], where, fields.line("pertanyaan")
            )
            return question, branches, True
        return None, None, False

    def _decision(
        self, node: Node, where: str, owner_line: int
    ) -> tuple[str | None, list[_RawBranch] | None]:
        decision_where = f"the decision ('keputusan') of {where}"
        fields = self.r.mapping(
            node,
            decision_where,
            required=_DECISION_REQUIRED,
            optional=_DECISION_OPTIONAL,
            owner_line=owner_line,
        )
        if fields is None:
            return None, None
        question = self.r.optional_text(
            fields.get("pertanyaan"),
            f"'pertanyaan' of {where}",
            cap=TEXT_CAPS["keputusan.pertanyaan"],
        )
        yes = self._target(fields["ya"], f"'ya' of {where}") if "ya" in fields else None
        no = self._target(fields["tidak"], f"'tidak' of {where}") if "tidak" in fields else None
        if yes is None or no is None:
            return question or None, None
        branches = [
            _RawBranch(DecisionAnswer.YES.value, None, yes, False, None, None, yes[1]),
            _RawBranch(DecisionAnswer.NO.value, None, no, True, None, None, no[1]),
        ]
        return question or None, branches

    def _question(
        self, node: Node, where: str, owner_line: int
    ) -> tuple[str | None, list[_RawBranch] | None]:
        question_where = f"the question ('pertanyaan') of {where}"
        fields = self.r.mapping(
            node, question_where, required=_QUESTION_REQUIRED, owner_line=owner_line
        )
        if fields is None:
            return None, None
        text = (
            self.r.text(
                fields["teks"],
                f"'teks' of {question_where}",
                cap=TEXT_CAPS["keputusan.pertanyaan"],
                allow_empty=False,
            )
            if "teks" in fields
            else None
        )
        items = (
            self.r.sequence(fields["pilihan"], f"'pilihan' of {question_where}")
            if "pilihan" in fields
            else None
        )
        if items is None:
            return text, None
        if not 2 <= len(items) <= MAX_BRANCHES:
            self.r.error(
                fields.line("pilihan"),
                f"'pilihan' of {question_where} has {len(items)} answers; a question has "
                f"2 to {MAX_BRANCHES}, each a button",
            )
            return text, None
        branches = [self._answer(item, position, where) for position, item in enumerate(items, 1)]
        if any(b is None for b in branches):
            return text, None
        found = [b for b in branches if b is not None]
        seen: dict[str, int] = {}
        for branch in found:
            folded = (branch.label or "").casefold()
            if folded in seen:
                self.r.error(
                    branch.line,
                    f"two answers of {where} read '{branch.label}' (lines {seen[folded]} and "
                    f"{branch.line}); each button needs its own words",
                )
                return text, None
            seen[folded] = branch.line
        return text, found

    def _answer(self, node: Node, position: int, where: str) -> _RawBranch | None:
        answer_where = f"answer {position} of {where}"
        fields = self.r.mapping(
            node, answer_where, required=_ANSWER_REQUIRED, optional=_ANSWER_OPTIONAL
        )
        if fields is None:
            return None
        label = (
            self.r.text(
                fields["jawaban"],
                f"'jawaban' of {answer_where}",
                cap=TEXT_CAPS["pilihan.jawaban"],
                allow_empty=False,
            )
            if "jawaban" in fields
            else None
        )
        target = (
            self._target(fields["lanjut"], f"'lanjut' of {answer_where}")
            if "lanjut" in fields
            else None
        )
        rejects = self._flag(fields.get("tolak"), f"'tolak' of {answer_where}")
        output = self.r.optional_text(
            fields.get("output"), f"'output' of {answer_where}", cap=TEXT_CAPS["langkah.output"]
        )
        kind = (
            self._choice(
                fields["jenis_output"], "langkah", "jenis_output", answer_where, OutputKind
            )
            if "jenis_output" in fields
            else None
        )
        if (
            label is None
            or target is None
            or rejects is None
            or ("jenis_output" in fields and kind is None)
        ):
            return None
        return _RawBranch(str(position), label, target, rejects, output, kind, line_of(node))

    def _flag(self, node: Node | None, where: str) -> bool | None:
        """A yes/no value: YAML's true/false, or 'ya'/'tidak'; absent is no."""
        if node is None:
            return False
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            return str(node.value).strip().lower() in {"true", "yes", "on", "y"}
        if isinstance(node, ScalarNode) and str(node.value).strip().lower() in {"ya", "tidak"}:
            return str(node.value).strip().lower() == "ya"
        written = shown(str(node.value)) if isinstance(node, ScalarNode) else "a list or mapping"
        self.r.error(line_of(node), f"{where} must be 'ya' or 'tidak', not '{written}'")
        return None

    def _resolve(
        self,
        raw: _RawStep,
        following: int,
        targets: _Targets,
        roles: dict[str, tuple[Role, int]],
    ) -> Step | None:
        """Check a step's targets against the other steps and build it."""
        number = raw.number
        if (
            number is None
            or raw.activity is None
            or raw.roles is None
            or raw.together is None
            or raw.output_role is None
            or raw.standard_time is None
            or raw.output_kind is None
        ):
            return None
        where = f"step {raw.label}"
        ok = True
        next_step: int | None = following
        if raw.next_target is not None:
            next_step = targets.resolve(self.r, raw.next_target, "'lanjut'", where, number)
            ok = next_step is not None
        decision = (
            self._resolve_decision(raw, raw.branches, number, where, targets)
            if raw.branches
            else None
        )
        if raw.branches is not None and decision is None:
            ok = False
        executors = tuple(
            Executor(key, raw.assignment or _role_assignment(roles, key)) for key in raw.roles
        )
        ok = self._check_decider(raw, where, executors, decision) and ok
        if not ok or next_step is None:
            return None
        return Step(
            number=number,
            activity=raw.activity,
            executors=executors,
            standard_time=raw.standard_time,
            output_kind=raw.output_kind,
            inputs=raw.inputs,
            output=raw.output,
            remarks=raw.remarks,
            next=next_step,
            decision=decision,
            line=raw.line,
            label=raw.label or "",
            together=raw.together,
            output_role=raw.output_role,
            rework_time=raw.rework_time,
        )

    def _resolve_decision(
        self,
        raw: _RawStep,
        raw_branches: list[_RawBranch],
        number: int,
        where: str,
        targets: _Targets,
    ) -> Decision | None:
        branches: list[Branch] = []
        for branch in raw_branches:
            named = f"'{branch.label}'" if branch.label else f"'{branch.key}'"
            target = targets.resolve(self.r, branch.target, named, where, number)
            if target is None:
                return None
            branches.append(
                Branch(
                    key=branch.key,
                    target=target,
                    label=branch.label,
                    rejects=branch.rejects,
                    output=branch.output,
                    output_kind=branch.output_kind,
                    line=branch.line,
                )
            )
        if not raw.labelled and branches[0].target == branches[1].target:
            self.r.error(
                raw.decision_line,
                f"the decision of {where} sends 'ya' and 'tidak' to the same place; a decision "
                "needs two different ways",
            )
            return None
        return Decision(question=raw.question, branches=tuple(branches))

    def _check_decider(
        self,
        raw: _RawStep,
        where: str,
        executors: tuple[Executor, ...],
        decision: Decision | None,
    ) -> bool:
        """A question is answered by one person: never by every holder, nor by all of several
        roles together (in turn, the last one answers; with salah_satu, whoever is first)."""
        if decision is None:
            return True
        if len(executors) > 1 and raw.together is Together.ALL:
            self.r.error(
                raw.role_line,
                f"{where} asks a question but all its pelaksana would answer it (bersama: "
                "semua); a question is answered by one person: use bersama: berurutan (the "
                "last one answers) or salah_satu",
            )
            return False
        decider = executors[-1]
        if raw.together is not Together.ANY_ONE and decider.assignment is Assignment.EVERY_HOLDER:
            self.r.error(
                raw.role_line,
                f"{where} is a decision but every holder of '{decider.role}' "
                "would do it (pemegang: semua); a decision is taken by one "
                "person, set pemegang: salah_satu on the step",
            )
            return False
        return True


class _Targets:
    """Where the flow can go: steps by internal id and by the number the document prints."""

    def __init__(self, raws: list[_RawStep], *, complete: bool) -> None:
        self.complete = complete
        self.ids = {raw.number for raw in raws if raw.number is not None}
        self.by_label: dict[str, list[int]] = {}
        for raw in raws:
            if raw.number is not None and raw.label is not None:
                self.by_label.setdefault(raw.label, []).append(raw.number)

    def resolve(
        self, reader: NodeReader, target: Target, named: str, where: str, own: int
    ) -> int | None:
        """The internal id `target` leads to (or END); None, with a problem, when it leads
        nowhere, to several steps, or back to `own`."""
        value, line = target
        if value == END:
            return END
        number: int | None
        if isinstance(value, int) and value in self.ids:
            number = value
        else:
            matches = self.by_label.get(str(value), [])
            if len(matches) > 1:
                reader.error(
                    line,
                    f"{named} of {where} goes to step {value}, but {len(matches)} steps are "
                    f"numbered {value}; give the one you mean an 'id' and point at the id",
                )
                return None
            number = matches[0] if matches else None
        if number is None:
            if self.complete:
                reader.error(line, f"{named} of {where} goes to step {value}, which does not exist")
            return None
        if number == own:
            reader.error(
                line, f"{named} of {where} points at {where} itself; point it at another step"
            )
            return None
        return number


def _role_assignment(roles: dict[str, tuple[Role, int]], key: str) -> Assignment:
    """The role's own rule for its holders (the roles may have been refused: then any one)."""
    entry = roles.get(key)
    return entry[0].assignment if entry else Assignment.ANY_ONE


def _as_int(node: ScalarNode) -> ScalarNode:
    """A quoted whole number ("2") read as the number it spells."""
    if node.tag == "tag:yaml.org,2002:int":
        return node
    return ScalarNode("tag:yaml.org,2002:int", str(node.value).strip(), node.start_mark)


def _label_key(label: str) -> tuple[int, ...] | None:
    """ "5.1" -> (5, 1), "7" -> (7,); None for a label that is not dotted numbers ("3a")."""
    if not _DOTTED.match(label):
        return None
    return tuple(int(part) for part in label.split("."))


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

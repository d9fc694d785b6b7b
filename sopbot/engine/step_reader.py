"""Reading the procedure table (`langkah`): each step as the document prints it, its executors,
its standard time, and where the work goes (`lanjut`, a `keputusan`, a labelled `pertanyaan`).

Steps are read in two passes: each row on its own, then, once every row's number is known, the
targets of its branches (a branch may point at a later row).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from yaml.nodes import Node, ScalarNode, SequenceNode

from sopbot.engine.definition import (
    END,
    Assignment,
    Branch,
    Decision,
    DecisionAnswer,
    Executor,
    OutputKind,
    Role,
    Step,
    Together,
)
from sopbot.engine.durations import StandardTime
from sopbot.engine.field_reader import FieldReader
from sopbot.engine.flow_checks import check_flow
from sopbot.engine.limits import (
    MAX_BRANCHES,
    MAX_STEP_EXECUTORS,
    MAX_STEPS,
    TEXT_CAPS,
)
from sopbot.engine.time_fields import standard_time_field
from sopbot.engine.yaml_nodes import (
    Fields,
    NodeReader,
    closest,
    is_null,
    is_plain_number,
    line_of,
    peek,
    shown,
)

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
_END_WORDS = frozenset({"selesai", "end"})

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


class StepReader(FieldReader):
    """Turns the `langkah` node into steps, recording every problem on the reader."""

    def read(
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
            if raw.number is None and is_plain_number(label) and int(label) not in taken:
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
        shown_no = peek(node, "no")
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
        if isinstance(node, ScalarNode) and is_plain_number(str(node.value).strip()):
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
            node.tag == "tag:yaml.org,2002:int" or is_plain_number(str(node.value).strip())
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
        text = self._given_text(
            fields, "teks", f"'teks' of {question_where}", cap=TEXT_CAPS["keputusan.pertanyaan"]
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
        label = self._given_text(
            fields, "jawaban", f"'jawaban' of {answer_where}", cap=TEXT_CAPS["pilihan.jawaban"]
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

"""The SOP definition model: an immutable value loaded once from a YAML file.

A definition is what the paper SOP says (identity header, Pelaksana columns, the table of steps)
plus the flow the flowchart drew (next steps, decisions, who among several holders acts). Running
instances reference a definition by id and version; nothing here changes after loading.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from sopbot.engine.durations import StandardTime
from sopbot.engine.header_fields import DEFAULT_LABELS, PLAIN_LIST, ListStyle
from sopbot.engine.written_dates import WrittenDate


class OutputKind(StrEnum):
    """What a step hands on: a document to upload, a note (e.g. a disposition), or nothing."""

    DOCUMENT = "dokumen"
    NOTE = "catatan"
    NONE = "tidak_ada"


class Assignment(StrEnum):
    """Who acts when several people hold a role."""

    ANY_ONE = "salah_satu"  # a team: whoever claims the step first does it
    EVERY_HOLDER = "semua"  # e.g. each Kepala Bidang delivers its division's part


class Together(StrEnum):
    """How the executors of a step with several Pelaksana do it."""

    ALL = "semua"  # each of them delivers; the step completes when all have (a joint meeting)
    ANY_ONE = "salah_satu"  # whoever of them delivers first does it for all
    IN_TURN = "berurutan"  # one after another in the listed order (paraf, then tanda tangan)


class DecisionAnswer(StrEnum):
    """The keys of a `keputusan`'s two branches, stored as a step run's answer."""

    YES = "ya"
    NO = "tidak"


# A step target is a step number, or END when the procedure finishes there.
END = 0


@dataclass(frozen=True, slots=True)
class Approver:
    """The "Disahkan Oleh" block: who approved the SOP."""

    position: str
    name: str
    rank: str | None = None
    nip: str | None = None


@dataclass(frozen=True, slots=True)
class SopIdentity:
    """The identity header (Identitas) of a Permenpan RB 35/2012 SOP, as written."""

    number: str | None
    name: str
    agency: str
    government: str | None
    unit: str | None
    created_on: WrittenDate
    revised_on: WrittenDate
    effective_on: WrittenDate
    approved_by: Approver
    revision: str | None = None
    legal_basis: tuple[str, ...] = ()
    executor_qualifications: tuple[str, ...] = ()
    related_sops: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    # What the document leaves unstated (`tidak_tercantum` in the file): header keys such as
    # "tanggal_efektif", and "disahkan_oleh.jabatan" / "disahkan_oleh.nama" (both, with
    # "disahkan_oleh", when the whole block is). Such a field holds "" (a date: WrittenDate("",
    # None)), except `name`, which holds the title to show: the table's title or the file name.
    not_stated: frozenset[str] = frozenset()
    labels: tuple[tuple[str, str], ...] = ()  # (header key, the document's own label)
    table_title: str | None = None  # the procedure table's own title
    list_styles: tuple[tuple[str, ListStyle], ...] = ()  # lists written with intro or numbering

    def is_stated(self, key: str) -> bool:
        """False when the file marks this header key (or "disahkan_oleh.nama") tidak_tercantum."""
        return key not in self.not_stated

    def label(self, key: str) -> str:
        """The document's label for a header key, or the form's usual one."""
        return dict(self.labels).get(key) or DEFAULT_LABELS[key]

    def list_style(self, key: str) -> ListStyle:
        """How a header list (`dasar_hukum`, `peringatan`, ...) is introduced and numbered."""
        return dict(self.list_styles).get(key, PLAIN_LIST)

    def header_list(self, key: str) -> tuple[str, ...]:
        """The items of a header list, by its key in the file."""
        return {
            "dasar_hukum": self.legal_basis,
            "kualifikasi_pelaksana": self.executor_qualifications,
            "keterkaitan": self.related_sops,
            "peralatan_perlengkapan": self.equipment,
            "peringatan": self.warnings,
            "pencatatan_pendataan": self.records,
        }[key]


@dataclass(frozen=True, slots=True)
class Role:
    """A Pelaksana column: an executing role, keyed for the flow and named as the SOP writes it.

    An external role (a citizen, another office) is not staffed by the agency: its steps go to
    the holders of `recorded_by`, the official who deals with that party and records the step.
    """

    key: str
    name: str
    assignment: Assignment = Assignment.ANY_ONE
    external: bool = False
    recorded_by: str | None = None


@dataclass(frozen=True, slots=True)
class Executor:
    """One of the roles that execute a step, and who among its holders acts."""

    role: str
    assignment: Assignment = Assignment.ANY_ONE


@dataclass(frozen=True, slots=True)
class Branch:
    """One way out of a question: its answer key, its button, where it leads, what it hands on.

    A `keputusan` has the branches "ya" and "tidak" (labelled by the catalog: "Sesuai" /
    "Tidak sesuai"); a `pertanyaan` has two or more, labelled as the SOP writes them and keyed
    "1", "2", ... in their order. The key is what the step run stores as its answer.
    """

    key: str
    target: int
    label: str | None = None  # None: the catalog's words for "ya" / "tidak"
    rejects: bool = False  # the work goes back: a reason is asked
    output: str | None = None  # the output on this branch, when it differs from the step's
    output_kind: OutputKind | None = None  # likewise for what must be handed on
    line: int = field(default=0, compare=False)  # where it is written, for messages


@dataclass(frozen=True, slots=True)
class Decision:
    """A flowchart diamond: a question and the branches its answers lead to."""

    question: str | None
    branches: tuple[Branch, ...]

    @classmethod
    def approval(cls, question: str | None, yes: int, no: int) -> Decision:
        """A `keputusan`: "ya" goes on to `yes`; "tidak" sends the work to `no`, with a reason."""
        return cls(
            question,
            (
                Branch(DecisionAnswer.YES.value, yes),
                Branch(DecisionAnswer.NO.value, no, rejects=True),
            ),
        )

    @property
    def labelled(self) -> bool:
        """True for a `pertanyaan`, whose buttons are the SOP's own answers."""
        return any(b.label is not None for b in self.branches)

    def branch(self, key: str) -> Branch:
        """The branch answered by `key`; KeyError when there is none."""
        for branch in self.branches:
            if branch.key == key:
                return branch
        raise KeyError(key)

    def has_branch(self, key: str) -> bool:
        """True when `key` answers this question."""
        return any(b.key == key for b in self.branches)

    def target(self, key: str) -> int:
        """The step number (or END) that the given answer leads to."""
        return self.branch(key).target

    @property
    def yes(self) -> int:
        """Where a `keputusan`'s "ya" leads."""
        return self.target(DecisionAnswer.YES)

    @property
    def no(self) -> int:
        """Where a `keputusan`'s "tidak" leads."""
        return self.target(DecisionAnswer.NO)

    @property
    def rejection(self) -> Branch | None:
        """The first branch that sends the work back, if any (the demo's "tidak")."""
        return next((b for b in self.branches if b.rejects), None)

    @property
    def onward(self) -> Branch:
        """The first branch that goes on (the demo's usual answer)."""
        return next((b for b in self.branches if not b.rejects), self.branches[0])


@dataclass(frozen=True, slots=True)
class Step:
    """One row of the procedure table with its place in the flow."""

    number: int  # the internal id: unique, what the flow and the stored runs refer to
    activity: str
    executors: tuple[Executor, ...]
    standard_time: StandardTime
    output_kind: OutputKind
    inputs: str = ""  # Kelengkapan
    output: str = ""
    remarks: str = ""  # Keterangan
    next: int = END  # the default next step; ignored for decisions
    decision: Decision | None = None
    line: int = 0  # where the step starts in its file, for messages
    label: str = ""  # the number as the document prints it ("5.1", a repeated "3"); "" = number
    together: Together = Together.ALL  # how several executors do the step
    output_role: str = ""  # the executor who delivers the output; "" = the last one listed
    # 'waktu_ulang': the standard time of a rework round (round 2 and later of this step, after
    # a "tidak" or a Kembalikan); None when the SOP gives none and every round has `standard_time`.
    rework_time: StandardTime | None = None

    def __post_init__(self) -> None:
        if not self.executors:
            raise ValueError(f"step {self.number} has no executor")
        if not self.label:
            object.__setattr__(self, "label", str(self.number))
        if not self.output_role:
            object.__setattr__(self, "output_role", self.executors[-1].role)

    @property
    def roles(self) -> tuple[str, ...]:
        """The keys of the executing roles, in the order the step lists them."""
        return tuple(e.role for e in self.executors)

    @property
    def role(self) -> str:
        """The role of a step one role does; a step done by several has no single role."""
        if self.shared:
            raise ValueError(f"step {self.label} is done by several roles; use `roles`")
        return self.executors[0].role

    @property
    def shared(self) -> bool:
        """True when several roles execute the step."""
        return len(self.executors) > 1

    @property
    def assignment(self) -> Assignment:
        """Who acts on the step as a whole: the one role's rule, or for several roles
        "any one" when whoever is first does it, else "every" (several must deliver)."""
        if not self.shared:
            return self.executors[0].assignment
        return Assignment.ANY_ONE if self.together is Together.ANY_ONE else Assignment.EVERY_HOLDER

    def delivers_output(self, role: str) -> bool:
        """True when the holder of `role` delivers the step's output: on a step of one role, or
        of several of which any one does it, whoever does it; else the `output_oleh` role."""
        return not self.shared or self.together is Together.ANY_ONE or role == self.output_role

    def executor(self, role: str) -> Executor:
        """The executor entry of `role`; KeyError when the role does not execute this step."""
        for executor in self.executors:
            if executor.role == role:
                return executor
        raise KeyError(role)

    @property
    def is_decision(self) -> bool:
        """True for a flowchart diamond (a `keputusan` or a labelled `pertanyaan`)."""
        return self.decision is not None

    def standard_for_round(self, round_number: int) -> StandardTime:
        """The standard time of a run of this step in the given round: `rework_time` for a
        rework round when the SOP gives one, else `standard_time`. Every due time, reminder and
        report of a step run counts this one."""
        if round_number > 1 and self.rework_time is not None:
            return self.rework_time
        return self.standard_time

    @property
    def deciding_role(self) -> str | None:
        """The role that answers the question: in an initialling chain the last one (the
        others initial first); otherwise any of the executors (None)."""
        if self.decision is None:
            return None
        return self.executors[-1].role if self.together is Together.IN_TURN else None

    def answered_by(self, role: str) -> bool:
        """True when the holder of `role` answers the step's question (with its buttons rather
        than "Selesai"): any executor, or in an initialling chain the last one."""
        decider = self.deciding_role
        return self.is_decision and (decider is None or role == decider)

    @property
    def successors(self) -> tuple[int, ...]:
        """Every step number (or END) the flow can go to from here."""
        if self.decision is not None:
            return tuple(b.target for b in self.decision.branches)
        return (self.next,)

    def output_kind_on(self, branch: Branch | None) -> OutputKind:
        """What must be handed on when the step ends by `branch` (None: not a question).

        A branch that sends the work back hands nothing on unless the SOP says it does.
        """
        if branch is None:
            return self.output_kind
        if branch.output_kind is not None:
            return branch.output_kind
        return OutputKind.NONE if branch.rejects else self.output_kind


@dataclass(frozen=True, slots=True)
class SopDefinition:
    """A whole SOP: identity, roles in document order and steps in table order."""

    id: str
    agency_key: str
    identity: SopIdentity
    roles: tuple[Role, ...]
    steps: tuple[Step, ...]
    version: str
    digest: str
    source: str = ""
    source_text: str = field(default="", repr=False, compare=False)  # the YAML as loaded
    _steps_by_number: dict[int, Step] = field(init=False, repr=False, compare=False)
    _roles_by_key: dict[str, Role] = field(init=False, repr=False, compare=False)
    _positions: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_steps_by_number", {s.number: s for s in self.steps})
        object.__setattr__(self, "_roles_by_key", {r.key: r for r in self.roles})
        positions = {s.number: index for index, s in enumerate(self.steps, start=1)}
        object.__setattr__(self, "_positions", positions)

    @property
    def first_step(self) -> Step:
        """The step the procedure starts with (the "mulai" terminator leads to it)."""
        return self.steps[0]

    def step(self, number: int) -> Step:
        """The step with this number; KeyError when the definition has none."""
        return self._steps_by_number[number]

    def has_step(self, number: int) -> bool:
        """True when the definition has a step with this number."""
        return number in self._steps_by_number

    def role(self, key: str) -> Role:
        """The role with this key; KeyError when the definition has none."""
        return self._roles_by_key[key]

    def role_of(self, step: Step) -> Role:
        """The role of a step that one role does (ValueError for a shared step)."""
        return self._roles_by_key[step.role]

    def roles_of(self, step: Step) -> tuple[Role, ...]:
        """The roles that execute the given step, in its order."""
        return tuple(self._roles_by_key[key] for key in step.roles)

    def routed_role(self, key: str) -> str:
        """The role whose holders receive the work of role `key`: itself, or for an external
        party the agency role that records what the party did."""
        role = self._roles_by_key[key]
        return role.recorded_by if role.external and role.recorded_by else key

    def part_of(self, step: Step, holder_role: str) -> tuple[bool, bool]:
        """What the holder of an agency role does on a step given to it (directly, or as the
        recorder of an outside party): (delivers the output, answers the question)."""
        roles = [key for key in step.roles if self.routed_role(key) == holder_role]
        return (
            any(step.delivers_output(key) for key in roles),
            any(step.answered_by(key) for key in roles),
        )

    def position_of(self, step: Step) -> int:
        """The step's place in the table, 1 for the first row ("Langkah X dari N")."""
        return self._positions[step.number]

    def decision_steps(self) -> Iterator[Step]:
        """The steps that are flowchart diamonds."""
        return (s for s in self.steps if s.decision is not None)

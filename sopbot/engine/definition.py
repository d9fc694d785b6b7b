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


class DecisionAnswer(StrEnum):
    """The two branches of a flowchart diamond."""

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


@dataclass(frozen=True, slots=True)
class Role:
    """A Pelaksana column: an executing role, keyed for the flow and named as the SOP writes it."""

    key: str
    name: str
    assignment: Assignment = Assignment.ANY_ONE


@dataclass(frozen=True, slots=True)
class Decision:
    """A flowchart diamond: where the work goes on "ya" and where "tidak" sends it back."""

    question: str | None
    yes: int
    no: int

    def target(self, answer: DecisionAnswer) -> int:
        """The step number (or END) that the given answer leads to."""
        return self.yes if answer is DecisionAnswer.YES else self.no


@dataclass(frozen=True, slots=True)
class Step:
    """One row of the procedure table with its place in the flow."""

    number: int
    activity: str
    role: str
    standard_time: StandardTime
    output_kind: OutputKind
    assignment: Assignment
    inputs: str = ""  # Kelengkapan
    output: str = ""
    remarks: str = ""  # Keterangan
    next: int = END  # the default next step; ignored for decisions
    decision: Decision | None = None
    line: int = 0  # where the step starts in its file, for messages
    # 'waktu_ulang': the standard time of a rework round (round 2 and later of this step, after
    # a "tidak" or a Kembalikan); None when the SOP gives none and every round has `standard_time`.
    rework_time: StandardTime | None = None

    @property
    def is_decision(self) -> bool:
        """True for a flowchart diamond with "ya"/"tidak" branches."""
        return self.decision is not None

    def standard_for_round(self, round_number: int) -> StandardTime:
        """The standard time of a run of this step in the given round: `rework_time` for a
        rework round when the SOP gives one, else `standard_time`. Every due time, reminder and
        report of a step run counts this one."""
        if round_number > 1 and self.rework_time is not None:
            return self.rework_time
        return self.standard_time

    @property
    def successors(self) -> tuple[int, ...]:
        """Every step number (or END) the flow can go to from here."""
        if self.decision is not None:
            return (self.decision.yes, self.decision.no)
        return (self.next,)


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "_steps_by_number", {s.number: s for s in self.steps})
        object.__setattr__(self, "_roles_by_key", {r.key: r for r in self.roles})

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
        """The role that executes the given step."""
        return self._roles_by_key[step.role]

    def decision_steps(self) -> Iterator[Step]:
        """The steps that are flowchart diamonds."""
        return (s for s in self.steps if s.decision is not None)

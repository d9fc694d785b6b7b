"""A running SOP instance as plain values: the instance, its step runs and its dispositions.

The storage layer turns rows into these values and back; the engine (procedure.py) changes
them and reports every change as a Transition, which becomes one audit row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sopbot.engine.definition import Assignment
from sopbot.engine.errors import NotFound
from sopbot.engine.letters import Letter
from sopbot.engine.organization import ActingKind


class InstanceState(StrEnum):
    """The closed set of states of a procedure instance."""

    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class StepRunState(StrEnum):
    """The closed set of states of one pass through a step."""

    OPEN = "open"  # waiting for its holder(s)
    COMPLETED = "completed"  # done (a decision step records its answer)
    RETURNED = "returned"  # sent back to the step before it ("Kembalikan")
    CANCELLED = "cancelled"  # the instance was cancelled while the step was open


class DispositionState(StrEnum):
    """The closed set of states of a disposition: one step run as it reached one person."""

    PENDING = "pending"  # received, not yet acted on
    CLAIMED = "claimed"  # taken by this member of a team (the others were released)
    DONE = "done"  # this person delivered
    RELEASED = "released"  # a teammate took the step
    HANDED_OVER = "handed_over"  # passed to another person (Alihkan)
    REROUTED = "rerouted"  # moved to the position's new holder (mutasi, Plt/Plh)
    RETURNED = "returned"  # this person sent the step back (Kembalikan)
    CANCELLED = "cancelled"  # the step or the instance ended without this person


LIVE_DISPOSITION_STATES = frozenset({DispositionState.PENDING, DispositionState.CLAIMED})


class EntityKind(StrEnum):
    """What a transition changed."""

    INSTANCE = "instance"
    STEP_RUN = "step_run"
    DISPOSITION = "disposition"
    DOCUMENT = "document"


class TransitionAction(StrEnum):
    """What happened in a transition: the closed set the audit trail, the notices and the
    reminders tell apart (stored as its value in the audit row's `action`)."""

    START = "start"
    FINISH = "finish"
    CANCEL = "cancel"
    OPEN = "open"
    COMPLETE = "complete"
    SEND_BACK = "send_back"
    SEND = "send"
    CLAIM = "claim"
    RELEASE = "release"
    HAND_OVER = "hand_over"
    REROUTE = "reroute"
    ATTACH = "attach"
    LETTER = "letter"  # the procedure's letter (number, date, sender) given, changed or removed


@dataclass(frozen=True, slots=True)
class Transition:
    """One state change of one entity: exactly one audit row."""

    entity: EntityKind
    entity_id: uuid.UUID
    action: TransitionAction
    before: str | None
    after: str
    actor_id: int | None
    at: dt.datetime
    detail: Mapping[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class Disposition:
    """A step run as it reached one person: who sent it, with what instruction, what they did."""

    id: uuid.UUID
    step_run_id: uuid.UUID
    assignee_id: int
    position_id: int
    state: DispositionState
    created_at: dt.datetime
    sender_id: int | None = None
    instruction: str | None = None  # the sender's note ("Untuk ditindaklanjuti")
    acting: ActingKind | None = None
    acting_for_id: int | None = None
    manual: bool = False  # handed over by a person, so routing changes leave it alone
    handed_from_id: uuid.UUID | None = None
    role_key: str | None = None  # which executor of the step; None on rows older than 0011
    acted_at: dt.datetime | None = None
    note: str | None = None  # the assignee's own note when they delivered
    reason: str | None = None  # why it was handed over / sent back
    document_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def is_live(self) -> bool:
        """True while the person can still act on it."""
        return self.state in LIVE_DISPOSITION_STATES


@dataclass(slots=True)
class StepRun:
    """One pass through a step of the definition; a step sent back is run again (next round)."""

    id: uuid.UUID
    step_number: int
    round: int
    state: StepRunState
    assignment: Assignment
    opened_at: dt.datetime
    previous_run_id: uuid.UUID | None = None
    sender_id: int | None = None  # who sent the work here (completed or sent back the step)
    instruction: str | None = None  # their note or reason, shown to every holder
    completed_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    answer: str | None = None  # the key of the question's branch taken ("ya", "tidak", "2")
    reason: str | None = None  # the "tidak" or "Kembalikan" reason
    # In an initialling chain sent back to one of its roles ("Kembalikan" within the step): the
    # role this run starts from; the roles before it delivered in the run that was sent back.
    resume_role: str | None = None


@dataclass(slots=True)
class Instance:
    """A procedure running one version of one SOP definition in one agency."""

    id: uuid.UUID
    agency_id: int
    sop_id: str
    sop_version: str
    sop_digest: str
    title: str
    started_by_id: int
    started_at: dt.datetime
    state: InstanceState
    finished_at: dt.datetime | None = None
    cancel_reason: str | None = None
    version: int = 0  # optimistic concurrency: bumped by storage on every change
    step_runs: list[StepRun] = field(default_factory=list)
    dispositions: list[Disposition] = field(default_factory=list)
    letter: Letter | None = None  # the letter the procedure is about, if it is about one

    def run(self, run_id: uuid.UUID) -> StepRun:
        """The step run with this id; NotFound if it is not part of the instance."""
        for run in self.step_runs:
            if run.id == run_id:
                return run
        raise NotFound("no such step run in this instance", what="step_run", id=run_id)

    def disposition(self, disposition_id: uuid.UUID) -> Disposition:
        """The disposition with this id; NotFound if it is not part of the instance."""
        for disposition in self.dispositions:
            if disposition.id == disposition_id:
                return disposition
        raise NotFound(
            "no such disposition in this instance", what="disposition", id=disposition_id
        )

    def dispositions_of(self, run: StepRun) -> list[Disposition]:
        """The dispositions of one step run, oldest first."""
        return [d for d in self.dispositions if d.step_run_id == run.id]

    def open_runs(self) -> list[StepRun]:
        """The step runs waiting for someone."""
        return [r for r in self.step_runs if r.state is StepRunState.OPEN]

    def live_dispositions(self, member_id: int | None = None) -> Iterator[Disposition]:
        """Dispositions someone can still act on, optionally only one member's."""
        return (
            d
            for d in self.dispositions
            if d.is_live and (member_id is None or d.assignee_id == member_id)
        )

    def rounds_of(self, step_number: int) -> int:
        """How many times the step has been entered so far."""
        return sum(1 for r in self.step_runs if r.step_number == step_number)

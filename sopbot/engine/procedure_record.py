"""A procedure's record for an auditor: what `/ekspor` and `sopbot procedure export` put in
the history PDF beside the procedure's documents.

Plain values, figures and names only: `sopbot.services.archive` gathers them from the stored
procedure, its audit trail and its documents (every document's file checked against its
SHA-256), and `sopbot.documents.history_pdf` lays them out; the words are the catalog's.
Times are UTC instants (the renderer writes them in the agency's zone); real times against the
standard are working seconds, counted on the agency's working clock as the standard is.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sopbot.engine.durations import StandardTime
from sopbot.engine.instance import EntityKind, InstanceState, TransitionAction
from sopbot.engine.letters import Letter


class DocumentCheck(enum.StrEnum):
    """What checking a document's stored file against its record found."""

    INTACT = "intact"  # present, its bytes hash to the recorded SHA-256: in the zip
    MISSING = "missing"  # no file under its storage key: not in the zip
    CHANGED = "changed"  # its bytes hash to something else: not in the zip


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One transition of the audit trail: when, who acted, what happened and to whom."""

    at: dt.datetime
    entity: EntityKind
    action: TransitionAction
    actor: str | None  # None: the system (a routing change) or the server's operator
    person: str | None  # whom a disposition reached, who sent a document
    step_label: str | None  # the step's number as the SOP prints it
    round: int | None
    answer: str | None
    reason: str | None
    document_name: str | None


@dataclass(frozen=True, slots=True)
class RecordedStep:
    """One pass through a step: who did it, when, and its real time against its standard."""

    step_label: str
    activity: str
    round: int
    state: str  # a StepRunState value
    people: tuple[str, ...]
    opened_at: dt.datetime
    completed_at: dt.datetime | None
    working_seconds: float  # from opening to completion (or to the record's time)
    standard: StandardTime
    late: bool  # completed (or still open) after its due time
    working_day: float | None = None  # the agency's working day in seconds (days of work)


@dataclass(frozen=True, slots=True)
class RecordedDocument:
    """A document uploaded as a step's output, with where it is in the zip (if it is)."""

    position: int  # 1, 2, ... in the order of upload
    step_label: str
    round: int
    name: str  # as the sender named it, cleaned when it arrived (only ever shown)
    entry: str  # its path in the zip (the PDF names it even when the file was left out)
    size_bytes: int
    sha256: str  # as recorded when it arrived
    uploaded_by: str
    uploaded_at: dt.datetime
    check: DocumentCheck
    audited: bool  # the audit row of its upload records this SHA-256 and size, intact


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """Something wrong in the agency's audit chain (a `sopbot audit verify` problem)."""

    kind: str  # a ProblemKind value: edited, missing, unlinked, ...
    seq: int
    row_id: int | None


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The agency's audit chain walked and every link recomputed under the audit key, as
    `sopbot audit verify` does for one chain, at the time of the record."""

    chain: str  # "agency:<id>"
    rows: int  # rows of the chain checked
    problems: tuple[ChainProblem, ...]
    procedure_rows: int  # rows of the chain that record this procedure
    procedure_problems: int  # of the problems, those on this procedure's rows

    @property
    def intact(self) -> bool:
        """True when no row of the chain was edited, removed or put in."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class ProcedureRecord:
    """Everything the history PDF shows of one procedure."""

    agency_name: str
    timezone: str  # the agency's IANA zone
    number: int
    title: str
    sop_id: str
    sop_name: str
    sop_number: str | None  # the SOP's own number (Nomor SOP), when its header has one
    sop_version: str
    sop_digest: str
    state: InstanceState
    started_at: dt.datetime
    started_by: str
    finished_at: dt.datetime | None  # finished or cancelled
    cancel_reason: str | None
    letter: Letter | None  # the letter the procedure is about, if any
    events: tuple[RecordedEvent, ...]
    steps: tuple[RecordedStep, ...]
    documents: tuple[RecordedDocument, ...]
    chain: ChainCheck
    made_at: dt.datetime
    made_by: str | None  # the member who exported it; None: the server's operator (CLI)

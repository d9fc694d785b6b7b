"""Instances in the database: rows become the engine's aggregate, and its changes become rows.

Saving bumps the instance's version with a guarded UPDATE (WHERE version = the version loaded)
before anything else is written: when another transaction changed the instance in the meantime,
nothing is written and ConcurrentUpdate is raised, so the caller can reload and try again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from sopbot.engine.definition import Assignment, DecisionAnswer
from sopbot.engine.instance import (
    Disposition,
    DispositionState,
    EntityKind,
    Instance,
    InstanceState,
    StepRun,
    StepRunState,
)
from sopbot.engine.organization import ActingKind
from sopbot.engine.procedure import Procedure
from sopbot.storage.audit import record_transitions
from sopbot.storage.definitions import DefinitionStore
from sopbot.storage.models import DispositionRow, DocumentRow, InstanceRow, StepRunRow


class ConcurrentUpdate(Exception):
    """The instance changed since it was loaded; reload and try again."""


@dataclass
class LoadedInstance:
    """An instance's aggregate with the rows it came from, ready to be changed and saved."""

    procedure: Procedure
    number: int
    sop_version_id: int
    loaded_version: int
    is_new: bool = False
    run_rows: dict[uuid.UUID, StepRunRow] = field(default_factory=dict)
    disposition_rows: dict[uuid.UUID, DispositionRow] = field(default_factory=dict)

    @property
    def instance(self) -> Instance:
        """The aggregate being worked on."""
        return self.procedure.instance


class InstanceStore:
    """Loads and saves instances; every save also writes the audit rows of its transitions."""

    def __init__(self, definitions: DefinitionStore) -> None:
        self.definitions = definitions

    # -- loading ---------------------------------------------------------------------------

    def load(self, session: Session, instance_id: uuid.UUID) -> LoadedInstance:
        """The instance with its step runs, dispositions and attached documents."""
        row = session.get(InstanceRow, instance_id)
        if row is None:
            raise KeyError(instance_id)
        definition = self.definitions.load(session, row.sop_version_id)
        run_rows = list(
            session.exec(
                select(StepRunRow)
                .where(StepRunRow.instance_id == instance_id)
                .order_by(col(StepRunRow.opened_at), col(StepRunRow.round))
            )
        )
        disposition_rows = list(
            session.exec(
                select(DispositionRow)
                .where(DispositionRow.instance_id == instance_id)
                .order_by(col(DispositionRow.created_at))
            )
        )
        documents: dict[uuid.UUID, list[uuid.UUID]] = {}
        for document in session.exec(
            select(DocumentRow)
            .where(DocumentRow.instance_id == instance_id)
            .where(col(DocumentRow.disposition_id).is_not(None))
            .order_by(col(DocumentRow.uploaded_at))
        ):
            assert document.disposition_id is not None  # noqa: S101 - filtered above
            documents.setdefault(document.disposition_id, []).append(document.id)
        instance = Instance(
            id=row.id,
            agency_id=row.agency_id,
            sop_id=row.sop_id,
            sop_version=definition.version,
            sop_digest=definition.digest,
            title=row.title,
            started_by_id=row.started_by_id,
            started_at=row.started_at,
            state=InstanceState(row.state),
            finished_at=row.finished_at,
            cancel_reason=row.cancel_reason,
            version=row.version,
            step_runs=[_run_from_row(r) for r in _in_opening_order(run_rows)],
            dispositions=[_disposition_from_row(d, documents) for d in disposition_rows],
        )
        return LoadedInstance(
            procedure=Procedure(definition, instance),
            number=row.number,
            sop_version_id=row.sop_version_id,
            loaded_version=row.version,
            run_rows={r.id: r for r in run_rows},
            disposition_rows={d.id: d for d in disposition_rows},
        )

    def instance_of_disposition(self, session: Session, disposition_id: uuid.UUID) -> uuid.UUID:
        """The instance a disposition belongs to; KeyError for an unknown id."""
        row = session.get(DispositionRow, disposition_id)
        if row is None:
            raise KeyError(disposition_id)
        return row.instance_id

    # -- saving ----------------------------------------------------------------------------

    def add_new(
        self, session: Session, procedure: Procedure, sop_version_id: int
    ) -> LoadedInstance:
        """Insert a just-started instance (numbered per agency); `save` then writes its changes."""
        instance = procedure.instance
        number = (
            session.exec(
                select(func.coalesce(func.max(InstanceRow.number), 0)).where(
                    InstanceRow.agency_id == instance.agency_id
                )
            ).one()
            + 1
        )
        session.add(
            InstanceRow(
                id=instance.id,
                agency_id=instance.agency_id,
                number=number,
                sop_version_id=sop_version_id,
                sop_id=instance.sop_id,
                title=instance.title,
                state=instance.state.value,
                started_by_id=instance.started_by_id,
                started_at=instance.started_at,
                version=0,
            )
        )
        session.flush()
        return LoadedInstance(
            procedure=procedure,
            number=number,
            sop_version_id=sop_version_id,
            loaded_version=0,
            is_new=True,
        )

    def save(
        self,
        session: Session,
        loaded: LoadedInstance,
        *,
        documents: Sequence[DocumentRow] = (),
    ) -> int:
        """Write the changes the engine made (and their audit rows); returns the audit count."""
        procedure = loaded.procedure
        transitions = list(procedure.transitions)
        if not transitions:
            return 0
        instance = procedure.instance
        bumped = session.execute(
            update(InstanceRow)
            .where(col(InstanceRow.id) == instance.id)
            .where(col(InstanceRow.version) == loaded.loaded_version)
            .values(
                version=loaded.loaded_version + 1,
                state=instance.state.value,
                finished_at=instance.finished_at,
                cancel_reason=instance.cancel_reason,
            )
            .execution_options(synchronize_session=False)
        )
        if bumped.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate(f"instance {instance.id} changed since it was loaded")
        changed_runs = {t.entity_id for t in transitions if t.entity is EntityKind.STEP_RUN}
        changed_dispositions = {
            t.entity_id for t in transitions if t.entity is EntityKind.DISPOSITION
        }
        for run in instance.step_runs:
            if run.id in changed_runs:
                self._write_run(session, loaded, run)
        session.flush()
        for disposition in instance.dispositions:
            if disposition.id in changed_dispositions:
                self._write_disposition(session, loaded, disposition)
        session.flush()
        for new_document in documents:  # uploaded with this change (their step run exists now)
            session.add(new_document)
        session.flush()
        for transition in transitions:
            if transition.entity is EntityKind.DOCUMENT and transition.action == "attach":
                disposition_id = uuid.UUID(str(transition.detail["disposition_id"]))
                document = session.get(DocumentRow, transition.entity_id)
                if document is None:
                    raise KeyError(transition.entity_id)
                document.disposition_id = disposition_id
                session.add(document)
        written = record_transitions(
            session, transitions, agency_id=instance.agency_id, instance_id=instance.id
        )
        session.flush()
        procedure.transitions.clear()
        loaded.loaded_version += 1
        instance.version = loaded.loaded_version
        return written

    def _write_run(self, session: Session, loaded: LoadedInstance, run: StepRun) -> None:
        row = loaded.run_rows.get(run.id)
        if row is None:
            row = StepRunRow(
                id=run.id,
                instance_id=loaded.instance.id,
                step_number=run.step_number,
                round=run.round,
                state=run.state.value,
                assignment=run.assignment.value,
                opened_at=run.opened_at,
            )
            loaded.run_rows[run.id] = row
        row.state = run.state.value
        row.completed_at = run.completed_at
        row.due_at = run.due_at
        row.previous_run_id = run.previous_run_id
        row.sender_id = run.sender_id
        row.instruction = run.instruction
        row.answer = run.answer.value if run.answer else None
        row.reason = run.reason
        session.add(row)

    def _write_disposition(
        self, session: Session, loaded: LoadedInstance, disposition: Disposition
    ) -> None:
        row = loaded.disposition_rows.get(disposition.id)
        if row is None:
            row = DispositionRow(
                id=disposition.id,
                instance_id=loaded.instance.id,
                step_run_id=disposition.step_run_id,
                assignee_id=disposition.assignee_id,
                position_id=disposition.position_id,
                state=disposition.state.value,
                created_at=disposition.created_at,
                sender_id=disposition.sender_id,
                instruction=disposition.instruction,
                acting=disposition.acting.value if disposition.acting else None,
                acting_for_id=disposition.acting_for_id,
                manual=disposition.manual,
                handed_from_id=disposition.handed_from_id,
            )
            loaded.disposition_rows[disposition.id] = row
        row.state = disposition.state.value
        row.acted_at = disposition.acted_at
        row.note = disposition.note
        row.reason = disposition.reason
        session.add(row)


def _in_opening_order(rows: list[StepRunRow]) -> list[StepRunRow]:
    """Runs in the order they were opened: follow previous_run links where times tie."""
    by_previous: dict[uuid.UUID | None, list[StepRunRow]] = {}
    for row in rows:
        by_previous.setdefault(row.previous_run_id, []).append(row)
    ordered: list[StepRunRow] = []
    pending = list(by_previous.get(None, []))
    seen: set[uuid.UUID] = set()
    while pending:
        row = pending.pop(0)
        if row.id in seen:
            continue
        seen.add(row.id)
        ordered.append(row)
        pending.extend(by_previous.get(row.id, []))
    ordered.extend(r for r in rows if r.id not in seen)
    return ordered


def _run_from_row(row: StepRunRow) -> StepRun:
    return StepRun(
        id=row.id,
        step_number=row.step_number,
        round=row.round,
        state=StepRunState(row.state),
        assignment=Assignment(row.assignment),
        opened_at=row.opened_at,
        previous_run_id=row.previous_run_id,
        sender_id=row.sender_id,
        instruction=row.instruction,
        completed_at=row.completed_at,
        due_at=row.due_at,
        answer=DecisionAnswer(row.answer) if row.answer else None,
        reason=row.reason,
    )


def _disposition_from_row(
    row: DispositionRow, documents: dict[uuid.UUID, list[uuid.UUID]]
) -> Disposition:
    return Disposition(
        id=row.id,
        step_run_id=row.step_run_id,
        assignee_id=row.assignee_id,
        position_id=row.position_id,
        state=DispositionState(row.state),
        created_at=row.created_at,
        sender_id=row.sender_id,
        instruction=row.instruction,
        acting=ActingKind(row.acting) if row.acting else None,
        acting_for_id=row.acting_for_id,
        manual=row.manual,
        handed_from_id=row.handed_from_id,
        acted_at=row.acted_at,
        note=row.note,
        reason=row.reason,
        document_ids=list(documents.get(row.id, [])),
    )

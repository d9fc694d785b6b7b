"""Instances in the database: rows become the engine's aggregate, and its changes become rows.

Saving bumps the instance's version with a guarded UPDATE (WHERE version = the version loaded)
before anything else is written: when another transaction changed the instance in the meantime,
nothing is written and ConcurrentUpdate is raised, so the caller can reload and try again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update

from sopbot.engine.errors import NotFound
from sopbot.engine.instance import (
    Disposition,
    EntityKind,
    Instance,
    InstanceState,
    StepRun,
    Transition,
    TransitionAction,
)
from sopbot.engine.procedure import Procedure
from sopbot.storage.definitions import DefinitionStore
from sopbot.storage.entity_columns import EntityColumns
from sopbot.storage.errors import ConcurrentUpdate
from sopbot.storage.letters import letter_columns, letter_of
from sopbot.storage.models import (
    AgencyRow,
    DispositionRow,
    DocumentRow,
    InstanceRow,
    StepRunRow,
)
from sopbot.storage.prepared import PreparedQuery, PreparedWrite
from sopbot.storage.statements import table_of
from sopbot.storage.unit_of_work import UnitOfWork

_INSTANCE = table_of(InstanceRow)
_RUN = table_of(StepRunRow)
_DISPOSITION = table_of(DispositionRow)
_DOCUMENT = table_of(DocumentRow)
_AGENCY = table_of(AgencyRow)

# The instance row with its agency's time zone (the notices show local times).
_INSTANCE_BY_ID = PreparedQuery(
    select(_INSTANCE, _AGENCY.c.timezone.label("agency_timezone"))
    .join(_AGENCY, _AGENCY.c.id == _INSTANCE.c.agency_id)
    .where(_INSTANCE.c.id == bindparam("instance_id"))
)
# The same, found by one of its dispositions: one round trip where two were.
_INSTANCE_BY_DISPOSITION = PreparedQuery(
    select(_INSTANCE, _AGENCY.c.timezone.label("agency_timezone"))
    .join(_AGENCY, _AGENCY.c.id == _INSTANCE.c.agency_id)
    .join(_DISPOSITION, _DISPOSITION.c.instance_id == _INSTANCE.c.id)
    .where(_DISPOSITION.c.id == bindparam("disposition_id"))
)
_RUNS = PreparedQuery(
    select(_RUN)
    .where(_RUN.c.instance_id == bindparam("instance_id"))
    .order_by(_RUN.c.opened_at, _RUN.c.round)
)
_DISPOSITIONS = PreparedQuery(
    select(_DISPOSITION)
    .where(_DISPOSITION.c.instance_id == bindparam("instance_id"))
    .order_by(_DISPOSITION.c.created_at)
)
_ATTACHED_DOCUMENTS = PreparedQuery(
    select(_DOCUMENT.c.id, _DOCUMENT.c.disposition_id)
    .where(_DOCUMENT.c.instance_id == bindparam("instance_id"))
    .where(_DOCUMENT.c.disposition_id.is_not(None))
    .order_by(_DOCUMENT.c.uploaded_at)
)
_BUMP_VERSION = PreparedWrite(
    update(_INSTANCE)
    .where(_INSTANCE.c.id == bindparam("b_id"))
    .where(_INSTANCE.c.version == bindparam("b_version"))
    .values(
        version=bindparam("version"),
        state=bindparam("state"),
        finished_at=bindparam("finished_at"),
        cancel_reason=bindparam("cancel_reason"),
        letter_number=bindparam("letter_number"),
        letter_date=bindparam("letter_date"),
        letter_sender=bindparam("letter_sender"),
    )
)
# Step runs and dispositions are stored field by field: a field of the engine's dataclass is
# the column of the same name (enums as their values), so a new column is the model, its
# migration and the engine's field.
_RUN_COLUMNS = EntityColumns(StepRun, _RUN)
_DISPOSITION_COLUMNS = EntityColumns(Disposition, _DISPOSITION)
_INSERT_RUN = PreparedWrite(insert(_RUN))
_INSERT_DISPOSITION = PreparedWrite(insert(_DISPOSITION))
_INSERT_DOCUMENT = PreparedWrite(insert(_DOCUMENT))
_UPDATE_RUN = PreparedWrite(update(_RUN).where(_RUN.c.id == bindparam("b_id")))
_UPDATE_DISPOSITION = PreparedWrite(
    update(_DISPOSITION).where(_DISPOSITION.c.id == bindparam("b_id"))
)
_SET_NOTE = PreparedWrite(
    update(_DISPOSITION)
    .where(_DISPOSITION.c.id == bindparam("b_id"))
    .values(note=bindparam("note"))
)


@dataclass(frozen=True, slots=True)
class NewDocument:
    """An uploaded file, already checked and kept in the document store."""

    telegram_file_id: str
    telegram_file_unique_id: str
    original_name: str
    mime_type: str
    size_bytes: int
    sha256: str
    storage_key: str


@dataclass(frozen=True, slots=True)
class StagedDocument:
    """An uploaded file saved with the change that attaches it to a step run."""

    id: uuid.UUID
    step_run_id: uuid.UUID
    uploaded_by_id: int
    uploaded_at: dt.datetime
    file: NewDocument


@dataclass
class LoadedInstance:
    """An instance's aggregate with what is stored of it, ready to be changed and saved."""

    procedure: Procedure
    number: int
    sop_version_id: int
    loaded_version: int
    is_new: bool = False
    # The ids of the step runs and dispositions that have rows (the others are inserted).
    stored_runs: set[uuid.UUID] = field(default_factory=set)
    stored_dispositions: set[uuid.UUID] = field(default_factory=set)
    agency_timezone: str | None = None  # read with the instance, for the notices

    @property
    def instance(self) -> Instance:
        """The aggregate being worked on."""
        return self.procedure.instance


class InstanceStore:
    """Loads and saves instances; every save also writes the audit rows of its transitions."""

    def __init__(self, definitions: DefinitionStore) -> None:
        self.definitions = definitions

    # -- loading ---------------------------------------------------------------------------

    def load(self, uow: UnitOfWork, instance_id: uuid.UUID) -> LoadedInstance:
        """The instance with its step runs, dispositions and attached documents; NotFound for
        an unknown id."""
        row = _INSTANCE_BY_ID.first(uow.session, {"instance_id": instance_id})
        if row is None:
            raise NotFound("no such procedure", what="instance", id=instance_id)
        return self._load_rest(uow, row)

    def load_for_disposition(self, uow: UnitOfWork, disposition_id: uuid.UUID) -> LoadedInstance:
        """The instance a disposition belongs to, loaded; NotFound for an unknown id (an old
        or forged button)."""
        row = _INSTANCE_BY_DISPOSITION.first(uow.session, {"disposition_id": disposition_id})
        if row is None:
            raise NotFound("no such disposition", what="disposition", id=disposition_id)
        return self._load_rest(uow, row)

    def _load_rest(self, uow: UnitOfWork, row: Any) -> LoadedInstance:
        session = uow.session
        instance_id: uuid.UUID = row.id
        definition = self.definitions.load(uow, row.sop_version_id)
        wanted = {"instance_id": instance_id}
        run_rows = _RUNS.rows(session, wanted)
        disposition_rows = _DISPOSITIONS.rows(session, wanted)
        documents: dict[uuid.UUID, list[uuid.UUID]] = {}
        for document_id, disposition_id in _ATTACHED_DOCUMENTS.rows(session, wanted):
            documents.setdefault(disposition_id, []).append(document_id)
        instance = Instance(
            id=instance_id,
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
            letter=letter_of(row),
            step_runs=[_RUN_COLUMNS.entity(r) for r in _in_opening_order(run_rows)],
            dispositions=[
                _DISPOSITION_COLUMNS.entity(d, document_ids=list(documents.get(d.id, [])))
                for d in disposition_rows
            ],
        )
        return LoadedInstance(
            procedure=Procedure(definition, instance),
            number=row.number,
            sop_version_id=row.sop_version_id,
            loaded_version=row.version,
            stored_runs={r.id for r in run_rows},
            stored_dispositions={d.id for d in disposition_rows},
            agency_timezone=row.agency_timezone,
        )

    # -- saving ----------------------------------------------------------------------------

    def add_new(
        self,
        uow: UnitOfWork,
        procedure: Procedure,
        sop_version_id: int,
        *,
        agency_timezone: str | None = None,
    ) -> LoadedInstance:
        """Insert a just-started instance (numbered per agency); `save` then writes its changes."""
        instance = procedure.instance
        session = uow.session
        highest: int = session.execute(
            select(func.coalesce(func.max(_INSTANCE.c.number), 0)).where(
                _INSTANCE.c.agency_id == instance.agency_id
            )
        ).scalar_one()
        number = highest + 1
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
                **letter_columns(instance.letter),
            )
        )
        session.flush()
        return LoadedInstance(
            procedure=procedure,
            number=number,
            sop_version_id=sop_version_id,
            loaded_version=0,
            is_new=True,
            agency_timezone=agency_timezone,
        )

    def save(
        self,
        uow: UnitOfWork,
        loaded: LoadedInstance,
        *,
        documents: Sequence[StagedDocument] = (),
    ) -> list[Transition]:
        """Write the changes the engine made, after checking that no other transaction changed
        the instance since it was loaded (ConcurrentUpdate); returns the transitions saved,
        which the caller audits and tells people of."""
        procedure = loaded.procedure
        transitions = list(procedure.transitions)
        if not transitions:
            return []
        session = uow.session
        instance = procedure.instance
        bumped = _BUMP_VERSION.run(
            session,
            {
                "b_id": instance.id,
                "b_version": loaded.loaded_version,
                "version": loaded.loaded_version + 1,
                "state": instance.state.value,
                "finished_at": instance.finished_at,
                "cancel_reason": instance.cancel_reason,
                **letter_columns(instance.letter),
            },
        )
        if bumped != 1:
            raise ConcurrentUpdate(f"instance {instance.id} changed since it was loaded")
        changed_runs = {t.entity_id for t in transitions if t.entity is EntityKind.STEP_RUN}
        changed_dispositions = {
            t.entity_id for t in transitions if t.entity is EntityKind.DISPOSITION
        }
        # Runs before dispositions (a disposition refers to its run); each kind in the order
        # of the aggregate, as one executemany per statement.
        self._write(
            session,
            _INSERT_RUN,
            _UPDATE_RUN,
            [
                _RUN_COLUMNS.values(r, instance_id=instance.id)
                for r in instance.step_runs
                if r.id in changed_runs
            ],
            loaded.stored_runs,
            _RUN_COLUMNS.changeable,
        )
        self._write(
            session,
            _INSERT_DISPOSITION,
            _UPDATE_DISPOSITION,
            [
                _DISPOSITION_COLUMNS.values(d, instance_id=instance.id)
                for d in instance.dispositions
                if d.id in changed_dispositions
            ],
            loaded.stored_dispositions,
            _DISPOSITION_COLUMNS.changeable,
        )
        # Uploaded with this change (their step run exists now), each with the disposition the
        # engine attached it to.
        attached_to = {
            t.entity_id: uuid.UUID(str(t.detail["disposition_id"]))
            for t in transitions
            if t.entity is EntityKind.DOCUMENT and t.action is TransitionAction.ATTACH
        }
        _INSERT_DOCUMENT.run(
            session, [_document_values(loaded, d, attached_to.get(d.id)) for d in documents]
        )
        procedure.transitions.clear()
        loaded.loaded_version += 1
        instance.version = loaded.loaded_version
        return transitions

    def save_note(self, uow: UnitOfWork, disposition: Disposition) -> None:
        """Keep a disposition's note (a draft: no transition, no audit row, no version bump)."""
        _SET_NOTE.run(uow.session, {"b_id": disposition.id, "note": disposition.note})

    @staticmethod
    def _write(
        session: Any,
        insert_statement: PreparedWrite,
        update_statement: PreparedWrite,
        values: list[dict[str, Any]],
        stored: set[uuid.UUID],
        changes: Sequence[str],
    ) -> None:
        """Insert the new rows and update the stored ones (all their changeable columns)."""
        new = [v for v in values if v["id"] not in stored]
        old = [
            {"b_id": v["id"], **{name: v[name] for name in changes}}
            for v in values
            if v["id"] in stored
        ]
        if old:
            update_statement.run(session, old)
        if new:
            insert_statement.run(session, new)
            stored.update(v["id"] for v in new)


def _document_values(
    loaded: LoadedInstance, staged: StagedDocument, disposition_id: uuid.UUID | None
) -> dict[str, Any]:
    file = staged.file
    return {
        "id": staged.id,
        "instance_id": loaded.instance.id,
        "step_run_id": staged.step_run_id,
        "disposition_id": disposition_id,
        "telegram_file_id": file.telegram_file_id,
        "telegram_file_unique_id": file.telegram_file_unique_id,
        "original_name": file.original_name,
        "mime_type": file.mime_type,
        "size_bytes": file.size_bytes,
        "sha256": file.sha256,
        "storage_key": file.storage_key,
        "uploaded_by_id": staged.uploaded_by_id,
        "uploaded_at": staged.uploaded_at,
    }


def _in_opening_order(rows: list[Row[Any]]) -> list[Row[Any]]:
    """Runs in the order they were opened: follow previous_run links where times tie."""
    by_previous: dict[uuid.UUID | None, list[Row[Any]]] = {}
    for row in rows:
        by_previous.setdefault(row.previous_run_id, []).append(row)
    ordered: list[Row[Any]] = []
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

"""What monitoring reads: an agency's procedures started in a period, their step runs, who each
run reached and how many documents they gathered, as the engine's records
(sopbot.engine.compliance), in four set-based queries whatever the number of procedures.

Read-only: each function takes a `UnitOfWork` (opened with `read_only=True`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, select

from sopbot.engine.compliance import DispositionRecord, ProcedureRecord, StepRunRecord
from sopbot.engine.definition import SopDefinition
from sopbot.storage.definitions import DefinitionStore
from sopbot.storage.models import (
    DispositionRow,
    DocumentRow,
    InstanceRow,
    PositionRow,
    SopVersionRow,
    StepRunRow,
)
from sopbot.storage.statements import execute, table_of
from sopbot.storage.unit_of_work import UnitOfWork

_INSTANCE = table_of(InstanceRow)
_STEP_RUN = table_of(StepRunRow)
_DISPOSITION = table_of(DispositionRow)
_POSITION = table_of(PositionRow)
_DOCUMENT = table_of(DocumentRow)
_SOP_VERSION = table_of(SopVersionRow)


def _started_in(
    agency_id: int, start: dt.datetime, end: dt.datetime, sop_id: str | None
) -> list[ColumnElement[bool]]:
    """The conditions on `instance` of the procedures started in [start, end)."""
    conditions = [
        _INSTANCE.c.agency_id == agency_id,
        _INSTANCE.c.started_at >= start,
        _INSTANCE.c.started_at < end,
    ]
    if sop_id is not None:
        conditions.append(_INSTANCE.c.sop_id == sop_id)
    return conditions


def procedures_started(
    uow: UnitOfWork,
    agency_id: int,
    start: dt.datetime,
    end: dt.datetime,
    sop_id: str | None = None,
) -> list[ProcedureRecord]:
    """The agency's procedures (of one SOP, or of all) started in [start, end) (UTC), by
    number, each with its runs opened before `end` (in the order they opened), their
    dispositions created before `end`, and its documents uploaded before `end`.

    Four queries: the procedures, their runs, their dispositions (with their post's name),
    their documents counted; each joins `instance` on the same conditions.
    """
    started = _started_in(agency_id, start, end, sop_id)
    session = uow.session
    instances = execute(
        session,
        select(
            _INSTANCE.c.id,
            _INSTANCE.c.number,
            _INSTANCE.c.sop_id,
            _INSTANCE.c.sop_version_id,
            _INSTANCE.c.state,
            _INSTANCE.c.started_at,
            _INSTANCE.c.finished_at,
        )
        .where(*started)
        .order_by(_INSTANCE.c.number),
    ).all()
    if not instances:
        return []
    dispositions = _dispositions(uow, started, end)
    runs: dict[uuid.UUID, list[StepRunRecord]] = defaultdict(list)
    for row in execute(
        session,
        select(
            _STEP_RUN.c.instance_id,
            _STEP_RUN.c.id,
            _STEP_RUN.c.step_number,
            _STEP_RUN.c.round,
            _STEP_RUN.c.state,
            _STEP_RUN.c.opened_at,
            _STEP_RUN.c.completed_at,
            _STEP_RUN.c.due_at,
            _STEP_RUN.c.answer,
        )
        .join(_INSTANCE, _INSTANCE.c.id == _STEP_RUN.c.instance_id)
        .where(*started, _STEP_RUN.c.opened_at < end)
        .order_by(_STEP_RUN.c.instance_id, _STEP_RUN.c.opened_at, _STEP_RUN.c.round),
    ):
        instance_id, run_id, number, round_number, state, opened, completed, due, answer = row
        runs[instance_id].append(
            StepRunRecord(
                run_id,
                number,
                round_number,
                state,
                opened,
                completed,
                due,
                answer,
                dispositions.get(run_id, ()),
            )
        )
    documents: dict[uuid.UUID, int] = {
        instance_id: int(count)
        for instance_id, count in execute(
            session,
            select(_DOCUMENT.c.instance_id, func.count(_DOCUMENT.c.id))
            .join(_INSTANCE, _INSTANCE.c.id == _DOCUMENT.c.instance_id)
            .where(*started, _DOCUMENT.c.uploaded_at < end)
            .group_by(_DOCUMENT.c.instance_id),
        )
    }
    return [
        ProcedureRecord(
            instance_id,
            number,
            sop,
            version_id,
            state,
            started_at,
            finished_at,
            tuple(runs.get(instance_id, ())),
            documents.get(instance_id, 0),
        )
        for instance_id, number, sop, version_id, state, started_at, finished_at in instances
    ]


def _dispositions(
    uow: UnitOfWork, started: list[ColumnElement[bool]], end: dt.datetime
) -> dict[uuid.UUID, tuple[DispositionRecord, ...]]:
    """The dispositions of the procedures, created before `end`, by step run, oldest first."""
    found: dict[uuid.UUID, list[DispositionRecord]] = defaultdict(list)
    for row in execute(
        uow.session,
        select(
            _DISPOSITION.c.step_run_id,
            _DISPOSITION.c.id,
            _DISPOSITION.c.assignee_id,
            _POSITION.c.name,
            _DISPOSITION.c.state,
            _DISPOSITION.c.created_at,
            _DISPOSITION.c.acted_at,
            _DISPOSITION.c.manual,
            _DISPOSITION.c.handed_from_id,
            _DISPOSITION.c.sender_id,
            _DISPOSITION.c.acting,
        )
        .join(_INSTANCE, _INSTANCE.c.id == _DISPOSITION.c.instance_id)
        .join(_POSITION, _POSITION.c.id == _DISPOSITION.c.position_id)
        .where(*started, _DISPOSITION.c.created_at < end)
        .order_by(_DISPOSITION.c.created_at),
    ):
        run_id, *facts = row
        found[run_id].append(DispositionRecord(*facts))
    return {run_id: tuple(records) for run_id, records in found.items()}


def sops_run(uow: UnitOfWork, agency_id: int) -> dict[str, int]:
    """Every SOP the agency has run a procedure of, with the newest version it ran (its
    `sop_version` id), in one query."""
    rows = execute(
        uow.session,
        select(_INSTANCE.c.sop_id, func.max(_INSTANCE.c.sop_version_id))
        .where(_INSTANCE.c.agency_id == agency_id)
        .group_by(_INSTANCE.c.sop_id),
    )
    return {sop_id: int(version_id) for sop_id, version_id in rows}


def definitions_of(
    uow: UnitOfWork, definitions: DefinitionStore, sop_version_ids: Iterable[int]
) -> dict[int, SopDefinition]:
    """The definition of each stored version, by id: from the store's cache, the others read
    in one query and parsed once (the store keeps them)."""
    wanted = set(sop_version_ids)
    found = {v: d for v in wanted if (d := definitions.cached(v)) is not None}
    missing = wanted - found.keys()
    if missing:
        rows = execute(
            uow.session,
            select(
                _SOP_VERSION.c.id,
                _SOP_VERSION.c.sop_id,
                _SOP_VERSION.c.version,
                _SOP_VERSION.c.source,
            ).where(_SOP_VERSION.c.id.in_(sorted(missing))),
        )
        for version_id, sop_id, version, source in rows:
            found[version_id] = definitions.parse(version_id, sop_id, version, source)
    return found

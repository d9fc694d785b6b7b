"""What monitoring reads: an agency's procedures started in a period (with their titles and
letters), their step runs, who each run reached and how many documents they gathered, as the
engine's records (sopbot.engine.compliance), in three set-based queries whatever the number of
procedures.

Read-only: each function takes a `UnitOfWork` (opened with `read_only=True`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, func, or_, select

from sopbot.engine.compliance import DispositionRecord, ProcedureRecord, StepRunRecord
from sopbot.engine.definition import SopDefinition
from sopbot.engine.instance import DispositionState
from sopbot.storage.definitions import DefinitionStore
from sopbot.storage.letters import letter_of
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

# The dispositions the figures read: who delivered a run, who sent it back, and the hand-overs
# (the one handed on, and the manual one that took over). Those released to a teammate,
# rerouted after a mutasi, still pending or cancelled tell the figures nothing.
_TELLING_STATES = [
    DispositionState.DONE.value,
    DispositionState.RETURNED.value,
    DispositionState.HANDED_OVER.value,
]


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
    number, each with its title and letter, its runs opened before `end` (in the order they
    opened), those of their dispositions created before `end` that the figures read
    (delivered, sent back, handed on, or taking over by hand), and the number of its documents
    uploaded before `end`.

    Three queries, each on `instance` with the same conditions: the procedures; their runs
    with those dispositions; their documents counted. Rows are tied to their procedure by its
    number rather than by its id, which would have to be read into a UUID on every row.
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
            _INSTANCE.c.title,
            _INSTANCE.c.letter_number,
            _INSTANCE.c.letter_date,
            _INSTANCE.c.letter_sender,
        )
        .where(*started)
        .order_by(_INSTANCE.c.number),
    ).all()
    if not instances:
        return []
    runs = _runs(uow, started, end)
    documents: dict[int, int] = {
        number: int(count)
        for number, count in execute(
            session,
            select(_INSTANCE.c.number, func.count(_DOCUMENT.c.id))
            .join(_INSTANCE, _INSTANCE.c.id == _DOCUMENT.c.instance_id)
            .where(*started, _DOCUMENT.c.uploaded_at < end)
            .group_by(_INSTANCE.c.number),
        )
    }
    return [
        ProcedureRecord(
            row.id,
            row.number,
            row.sop_id,
            row.sop_version_id,
            row.state,
            row.started_at,
            row.finished_at,
            tuple(runs.get(row.number, ())),
            documents.get(row.number, 0),
            row.title,
            letter_of(row),
        )
        for row in instances
    ]


def _runs(
    uow: UnitOfWork, started: list[ColumnElement[bool]], end: dt.datetime
) -> dict[int, list[StepRunRecord]]:
    """The runs of the procedures opened before `end`, by procedure number, in the order they
    opened, each with its telling dispositions created before `end`, oldest first: a row for
    each such disposition (with its post's name and, taking over by hand, whose disposition
    it took over), a run without one on a row of its own."""
    handed_from = _DISPOSITION.alias("handed_from")
    telling = and_(
        _DISPOSITION.c.step_run_id == _STEP_RUN.c.id,
        _DISPOSITION.c.created_at < end,
        or_(_DISPOSITION.c.state.in_(_TELLING_STATES), _DISPOSITION.c.manual),
    )
    rows = execute(
        uow.session,
        select(
            _INSTANCE.c.number,
            _STEP_RUN.c.step_number,
            _STEP_RUN.c.round,
            _STEP_RUN.c.state,
            _STEP_RUN.c.opened_at,
            _STEP_RUN.c.completed_at,
            _STEP_RUN.c.due_at,
            _STEP_RUN.c.answer,
            _DISPOSITION.c.assignee_id,
            _POSITION.c.name,
            _DISPOSITION.c.state,
            _DISPOSITION.c.acted_at,
            _DISPOSITION.c.manual,
            _DISPOSITION.c.sender_id,
            _DISPOSITION.c.acting,
            handed_from.c.assignee_id,
        )
        .select_from(_STEP_RUN)
        .join(_INSTANCE, _INSTANCE.c.id == _STEP_RUN.c.instance_id)
        .outerjoin(_DISPOSITION, telling)
        .outerjoin(_POSITION, _POSITION.c.id == _DISPOSITION.c.position_id)
        .outerjoin(handed_from, handed_from.c.id == _DISPOSITION.c.handed_from_id)
        .where(*started, _STEP_RUN.c.opened_at < end)
        .order_by(
            _INSTANCE.c.number,
            _STEP_RUN.c.opened_at,
            _STEP_RUN.c.round,
            _STEP_RUN.c.step_number,
            _DISPOSITION.c.created_at,
        ),
    )
    found: dict[int, list[StepRunRecord]] = defaultdict(list)
    run: _RunRows | None = None
    for (
        number,
        step_number,
        round_number,
        state,
        opened,
        completed,
        due,
        answer,
        assignee,
        *disposition,
    ) in rows:
        # A run's rows come together; its step and round tell it from the procedure's others.
        if run is None or run.key != (number, step_number, round_number):
            if run is not None:
                found[run.key[0]].append(run.record())
            run = _RunRows(
                (number, step_number, round_number),
                (step_number, round_number, state, opened, completed, due, answer),
            )
        if assignee is not None:
            run.dispositions.append(DispositionRecord(assignee, *disposition))
    if run is not None:
        found[run.key[0]].append(run.record())
    return found


_RunFacts = tuple[int, int, str, dt.datetime, dt.datetime | None, dt.datetime | None, str | None]


class _RunRows:
    """The rows of one run as they are read: the run's facts and its dispositions."""

    __slots__ = ("dispositions", "facts", "key")

    def __init__(self, key: tuple[int, int, int], facts: _RunFacts) -> None:
        self.key = key  # (procedure number, step number, round)
        self.facts = facts  # step number, round, state, opened, completed, due, answer
        self.dispositions: list[DispositionRecord] = []

    def record(self) -> StepRunRecord:
        """The run as the engine reads it."""
        step_number, round_number, state, opened, completed, due, answer = self.facts
        return StepRunRecord(
            step_number,
            round_number,
            state,
            opened,
            completed,
            due,
            answer,
            tuple(self.dispositions),
        )


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

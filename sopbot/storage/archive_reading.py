"""What the archive reads: an agency's procedures searched and paged (/cari, /arsip,
`sopbot procedure search`), and for one procedure's record (/ekspor, `sopbot procedure
export`) its documents, its audit rows and its agency's chain (the rows that vouch for each
document's upload are `storage.document_audit.attach_records_of`).

Read-only: each function takes a `UnitOfWork` (opened with `read_only=True`) and returns frozen
dataclasses. The searched words are bound parameters, never part of the SQL text, and LIKE's
wildcards in them (`%`, `_`) are escaped, so "10%" finds "10%" and nothing else. Matching is
case-insensitive: both sides are lower-cased (`lower()` in the database, `str.lower` here).
PostgreSQL lower-cases every letter; SQLite's `lower()` only A-Z, so on SQLite an accented
capital in a title (rare in Indonesian) matches only as typed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, and_, exists, false, func, or_
from sqlalchemy.orm import Mapped
from sqlmodel import col, select

from sopbot.engine.instance import EntityKind, TransitionAction
from sopbot.storage.models import (
    AuditRow,
    DispositionRow,
    DocumentRow,
    InstanceRow,
    StepRunRow,
)
from sopbot.storage.unit_of_work import UnitOfWork

_TRANSITION_ENTITIES = tuple(kind.value for kind in EntityKind)
_TRANSITION_ACTIONS = tuple(action.value for action in TransitionAction)


@dataclass(frozen=True, slots=True)
class ArchivedProcedure:
    """A procedure as the archive lists it: its number, title, letter, SOP, state and times."""

    id: uuid.UUID
    agency_id: int
    number: int
    title: str
    state: str
    sop_id: str
    sop_version_id: int
    started_by_id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    cancel_reason: str | None
    letter_number: str | None
    letter_date: dt.date | None
    letter_sender: str | None


@dataclass(frozen=True, slots=True)
class ProcedureSearch:
    """What to find among one agency's procedures; every part given must hold.

    `involving` is the member a non-admin searches as: only the procedures they started, acted
    in or were given a step of (as /riwayat decides, `InstanceHistory.involves`). `officials`
    is the same test for `oleh:`, any one of the members named. The day range is a half-open
    span of instants: a procedure started or finished within it is found.
    """

    agency_id: int
    words: tuple[str, ...] = ()  # each in the title or the letter number (or the number)
    number: int | None = None
    letter: str | None = None  # in the letter number
    sop_ids: tuple[str, ...] | None = None  # None: any SOP; (): none matched
    officials: tuple[int, ...] | None = None  # None: anyone; (): nobody matched
    involving: int | None = None
    since: dt.datetime | None = None  # inclusive
    before: dt.datetime | None = None  # exclusive
    states: frozenset[str] = field(default_factory=frozenset)  # empty: any
    by_end: bool = False  # newest ended first (else newest started first)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of what a search found, and how many it found in all."""

    total: int
    procedures: list[ArchivedProcedure]


@dataclass(frozen=True, slots=True)
class ArchivedDocument:
    """A document of a procedure, with the step run it was the output of."""

    id: uuid.UUID
    step_number: int
    round: int
    original_name: str
    mime_type: str
    size_bytes: int
    sha256: str
    storage_key: str
    uploaded_by_id: int
    uploaded_at: dt.datetime


def search_procedures(
    uow: UnitOfWork, search: ProcedureSearch, *, offset: int = 0, limit: int | None = None
) -> SearchResult:
    """The agency's procedures the search finds, newest first (started, or with `by_end`
    ended), `limit` of them from `offset`, and how many there are in all."""
    conditions = _conditions(search)
    total = uow.session.exec(select(func.count()).select_from(InstanceRow).where(*conditions)).one()
    order: list[UnaryExpression[Any]]
    if search.by_end:
        order = [col(InstanceRow.finished_at).desc().nulls_last(), col(InstanceRow.number).desc()]
    else:
        order = [col(InstanceRow.started_at).desc(), col(InstanceRow.number).desc()]
    statement = select(InstanceRow).where(*conditions).order_by(*order).offset(max(0, offset))
    if limit is not None:
        statement = statement.limit(limit)
    return SearchResult(int(total), [_archived(row) for row in uow.session.exec(statement)])


def procedure_with_id(
    uow: UnitOfWork, agency_id: int, instance_id: uuid.UUID
) -> ArchivedProcedure | None:
    """The agency's procedure with this id; None when there is none (another agency's
    procedure is not found either)."""
    row = uow.session.get(InstanceRow, instance_id)
    return None if row is None or row.agency_id != agency_id else _archived(row)


def procedure_with_number(uow: UnitOfWork, agency_id: int, number: int) -> ArchivedProcedure | None:
    """The agency's procedure with this number, in any state; None when there is none."""
    row = uow.session.exec(
        select(InstanceRow).where(InstanceRow.agency_id == agency_id, InstanceRow.number == number)
    ).first()
    return None if row is None else _archived(row)


def sops_in_use(uow: UnitOfWork, agency_id: int) -> dict[str, int]:
    """The SOPs the agency's procedures ran, each with the newest version one of them ran."""
    rows = uow.session.exec(
        select(InstanceRow.sop_id, func.max(InstanceRow.sop_version_id))
        .where(InstanceRow.agency_id == agency_id)
        .group_by(col(InstanceRow.sop_id))
    )
    return {sop_id: int(version) for sop_id, version in rows}


def documents_of_procedure(uow: UnitOfWork, instance_id: uuid.UUID) -> list[ArchivedDocument]:
    """The procedure's documents in the order they were uploaded, each with its step run."""
    rows = uow.session.exec(
        select(DocumentRow, StepRunRow.step_number, StepRunRow.round)
        .join(StepRunRow, col(StepRunRow.id) == col(DocumentRow.step_run_id))
        .where(DocumentRow.instance_id == instance_id)
        .order_by(col(DocumentRow.uploaded_at), col(StepRunRow.opened_at), col(DocumentRow.id))
    )
    return [
        ArchivedDocument(
            document.id,
            step_number,
            round_,
            document.original_name,
            document.mime_type,
            document.size_bytes,
            document.sha256,
            document.storage_key,
            document.uploaded_by_id,
            document.uploaded_at,
        )
        for document, step_number, round_ in rows
    ]


def audit_row_ids_of(uow: UnitOfWork, instance_id: uuid.UUID) -> set[int]:
    """The ids of the audit rows that record the procedure."""
    rows = uow.session.exec(select(AuditRow.id).where(AuditRow.instance_id == instance_id))
    return {row_id for row_id in rows if row_id is not None}


# -- the search's conditions ----------------------------------------------------------------


def _conditions(search: ProcedureSearch) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(InstanceRow.agency_id) == search.agency_id]
    conditions.extend(_word(word) for word in search.words)
    if search.number is not None:
        conditions.append(col(InstanceRow.number) == search.number)
    if search.letter is not None:
        conditions.append(_containing(col(InstanceRow.letter_number), search.letter))
    if search.sop_ids is not None:
        sops = col(InstanceRow.sop_id).in_(search.sop_ids) if search.sop_ids else false()
        conditions.append(sops)
    if search.officials is not None:
        conditions.append(_involving(search.officials) if search.officials else false())
    if search.involving is not None:
        conditions.append(_involving([search.involving]))
    if search.since is not None or search.before is not None:
        conditions.append(
            or_(
                _within(col(InstanceRow.started_at), search.since, search.before),
                _within(col(InstanceRow.finished_at), search.since, search.before),
            )
        )
    if search.states:
        conditions.append(col(InstanceRow.state).in_(sorted(search.states)))
    return conditions


def _containing(column: Mapped[str] | Mapped[str | None], text: str) -> ColumnElement[bool]:
    """The column holds the text, whatever the case: a bound parameter, its `%` and `_`
    escaped (`autoescape`), so they match only themselves."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def _word(word: str) -> ColumnElement[bool]:
    """A word in the title or the letter number; a whole number may also be the number."""
    found = or_(
        _containing(col(InstanceRow.title), word),
        _containing(col(InstanceRow.letter_number), word),
    )
    if word.isdigit() and len(word) <= 9:
        found = or_(found, col(InstanceRow.number) == int(word))
    return found


def _involving(member_ids: Sequence[int]) -> ColumnElement[bool]:
    """One of the members started the procedure, acted in a transition of it, was given a
    step of it or uploaded one of its documents (what `InstanceHistory.involves` reads)."""
    ids = sorted(set(member_ids))
    return or_(
        col(InstanceRow.started_by_id).in_(ids),
        exists().where(
            col(DispositionRow.instance_id) == col(InstanceRow.id),
            col(DispositionRow.assignee_id).in_(ids),
        ),
        exists().where(
            col(AuditRow.instance_id) == col(InstanceRow.id),
            col(AuditRow.actor_id).in_(ids),
            col(AuditRow.entity).in_(_TRANSITION_ENTITIES),
            col(AuditRow.action).in_(_TRANSITION_ACTIONS),
        ),
        exists().where(
            col(DocumentRow.instance_id) == col(InstanceRow.id),
            col(DocumentRow.uploaded_by_id).in_(ids),
        ),
    )


def _within(
    column: Mapped[dt.datetime] | Mapped[dt.datetime | None],
    since: dt.datetime | None,
    before: dt.datetime | None,
) -> ColumnElement[bool]:
    bounds = []
    if since is not None:
        bounds.append(column >= since)
    if before is not None:
        bounds.append(column < before)
    return and_(*bounds)


def _archived(row: InstanceRow) -> ArchivedProcedure:
    return ArchivedProcedure(
        row.id,
        row.agency_id,
        row.number,
        row.title,
        row.state,
        row.sop_id,
        row.sop_version_id,
        row.started_by_id,
        row.started_at,
        row.finished_at,
        row.cancel_reason,
        row.letter_number,
        row.letter_date,
        row.letter_sender,
    )

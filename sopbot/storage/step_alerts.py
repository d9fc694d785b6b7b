"""Step alerts: the open step runs that may be owed a reminder or an escalation, the alerts
already sent (`step_alert`, unique per run, kind and sequence), and the messages they cause.

`services.alerts` decides what is owed (with `engine.alerts`) and renders the messages; this
module reads the facts it decides on and writes what it sent, in the caller's unit of work.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy import select as columns_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from sopbot.engine.alerts import NextAlert, SentAlert
from sopbot.engine.instance import LIVE_DISPOSITION_STATES, InstanceState, StepRunState
from sopbot.storage import audit_chain
from sopbot.storage.errors import ConcurrentUpdate
from sopbot.storage.models import (
    AgencyRow,
    DispositionRow,
    InstanceRow,
    MemberRow,
    StepAlertRow,
    StepRunRow,
)
from sopbot.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class OpenRun:
    """An open step run of a running procedure, with its due time: what planning its alerts
    needs."""

    id: uuid.UUID
    step_number: int
    opened_at: dt.datetime
    due_at: dt.datetime
    agency_id: int
    sop_version_id: int
    sop_id: str
    round: int = 1  # a rework round may have its own standard ('waktu_ulang')


@dataclass(frozen=True, slots=True)
class RunToAlert:
    """An open step run with what its alert messages name: the procedure's number and title,
    and who sent the work into the step (told of an escalation)."""

    run: OpenRun
    procedure_number: int
    title: str
    sender_id: int | None


@dataclass(frozen=True, slots=True)
class Recipient:
    """A member an alert goes to, by name and in their language ("id", "en"; None: Indonesian)."""

    member_id: int
    name: str
    language: str | None


_OPEN_RUN_COLUMNS = (
    col(StepRunRow.id),
    col(StepRunRow.step_number),
    col(StepRunRow.opened_at),
    col(StepRunRow.due_at),
    col(InstanceRow.agency_id),
    col(InstanceRow.sop_version_id),
    col(InstanceRow.sop_id),
    col(StepRunRow.round),
)
_NAMED_COLUMNS = (col(InstanceRow.number), col(InstanceRow.title), col(StepRunRow.sender_id))


def _open_runs(*extra: Any) -> Select[Any]:
    """The open, timed step runs of running procedures: `_OPEN_RUN_COLUMNS`, then `extra`."""
    return (
        columns_select(*_OPEN_RUN_COLUMNS, *extra)
        .join(InstanceRow, col(InstanceRow.id) == col(StepRunRow.instance_id))
        .where(col(StepRunRow.state) == StepRunState.OPEN.value)
        .where(col(StepRunRow.due_at).is_not(None))
        .where(col(InstanceRow.state) == InstanceState.RUNNING.value)
    )


def _run_to_alert(row: Any) -> RunToAlert:
    number, title, sender_id = row[len(_OPEN_RUN_COLUMNS) :]
    return RunToAlert(OpenRun(*row[: len(_OPEN_RUN_COLUMNS)]), number, title, sender_id)


# -- reading the runs --------------------------------------------------------------------------


def open_runs_due_by(uow: UnitOfWork, until: dt.datetime | None) -> list[OpenRun]:
    """Every open step run due by `until` (all when None)."""
    query = _open_runs()
    if until is not None:
        query = query.where(col(StepRunRow.due_at) <= until)
    return [OpenRun(*row) for row in uow.session.execute(query)]


def run_to_alert(uow: UnitOfWork, step_run_id: uuid.UUID) -> RunToAlert | None:
    """The step run if it is open, has a due time and its procedure runs; else None."""
    row = uow.session.execute(
        _open_runs(*_NAMED_COLUMNS).where(col(StepRunRow.id) == step_run_id)
    ).first()
    return None if row is None else _run_to_alert(row)


def late_runs(uow: UnitOfWork, agency_id: int, now: dt.datetime) -> list[RunToAlert]:
    """The agency's open step runs due before `now`, the longest overdue first."""
    rows = uow.session.execute(
        _open_runs(*_NAMED_COLUMNS)
        .where(col(InstanceRow.agency_id) == agency_id)
        .where(col(StepRunRow.due_at) < now)
        .order_by(col(StepRunRow.due_at))
    )
    return [_run_to_alert(row) for row in rows]


# -- the alerts sent ---------------------------------------------------------------------------


def alerts_sent(uow: UnitOfWork, step_run_id: uuid.UUID) -> list[SentAlert]:
    """The alerts a step run was sent."""
    return [
        _sent(alert)
        for alert in uow.session.exec(
            select(StepAlertRow).where(StepAlertRow.step_run_id == step_run_id)
        )
    ]


def alerts_sent_to_open_runs(
    uow: UnitOfWork, until: dt.datetime | None
) -> dict[uuid.UUID, list[SentAlert]]:
    """The alerts sent to each open step run due by `until` (all when None)."""
    query = (
        select(StepAlertRow)
        .join(StepRunRow, col(StepRunRow.id) == col(StepAlertRow.step_run_id))
        .where(StepRunRow.state == StepRunState.OPEN.value)
    )
    if until is not None:
        query = query.where(col(StepRunRow.due_at) <= until)
    sent: dict[uuid.UUID, list[SentAlert]] = defaultdict(list)
    for alert in uow.session.exec(query):
        sent[alert.step_run_id].append(_sent(alert))
    return sent


def record_sent(uow: UnitOfWork, step_run_id: uuid.UUID, alert: NextAlert, at: dt.datetime) -> None:
    """Record that the alert went; `ConcurrentUpdate` (from `separately`) when another sender
    recorded it first."""
    uow.session.add(
        StepAlertRow(
            step_run_id=step_run_id, kind=alert.kind, seq=alert.seq, due_at=alert.at, sent_at=at
        )
    )
    uow.session.flush()  # the unique key stops a second sender here


@contextmanager
def separately(uow: UnitOfWork) -> Iterator[None]:
    """A part of the unit of work that fails alone (one run of a batch of alerts): on an error
    its writes are undone and the error goes on, an alert another sender recorded first as
    `ConcurrentUpdate`; the rest of the unit of work stays."""
    try:
        with audit_chain.savepoint(uow.session):
            yield
    except IntegrityError as taken:
        raise ConcurrentUpdate(f"an alert was recorded by another sender: {taken.orig}") from taken


def _sent(alert: StepAlertRow) -> SentAlert:
    return SentAlert(alert.kind, alert.seq, alert.due_at, alert.sent_at)


# -- who is told -------------------------------------------------------------------------------


def agency_ids(uow: UnitOfWork) -> list[int]:
    """Every agency's id."""
    return [
        agency_id for agency_id in uow.session.exec(select(AgencyRow.id)) if agency_id is not None
    ]


def holders(uow: UnitOfWork, step_run_id: uuid.UUID) -> list[Recipient]:
    """The people the step is waiting for, in one query."""
    return _recipients(
        uow,
        select(MemberRow)
        .join(DispositionRow, col(DispositionRow.assignee_id) == col(MemberRow.id))
        .where(DispositionRow.step_run_id == step_run_id)
        .where(col(DispositionRow.state).in_([s.value for s in LIVE_DISPOSITION_STATES])),
    )


def admins(uow: UnitOfWork, agency_id: int) -> list[Recipient]:
    """The agency's admins."""
    return _recipients(
        uow, select(MemberRow).where(MemberRow.agency_id == agency_id, col(MemberRow.is_admin))
    )


def member(uow: UnitOfWork, member_id: int) -> Recipient | None:
    """One member, or None when there is no such member."""
    row = uow.session.get(MemberRow, member_id)
    return None if row is None else _recipient(row)


def _recipients(uow: UnitOfWork, query: Any) -> list[Recipient]:
    return [_recipient(row) for row in uow.session.exec(query)]


def _recipient(row: MemberRow) -> Recipient:
    assert row.id is not None  # noqa: S101 - a stored row
    return Recipient(row.id, row.name, row.language)

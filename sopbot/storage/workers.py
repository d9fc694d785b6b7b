"""The registry of live workers: each `sopbot run` process beats a heartbeat here.

A worker is live while its heartbeat is younger than `stale_after`; one that died (kill -9)
simply stops beating and is forgotten by the next sweep of stale rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func
from sqlmodel import col, select

from sopbot.storage.unit_of_work import UnitOfWork
from sopbot.storage.worker_models import ChatLeaseRow, WorkerRow


def register(uow: UnitOfWork, *, name: str, mode: str, now: dt.datetime) -> int:
    """Add a worker; its id (the owner of the leases it takes)."""
    row = WorkerRow(name=name, mode=mode, started_at=now, heartbeat_at=now)
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None  # noqa: S101 - set by the flush
    return row.id


def beat(uow: UnitOfWork, worker_id: int, *, name: str, mode: str, now: dt.datetime) -> None:
    """Record that the worker is alive (its row again, if a sweep took it for dead)."""
    row = uow.session.get(WorkerRow, worker_id)
    if row is None:
        uow.session.add(
            WorkerRow(id=worker_id, name=name, mode=mode, started_at=now, heartbeat_at=now)
        )
        return
    row.heartbeat_at = now
    uow.session.add(row)


def forget(uow: UnitOfWork, worker_id: int) -> None:
    """Take a worker that stops out of the registry."""
    uow.session.execute(delete(WorkerRow).where(col(WorkerRow.id) == worker_id))


def forget_everyone(uow: UnitOfWork) -> None:
    """Empty the registry and the chat leases (a database restored from a backup: the
    workers it names do not run here)."""
    uow.session.execute(delete(ChatLeaseRow))
    uow.session.execute(delete(WorkerRow))


def forget_stale(uow: UnitOfWork, *, before: dt.datetime) -> int:
    """Take out the workers whose last heartbeat is older than `before`; how many."""
    result = uow.session.execute(delete(WorkerRow).where(col(WorkerRow.heartbeat_at) < before))
    return int(getattr(result, "rowcount", 0) or 0)


def live(uow: UnitOfWork, *, since: dt.datetime) -> list[WorkerRow]:
    """The workers that beat at or after `since`, oldest first."""
    return list(
        uow.session.exec(
            select(WorkerRow)
            .where(col(WorkerRow.heartbeat_at) >= since)
            .order_by(col(WorkerRow.id))
        ).all()
    )


def live_count(uow: UnitOfWork, *, since: dt.datetime) -> int:
    """How many workers beat at or after `since`."""
    count = uow.session.exec(
        select(func.count()).select_from(WorkerRow).where(col(WorkerRow.heartbeat_at) >= since)
    ).one()
    return int(count)

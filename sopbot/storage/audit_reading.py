"""Reading the audit trail back to check it (`services.audit_verify`): every chain's head and
every row in chain order, all seen as of one moment.

The rows are read in batches, so a long trail is checked in little memory. Writing the trail is
`storage.audit` and `storage.audit_chain`; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlmodel import col, select

from sopbot.storage import audit_chain
from sopbot.storage.database import Database
from sopbot.storage.models import AuditChainHeadRow, AuditRow
from sopbot.storage.unit_of_work import UnitOfWork

# Rows are read in batches of this many.
_BATCH = 2_000


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest link of a chain as its head row records it."""

    chain: str
    last_seq: int
    last_hash: str


@contextmanager
def one_snapshot(database: Database) -> Iterator[UnitOfWork]:
    """A unit of work in which the heads and all rows are seen as of one moment, so a command
    committing meanwhile is not mistaken for a removed or inserted row.

    On PostgreSQL a read-only REPEATABLE READ transaction; on SQLite the writing transaction's
    BEGIN IMMEDIATE keeps writers out until the check ends.
    """
    with database.unit_of_work() as uow:
        if not database.is_sqlite:
            uow.session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
        yield uow


def chain_heads(uow: UnitOfWork) -> dict[str, ChainHead]:
    """Every chain's head, by chain."""
    return {
        head.chain: ChainHead(head.chain, head.last_seq, head.last_hash)
        for head in uow.session.exec(select(AuditChainHeadRow))
    }


def rows_in_chain_order(uow: UnitOfWork) -> Iterator[AuditRow]:
    """Every audit row, chain by chain, each chain in seq order (ties by id)."""
    statement = (
        select(AuditRow)
        .order_by(col(AuditRow.chain), col(AuditRow.seq), col(AuditRow.id))
        .execution_options(yield_per=_BATCH)
    )
    yield from uow.session.exec(statement)


def chains_expected(uow: UnitOfWork) -> set[str]:
    """The chains that must exist: every agency with members or procedures has audited them."""
    return audit_chain.chains_expected(uow.session)


def rows_of_chain(uow: UnitOfWork, chain: str) -> Iterator[AuditRow]:
    """Every audit row of one chain in seq order (ties by id), read in batches."""
    statement = (
        select(AuditRow)
        .where(AuditRow.chain == chain)
        .order_by(col(AuditRow.seq), col(AuditRow.id))
        .execution_options(yield_per=_BATCH)
    )
    yield from uow.session.exec(statement)

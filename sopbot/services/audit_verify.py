"""Checking the audit trail: every chain walked in order, every hash recomputed.

A row whose columns were edited no longer matches its hash. A removed row leaves a gap in seq;
a row put in (or re-hashed after an edit) does not link to the hash before it. Removing the
newest rows leaves the chain's head ahead of the last row that is left.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from sopbot.storage.audit_chain import GENESIS_HASH, chain_of, row_hash
from sopbot.storage.database import Database
from sopbot.storage.models import AuditChainHeadRow, AuditRow

# Rows are read in batches, so a long trail is checked in little memory.
_BATCH = 2_000


class ProblemKind(enum.StrEnum):
    """What is wrong with a link of a chain."""

    EDITED = "edited"  # the row's columns do not give its stored hash
    WRONG_CHAIN = "wrong_chain"  # the row's agency belongs to another chain
    MISSING = "missing"  # a gap in seq: rows were removed
    DUPLICATE = "duplicate"  # a seq stored twice
    UNLINKED = "unlinked"  # prev_hash is not the previous row's hash
    HEAD_AHEAD = "head_ahead"  # the head counts rows that are gone: the newest were removed
    HEAD_BEHIND = "head_behind"  # rows past the head: put in without the chain's lock
    HEAD_MISMATCH = "head_mismatch"  # the head's hash is not the last row's
    NO_HEAD = "no_head"  # a chain with rows but no head


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """One thing wrong in a chain: where (chain, seq, row id when there is a row) and what."""

    chain: str
    seq: int
    row_id: int | None
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        row = "-" if self.row_id is None else str(self.row_id)
        return f"chain {self.chain}, seq {self.seq}, row {row}: {self.kind.value}: {self.detail}"


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of checking the whole trail."""

    rows: int
    chains: int
    problems: tuple[AuditProblem, ...] = field(default_factory=tuple)

    @property
    def intact(self) -> bool:
        """True when no row was edited, removed or put in."""
        return not self.problems


def verify_audit_trail(database: Database) -> AuditVerification:
    """Walk every chain in seq order and report everything that does not add up."""
    with database.transaction() as session:
        if not database.is_sqlite:
            # One snapshot for the heads and all rows, so a command committing meanwhile is
            # not mistaken for a removed or inserted row. (SQLite's BEGIN IMMEDIATE already
            # keeps writers out until the check ends.)
            session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
        heads = {head.chain: head for head in session.exec(select(AuditChainHeadRow))}
        problems: list[AuditProblem] = []
        rows = 0
        walked: set[str] = set()
        walk: _ChainWalk | None = None
        for row in _rows_in_chain_order(session):
            rows += 1
            if walk is None or walk.chain != row.chain:
                if walk is not None:
                    problems.extend(walk.finish(heads.get(walk.chain)))
                walk = _ChainWalk(row.chain)
                walked.add(row.chain)
            problems.extend(walk.check(row))
        if walk is not None:
            problems.extend(walk.finish(heads.get(walk.chain)))
        for chain in sorted(set(heads) - walked):  # every row of the chain removed
            problems.extend(_ChainWalk(chain).finish(heads[chain]))
        return AuditVerification(
            rows=rows, chains=len(walked | set(heads)), problems=tuple(problems)
        )


def _rows_in_chain_order(session: Session) -> Iterator[AuditRow]:
    statement = (
        select(AuditRow)
        .order_by(col(AuditRow.chain), col(AuditRow.seq), col(AuditRow.id))
        .execution_options(yield_per=_BATCH)
    )
    yield from session.exec(statement)


class _ChainWalk:
    """The state of walking one chain: the seq and hash the next row must link to."""

    def __init__(self, chain: str) -> None:
        self.chain = chain
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.last_id: int | None = None

    def check(self, row: AuditRow) -> list[AuditProblem]:
        problems: list[AuditProblem] = []

        def problem(kind: ProblemKind, detail: str, seq: int = row.seq) -> None:
            problems.append(AuditProblem(self.chain, seq, row.id, kind, detail))

        if row.hash != row_hash(row):
            problem(ProblemKind.EDITED, "its columns do not give its stored hash (edited)")
        if chain_of(row.agency_id) != row.chain:
            problem(ProblemKind.WRONG_CHAIN, f"agency {row.agency_id} belongs to another chain")
        if row.seq <= self.last_seq:
            problem(ProblemKind.DUPLICATE, f"seq {row.seq} stored twice (also row {self.last_id})")
        elif row.seq > self.last_seq + 1:
            first, last = self.last_seq + 1, row.seq - 1
            gap = f"seq {first}" if first == last else f"seqs {first}-{last}"
            problems.append(
                AuditProblem(
                    self.chain,
                    first,
                    None,
                    ProblemKind.MISSING,
                    f"{gap} missing before row {row.id} (removed)",
                )
            )
        elif row.prev_hash != self.last_hash:
            # Only checked without a gap: after one, the link is broken by the gap itself.
            problem(
                ProblemKind.UNLINKED,
                "its prev_hash is not the hash of the row before it (inserted, or the row "
                "before was re-hashed)",
            )
        self.last_seq = max(self.last_seq, row.seq)
        self.last_hash = row.hash
        self.last_id = row.id
        return problems

    def finish(self, head: AuditChainHeadRow | None) -> list[AuditProblem]:
        """Compare the end of the chain with its head."""
        if head is None:
            return [
                AuditProblem(
                    self.chain,
                    self.last_seq,
                    self.last_id,
                    ProblemKind.NO_HEAD,
                    "the chain has no head row",
                )
            ]
        if head.last_seq > self.last_seq:
            first, last = self.last_seq + 1, head.last_seq
            gap = f"seq {first}" if first == last else f"seqs {first}-{last}"
            return [
                AuditProblem(
                    self.chain,
                    first,
                    None,
                    ProblemKind.HEAD_AHEAD,
                    f"{gap} missing at the end (the newest rows were removed)",
                )
            ]
        if head.last_seq < self.last_seq:
            return [
                AuditProblem(
                    self.chain,
                    head.last_seq + 1,
                    self.last_id,
                    ProblemKind.HEAD_BEHIND,
                    f"rows past the head (seq {head.last_seq}): put in outside the chain",
                )
            ]
        if head.last_hash != self.last_hash:
            return [
                AuditProblem(
                    self.chain,
                    self.last_seq,
                    self.last_id,
                    ProblemKind.HEAD_MISMATCH,
                    "the head's hash is not the last row's",
                )
            ]
        return []

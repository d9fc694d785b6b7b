"""The audit trail's hash chains: each new row links to the one before it in its chain.

There is one chain per agency ("agency:<id>") and one for rows without an agency ("global").
Row `seq` of a chain stores the previous row's hash (`prev_hash`) and its own `hash`, over the
chain, seq, prev_hash and every content column in a canonical JSON form. Editing a row breaks
its hash; removing one leaves a gap in seq and a prev_hash that does not link; removing the
newest rows leaves the chain's head (`audit_chain_head`) ahead of the last row.

The hash is an HMAC-SHA256 under the audit key (`scheme` "hmac-sha256"), which lives outside
the database (storage.audit_key), so someone who can only write to the database cannot recompute
the links after an edit. Rows written before migration 0008 keep their plain SHA-256 links
(`scheme` "sha256"); they may only come first in a chain, and the first keyed row after them
(at the latest the "seal" row `sopbot run` writes at start-up) fixes their hashes for good.

Rows can never be updated (the database refuses it), so the hash is computed before the insert
and cannot use the autoincrement id. A writer locks the chain's head row (SELECT ... FOR UPDATE)
to take the next seq and moves the head in the same transaction, so one chain is appended to by
one transaction at a time and its seqs are consecutive.

The rows of a transaction are appended at its end (`write_pending`, called by
`Database.transaction` just before the commit), not when they are recorded: the head is then the
last lock the transaction takes. Taken earlier, it would be held while the transaction
goes on to lock instance rows, and a command holding one of those while waiting for the head
would deadlock with it. It also keeps the head locked only for the commit, and costs one SELECT
... FOR UPDATE and one head UPDATE per transaction and chain, however many rows it writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session, col

from sopbot.storage.audit_key import SESSION_INFO_KEY, AuditKey, canonical_json
from sopbot.storage.models import AuditChainHeadRow, AuditRow, InstanceRow, MemberRow
from sopbot.storage.prepared import PreparedQuery, PreparedWrite
from sopbot.storage.statements import insert_skipping_duplicates, table_of
from sopbot.storage.unit_of_work import UnitOfWork

GENESIS_HASH = "0" * 64
"""The prev_hash of the first row of every chain."""

GLOBAL_CHAIN = "global"
"""The chain of audit rows that belong to no agency."""

PLAIN_SCHEME = "sha256"
"""The links of rows written before migration 0008: plain SHA-256, which anyone can recompute."""

KEYED_SCHEME = "hmac-sha256"
"""The links of every row written since: HMAC-SHA256 under the audit key."""

SEAL_ENTITY = "audit_chain"
"""The entity of the row that seals a chain of plain links under the key."""


class MissingAuditKey(RuntimeError):
    """A change was audited through a database opened without the audit key."""


# Where a session keeps the entries recorded in its transaction until the commit appends them.
_PENDING_KEY = "sopbot.audit_chain.pending"

_AUDIT_TABLE = table_of(AuditRow)
_HEAD_TABLE = table_of(AuditChainHeadRow)

# Built once (see storage.prepared): every transaction that audits runs all three.
_LOCK_HEAD = PreparedQuery(
    select(_HEAD_TABLE.c.last_seq, _HEAD_TABLE.c.last_hash)
    .where(_HEAD_TABLE.c.chain == bindparam("chain"))
    .with_for_update()  # SQLite has no row locks: its writers queue at BEGIN IMMEDIATE
)
_MOVE_HEAD = PreparedWrite(
    update(_HEAD_TABLE)
    .where(_HEAD_TABLE.c.chain == bindparam("b_chain"))
    .values(last_seq=bindparam("last_seq"), last_hash=bindparam("last_hash"))
)
_APPEND = PreparedWrite(insert(_AUDIT_TABLE))


def chain_of(agency_id: int | None) -> str:
    """The chain an audit row of this agency (or of none) belongs to."""
    return GLOBAL_CHAIN if agency_id is None else f"agency:{agency_id}"


def agency_of(chain: str) -> int | None:
    """The agency whose chain this is (None for the global chain, or a name of no chain)."""
    prefix, _, number = chain.partition(":")
    return int(number) if prefix == "agency" and number.isdigit() else None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """The content of an audit row still to be appended (its chain fields come from the head)."""

    at: dt.datetime
    agency_id: int | None
    instance_id: uuid.UUID | None
    actor_id: int | None
    entity: str
    entity_id: str
    action: str
    before: str | None
    after: str
    detail: Mapping[str, Any] = field(default_factory=dict)


def content_hash(  # noqa: PLR0913 - every column of the link is hashed, keyword-only
    *,
    chain: str,
    seq: int,
    prev_hash: str,
    at: dt.datetime,
    agency_id: int | None,
    instance_id: uuid.UUID | None,
    actor_id: int | None,
    entity: str,
    entity_id: str,
    action: str,
    before: str | None,
    after: str,
    detail: Mapping[str, Any],
    key: AuditKey | None = None,
) -> str:
    """The hash (hex) of one link, over its place in the chain and all of its content: an
    HMAC-SHA256 under `key`, or without one the plain SHA-256 of rows from before 0008.

    Migration 0004 has its own copy of the plain form to fill the chains of existing rows: the
    two must stay identical (a test upgrades a database with rows and verifies it).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit times must be aware (UTC)")
    payload = {
        "chain": chain,
        "seq": seq,
        "prev_hash": prev_hash,
        # Microseconds always written out, so the text does not depend on the value.
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "agency_id": agency_id,
        "instance_id": None if instance_id is None else str(instance_id),
        "actor_id": actor_id,
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "before": before,
        "after": after,
        "detail": detail,
    }
    if key is None:
        return hashlib.sha256(canonical_json(payload)).hexdigest()
    return key.mac(payload)


def row_hash(row: AuditRow, key: AuditKey) -> str | None:
    """The hash a stored audit row should have, recomputed from its columns under its scheme
    (None for a scheme sopbot never writes)."""
    if row.scheme not in (PLAIN_SCHEME, KEYED_SCHEME):
        return None
    return content_hash(
        chain=row.chain,
        seq=row.seq,
        prev_hash=row.prev_hash,
        at=row.at,
        agency_id=row.agency_id,
        instance_id=row.instance_id,
        actor_id=row.actor_id,
        entity=row.entity,
        entity_id=row.entity_id,
        action=row.action,
        before=row.before,
        after=row.after,
        detail=row.detail,
        key=key if row.scheme == KEYED_SCHEME else None,
    )


def chains_expected(session: Session) -> set[str]:
    """The chains that must exist: every agency with members or procedures has audited them."""
    agencies = select(col(MemberRow.agency_id)).union(select(col(InstanceRow.agency_id)))
    return {chain_of(agency_id) for (agency_id,) in session.execute(agencies)}


def append(session: Session, entries: Iterable[AuditEntry]) -> int:
    """Queue the entries to be appended to their chains at the end of the session's
    transaction (`write_pending`, which `Database.transaction` calls just before it commits);
    returns how many there are. Entries queued in a `savepoint` that fails are dropped."""
    pending = list(entries)
    if not pending:
        return 0
    if session.info.get(SESSION_INFO_KEY) is None:
        raise MissingAuditKey(
            "this database was opened without the audit key (SOPBOT_AUDIT_KEY): "
            "changes cannot be audited, so none is made"
        )
    queue: list[AuditEntry] = session.info.setdefault(_PENDING_KEY, [])
    queue.extend(pending)
    return len(pending)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A part of the transaction that may fail alone (one alert of a batch): on an error its
    changes are rolled back and the audit entries it queued are dropped, then the error goes
    on to the caller."""
    queue: list[AuditEntry] = session.info.setdefault(_PENDING_KEY, [])
    queued_before = len(queue)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del queue[queued_before:]
        raise


def write_pending(session: Session) -> None:
    """Write the transaction's queued entries as linked rows: the last thing before the commit.

    The head is then the last lock the transaction takes (see the module's docstring).
    """
    entries: list[AuditEntry] = session.info.pop(_PENDING_KEY, [])
    if not entries:
        return
    key: AuditKey = session.info[SESSION_INFO_KEY]
    # Everything else first, so no other lock is waited for while a head is held.
    session.flush()
    # Several chains are locked in one fixed order, so two such transactions cannot deadlock.
    heads = {chain: _locked_head(session, chain) for chain in sorted({_chain(e) for e in entries})}
    rows = [_linked_row(entry, heads[_chain(entry)], key) for entry in entries]
    # One multi-row INSERT on the table, not an ORM object per row: nothing reads these rows
    # back in this transaction. Rows go in in the order they were recorded.
    _APPEND.run(session, rows)
    _MOVE_HEAD.run(
        session,
        [
            {"b_chain": head.chain, "last_seq": head.last_seq, "last_hash": head.last_hash}
            for head in heads.values()
        ],
    )


def _linked_row(entry: AuditEntry, head: _Head, key: AuditKey) -> dict[str, Any]:
    """The entry as the next row of its chain (the head moves on to it)."""
    # Stored as the database will give it back (JSON), so the hash verifies after a read.
    detail = json.loads(json.dumps(dict(entry.detail), allow_nan=False))
    seq, prev_hash = head.last_seq + 1, head.last_hash
    digest = content_hash(
        chain=head.chain,
        seq=seq,
        prev_hash=prev_hash,
        at=entry.at,
        agency_id=entry.agency_id,
        instance_id=entry.instance_id,
        actor_id=entry.actor_id,
        entity=entry.entity,
        entity_id=entry.entity_id,
        action=entry.action,
        before=entry.before,
        after=entry.after,
        detail=detail,
        key=key,
    )
    head.last_seq = seq
    head.last_hash = digest
    return {
        "at": entry.at,
        "agency_id": entry.agency_id,
        "instance_id": entry.instance_id,
        "actor_id": entry.actor_id,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "before": entry.before,
        "after": entry.after,
        "detail": detail,
        "chain": head.chain,
        "seq": seq,
        "prev_hash": prev_hash,
        "hash": digest,
        "scheme": KEYED_SCHEME,
    }


def _chain(entry: AuditEntry) -> str:
    return chain_of(entry.agency_id)


@dataclass(slots=True)
class _Head:
    """A chain's head as locked by this transaction, moved on as rows are appended."""

    chain: str
    last_seq: int
    last_hash: str


def _locked_head(session: Session, chain: str) -> _Head:
    """The chain's head, locked until the transaction ends (created on the chain's first use)."""
    row = _LOCK_HEAD.first(session, {"chain": chain})
    if row is None:
        _create_head(session, chain)
        row = _LOCK_HEAD.first(session, {"chain": chain})
        if row is None:
            raise RuntimeError(f"the head of audit chain {chain} was not created")
    return _Head(chain, row.last_seq, row.last_hash)


def _create_head(session: Session, chain: str) -> None:
    """Insert the empty head of a new chain, unless another transaction just did.

    ON CONFLICT DO NOTHING waits for a concurrent creator and then does nothing, where a plain
    INSERT would fail the whole command.
    """
    values = {"chain": chain, "last_seq": 0, "last_hash": GENESIS_HASH}
    insert = insert_skipping_duplicates(session, _HEAD_TABLE)
    session.execute(insert.values(values).on_conflict_do_nothing())


_LAST_ROW_SCHEME = PreparedQuery(
    select(_AUDIT_TABLE.c.scheme).where(
        _AUDIT_TABLE.c.chain == bindparam("chain"), _AUDIT_TABLE.c.seq == bindparam("seq")
    )
)


def seal_plain_chains(uow: UnitOfWork, at: dt.datetime) -> list[str]:
    """Append a keyed "seal" row to every chain whose newest row is a plain SHA-256 link (a
    chain from before migration 0008 with no keyed row yet); returns the chains sealed.

    The seal's HMAC covers the hash of the plain row before it, so from then on those rows
    cannot be recomputed either; until a chain is sealed, `sopbot audit verify` reports it.
    """
    session = uow.session
    heads = session.execute(select(_HEAD_TABLE.c.chain, _HEAD_TABLE.c.last_seq)).all()
    plain = [
        (chain, last_seq)
        for chain, last_seq in heads
        if chain_of(agency_of(chain)) == chain  # a name sopbot gives (verify reports others)
        and (row := _LAST_ROW_SCHEME.first(session, {"chain": chain, "seq": last_seq})) is not None
        and row.scheme == PLAIN_SCHEME
    ]
    append(
        session,
        (
            AuditEntry(
                at=at,
                agency_id=agency_of(chain),
                instance_id=None,
                actor_id=None,
                entity=SEAL_ENTITY,
                entity_id=chain,
                action="seal",
                before=PLAIN_SCHEME,
                after=KEYED_SCHEME,
                detail={"plain_rows": last_seq},
            )
            for chain, last_seq in plain
        ),
    )
    return [chain for chain, _ in plain]

"""audit trail: hash chains and append-only triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00.000000

Adds each audit row's place in its chain (chain, seq, prev_hash, hash) and the chain heads,
links the rows that already exist (in id order, per chain) so an upgraded database verifies,
and makes audit_event append-only: SQLite triggers refuse UPDATE and DELETE, a PostgreSQL
trigger function refuses UPDATE, DELETE and TRUNCATE.

A later migration that rebuilds audit_event on SQLite (batch mode: copy, drop, rename) loses
these triggers with the old table and must create them again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
APPEND_ONLY = "audit_event is append-only"

SQLITE_TRIGGERS = {
    "audit_event_no_update": "UPDATE",
    "audit_event_no_delete": "DELETE",
}
POSTGRES_FUNCTION = "audit_event_append_only"
POSTGRES_TRIGGERS = {
    "audit_event_no_update_delete": "BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW",
    "audit_event_no_truncate": "BEFORE TRUNCATE ON audit_event FOR EACH STATEMENT",
}

# The columns as they are when this migration runs (later model changes must not affect it).
_audit_event = sa.table(
    "audit_event",
    sa.column("id", sa.BigInteger()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("agency_id", sa.Integer()),
    sa.column("instance_id", sa.Uuid()),
    sa.column("actor_id", sa.Integer()),
    sa.column("entity", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("action", sa.String()),
    sa.column("before", sa.String()),
    sa.column("after", sa.String()),
    sa.column("detail", sa.JSON()),
    sa.column("chain", sa.String()),
    sa.column("seq", sa.Integer()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
_audit_chain_head = sa.table(
    "audit_chain_head",
    sa.column("chain", sa.String()),
    sa.column("last_seq", sa.Integer()),
    sa.column("last_hash", sa.String()),
)


def upgrade() -> None:
    op.create_table(
        "audit_chain_head",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    # Nullable first: existing rows get their values below, then the columns become NOT NULL.
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    _link_existing_rows(op.get_bind())

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("chain", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_audit_event_chain_seq", ["chain", "seq"])

    # Last: SQLite's batch mode above rebuilds the table, which would drop its triggers.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {POSTGRES_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"    RAISE EXCEPTION '{APPEND_ONLY}: % refused', TG_OP;\n"
            "END;\n"
            "$$"
        )
        for name, when in POSTGRES_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {POSTGRES_FUNCTION}()")
    else:
        for name, event in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON audit_event\n"
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON audit_event")
        op.execute(f"DROP FUNCTION {POSTGRES_FUNCTION}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_event_chain_seq", type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.drop_column("chain")

    op.drop_table("audit_chain_head")


def _link_existing_rows(connection: sa.Connection) -> None:
    """Give every existing row its place in its chain, oldest first, and record the heads."""
    heads: dict[str, tuple[int, str]] = {}
    links: list[dict[str, Any]] = []
    rows = connection.execute(sa.select(_audit_event).order_by(_audit_event.c.id))
    for row in rows.mappings():
        chain = "global" if row["agency_id"] is None else f"agency:{row['agency_id']}"
        last_seq, last_hash = heads.get(chain, (0, GENESIS_HASH))
        at = row["at"]
        if at.tzinfo is None:  # SQLite keeps UTC without its zone
            at = at.replace(tzinfo=dt.UTC)
        digest = _content_hash(
            chain=chain,
            seq=last_seq + 1,
            prev_hash=last_hash,
            at=at,
            agency_id=row["agency_id"],
            instance_id=None if row["instance_id"] is None else str(row["instance_id"]),
            actor_id=row["actor_id"],
            entity=row["entity"],
            entity_id=row["entity_id"],
            action=row["action"],
            before=row["before"],
            after=row["after"],
            detail=row["detail"],
        )
        links.append(
            {
                "row_id": row["id"],
                "new_chain": chain,
                "new_seq": last_seq + 1,
                "new_prev_hash": last_hash,
                "new_hash": digest,
            }
        )
        heads[chain] = (last_seq + 1, digest)
    if links:
        connection.execute(
            _audit_event.update()
            .where(_audit_event.c.id == sa.bindparam("row_id"))
            .values(
                chain=sa.bindparam("new_chain"),
                seq=sa.bindparam("new_seq"),
                prev_hash=sa.bindparam("new_prev_hash"),
                hash=sa.bindparam("new_hash"),
            ),
            links,
        )
    if heads:
        connection.execute(
            _audit_chain_head.insert(),
            [
                {"chain": chain, "last_seq": seq, "last_hash": digest}
                for chain, (seq, digest) in heads.items()
            ],
        )


def _content_hash(
    *,
    chain: str,
    seq: int,
    prev_hash: str,
    at: dt.datetime,
    agency_id: int | None,
    instance_id: str | None,
    actor_id: int | None,
    entity: str,
    entity_id: str,
    action: str,
    before: str | None,
    after: str,
    detail: Mapping[str, Any],
) -> str:
    # A copy of sopbot.storage.audit_chain.content_hash as it is in this revision: a migration
    # must not change when the application code does.
    payload = {
        "chain": chain,
        "seq": seq,
        "prev_hash": prev_hash,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "agency_id": agency_id,
        "instance_id": instance_id,
        "actor_id": actor_id,
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "before": before,
        "after": after,
        "detail": detail,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

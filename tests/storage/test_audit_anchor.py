"""Anchors of the audit trail: what the database alone cannot show (its newest rows removed with
the head moved back, a chain removed with its head, a chain rewritten after a rewind), an
anchor taken before shows; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col, select

from sopbot.messaging.catalog import Language, default_catalog
from sopbot.services.audit_anchor import AuditAnchorService, anchor_key
from sopbot.services.audit_verify import AuditProblem, ProblemKind, verify_audit_trail
from sopbot.storage.audit_anchor import head_digest, parse_anchor, read_anchor_file
from sopbot.storage.audit_chain import chain_of
from sopbot.storage.audit_key import AuditKey
from sopbot.storage.database import Database
from sopbot.storage.models import AuditChainHeadRow, AuditRow, CommandRow, MemberRow, OutboxRow
from tests.helpers.audit import TEST_AUDIT_KEY
from tests.helpers.clock import ManualClock
from tests.storage.test_audit_integrity import (
    NOW,
    chain_rows,
    change,
    drop_append_only_triggers,
    played,
    tamper,
)

MORNING = dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)  # 07.00 WIB, 08.00 WITA
AGENCY_NAME = "DINAS KOPERASI, UKM DAN PERINDUSTRIAN KOTA SAMARINDA"  # the seed SOP's header


def anchored(database: Database, path: Path, at: dt.datetime = MORNING) -> None:
    """Take the day's anchor as the bot's daily job does."""
    assert AuditAnchorService(database, path, clock=ManualClock(at)).anchor() is not None


def verify_against(database: Database, path: Path) -> tuple[AuditProblem, ...]:
    result = verify_audit_trail(database, read_anchor_file(TEST_AUDIT_KEY, path))
    return result.problems


def rewind(database: Database, chain: str, removed: int) -> list[AuditRow]:
    """Remove the newest rows and move the head back to the last one left: every link holds."""
    rows = chain_rows(database, chain)
    kept, gone = rows[:-removed], rows[-removed:]
    drop_append_only_triggers(database)
    with database.engine.begin() as connection:
        connection.execute(sa.delete(AuditRow).where(col(AuditRow.id).in_([r.id for r in gone])))
        connection.execute(
            sa.update(AuditChainHeadRow)
            .where(col(AuditChainHeadRow.chain) == chain)
            .values(last_seq=kept[-1].seq, last_hash=kept[-1].hash)
        )
    return gone


def test_the_newest_rows_removed_and_the_head_moved_back_are_found(
    database: Database, tmp_path: Path
) -> None:
    anchors = tmp_path / "audit-anchors.jsonl"
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    anchored(database, anchors)
    gone = rewind(database, chain, 3)
    assert verify_audit_trail(database).intact  # the database alone cannot tell
    assert verify_against(database, anchors) == (
        AuditProblem(
            chain,
            gone[0].seq,
            None,
            ProblemKind.REWOUND,
            f"seqs {gone[0].seq}-{gone[-1].seq} missing at the end: the anchor of "
            "2026-11-24T00:00:00+00:00 (line 1) saw them (the newest rows were removed)",
        ),
    )


def test_a_chain_removed_with_its_head_is_found(database: Database, tmp_path: Path) -> None:
    # The global chain belongs to no agency: only the anchor knows it existed.
    anchors = tmp_path / "audit-anchors.jsonl"
    played(database)
    with database.transaction() as session:
        change(session, None, "global setting")
        change(session, None, "another")
    anchored(database, anchors)
    drop_append_only_triggers(database)
    tamper(database, "DELETE FROM audit_event WHERE chain = 'global'")
    tamper(database, "DELETE FROM audit_chain_head WHERE chain = 'global'")
    assert verify_audit_trail(database).intact  # the database alone cannot tell
    assert verify_against(database, anchors) == (
        AuditProblem(
            "global",
            2,
            None,
            ProblemKind.CHAIN_GONE,
            "the anchor of 2026-11-24T00:00:00+00:00 (line 1) saw 2 row(s); the chain and its "
            "head are gone (removed)",
        ),
    )


def test_a_chain_rewound_and_written_on_is_found(database: Database, tmp_path: Path) -> None:
    # After the rewind the bot goes on writing keyed rows: the chain links and verifies, but
    # the rows at the anchored seqs are not the ones the anchor saw.
    anchors = tmp_path / "audit-anchors.jsonl"
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    anchored(database, anchors)
    last_anchored = chain_rows(database, chain)[-1]
    rewind(database, chain, 2)
    with database.transaction() as session:
        for what in ("one", "two", "three"):
            change(session, agency.agency_id, what)
    assert verify_audit_trail(database).intact
    replaced = next(r for r in chain_rows(database, chain) if r.seq == last_anchored.seq)
    assert verify_against(database, anchors) == (
        AuditProblem(
            chain,
            last_anchored.seq,
            replaced.id,
            ProblemKind.CHANGED,
            "the anchor of 2026-11-24T00:00:00+00:00 (line 1) saw another row here (replaced, "
            "and the rows after it re-hashed)",
        ),
    )


def test_an_intact_trail_agrees_with_every_anchor(database: Database, tmp_path: Path) -> None:
    anchors = tmp_path / "audit-anchors.jsonl"
    agency, _ = played(database)
    anchored(database, anchors)
    with database.transaction() as session:
        change(session, agency.agency_id, "later")
    anchored(database, anchors, MORNING + dt.timedelta(days=1))
    result = verify_audit_trail(database, read_anchor_file(TEST_AUDIT_KEY, anchors))
    assert (result.intact, result.anchors) == (True, 2)


def test_a_forged_or_damaged_anchor_line_is_reported(database: Database, tmp_path: Path) -> None:
    anchors = tmp_path / "audit-anchors.jsonl"
    played(database)
    anchored(database, anchors)
    (line,) = anchors.read_text(encoding="utf-8").splitlines()
    data = json.loads(line)
    data["heads"][0]["seq"] -= 3  # to hide three rows removed later
    other_key = AuditKey.generate()
    other = AuditAnchorService(
        Database(database.url.render_as_string(hide_password=False), audit_key=other_key),
        tmp_path / "other.jsonl",
        clock=ManualClock(MORNING + dt.timedelta(days=1)),
    )
    other.anchor()
    other.database.dispose()
    foreign = (tmp_path / "other.jsonl").read_text(encoding="utf-8")
    anchors.write_text(f"{json.dumps(data)}\n{{not json\n{foreign}", encoding="utf-8")
    problems = verify_against(database, anchors)
    assert [(p.seq, p.kind) for p in problems] == [
        (1, ProblemKind.ANCHOR_UNREADABLE),
        (2, ProblemKind.ANCHOR_UNREADABLE),
        (3, ProblemKind.ANCHOR_UNREADABLE),
    ]
    assert str(problems[0]) == (
        "anchor file line 1: anchor_unreadable: its MAC is not the audit key's (forged, "
        "damaged, or another key)"
    )
    assert str(problems[1]).startswith("anchor file line 2: anchor_unreadable: not an anchor")


def test_the_admins_get_their_chains_part_once_a_day(database: Database, tmp_path: Path) -> None:
    anchors = tmp_path / "audit-anchors.jsonl"
    agency, _ = played(database)
    chain = chain_of(agency.agency_id)
    with database.transaction() as session:
        english = session.get(MemberRow, agency.admin_id)
        assert english is not None
        english.language = "en"
        second = MemberRow(
            agency_id=agency.agency_id, name="Admin Dua", is_admin=True, created_at=NOW
        )
        session.add(second)
        session.flush()
        assert second.id is not None
        second_id = second.id
    before = outbox_ids(database)
    service = AuditAnchorService(database, anchors, clock=ManualClock(MORNING))
    anchor = service.anchor()
    assert anchor is not None
    head = anchor.head(chain)
    assert head is not None
    last = chain_rows(database, chain)[-1]
    assert (head.seq, head.hash) == (last.seq, last.hash)
    assert head.digest == head_digest(TEST_AUDIT_KEY, MORNING, chain, last.seq, last.hash)
    # The file holds the same anchor, and its MAC holds.
    (line,) = anchors.read_text(encoding="utf-8").splitlines()
    assert parse_anchor(TEST_AUDIT_KEY, line) == anchor
    catalog = default_catalog()
    expected = {
        agency.admin_id: catalog.text(
            Language.EN,
            "audit.anchor",
            agency=AGENCY_NAME,
            time="Tue 24 Nov 2026, 08:00 WITA",
            rows=last.seq,
            digest=head.digest,
        ),
        second_id: catalog.text(
            Language.ID,
            "audit.anchor",
            agency=AGENCY_NAME,
            time="Selasa, 24 November 2026 08.00 WITA",
            rows=last.seq,
            digest=head.digest,
        ),
    }
    assert new_messages(database, before) == expected
    # Later the same day (a restart, or a second bot process): nothing more.
    again = AuditAnchorService(database, anchors, clock=ManualClock(MORNING.replace(hour=9)))
    assert again.anchor() is None
    assert new_messages(database, before) == expected
    assert len(anchors.read_text(encoding="utf-8").splitlines()) == 1
    with database.transaction() as session:
        assert session.get(CommandRow, anchor_key("2026-11-24")) is not None


def outbox_ids(database: Database) -> set[int]:
    with database.transaction() as session:
        return {i for i in session.exec(select(OutboxRow.id)) if i is not None}


def new_messages(database: Database, before: set[int]) -> dict[int, str]:
    with database.transaction() as session:
        rows = session.exec(select(OutboxRow).where(col(OutboxRow.id).not_in(before))).all()
        return {row.member_id: str(row.payload["text"]) for row in rows}

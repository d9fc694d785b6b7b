"""`sopbot audit verify` and `sopbot documents verify` from the command line: intact,
tampered with, not migrated, without the audit key; and `sopbot run` without the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from sopbot.services.audit_anchor import AuditAnchorService
from sopbot.storage.audit_chain import content_hash
from sopbot.storage.audit_key import PLACEHOLDER
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.models import AuditRow
from tests.helpers.agencies import next_key
from tests.helpers.audit import TEST_AUDIT_KEY, TEST_AUDIT_KEY_TEXT
from tests.helpers.command_line import AGENCY, create_agency, run, use_fresh_database
from tests.storage.test_audit_integrity import HASHED_COLUMNS, staffed, start
from tests.storage.test_document_verify import LAMPIRAN, LAPORAN, PALSU, upload


@pytest.fixture
def database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    return use_fresh_database(monkeypatch, tmp_path)


def set_up_agency(capsys: pytest.CaptureFixture[str]) -> None:
    """An agency with a position and an admin: five audit rows in its chain."""
    create_agency(capsys)
    code, _, _ = run(
        capsys,
        "position",
        "add",
        AGENCY,
        "kaban",
        "--name",
        "Kepala Badan",
        "--role",
        "kepala_dinas",
    )
    assert code == 0
    code, _, _ = run(capsys, "admin", "add", AGENCY, "--name", "Siti Admin")
    assert code == 0


def test_an_intact_trail(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    set_up_agency(capsys)
    code, out, err = run(capsys, "audit", "verify")
    assert (code, err) == (0, "")
    assert out.strip() == "audit trail intact: 5 rows in 1 chains"


def test_an_edited_row_is_reported(capsys: pytest.CaptureFixture[str], database_url: str) -> None:
    set_up_agency(capsys)
    database = Database(database_url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_event_no_update"))
        connection.execute(text("UPDATE audit_event SET after = 'forged' WHERE seq = 2"))
        row_id = connection.execute(text("SELECT id FROM audit_event WHERE seq = 2")).scalar_one()
        chain = connection.execute(text("SELECT chain FROM audit_event WHERE seq = 2")).scalar_one()
    database.dispose()
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1
    assert out.splitlines() == [
        f"chain {chain}, seq 2, row {row_id}: edited: "
        "its columns do not give its stored hash (edited)",
        "audit trail NOT intact: 1 problem(s) in 5 rows in 1 chains",
    ]


def test_a_database_not_migrated_is_not_checked(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    code, out, err = run(capsys, "audit", "verify")
    assert (code, out) == (1, "")
    assert err.strip().endswith("run `sopbot db upgrade` first")


def test_audit_alone_prints_its_commands(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    code, out, _ = run(capsys, "audit")
    assert code == 0
    assert "verify" in out


def chain_of_agency(database_url: str) -> str:
    database = Database(database_url)
    with database.engine.connect() as connection:
        chain: str = connection.execute(text("SELECT DISTINCT chain FROM audit_event")).scalar_one()
    database.dispose()
    return chain


def anchor_now(database_url: str, anchors: Path) -> None:
    """Take the day's anchor as the running bot's daily job does."""
    database = Database(database_url, audit_key=TEST_AUDIT_KEY)
    AuditAnchorService(database, anchors).anchor()
    database.dispose()


def tamper(database_url: str, *statements: str) -> None:
    """Drop the append-only triggers and run the statements (database owner's rights)."""
    database = Database(database_url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_event_no_update"))
        connection.execute(text("DROP TRIGGER audit_event_no_delete"))
        for statement in statements:
            connection.execute(text(statement))
    database.dispose()


def test_the_newest_rows_removed_are_found_with_the_anchor_file(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    set_up_agency(capsys)
    anchors = tmp_path / "anchors.jsonl"
    anchor_now(database_url, anchors)
    chain = chain_of_agency(database_url)
    tamper(
        database_url,
        "DELETE FROM audit_event WHERE seq > 3",
        "UPDATE audit_chain_head SET last_seq = 3, "
        "last_hash = (SELECT hash FROM audit_event WHERE seq = 3)",
    )
    code, out, _ = run(capsys, "audit", "verify")
    assert (code, out.strip()) == (0, "audit trail intact: 3 rows in 1 chains")
    code, out, _ = run(capsys, "audit", "verify", "--anchor", str(anchors))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(
        f"chain {chain}, seq 4, row -: rewound: seqs 4-5 missing at the end: the anchor of "
    )
    assert lines[1:] == [
        "audit trail NOT intact: 1 problem(s) in 3 rows in 1 chains, against 1 anchor(s)"
    ]


def test_a_chain_removed_with_its_head_is_found(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    set_up_agency(capsys)
    anchors = tmp_path / "anchors.jsonl"
    anchor_now(database_url, anchors)
    chain = chain_of_agency(database_url)
    tamper(database_url, "DELETE FROM audit_event", "DELETE FROM audit_chain_head")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1
    assert out.splitlines() == [
        f"chain {chain}, seq 0, row -: no_chain: "
        "the agency has members or procedures but no audit chain (removed)",
        "audit trail NOT intact: 1 problem(s) in 0 rows in 0 chains",
    ]
    code, out, _ = run(capsys, "audit", "verify", "--anchor", str(anchors))
    assert code == 1
    assert [line.split(": ")[1] for line in out.splitlines()[:2]] == ["no_chain", "chain_gone"]


def test_an_edit_with_the_rest_recomputed_is_found_without_the_anchor_file(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    set_up_agency(capsys)
    database = Database(database_url, audit_key=TEST_AUDIT_KEY)
    with database.transaction() as session:
        rows = list(session.exec(select(AuditRow).order_by(col(AuditRow.seq))))
    database.dispose()
    # Every row re-hashed with plain SHA-256 from an edit of row 2 on, the head moved along.
    statements, prev_hash = [], rows[0].hash
    for row in rows[1:]:
        after = "forged" if row.seq == 2 else row.after
        values = {c: getattr(row, c) for c in HASHED_COLUMNS} | {
            "prev_hash": prev_hash,
            "after": after,
        }
        digest = content_hash(**values)
        statements.append(
            f"UPDATE audit_event SET after = '{after}', prev_hash = '{prev_hash}', "  # noqa: S608 - test values
            f"hash = '{digest}', scheme = 'sha256' WHERE id = {row.id}"
        )
        prev_hash = digest
    statements.append(f"UPDATE audit_chain_head SET last_hash = '{prev_hash}'")  # noqa: S608 - test values
    tamper(database_url, *statements)
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1
    lines = out.splitlines()
    assert [line.split(": ")[1] for line in lines[:-1]] == ["downgraded"] * 4
    assert lines[0].startswith(f"chain {rows[1].chain}, seq 2, row {rows[1].id}: downgraded: ")
    assert lines[-1] == "audit trail NOT intact: 4 problem(s) in 5 rows in 1 chains"


def test_checking_without_the_key_says_what_to_do(
    capsys: pytest.CaptureFixture[str], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up_agency(capsys)
    monkeypatch.delenv("SOPBOT_AUDIT_KEY")
    code, out, err = run(capsys, "audit", "verify")
    assert (code, out) == (2, "")
    assert err.startswith("SOPBOT_AUDIT_KEY is not set")
    monkeypatch.setenv("SOPBOT_AUDIT_KEY", PLACEHOLDER)
    code, out, err = run(capsys, "documents", "verify")
    assert (code, out) == (2, "")
    assert err.startswith("SOPBOT_AUDIT_KEY is still the placeholder from .env.example")


def test_changes_without_the_key_are_refused_and_change_nothing(
    capsys: pytest.CaptureFixture[str], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up_agency(capsys)
    monkeypatch.setenv("SOPBOT_AUDIT_KEY", "too-short")
    code, _, err = run(capsys, "admin", "add", AGENCY, "--name", "Tanpa Kunci")
    assert code == 2
    assert err.startswith("SOPBOT_AUDIT_KEY is too short (9 characters)")
    monkeypatch.setenv("SOPBOT_AUDIT_KEY", TEST_AUDIT_KEY_TEXT)
    code, out, _ = run(capsys, "audit", "verify")
    assert (code, out.strip()) == (0, "audit trail intact: 5 rows in 1 chains")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "SOPBOT_AUDIT_KEY is not set"),
        (PLACEHOLDER, "SOPBOT_AUDIT_KEY is still the placeholder from .env.example"),
    ],
)
def test_run_refuses_to_start_without_a_usable_key(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    key: str | None,
    message: str,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:token-for-the-test")
    if key is None:
        monkeypatch.delenv("SOPBOT_AUDIT_KEY")
    else:
        monkeypatch.setenv("SOPBOT_AUDIT_KEY", key)
    code, out, err = run(capsys, "run")
    assert (code, out) == (2, "")
    assert err.startswith(message)
    assert "secrets.token_hex(32)" in err


def store_documents(database_url: str, documents_dir: Path) -> list[str]:
    """A procedure of the agency with two documents attached; their storage keys."""
    database = Database(database_url, audit_key=TEST_AUDIT_KEY)
    store = LocalDocumentStore(documents_dir)
    try:
        procedures, agency = staffed(database)
        start(procedures, agency, "Triwulan III")
        sekretaris = agency.person("sekretaris")
        (item,) = procedures.inbox(sekretaris)
        keys = []
        for content, name in ((LAPORAN, "laporan.pdf"), (LAMPIRAN, "lampiran.pdf")):
            document = upload(store, content, name)
            procedures.attach_document(
                next_key(),
                member_id=sekretaris,
                disposition_id=item.disposition_id,
                document=document,
            )
            keys.append(document.storage_key)
        return keys
    finally:
        database.dispose()


def test_documents_verify(
    capsys: pytest.CaptureFixture[str],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documents_dir = tmp_path / "documents"
    monkeypatch.setenv("SOPBOT_DOCUMENTS_DIR", str(documents_dir))
    code, _, _ = run(capsys, "db", "upgrade")
    assert code == 0
    laporan, lampiran = store_documents(database_url, documents_dir)
    code, out, err = run(capsys, "documents", "verify")
    assert (code, out.strip(), err) == (0, "documents intact: 2 documents", "")
    (documents_dir / laporan).write_bytes(PALSU)
    (documents_dir / lampiran).unlink()
    code, out, _ = run(capsys, "documents", "verify")
    assert code == 1
    lines = out.splitlines()
    assert sorted(line.split(": ", 1)[1] for line in lines[:2]) == [
        "changed: its bytes no longer hash to the SHA-256 its row records (replaced or damaged)",
        "missing: no file under its storage key (removed)",
    ]
    assert lines[2:] == ["documents NOT intact: 2 problem(s) in 2 documents"]

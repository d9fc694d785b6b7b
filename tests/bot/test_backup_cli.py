"""`sopbot backup DIR` and `sopbot restore DIR` from the command line, on SQLite and PostgreSQL:
a round trip with documents, a backup taken while another thread writes, and every refusal,
each of which leaves the backup, the database and the documents folder as they were."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sopbot.services.organization import OrganizationService
from sopbot.services.procedures import ProcedureService
from sopbot.storage.backup import libpq_connection
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.migrate import downgrade, head_revision, revisions_in_order
from tests.helpers.backups import empty_database_like, empty_postgres_database, row_counts, url_of
from tests.helpers.command_line import run
from tests.storage.test_document_verify import LAMPIRAN, LAPORAN, with_documents

PARTIAL = ".backup.partial-"


@pytest.fixture
def documents(tmp_path: Path) -> LocalDocumentStore:
    """The source deployment's document store."""
    return LocalDocumentStore(tmp_path / "documents")


@pytest.fixture
def source(
    database: Database, documents: LocalDocumentStore, monkeypatch: pytest.MonkeyPatch
) -> ProcedureService:
    """A deployment with a running procedure whose open step got two documents; the command
    line points at it."""
    procedures, _, _ = with_documents(database, documents)
    point_at(monkeypatch, url_of(database), documents.root)
    return procedures


@pytest.fixture
def target(database: Database, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of the source's kind, to restore into."""
    with empty_database_like(database, tmp_path) as url:
        yield url


def point_at(monkeypatch: pytest.MonkeyPatch, url: str, documents: Path) -> None:
    """The command line's DATABASE_URL and SOPBOT_DOCUMENTS_DIR from now on."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SOPBOT_DOCUMENTS_DIR", str(documents))


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes (empty when there is no folder)."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def manifest_of(backup: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    return data


def take(capsys: pytest.CaptureFixture[str], backup: Path) -> str:
    """`sopbot backup` succeeds; what it printed."""
    code, out, err = run(capsys, "backup", str(backup))
    assert (code, err) == (0, ""), (out, err)
    return out


def restore_into(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    backup: Path,
    url: str,
    documents: Path,
) -> tuple[int, str, str]:
    """`sopbot restore` into the database and documents folder given."""
    point_at(monkeypatch, url, documents)
    return run(capsys, "restore", str(backup))


def assert_refused(result: tuple[int, str, str], command: str, *reasons: str) -> None:
    """Refused in one line, exit code 2, no traceback."""
    code, out, err = result
    assert (code, out) == (2, "")
    assert err.count("\n") == 1, err
    assert err.startswith(f"{command} refused: "), err
    for reason in reasons:
        assert reason in err


def assert_empty(url: str, documents: Path) -> None:
    """The restore target was left as it was: no table (on SQLite, no file), no document."""
    database_file = make_url(url).database
    if url.startswith("sqlite") and database_file is not None:
        assert not Path(database_file).exists()
    assert row_counts(url) == {}
    assert files_under(documents) == {}


# -- the round trip ----------------------------------------------------------------------------


def test_a_backup_restores_every_row_and_document(
    source: ProcedureService,
    database: Database,
    documents: LocalDocumentStore,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    backup = tmp_path / "backup"
    kind = "sqlite" if database.is_sqlite else "postgresql"
    out = take(capsys, backup)
    assert out.startswith(
        f"backup written to {backup}: {kind} database at schema revision "
        f"{head_revision(database)}, 2 document(s), "
    )

    # The manifest lists every file the backup holds, with its size and SHA-256.
    manifest = manifest_of(backup)
    held = files_under(backup)
    database_file = "database.sqlite3" if database.is_sqlite else "database.pgdump"
    assert set(held) == {"manifest.json", database_file} | {
        f"documents/{key}" for key in documents.stored_keys()
    }
    assert manifest["format"] == 1
    assert manifest["database"] == {
        "kind": kind,
        "schema_revision": head_revision(database),
        "file": database_file,
        "postgresql_schema": None if database.is_sqlite else "public",
    }
    files = manifest["files"]
    assert isinstance(files, list)
    assert {(f["path"], f["size"], f["sha256"]) for f in files} == {
        (path, len(content), hashlib.sha256(content).hexdigest())
        for path, content in held.items()
        if path != "manifest.json"
    }
    assert {len(LAPORAN), len(LAMPIRAN)} <= {len(c) for c in held.values()}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(PARTIAL)]

    restored_documents = tmp_path / "restored-documents"
    code, out, err = restore_into(capsys, monkeypatch, backup, target, restored_documents)
    assert (code, err) == (0, ""), out
    shown = Database(target).url.render_as_string(hide_password=True)
    assert out.splitlines()[1:] == [
        f"restored the {kind} database at schema revision {head_revision(database)} into {shown}",
        f"restored 2 document(s) into {restored_documents}",
        f"audit trail intact: {audit_rows(database)} rows in 1 chains",
        "documents intact: 2 documents",
    ]
    assert out.splitlines()[0].endswith("(sopbot 0.1.0): 3 file(s) match the manifest")
    assert row_counts(target) == row_counts(url_of(database))
    assert files_under(restored_documents) == files_under(documents.root)

    # The commands an operator runs afterwards agree.
    assert run(capsys, "audit", "verify")[:2] == (
        0,
        f"audit trail intact: {audit_rows(database)} rows in 1 chains\n",
    )
    assert run(capsys, "documents", "verify")[:2] == (0, "documents intact: 2 documents\n")


def audit_rows(database: Database) -> int:
    with database.engine.connect() as connection:
        count: int = connection.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    return count


def test_a_backup_taken_while_another_thread_writes_is_consistent(
    source: ProcedureService,
    database: Database,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Positions are added, each with its audit row linked into the chain and the chain's head
    # moved, all the time the backup is taken: a copy of the rows and the head from different
    # moments would not verify.
    organization = OrganizationService(source)
    agency_id = organization.create_agency(
        key="dinas-sibuk", name="Dinas Sibuk", timezone="Asia/Makassar"
    )
    stop, added = threading.Event(), [0]

    def keep_writing() -> None:
        while not stop.is_set() or added[0] < 5:
            organization.add_position(
                agency_id=agency_id, key=f"staf_{added[0]}", name=f"Staf {added[0]}"
            )
            added[0] += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        take(capsys, tmp_path / "backup")
    finally:
        stop.set()
        writer.join()
    code, out, _ = restore_into(
        capsys, monkeypatch, tmp_path / "backup", target, tmp_path / "restored"
    )
    assert code == 0, out
    assert "audit trail intact: " in out
    restored = row_counts(target)["position"]
    assert restored <= row_counts(url_of(database))["position"]


# -- what a backup refuses ---------------------------------------------------------------------


def test_a_backup_into_a_folder_that_is_not_empty_is_refused(
    source: ProcedureService, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "catatan.txt").write_text("milik operator")
    assert_refused(run(capsys, "backup", str(backup)), "backup", "exists and is not empty")
    assert files_under(backup) == {"catatan.txt": b"milik operator"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(PARTIAL)]


def test_an_empty_folder_takes_the_backup(
    source: ProcedureService, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    backup = tmp_path / "backup"
    backup.mkdir()
    take(capsys, backup)
    assert (backup / "manifest.json").is_file()


def test_a_backup_that_fails_half_way_leaves_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A SQLite file sopbot never migrated: the copy is made, then found to hold no schema.
    stranger = Database(f"sqlite:///{tmp_path / 'lain.db'}")
    with stranger.engine.begin() as connection:
        connection.execute(text("CREATE TABLE catatan (isi TEXT)"))
    stranger.dispose()
    point_at(monkeypatch, url_of(stranger), tmp_path / "documents")
    backup = tmp_path / "backups" / "malam-ini"
    assert_refused(run(capsys, "backup", str(backup)), "backup", "never migrated")
    assert list((tmp_path / "backups").iterdir()) == []


def test_without_pg_dump_or_pg_restore_nothing_is_done(
    postgres_database: Database,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    point_at(monkeypatch, url_of(postgres_database), tmp_path / "documents")
    take(capsys, tmp_path / "backup")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert_refused(
        run(capsys, "backup", str(tmp_path / "again")), "backup", "pg_dump was not found"
    )
    assert not (tmp_path / "again").exists()
    with empty_postgres_database() as url:
        result = restore_into(capsys, monkeypatch, tmp_path / "backup", url, tmp_path / "restored")
        assert_refused(result, "restore", "pg_restore was not found")
        assert_empty(url, tmp_path / "restored")


# -- what a restore refuses --------------------------------------------------------------------


@pytest.fixture
def backup(source: ProcedureService, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    """A backup of the source deployment."""
    folder = tmp_path / "backup"
    take(capsys, folder)
    return folder


def test_a_database_that_is_not_empty_is_refused(
    backup: Path,
    database: Database,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    before = row_counts(url_of(database))
    result = restore_into(capsys, monkeypatch, backup, url_of(database), tmp_path / "restored")
    assert_refused(result, "restore", "is not empty", "agency")
    assert row_counts(url_of(database)) == before
    assert files_under(tmp_path / "restored") == {}


def test_a_documents_folder_that_is_not_empty_is_refused(
    backup: Path,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    documents = tmp_path / "restored"
    documents.mkdir()
    (documents / "lama.pdf").write_bytes(b"%PDF-1.4\n")
    result = restore_into(capsys, monkeypatch, backup, target, documents)
    assert_refused(result, "restore", f"the documents folder {documents} is not empty")
    assert row_counts(target) == {}
    assert files_under(documents) == {"lama.pdf": b"%PDF-1.4\n"}


@pytest.mark.parametrize("damage", ["changed", "missing", "shorter"])
def test_a_backup_that_does_not_match_its_manifest_is_refused(
    backup: Path,
    damage: str,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    document = sorted((backup / "documents").rglob("*.pdf"))[0]
    content = document.read_bytes()
    if damage == "changed":  # same size, one byte different
        document.write_bytes(content[:-2] + bytes([content[-2] ^ 1]) + content[-1:])
    elif damage == "missing":
        document.unlink()
    else:
        document.write_bytes(content[:-1])
    path = document.relative_to(backup).as_posix()
    said = {
        "changed": f"{path}: its SHA-256 is not the manifest's (changed)",
        "missing": f"{path}: missing",
        "shorter": f"{path}: {len(content) - 1} bytes, the manifest says {len(content)}",
    }[damage]
    result = restore_into(capsys, monkeypatch, backup, target, tmp_path / "restored")
    assert_refused(result, "restore", "does not match its manifest", said)
    assert_empty(target, tmp_path / "restored")


def test_a_folder_without_a_manifest_is_refused(
    backup: Path,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    (backup / "manifest.json").unlink()
    result = restore_into(capsys, monkeypatch, backup, target, tmp_path / "restored")
    assert_refused(result, "restore", "has no manifest.json")
    assert_empty(target, tmp_path / "restored")


def test_a_manifest_naming_a_file_outside_the_backup_is_refused(
    backup: Path,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    manifest = manifest_of(backup)
    outside = tmp_path / "rahasia.txt"
    outside.write_text("bukan milik backup")
    files = manifest["files"]
    assert isinstance(files, list)
    files.append({"path": "../rahasia.txt", "size": 18, "sha256": "0" * 64})
    (backup / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = restore_into(capsys, monkeypatch, backup, target, tmp_path / "restored")
    assert_refused(result, "restore", "names a file sopbot does not write: '../rahasia.txt'")
    assert_empty(target, tmp_path / "restored")


def test_a_schema_newer_than_this_sopbot_is_refused(
    source: ProcedureService,
    database: Database,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # A database a newer sopbot migrated: its revision is one this sopbot does not know.
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_nanti'"))
    take(capsys, tmp_path / "backup")
    result = restore_into(capsys, monkeypatch, tmp_path / "backup", target, tmp_path / "restored")
    assert_refused(
        result,
        "restore",
        f"schema revision 0099_nanti is newer than this sopbot knows (its newest: "
        f"{head_revision(database)}): upgrade sopbot first",
    )
    assert_empty(target, tmp_path / "restored")


def test_an_older_schema_is_restored_and_migrated(
    database: Database,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    older = revisions_in_order(database)[-2]
    downgrade(database, older)
    database.dispose()
    point_at(monkeypatch, url_of(database), tmp_path / "documents")
    out = take(capsys, tmp_path / "backup")
    assert f"at schema revision {older}," in out
    code, out, err = restore_into(
        capsys, monkeypatch, tmp_path / "backup", target, tmp_path / "restored"
    )
    assert (code, err) == (0, "")
    assert (
        f"migrated the schema from {older} to {head_revision(database)}, as `sopbot db upgrade` "
        "does"
    ) in out.splitlines()
    assert run(capsys, "db", "current")[0] == 0


def test_another_audit_key_is_refused_before_anything_changes(
    backup: Path,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SOPBOT_AUDIT_KEY", "kunci-lain-" + "7" * 40)
    result = restore_into(capsys, monkeypatch, backup, target, tmp_path / "restored")
    assert_refused(
        result, "restore", "SOPBOT_AUDIT_KEY is not the key this backup's audit trail was written"
    )
    assert_empty(target, tmp_path / "restored")


def test_without_the_audit_key_a_restore_is_refused(
    backup: Path,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("SOPBOT_AUDIT_KEY")
    code, out, err = restore_into(capsys, monkeypatch, backup, target, tmp_path / "restored")
    assert (code, out) == (2, "")
    assert err.startswith("SOPBOT_AUDIT_KEY is not set")
    assert_empty(target, tmp_path / "restored")


def test_a_backup_without_the_key_names_the_key_when_the_trail_does_not_verify(
    source: ProcedureService,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("SOPBOT_AUDIT_KEY")
    out = take(capsys, tmp_path / "backup")
    assert "note: SOPBOT_AUDIT_KEY was not set" in out
    monkeypatch.setenv("SOPBOT_AUDIT_KEY", secrets.token_hex(32))  # another server's
    code, out, _ = restore_into(
        capsys, monkeypatch, tmp_path / "backup", target, tmp_path / "restored"
    )
    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith("audit trail NOT intact: ") for line in lines)
    assert (
        "every problem is a row whose keyed hash does not hold: if SOPBOT_AUDIT_KEY is not the "
        "key of the server the backup came from, that alone explains it; set that key"
    ) in lines


def test_a_sqlite_backup_is_not_restored_into_postgresql(
    migrated_sqlite: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    point_at(monkeypatch, f"sqlite:///{migrated_sqlite}", tmp_path / "documents")
    take(capsys, tmp_path / "backup")
    with empty_postgres_database() as url:
        result = restore_into(capsys, monkeypatch, tmp_path / "backup", url, tmp_path / "restored")
        assert_refused(result, "restore", "the backup holds a sqlite database")
        assert_empty(url, tmp_path / "restored")


# -- documents the database names but the store lost -------------------------------------------


def test_a_document_lost_from_the_store_is_reported_by_backup_and_restore(
    source: ProcedureService,
    documents: LocalDocumentStore,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    lost = documents.stored_keys()[0]
    documents.path_of(lost).unlink()
    code, out, err = run(capsys, "backup", str(tmp_path / "backup"))
    assert code == 1
    assert out.startswith(f"backup written to {tmp_path / 'backup'}: ")
    assert err == (
        f"warning: 1 document(s) the database names are not in the document store ({lost}): "
        "run `sopbot documents verify`\n"
    )
    assert manifest_of(tmp_path / "backup")["missing_documents"] == [lost]
    code, out, _ = restore_into(
        capsys, monkeypatch, tmp_path / "backup", target, tmp_path / "restored"
    )
    assert code == 1
    lines = out.splitlines()
    assert (
        "the backup lacks 1 document(s): missing or damaged in the store when it was taken" in lines
    )
    assert "audit trail intact: " in out
    assert lines[-1] == "documents NOT intact: 1 problem(s) in 2 documents"


def test_the_postgresql_password_reaches_the_tools_in_their_environment_only() -> None:
    url = make_url(
        "postgresql+psycopg://sopbot:s3cr%27et%20kata@db.example:5433/sopbot"
        "?sslmode=require&options=-csearch_path%3Dsopbot"
    )
    connection, environment = libpq_connection(url)
    assert connection == (
        "host='db.example' port='5433' user='sopbot' dbname='sopbot' sslmode='require' "
        "options='-csearch_path=sopbot'"
    )
    assert environment["PGPASSWORD"] == "s3cr'et kata"
